import * as crypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import { AuthError } from '../kernel/errors.js';
import { type HmacSha256, hmacSha256 } from './hmac-sha256.js';
import { type AccessKeyResolver, callerOf, type VerifiedCaller } from './identity.js';

/**
 * AWS Signature Version 4 verification for requests signed by the AWS CLI, boto3 and the
 * AWS SDKs: header-based signing for the API (`verifySigV4`), query-string signing (presigned
 * URLs, `verifyPresignedSigV4`) for what a browser opens (the console), which cannot sign headers.
 *
 * The canonical request is built here by hand rather than with `@smithy/signature-v4`,
 * which is a *signer* and does not fit verification exactly: it always adds its own
 * `x-amz-date` header (so a request dated with `Date` could never match), chooses the
 * headers to sign itself instead of taking the client's `SignedHeaders`, drops query
 * parameters that have no value (botocore keeps them as `key=`), wants a parsed query
 * object, and clones the request on every call. Verification runs on every inference
 * request, so it is kept to a handful of `node:crypto` calls with cached signing keys.
 */

/** The parts of an HTTP request that SigV4 covers, as API Gateway (payload v2.0) delivers them. */
export interface SignedRequest {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The path exactly as received, percent-encoding intact (API Gateway's `rawPath`). */
  readonly path: string;
  /** The query string as received, without `?` (API Gateway's `rawQueryString`). */
  readonly rawQueryString: string;
  /** Headers with lower-case names; repeated headers joined with commas. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as bytes (already base64-decoded when `isBase64Encoded`). */
  readonly body: Uint8Array;
}

export interface VerifyOptions {
  /** The verifier's clock. @default new Date() */
  readonly now?: Date;
  /** The signing name the credential scope must carry. @default 'sagemaker' */
  readonly service?: string;
  /** Largest accepted difference between the request's date and `now`. @default 300_000 (5 minutes, as AWS) */
  readonly maxSkewMs?: number;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
const DEFAULT_SERVICE = 'sagemaker';
const DEFAULT_MAX_SKEW_MS = 300_000;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HEX_SIGNATURE = /^[0-9a-fA-F]{64}$/;
/** Whitespace a canonical header value collapses to one space: a run, or anything but a space. */
const SPACE_TO_COLLAPSE = /\s\s|[^\S ]/;
/** Characters SigV4 leaves unencoded (RFC 3986 unreserved). */
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Checks a request's SigV4 `Authorization` header and returns the caller it proves.
 * Cheap checks (format, scope, clock skew) run before the key is resolved, and the key
 * before the body is hashed. Every failure is an {@link AuthError} (403) named as AWS names it.
 */
export async function verifySigV4(
  request: SignedRequest,
  keys: AccessKeyResolver,
  options: VerifyOptions = {},
): Promise<VerifiedCaller> {
  const headers = request.headers;
  const authorization = headers.authorization;
  if (authorization === undefined || authorization === '') {
    throw new AuthError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const auth = parseAuthorization(authorization);

  const service = options.service ?? DEFAULT_SERVICE;
  const { amzDate, time } = requestDate(headers);
  const scope = lastCredential.get(auth.credential, parseCredential);
  checkScope(scope, service, amzDate, 'header');
  const signedHeaders = lastSignedHeaders.get(auth.signedHeaders, splitSignedHeaders);
  if (!signedHeaders.includes('host')) {
    throw new AuthError(
      'IncompleteSignatureException',
      `'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`,
    );
  }
  checkSkew(time, amzDate, options.now ?? new Date(), options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS);

  const key = await keys.resolve(scope.accessKeyId);
  if (key === undefined) {
    throw new AuthError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }

  const payloadHash = request.body.byteLength === 0 ? EMPTY_SHA256 : sha256Hex(request.body);
  const declaredHash = headers['x-amz-content-sha256'];
  // Compared as is first: the SDKs write the hash in lower case, as it is computed.
  if (
    declaredHash !== undefined &&
    declaredHash !== payloadHash &&
    declaredHash.toLowerCase() !== payloadHash
  ) {
    throw new AuthError(
      'InvalidSignatureException',
      declaredHash === 'UNSIGNED-PAYLOAD' || declaredHash.startsWith('STREAMING-')
        ? `Unsigned payloads are not accepted: the body must be signed (x-amz-content-sha256: ${declaredHash}).`
        : `The provided 'x-amz-content-sha256' header does not match what was computed.`,
    );
  }

  const provided = auth.signature;
  const sign = signingKey(key.secretAccessKey, scope);
  const stringToSignPrefix = `${ALGORITHM}\n${amzDate}\n${scope.scope}\n`;
  try {
    const afterPath =
      `\n${canonicalQuery(request.rawQueryString)}\n${canonicalHeaders(headers, signedHeaders)}\n` +
      `${auth.signedHeaders}\n${payloadHash}`;
    const paths = lastPath.get(request.path, canonicalPaths);
    if (signatureMatches(sign, stringToSignPrefix, request.method, paths.asReceived, afterPath, provided)) {
      return callerOf(key);
    }
    // API Gateway HTTP APIs have been seen to deliver `rawPath` percent-decoded. The client
    // signed its encoded path, so try the path encoded once more; paths made only of
    // unreserved characters (all SageMaker endpoint names) read the same either way.
    if (
      paths.decodedForm !== paths.asReceived &&
      signatureMatches(sign, stringToSignPrefix, request.method, paths.decodedForm, afterPath, provided)
    ) {
      return callerOf(key);
    }
  } catch {
    // Malformed UTF-16 in the path or query (lone surrogates) cannot have been signed.
  }
  throw new AuthError('InvalidSignatureException', SIGNATURE_MISMATCH);
}

function signatureMatches(
  sign: HmacSha256,
  stringToSignPrefix: string,
  method: string,
  path: string,
  afterPath: string,
  provided: string,
): boolean {
  return sameHex(sign.digestHex(stringToSignPrefix + sha256Hex(`${method}\n${path}${afterPath}`)), provided);
}

/**
 * The last input and result of a pure parse that throws on bad input (only results are kept).
 * Consecutive requests of one client repeat the same credential, signed-header list, date
 * (within a second) and path, so each is parsed once and then compared, which costs less than
 * a Map's hashing of the string; a different string is parsed as if nothing were kept.
 */
class LastParsed<T> {
  private input: string | undefined;
  private result: T | undefined;

  get(input: string, parse: (input: string) => T): T {
    if (input === this.input) return this.result as T;
    const result = parse(input);
    this.input = input;
    this.result = result;
    return result;
  }
}

const lastCredential = new LastParsed<CredentialScope>();
const lastSignedHeaders = new LastParsed<readonly string[]>();
const lastDate = new LastParsed<{ amzDate: string; time: number }>();
const lastPath = new LastParsed<{ asReceived: string; decodedForm: string }>();

const splitSignedHeaders = (list: string): readonly string[] => list.split(';');

/** The canonical path as received and as if received percent-decoded (see verifySigV4). */
const canonicalPaths = (path: string) => ({
  asReceived: canonicalPath(path),
  decodedForm: canonicalPath(path, true),
});

/**
 * The credential scope names the service verified and the request's day. `dateFrom` says where
 * the request's date came from, for the refusal's wording (AWS words the two differently).
 */
function checkScope(
  scope: CredentialScope,
  service: string,
  amzDate: string,
  dateFrom: 'header' | 'query',
): void {
  if (scope.service !== service) {
    throw new AuthError(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${service}'.`,
    );
  }
  const day = amzDate.slice(0, 8);
  if (scope.date !== day) {
    throw new AuthError(
      'InvalidSignatureException',
      dateFrom === 'header'
        ? `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${day}', from '${amzDate}'.`
        : `Date in Credential scope does not match YYYYMMDD from X-Amz-Date: '${scope.date}' != '${day}'.`,
    );
  }
}

/** The longest X-Amz-Expires a presigned URL may carry: 7 days, as AWS. */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;

export interface PresignedVerifyOptions extends VerifyOptions {
  /** Longest accepted X-Amz-Expires, in seconds. @default MAX_PRESIGNED_EXPIRES_SECONDS */
  readonly maxExpiresSeconds?: number;
}

const PRESIGN_PARAMETERS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
] as const;

/**
 * Checks a presigned URL (SigV4 query-string authentication: X-Amz-Algorithm, -Credential,
 * -Date, -Expires, -SignedHeaders, -Signature) and returns the caller it proves. The URL is
 * valid from X-Amz-Date (less the clock skew) for X-Amz-Expires seconds, at most
 * `maxExpiresSeconds`. Only body-less requests are accepted: the payload is not signed here.
 * Signers hash the empty payload (botocore's SigV4QueryAuth, @smithy/signature-v4's presign)
 * or write UNSIGNED-PAYLOAD (S3-style presigners); both are accepted, the body being empty.
 */
export async function verifyPresignedSigV4(
  request: SignedRequest,
  keys: AccessKeyResolver,
  options: PresignedVerifyOptions = {},
): Promise<VerifiedCaller> {
  const params = new Map<string, string>();
  for (const part of request.rawQueryString.split('&')) {
    const eq = part.indexOf('=');
    const name = uriDecode(eq < 0 ? part : part.slice(0, eq));
    if (!(PRESIGN_PARAMETERS as readonly string[]).includes(name)) continue;
    // Twice would leave which one counts to the reader: the signature covers both, the checks one.
    if (params.has(name)) {
      throw new AuthError(
        'IncompleteSignatureException',
        `Query-string parameter ${name} appears more than once.`,
      );
    }
    params.set(name, uriDecode(eq < 0 ? '' : part.slice(eq + 1)));
  }
  if (!params.has('X-Amz-Signature') && !params.has('X-Amz-Credential')) {
    throw new AuthError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const missing = PRESIGN_PARAMETERS.filter((name) => !params.get(name));
  if (missing.length > 0) {
    throw new AuthError(
      'IncompleteSignatureException',
      `Query-string authentication requires the parameters ${missing.join(', ')}.`,
    );
  }
  const get = (name: (typeof PRESIGN_PARAMETERS)[number]) => params.get(name) as string;
  if (get('X-Amz-Algorithm') !== ALGORITHM) {
    throw new AuthError(
      'IncompleteSignatureException',
      `Unsupported X-Amz-Algorithm '${get('X-Amz-Algorithm')}': sign with ${ALGORITHM}.`,
    );
  }
  const signature = get('X-Amz-Signature');
  if (!HEX_SIGNATURE.test(signature)) {
    throw new AuthError(
      'IncompleteSignatureException',
      `X-Amz-Signature must be 64 hexadecimal digits, got '${signature.slice(0, 80)}'.`,
    );
  }
  const maxExpires = options.maxExpiresSeconds ?? MAX_PRESIGNED_EXPIRES_SECONDS;
  const expiresText = get('X-Amz-Expires');
  const expires = /^\d{1,9}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
  if (!(expires >= 1 && expires <= maxExpires)) {
    throw new AuthError(
      'IncompleteSignatureException',
      `X-Amz-Expires must be a whole number of seconds from 1 to ${maxExpires}, got '${expiresText.slice(0, 20)}'.`,
    );
  }
  const amzDate = get('X-Amz-Date');
  const { time } = requestDate({ 'x-amz-date': amzDate });
  const service = options.service ?? DEFAULT_SERVICE;
  const scope = parseCredential(get('X-Amz-Credential'));
  checkScope(scope, service, amzDate, 'query');
  const signedHeadersText = get('X-Amz-SignedHeaders');
  const signedHeaders = signedHeadersText.split(';');
  if (!signedHeaders.includes('host')) {
    throw new AuthError('IncompleteSignatureException', `'host' must be among X-Amz-SignedHeaders.`);
  }
  const nowMs = (options.now ?? new Date()).getTime();
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (time > nowMs + maxSkewMs) {
    throw new AuthError(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${isoBasic(nowMs + maxSkewMs)}.`,
    );
  }
  // Expiry as the header rule's "Signature expired" (same type), counted from X-Amz-Date.
  if (nowMs > time + expires * 1000) {
    throw new AuthError(
      'InvalidSignatureException',
      `Signature expired: signed at ${amzDate} for ${expires} s, so valid until ${isoBasic(time + expires * 1000)}; now ${isoBasic(nowMs)}.`,
    );
  }
  if (request.body.byteLength > 0) {
    throw new AuthError(
      'InvalidSignatureException',
      'A presigned URL signs no body: send the request without one.',
    );
  }

  const key = await keys.resolve(scope.accessKeyId);
  if (key === undefined) {
    throw new AuthError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  const sign = signingKey(key.secretAccessKey, scope);
  const stringToSignPrefix = `${ALGORITHM}\n${amzDate}\n${scope.scope}\n`;
  const unsignedQuery = request.rawQueryString
    .split('&')
    .filter((part) => uriDecode(part.split('=', 1)[0] ?? '') !== 'X-Amz-Signature')
    .join('&');
  const provided = signature;
  try {
    const beforePayload =
      `${request.method}\n${canonicalPath(request.path)}\n${canonicalQuery(unsignedQuery)}\n` +
      `${canonicalHeaders(request.headers, signedHeaders)}\n${signedHeadersText}\n`;
    for (const payloadHash of [EMPTY_SHA256, 'UNSIGNED-PAYLOAD']) {
      const computed = sign.digestHex(stringToSignPrefix + sha256Hex(beforePayload + payloadHash));
      if (sameHex(computed, provided)) return callerOf(key);
    }
  } catch {
    // Malformed UTF-16 in the path or query (lone surrogates) cannot have been signed.
  }
  throw new AuthError('InvalidSignatureException', SIGNATURE_MISMATCH);
}

interface ParsedAuthorization {
  readonly credential: string;
  readonly signedHeaders: string;
  /** 64 hex digits (checked). */
  readonly signature: string;
}

const SDK_PREFIX = `${ALGORITHM} Credential=`;
const SDK_SIGNED_HEADERS = ', SignedHeaders=';
const SDK_SIGNATURE = ', Signature=';

/**
 * The Authorization header's parts. The AWS SDKs, the CLI and botocore all write it one way,
 * `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`: that form is cut at its two
 * commas (what splitting it yields, without the array, slices and trims); any other goes
 * through the general parse. Exported for its test against that parse.
 */
export function parseAuthorization(header: string): ParsedAuthorization {
  return sdkAuthorization(header) ?? parseAuthorizationFields(header);
}

function sdkAuthorization(header: string): ParsedAuthorization | undefined {
  if (!header.startsWith(SDK_PREFIX)) return undefined;
  const start = SDK_PREFIX.length;
  const signedAt = header.indexOf(SDK_SIGNED_HEADERS, start);
  if (signedAt < 0 || header.indexOf(',', start) !== signedAt) return undefined;
  const signatureAt = header.indexOf(SDK_SIGNATURE, signedAt + SDK_SIGNED_HEADERS.length);
  if (signatureAt < 0 || header.indexOf(',', signedAt + 1) !== signatureAt) return undefined;
  const signature = header.slice(signatureAt + SDK_SIGNATURE.length);
  const credential = header.slice(start, signedAt);
  const signedHeaders = header.slice(signedAt + SDK_SIGNED_HEADERS.length, signatureAt);
  // Anything the general parse would trim, drop or refuse goes to it, so both read alike.
  if (!isHexSignature(signature) || !isBare(credential) || !isBare(signedHeaders)) return undefined;
  return { credential, signedHeaders, signature };
}

/** Non-empty with nothing to trim at either end. */
function isBare(value: string): boolean {
  return value.length > 0 && (!mayTrim(value) || value.trim() === value);
}

/**
 * False when `trim()` would return the value as it is because both its ends are printable
 * ASCII (what header values nearly always are); true when it might not, whitespace beyond
 * ASCII included. Cheaper than calling trim: it runs for every signed header of a request.
 */
function mayTrim(value: string): boolean {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return !(first > 32 && first < 127 && last > 32 && last < 127);
}

/** 64 hex digits: HEX_SIGNATURE without a regex. */
function isHexSignature(value: string): boolean {
  if (value.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    const lower = c | 0x20; // A-F → a-f; only those two ranges land in a-f
    if (lower < 97 || lower > 102) return false;
  }
  return true;
}

/** The general parse: the parts in any order, spaces around them, unknown parts ignored. */
export function parseAuthorizationFields(header: string): ParsedAuthorization {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new AuthError(
      'IncompleteSignatureException',
      `Unsupported Authorization type '${algorithm}': sign requests with ${ALGORITHM} (AWS Signature Version 4).`,
    );
  }
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  for (const part of trimmed.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 'Credential') credential ??= value;
    else if (name === 'SignedHeaders') signedHeaders ??= value;
    else if (name === 'Signature') signature ??= value;
  }
  if (!credential || !signedHeaders || !signature) {
    const missing: string[] = [];
    if (!credential) missing.push(`Authorization header requires 'Credential' parameter.`);
    if (!signature) missing.push(`Authorization header requires 'Signature' parameter.`);
    if (!signedHeaders) missing.push(`Authorization header requires 'SignedHeaders' parameter.`);
    throw new AuthError('IncompleteSignatureException', missing.join(' '));
  }
  if (!HEX_SIGNATURE.test(signature)) {
    throw new AuthError(
      'IncompleteSignatureException',
      `Signature must be 64 hexadecimal digits, got '${signature.slice(0, 80)}'.`,
    );
  }
  return { credential, signedHeaders, signature };
}

interface CredentialScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  /** `date/region/service/aws4_request`, as it appears in the string to sign. */
  readonly scope: string;
}

function parseCredential(credential: string): CredentialScope {
  const parts = credential.split('/');
  const [accessKeyId, date, region, service, terminator] = parts;
  if (
    parts.length !== 5 ||
    accessKeyId === undefined ||
    date === undefined ||
    region === undefined ||
    service === undefined ||
    terminator === undefined ||
    accessKeyId === '' ||
    region === ''
  ) {
    throw new AuthError(
      'IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'.`,
    );
  }
  if (terminator !== TERMINATOR) {
    throw new AuthError(
      'InvalidSignatureException',
      `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${terminator}'.`,
    );
  }
  return { accessKeyId, date, region, service, scope: credential.slice(accessKeyId.length + 1) };
}

/** The request's timestamp from `x-amz-date`, else `Date`, in ISO 8601 basic format and as epoch ms. */
function requestDate(headers: SignedRequest['headers']): { amzDate: string; time: number } {
  const amzDate = headers['x-amz-date'];
  if (amzDate !== undefined) return lastDate.get(amzDate, parseAmzDate);
  const raw = headers.date;
  if (raw === undefined) {
    throw new AuthError(
      'IncompleteSignatureException',
      `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.`,
    );
  }
  return parseDate(raw, undefined);
}

const parseAmzDate = (amzDate: string) => parseDate(amzDate, amzDate);

/** `raw` is `amzDate` when it came from `x-amz-date`, else the `Date` header. */
function parseDate(raw: string, amzDate: string | undefined): { amzDate: string; time: number } {
  const match = ISO_BASIC.exec(raw);
  if (match !== null) {
    const [, y, mo, d, h, mi, s] = match;
    const time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    if (!Number.isNaN(time)) return { amzDate: raw, time };
  } else if (amzDate === undefined) {
    // A `Date` header carries an HTTP-date; the string to sign uses its ISO 8601 basic form.
    const time = Date.parse(raw);
    if (!Number.isNaN(time)) return { amzDate: isoBasic(time), time };
  }
  throw new AuthError(
    'IncompleteSignatureException',
    `Date must be in ISO-8601 'basic format'. Got '${raw}'. See http://en.wikipedia.org/wiki/ISO_8601`,
  );
}

function checkSkew(time: number, amzDate: string, now: Date, maxSkewMs: number): void {
  const nowMs = now.getTime();
  const minutes = `${Math.round(maxSkewMs / 60_000)} min.`;
  if (time < nowMs - maxSkewMs) {
    throw new AuthError(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${isoBasic(nowMs - maxSkewMs)} (${isoBasic(nowMs)} - ${minutes})`,
    );
  }
  if (time > nowMs + maxSkewMs) {
    throw new AuthError(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${isoBasic(nowMs + maxSkewMs)} (${isoBasic(nowMs)} + ${minutes})`,
    );
  }
}

function isoBasic(ms: number): string {
  // 2024-01-02T03:04:05.678Z -> 20240102T030405Z
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/**
 * The canonical URI for every service but S3: dot segments and empty segments removed,
 * then each segment URI-encoded (again: the path arrives percent-encoded, so `%20`
 * becomes `%2520`), as botocore, the AWS SDKs and the AWS CRT all do. With `decoded`, the
 * path is taken to have been percent-decoded on the way and each segment is encoded twice.
 */
export function canonicalPath(path: string, decoded = false): string {
  if (path === '' || path === '/') return '/';
  const stack: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') stack.pop();
    else stack.push(segment);
  }
  let out = path.charCodeAt(0) === 47 /* / */ ? '/' : '';
  let first = true;
  for (const segment of stack) {
    if (!first) out += '/';
    out += decoded ? uriEncode(uriEncode(segment)) : uriEncode(segment);
    first = false;
  }
  if (stack.length > 0 && path.charCodeAt(path.length - 1) === 47) out += '/';
  return out === '' ? '/' : out;
}

/**
 * The canonical query string: each name and value decoded, then encoded as SigV4 wants
 * (everything but unreserved characters, spaces as `%20`), pairs sorted by encoded name then
 * value. A parameter without `=` signs as `name=`.
 */
export function canonicalQuery(rawQueryString: string): string {
  if (rawQueryString === '') return '';
  const pairs: Array<readonly [string, string]> = [];
  for (const part of rawQueryString.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([uriEncode(uriDecode(name)), uriEncode(uriDecode(value))]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  let out = '';
  for (const [name, value] of pairs) out += out === '' ? `${name}=${value}` : `&${name}=${value}`;
  return out;
}

/** `name:value\n` for each signed header, in the client's order; values trimmed, inner whitespace runs collapsed. */
function canonicalHeaders(headers: SignedRequest['headers'], signedHeaders: readonly string[]): string {
  let out = '';
  for (const name of signedHeaders) {
    const value = headers[name];
    // A signed header that did not arrive signs as empty, so the signature simply fails.
    if (value === undefined) out += `${name}:\n`;
    else {
      const trimmed = mayTrim(value) ? value.trim() : value;
      out += `${name}:${needsCollapse(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed}\n`;
    }
  }
  return out;
}

/**
 * Whether SPACE_TO_COLLAPSE matches, by a scan of the characters: header values are printable
 * ASCII with single spaces nearly always, and the regex cost more than the rest of the header's
 * canonical form. Any character beyond ASCII (Unicode has more whitespace) defers to the regex.
 */
export function needsCollapse(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 32 && c < 127) continue;
    if (c > 126) return SPACE_TO_COLLAPSE.test(value);
    if (c >= 9 && c <= 13) return true; // tab, line feed, vertical tab, form feed, carriage return
    // A space then other whitespace: the next turn sees that one.
    if (c === 32 && value.charCodeAt(i + 1) === 32) return true;
    // Other control characters are not whitespace.
  }
  return false;
}

function uriEncode(value: string): string {
  if (UNRESERVED.test(value)) return value;
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Decodes a query-string name or value. `+` means a space, as in forms: botocore sends
 * spaces that way when a request is built from `params`, yet signs them as `%20`; a literal
 * `+` always arrives as `%2B` from the SDKs.
 */
function uriDecode(value: string): string {
  const plain = value.includes('+') ? value.replaceAll('+', ' ') : value;
  if (!plain.includes('%')) return plain;
  try {
    return decodeURIComponent(plain);
  } catch {
    return plain;
  }
}

/**
 * `crypto.hash` (Node 20.12+) digests in one call without a Hash object; it runs twice per
 * request here (body and canonical request). Older Nodes take the Hash object.
 */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string | Uint8Array) => string }).hash;
const sha256Hex: (data: string | Uint8Array) => string = oneShotHash
  ? (data) => oneShotHash('sha256', data)
  : (data) => createHash('sha256').update(data).digest('hex');

/**
 * Compares the computed signature (lower-case hex) with the provided one (64 hex digits in
 * either case, checked before) in time that does not depend on where they differ, as
 * `timingSafeEqual` would, without making two Buffers of them first. `| 0x20` lowers A-F and
 * leaves the digits as they are (they have that bit already), so no lower-cased copy is made.
 */
function sameHex(computed: string, provided: string): boolean {
  let difference = computed.length ^ provided.length;
  for (let i = 0; i < computed.length; i++) {
    difference |= computed.charCodeAt(i) ^ (provided.charCodeAt(i) | 0x20);
  }
  return difference === 0;
}

/**
 * Derived signing keys, per secret and scope. A key is valid for a day, so the cache
 * holds about one entry per active access key and region; it is bounded all the same.
 */
const signingKeys = new Map<string, HmacSha256>();
const MAX_SIGNING_KEYS = 1024;
/**
 * The key the last request used, by its scope object (LastParsed hands the same one while the
 * credential repeats) and secret: a client's requests skip building and hashing the Map's key.
 */
let lastSigning: { scope: CredentialScope; secret: string; key: HmacSha256 } | undefined;

function signingKey(secret: string, scope: CredentialScope): HmacSha256 {
  if (lastSigning !== undefined && lastSigning.scope === scope && lastSigning.secret === secret) {
    return lastSigning.key;
  }
  const key = derivedSigningKey(secret, scope);
  lastSigning = { scope, secret, key };
  return key;
}

function derivedSigningKey(secret: string, scope: CredentialScope): HmacSha256 {
  const cacheKey = `${scope.scope}\n${secret}`;
  let key = signingKeys.get(cacheKey);
  if (key === undefined) {
    const kDate = createHmac('sha256', `AWS4${secret}`).update(scope.date).digest();
    const kRegion = createHmac('sha256', kDate).update(scope.region).digest();
    const kService = createHmac('sha256', kRegion).update(scope.service).digest();
    key = hmacSha256(createHmac('sha256', kService).update(TERMINATOR).digest());
    if (signingKeys.size >= MAX_SIGNING_KEYS) {
      const oldest = signingKeys.keys().next();
      if (oldest.done !== true) signingKeys.delete(oldest.value);
    }
    signingKeys.set(cacheKey, key);
  }
  return key;
}
