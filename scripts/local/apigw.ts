/**
 * API Gateway HTTP API, as far as a Lambda proxy integration sees it: route selection,
 * the payload format 2.0 event built from a request, and the mapping of the function's
 * result back to an HTTP response. Pure functions; runtime.ts does the I/O.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

// ---------------------------------------------------------------------------------------
// Routes

type Segment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

export interface ParsedRouteKey {
  /** Upper-case method, or ANY. Undefined for `$default`. */
  readonly method?: string;
  readonly segments: readonly Segment[];
  readonly isDefault: boolean;
}

function splitPath(path: string): string[] {
  return path.split('/').slice(1);
}

/** Parses `METHOD /path/{param}/{greedy+}` or `$default`. */
export function parseRouteKey(routeKey: string): ParsedRouteKey {
  if (routeKey === '$default') return { segments: [], isDefault: true };
  const match = /^([A-Za-z]+) (\/.*)$/.exec(routeKey);
  if (!match?.[1] || match[2] === undefined) throw new Error(`invalid route key: ${routeKey}`);
  const parts = match[2] === '/' ? [] : splitPath(match[2]);
  const segments = parts.map((part, index): Segment => {
    const param = /^\{([^{}]+)\}$/.exec(part);
    if (!param?.[1]) return { kind: 'literal', value: part };
    if (param[1].endsWith('+')) {
      if (index !== parts.length - 1) throw new Error(`greedy path variable must come last: ${routeKey}`);
      return { kind: 'greedy', name: param[1].slice(0, -1) };
    }
    return { kind: 'param', name: param[1] };
  });
  return { method: match[1].toUpperCase(), segments, isDefault: false };
}

function decode(value: string): string {
  if (value.indexOf('%') < 0) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Path parameters when the path matches the route's segments, else undefined. Walks the path
 * in place: splitting it into an array of parts per route tried was most of the routing cost.
 */
function matchSegments(segments: readonly Segment[], path: string): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  if (path === '/') return segments.length === 0 ? params : undefined;
  // The path's parts are what lies between its slashes: part i runs from `start` to the next '/'.
  let start = 1;
  for (const segment of segments) {
    if (start > path.length) return undefined;
    if (segment.kind === 'greedy') {
      if (start === path.length) return undefined;
      params[segment.name] = decode(path.slice(start));
      return params;
    }
    let end = path.indexOf('/', start);
    if (end < 0) end = path.length;
    if (segment.kind === 'literal') {
      if (end - start !== segment.value.length || !path.startsWith(segment.value, start)) return undefined;
    } else {
      if (end === start) return undefined;
      params[segment.name] = decode(path.slice(start, end));
    }
    start = end + 1;
  }
  return start === path.length + 1 ? params : undefined;
}

/** Higher sorts first: literal segments beat variables, variables beat greedy ones, a method beats ANY. */
function specificity(route: ParsedRouteKey): number[] {
  const rank = route.segments.map((segment) =>
    segment.kind === 'literal' ? 3 : segment.kind === 'param' ? 2 : 1,
  );
  return [...rank, 0, route.method === 'ANY' ? 0 : 1];
}

function compareSpecificity(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (b[i] ?? -1) - (a[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

export interface RouteMatch<T> {
  readonly route: T;
  readonly routeKey: string;
  readonly pathParameters: Record<string, string>;
}

/** A routing table parsed and ordered by specificity once; `match` per request. */
export class RouteTable<T extends { readonly routeKey: string }> {
  /** Every route but `$default`, most specific first (ties keep the template's order). */
  private readonly ordered: readonly { route: T; parsed: ParsedRouteKey }[];
  /** Per method, the routes of that method or ANY, in the same order. */
  private readonly byMethod = new Map<string, readonly { route: T; parsed: ParsedRouteKey }[]>();
  private readonly fallback: T | undefined;

  constructor(routes: readonly T[]) {
    const parsed = routes.map((route) => ({ route, parsed: parseRouteKey(route.routeKey) }));
    this.fallback = parsed.find((r) => r.parsed.isDefault)?.route;
    this.ordered = parsed
      .filter((r) => !r.parsed.isDefault)
      .sort((a, b) => compareSpecificity(specificity(a.parsed), specificity(b.parsed)));
  }

  /**
   * The route API Gateway would choose for a request: the most specific one whose method and
   * path match, with `$default` as the fallback; undefined means 404.
   */
  match(method: string, path: string): RouteMatch<T> | undefined {
    const upper = method.toUpperCase();
    let candidates = this.byMethod.get(upper);
    if (!candidates) {
      candidates = this.ordered.filter((r) => r.parsed.method === 'ANY' || r.parsed.method === upper);
      // Node's HTTP parser accepts only the standard methods: this map stays small.
      this.byMethod.set(upper, candidates);
    }
    for (const { route, parsed } of candidates) {
      const params = matchSegments(parsed.segments, path);
      if (params) return { route, routeKey: route.routeKey, pathParameters: params };
    }
    if (this.fallback) return { route: this.fallback, routeKey: '$default', pathParameters: {} };
    return undefined;
  }
}

/** RouteTable.match for a one-off lookup (the table is parsed on every call). */
export function matchRoute<T extends { readonly routeKey: string }>(
  routes: readonly T[],
  method: string,
  path: string,
): RouteMatch<T> | undefined {
  return new RouteTable(routes).match(method, path);
}

// ---------------------------------------------------------------------------------------
// Request → event

export interface IncomingRequest {
  readonly method: string;
  /** Path and query exactly as received (`/a/b?x=1`). */
  readonly url: string;
  /** Header name/value pairs as received (Node's `req.rawHeaders`). */
  readonly rawHeaders: readonly string[];
  /**
   * Node's parsed headers (`req.headers`, which Node's server builds for every request anyway):
   * taken over as the event's headers when each name occurs once, where they equal what
   * `collectHeaders` would build. The event changes them (the x-forwarded-* headers).
   */
  readonly parsedHeaders?: Record<string, string | string[] | undefined>;
  readonly body: Uint8Array;
  readonly sourceIp: string;
  /** e.g. `HTTP/1.1`. */
  readonly protocol: string;
}

export interface EventOptions {
  readonly routeKey: string;
  readonly pathParameters: Record<string, string>;
  readonly requestId?: string;
  readonly now?: Date;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let lastRequestSecond = Number.NaN;
let lastRequestTime = '';

/** API Gateway's request time format: `12/Mar/2020:19:03:58 +0000` (the last one is reused within its second). */
export function formatRequestTime(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second === lastRequestSecond) return lastRequestTime;
  const pad = (n: number) => String(n).padStart(2, '0');
  lastRequestTime =
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
  lastRequestSecond = second;
  return lastRequestTime;
}

/**
 * Ids come from one base64 string encoding the random bytes of many ids: one getrandom call and
 * one encoding per batch rather than per request. 12 bytes an id, a multiple of 3, so that each
 * id is whole base64 characters of its own (16, no padding) and a slice of the batch's string.
 */
const REQUEST_ID_BYTES = 12;
const REQUEST_ID_CHARS = (REQUEST_ID_BYTES / 3) * 4;
const REQUEST_IDS_PER_BATCH = 256;
let requestIdPool = '';
let requestIdOffset = 0;

/** An id shaped like API Gateway's (`JKJaXmPLvHcESHA=`): 16 base64 characters of random bytes. */
export function newRequestId(): string {
  if (requestIdOffset === requestIdPool.length) {
    requestIdPool = randomBytes(REQUEST_ID_BYTES * REQUEST_IDS_PER_BATCH).toString('base64');
    requestIdOffset = 0;
  }
  const id = requestIdPool.slice(requestIdOffset, requestIdOffset + REQUEST_ID_CHARS);
  requestIdOffset += REQUEST_ID_CHARS;
  return id;
}

/**
 * Media types whose bodies HTTP APIs hand to the function as text: `text/*`, JSON, XML,
 * JavaScript and form data (`application/x-amz-json-1.1`, `application/ld+json` and the like).
 */
const TEXT_MEDIA_TYPE =
  /^\s*(?:text\/|application\/(?:[\w.+-]*[+.-])?(?:json|xml|javascript|x-www-form-urlencoded)\b)/i;

/**
 * HTTP APIs pass a text payload as it is and base64-encode any other: a body of a text media
 * type that is valid UTF-8 goes as text (nothing to encode here or decode in the function),
 * anything else as base64, so that the bytes always arrive exact.
 */
export function isTextBody(contentType: string | undefined, body: Uint8Array): boolean {
  return contentType !== undefined && TEXT_MEDIA_TYPE.test(contentType) && isUtf8(body);
}

/**
 * Whether Node's parsed headers hold every received header once, as strings: then they are
 * exactly what collectHeaders builds (Node joins or drops repeated names by rules of its own).
 */
function holdsEachHeaderOnce(
  parsed: Record<string, string | string[] | undefined>,
  rawHeaders: readonly string[],
): parsed is Record<string, string> {
  let names = 0;
  for (const name in parsed) {
    if (typeof parsed[name] !== 'string') return false;
    names++;
  }
  return names * 2 === rawHeaders.length;
}

/** Lower-cased names; repeated headers joined with ',' as API Gateway does. */
export function collectHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return headers;
}

/** Query parameters, decoded, repeated ones joined with ','. Undefined when there are none. */
export function parseQueryString(raw: string): Record<string, string> | undefined {
  if (!raw) return undefined;
  const params: Record<string, string> = {};
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    params[name] = name in params ? `${params[name]},${value}` : value;
  }
  return Object.keys(params).length > 0 ? params : undefined;
}

/** Whether an object has a key: without building the array of them, as Object.keys would. */
function hasOwnKey(object: Record<string, string>): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
}

/** The port of a Host header (`host:port`, `[::1]:port`), or undefined. */
function hostPort(host: string): string | undefined {
  const colon = host.lastIndexOf(':');
  if (colon < 0 || colon === host.length - 1 || host.indexOf(']', colon) >= 0) return undefined;
  for (let i = colon + 1; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return host.slice(colon + 1);
}

/**
 * The payload format 2.0 event API Gateway hands a Lambda proxy integration. Optional fields
 * are assigned rather than spread into the literal: on Node 20 a conditional spread costs
 * about as much as the rest of the event (the local platform builds one per request).
 */
export function buildHttpApiEvent(request: IncomingRequest, options: EventOptions): APIGatewayProxyEventV2 {
  const now = options.now ?? new Date();
  const question = request.url.indexOf('?');
  const rawPath = question < 0 ? request.url : request.url.slice(0, question);
  const rawQueryString = question < 0 ? '' : request.url.slice(question + 1);
  const parsed = request.parsedHeaders;
  const headers =
    parsed !== undefined && holdsEachHeaderOnce(parsed, request.rawHeaders)
      ? parsed
      : collectHeaders(request.rawHeaders);
  const cookieHeader = headers.cookie;
  // Only when there is one: `delete` turns the object into a slow dictionary for the handler's reads too.
  if (cookieHeader !== undefined) delete headers.cookie;
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${request.sourceIp}`
    : request.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  const host = headers.host ?? 'localhost';
  const port = hostPort(host);
  if (port) headers['x-forwarded-port'] ??= port;
  const dot = host.indexOf('.');
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: options.accountId,
      apiId: options.apiId,
      domainName: host,
      domainPrefix: dot < 0 ? host : host.slice(0, dot),
      http: {
        method: request.method.toUpperCase(),
        path: rawPath,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: options.requestId ?? newRequestId(),
      routeKey: options.routeKey,
      stage: options.stage ?? '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookieHeader) {
    const cookies = cookieHeader
      .split(/[;,]/)
      .map((cookie) => cookie.trim())
      .filter(Boolean);
    if (cookies.length > 0) event.cookies = cookies;
  }
  const queryStringParameters = parseQueryString(rawQueryString);
  if (queryStringParameters) event.queryStringParameters = queryStringParameters;
  if (hasOwnKey(options.pathParameters)) event.pathParameters = options.pathParameters;
  if (request.body.length > 0) {
    const bytes = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
    if (isTextBody(headers['content-type'], bytes)) {
      event.body = bytes.toString('utf8');
    } else {
      event.body = bytes.toString('base64');
      event.isBase64Encoded = true;
    }
  }
  return event;
}

// ---------------------------------------------------------------------------------------
// Result → response

export interface HttpResponseParts {
  readonly statusCode: number;
  /** Name/value pairs; `set-cookie` may repeat. */
  readonly headers: readonly (readonly [string, string])[];
  /**
   * Bytes, or text sent as UTF-8: a string body goes out in one write with the headers
   * (Node writes a Buffer body as a second chunk), and needs no copy into a Buffer first.
   */
  readonly body: Buffer | string;
}

export const NOT_FOUND: HttpResponseParts = jsonMessage(404, 'Not Found');
export const INTERNAL_SERVER_ERROR: HttpResponseParts = jsonMessage(500, 'Internal Server Error');

export function jsonMessage(statusCode: number, message: string): HttpResponseParts {
  return {
    statusCode,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify({ message })),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * How API Gateway (payload format 2.0) turns a function's result into a response: an object
 * with `statusCode` is used as the response; anything else that is valid JSON becomes a 200
 * `application/json` body (a string as itself, other values serialized). A malformed
 * structured result is an error, as API Gateway answers it with a 500.
 */
export function mapLambdaResult(result: unknown): { response: HttpResponseParts } | { error: string } {
  if (typeof result === 'string') {
    return {
      response: {
        statusCode: 200,
        headers: [['content-type', 'application/json']],
        body: result,
      },
    };
  }
  if (!isRecord(result) || !('statusCode' in result)) {
    return {
      response: {
        statusCode: 200,
        headers: [['content-type', 'application/json']],
        body: JSON.stringify(result ?? null),
      },
    };
  }
  const { statusCode, headers, body, isBase64Encoded, cookies } = result;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return { error: `malformed Lambda proxy response: statusCode ${JSON.stringify(statusCode)}` };
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    return { error: 'malformed Lambda proxy response: body must be a string' };
  }
  if (headers !== undefined && headers !== null && !isRecord(headers)) {
    return { error: 'malformed Lambda proxy response: headers must be an object' };
  }
  if (cookies !== undefined && cookies !== null && !Array.isArray(cookies)) {
    return { error: 'malformed Lambda proxy response: cookies must be an array' };
  }
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') {
      return { error: `malformed Lambda proxy response: header ${name} must be a string` };
    }
    pairs.push([name.toLowerCase(), String(value)]);
  }
  for (const cookie of (cookies as unknown[] | undefined) ?? []) pairs.push(['set-cookie', String(cookie)]);
  const text = typeof body === 'string' ? body : '';
  return {
    response: {
      statusCode,
      headers: pairs,
      body: isBase64Encoded === true ? Buffer.from(text, 'base64') : text,
    },
  };
}
