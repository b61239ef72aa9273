/**
 * The local runtime: runs the stack's handler modules (the same TypeScript sources Lambda
 * runs) behind what would invoke them in the cloud, all read from the template:
 *  - an HTTP server standing in for the API Gateway HTTP API (its routes and Lambda proxy
 *    integrations, payload format 2.0);
 *  - one SQS poller per event source mapping;
 *  - a scheduler for the EventBridge rules with a ScheduleExpression, plus an on-demand
 *    trigger: `GET /_local/schedules`, `POST /_local/schedules/{rule}/run`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FunctionSpec } from '../../lambdas/functions.js';
import {
  buildHttpApiEvent,
  type HttpResponseParts,
  INTERNAL_SERVER_ERROR,
  jsonMessage,
  mapLambdaResult,
  NOT_FOUND,
  newRequestId,
  RouteTable,
} from './apigw.js';
import {
  createLambdaContext,
  errorPayload,
  type FunctionIdentity,
  type Handler,
  Invocations,
  loadHandler,
} from './lambda.js';
import { LineWriter } from './line-writer.js';
import {
  nextFireTime,
  parseScheduleExpression,
  type Schedule,
  Scheduler,
  scheduledEvent,
} from './schedule.js';
import { SqsPoller } from './sqs-poller.js';
import {
  type CfnTemplate,
  type HttpRoute,
  httpRoutes,
  type LocalFunction,
  localFunctions,
  queueEventSources,
  resolveFunctionEnvironment,
  resolveValue,
  type ScheduleRule,
  type StackContext,
  scheduleRules,
} from './template.js';

export type Log = (message: string) => void;

/** Concurrent batches Lambda starts an SQS event source mapping with. */
const LAMBDA_SQS_INITIAL_CONCURRENCY = 5;

/** API Gateway's request payload quota for HTTP APIs. */
const MAX_REQUEST_BYTES = 10 * 2 ** 20;

export interface RuntimeOptions {
  readonly template: CfnTemplate;
  readonly ctx: StackContext;
  readonly projectRoot: string;
  readonly sqs: SQSClient;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** 0 picks a free port. @default 4567 */
  readonly port?: number;
  /** Fire scheduled rules on their schedule (the on-demand trigger works either way). @default true */
  readonly schedules?: boolean;
  /** See PollerOptions.retryDelaySeconds. */
  readonly sqsRetryDelaySeconds?: number;
  /**
   * Batches each event source mapping handles at once: Lambda's initial five, capped by the
   * mapping's ScalingConfig.MaximumConcurrency. @default 5
   */
  readonly sqsConcurrency?: number;
  /** The functions the template's `understudy:function` names map to. @default FUNCTIONS (lambdas/functions.ts) */
  readonly functionSpecs?: Record<string, FunctionSpec>;
  /** Log every HTTP request (through `log`). @default true */
  readonly accessLog?: boolean;
  /**
   * Where the runtime's lines go, the access log's included: called in the request path, so
   * it should only queue the line (LineWriter.line). @default a LineWriter on stdout
   */
  readonly log?: Log;
}

interface RuntimeFunction {
  readonly fn: LocalFunction;
  readonly identity: FunctionIdentity;
  readonly handler: Promise<Handler>;
  /** The handler once imported: invocations then call it without waiting on `handler`. */
  loaded?: Handler;
}

interface RuntimeSchedule {
  readonly rule: ScheduleRule;
  readonly name: string;
  readonly arn: string;
  readonly schedule?: Schedule;
  readonly error?: string;
}

export interface ScheduleInfo {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly scheduleExpression: string;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly targets: string[];
  readonly nextFireTime?: string;
  readonly error?: string;
}

function send(res: ServerResponse, parts: HttpResponseParts, extraHeaders: [string, string][] = []): void {
  // writeHead's flat [name, value, name, value…] form: repeated names (set-cookie) stay repeated.
  const headers: string[] = [];
  for (const [name, value] of parts.headers) headers.push(name, value);
  for (const [name, value] of extraHeaders) headers.push(name, value);
  headers.push('content-length', String(Buffer.byteLength(parts.body)));
  res.writeHead(parts.statusCode, headers);
  res.end(parts.body);
}

function json(statusCode: number, value: unknown): HttpResponseParts {
  return {
    statusCode,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify(value === undefined ? null : value)),
  };
}

const EMPTY = Buffer.alloc(0);

/**
 * The request's body, or undefined past API Gateway's quota (the rest is then read and
 * dropped, so that the 413 reaches the client). Stream events rather than `for await`: the
 * async iterator costs a few objects and promises per request. The listeners are unnamed
 * arrows: tsx keeps function names, which costs a defineProperty per named closure per request.
 */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > MAX_REQUEST_BYTES) return;
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    // `on`, not `once`: each fires at most once, and `once` wraps each listener per request.
    req.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0] : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, size)),
    );
    req.on('error', reject);
  });
}

/** The client's address as API Gateway reports it: IPv4 without the IPv6-mapped prefix. */
function sourceIp(address: string | undefined): string {
  if (address === undefined) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class LocalRuntime {
  readonly functions = new Map<string, RuntimeFunction>();
  readonly routes: HttpRoute[];
  private readonly routeTable: RouteTable<HttpRoute>;
  readonly environment: Record<string, string>;
  private readonly schedules: RuntimeSchedule[] = [];
  private readonly pollers: SqsPoller[] = [];
  private readonly invocations = new Invocations();
  /** Invocations waiting for their handler's import (then in `invocations`). */
  private readonly loading = new Set<Promise<unknown>>();
  private scheduler: Scheduler | undefined;
  private server: Server | undefined;
  private stopping: Promise<void> | undefined;
  private readonly log: Log;
  /** The writer behind `log` when the runtime made it (no `log` option): flushed on stop. */
  private readonly ownWriter: LineWriter | undefined;
  url = '';
  port = 0;

  private constructor(private readonly options: RuntimeOptions) {
    this.ownWriter = options.log ? undefined : new LineWriter();
    this.log = options.log ?? (this.ownWriter as LineWriter).line;
    const { template, ctx } = options;
    const functions = localFunctions(template, options.functionSpecs);
    // Handlers read their configuration at import: the environment comes first.
    const { env, conflicts, unresolved } = resolveFunctionEnvironment(template, ctx, functions);
    for (const key of conflicts) this.log(`warning: functions disagree on ${key}; the first value is used`);
    for (const key of unresolved) this.log(`warning: cannot resolve environment variable ${key}`);
    Object.assign(process.env, env);
    this.environment = env;
    for (const fn of functions) {
      const identity: FunctionIdentity = {
        functionName: ctx.physicalIds[fn.logicalId] ?? fn.logicalId,
        region: ctx.region,
        accountId: ctx.accountId,
        memorySizeMb: fn.memorySizeMb,
        timeoutSeconds: fn.timeoutSeconds,
      };
      const handler = loadHandler(options.projectRoot, fn.spec.entry);
      const entry: RuntimeFunction = { fn, identity, handler };
      handler.then(
        (loaded) => {
          entry.loaded = loaded;
        },
        (error: unknown) =>
          this.log(
            `cannot load ${fn.name} (${fn.spec.entry}): ${error instanceof Error ? error.stack : error}`,
          ),
      );
      this.functions.set(fn.logicalId, entry);
    }
    const { routes, skipped } = httpRoutes(template);
    for (const id of skipped) this.log(`warning: route ${id} has no Lambda proxy integration; not served`);
    this.routes = routes.filter((route) => {
      if (this.functions.has(route.functionLogicalId)) return true;
      this.log(
        `warning: route ${route.routeKey} targets ${route.functionLogicalId}, which is not a local function`,
      );
      return false;
    });
    this.routeTable = new RouteTable(this.routes);
  }

  /** Loads the handlers and starts the HTTP server, the pollers and the scheduler. */
  static async start(options: RuntimeOptions): Promise<LocalRuntime> {
    const runtime = new LocalRuntime(options);
    await Promise.allSettled([...runtime.functions.values()].map((f) => f.handler));
    await runtime.listen();
    runtime.startPollers();
    runtime.startScheduler();
    return runtime;
  }

  /** Runs a function's handler with an event, as Lambda would (context, timeout). */
  invoke(logicalId: string, event: unknown): Promise<unknown> {
    const entry = this.functions.get(logicalId);
    if (!entry) return Promise.reject(new Error(`no local function ${logicalId}`));
    const { loaded, identity } = entry;
    if (loaded) return this.invocations.run(loaded, event, createLambdaContext(identity));
    // Still importing: counted in flight from now, so that stop() waits for it too.
    const run = entry.handler.then((handler) =>
      this.invocations.run(handler, event, createLambdaContext(identity)),
    );
    this.loading.add(run);
    const done = () => this.loading.delete(run);
    run.then(done, done);
    return run;
  }

  // -------------------------------------------------------------------------------------
  // HTTP

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      void this.handleRequest(req, res);
    });
    server.keepAliveTimeout = 30_000;
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(
                `port ${this.options.port} is in use (another local platform?); choose one with --port (0 = any)`,
              )
            : error,
        ),
      );
      server.listen(this.options.port ?? 4567, host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.url = `http://${host}:${this.port}`;
  }

  private async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Caught here rather than with .catch on the call: no closure per request.
    try {
      const started = Date.now();
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const question = url.indexOf('?');
      const path = question < 0 ? url : url.slice(0, question);
      const body = await readBody(req);
      if (body === undefined) {
        send(res, jsonMessage(413, 'Request Entity Too Large'), [['connection', 'close']]);
        return;
      }
      if (path.startsWith('/_local/')) {
        send(res, await this.handleLocal(method, path, body));
        return;
      }
      const match = this.routeTable.match(method, path);
      const requestId = newRequestId();
      let parts: HttpResponseParts;
      let target = '-';
      if (!match) {
        parts = NOT_FOUND;
      } else {
        const route = match.route;
        const fn = this.functions.get(route.functionLogicalId);
        target = fn?.fn.name ?? route.functionLogicalId;
        const event = buildHttpApiEvent(
          {
            method,
            url,
            rawHeaders: req.rawHeaders,
            parsedHeaders: req.headers,
            body,
            sourceIp: sourceIp(req.socket.remoteAddress),
            protocol: `HTTP/${req.httpVersion}`,
          },
          {
            routeKey: match.routeKey,
            pathParameters: match.pathParameters,
            requestId,
            accountId: this.options.ctx.accountId,
            apiId: 'local',
          },
        );
        try {
          const mapped = mapLambdaResult(await this.invoke(route.functionLogicalId, event));
          if ('error' in mapped) {
            this.log(`${target}: ${mapped.error}`);
            parts = INTERNAL_SERVER_ERROR;
          } else {
            parts = mapped.response;
          }
        } catch (error) {
          this.log(
            `${target} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          );
          parts = INTERNAL_SERVER_ERROR;
        }
      }
      send(res, parts, [['apigw-requestid', requestId]]);
      if (this.options.accessLog !== false) {
        // Queued, not written: see LineWriter. ASCII only: one character past Latin-1 (an arrow,
        // say) makes V8 hold each joined batch of output as a two-byte string, whose UTF-8
        // encoding on write cost ~1.8 µs a request more than a one-byte batch's.
        this.log(`${method} ${path} -> ${target} ${parts.statusCode} (${Date.now() - started} ms)`);
      }
    } catch (error) {
      this.log(`request failed: ${error instanceof Error ? error.stack : error}`);
      if (!res.headersSent) send(res, INTERNAL_SERVER_ERROR);
      else res.destroy();
    }
  }

  private async handleLocal(method: string, path: string, body: Buffer): Promise<HttpResponseParts> {
    if (path === '/_local/health' && method === 'GET') return json(200, { status: 'ok' });
    if (path === '/_local/schedules' && method === 'GET')
      return json(200, { schedules: this.listSchedules() });
    if (path === '/_local/functions' && method === 'GET') {
      return json(200, {
        functions: [...this.functions.values()].map(({ fn, identity }) => ({
          logicalId: fn.logicalId,
          name: fn.name,
          functionName: identity.functionName,
          entry: fn.spec.entry,
          timeoutSeconds: fn.timeoutSeconds,
        })),
      });
    }
    const run = /^\/_local\/schedules\/([^/]+)\/run$/.exec(path);
    if (run?.[1] && method === 'POST') {
      let overrides: Record<string, unknown> = {};
      if (body.length > 0) {
        try {
          const parsed = JSON.parse(body.toString('utf8')) as unknown;
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
            throw new Error('not an object');
          overrides = parsed as Record<string, unknown>;
        } catch (error) {
          return jsonMessage(
            400,
            `the body must be a JSON object (event fields to override): ${(error as Error).message}`,
          );
        }
      }
      const name = decodeURIComponent(run[1]);
      const schedule = this.findSchedule(name);
      if (!schedule) return jsonMessage(404, `no scheduled rule ${name}`);
      try {
        const results = await this.runSchedule(schedule, new Date(), overrides);
        return json(200, results.length === 1 ? results[0] : results);
      } catch (error) {
        return json(500, errorPayload(error));
      }
    }
    return NOT_FOUND;
  }

  // -------------------------------------------------------------------------------------
  // SQS

  private startPollers(): void {
    const { template, ctx } = this.options;
    for (const source of queueEventSources(template)) {
      const queueUrl = ctx.physicalIds[source.queueLogicalId];
      const queueArn = resolveValue(template, ctx, { 'Fn::GetAtt': [source.queueLogicalId, 'Arn'] });
      const fn = this.functions.get(source.functionLogicalId);
      if (!source.enabled) continue;
      if (!queueUrl || !queueArn || !fn) {
        this.log(`warning: event source ${source.logicalId} cannot be polled (queue or function missing)`);
        continue;
      }
      const poller = new SqsPoller({
        sqs: this.options.sqs,
        queueUrl,
        queueArn,
        region: ctx.region,
        batchSize: source.batchSize,
        maximumBatchingWindowInSeconds: source.maximumBatchingWindowInSeconds,
        reportBatchItemFailures: source.reportBatchItemFailures,
        invoke: (event) => this.invoke(source.functionLogicalId, event),
        ...(this.options.sqsRetryDelaySeconds !== undefined
          ? { retryDelaySeconds: this.options.sqsRetryDelaySeconds }
          : {}),
        log: this.log,
        name: `${fn.fn.name} ← ${queueArn.split(':').pop()}`,
        concurrency: Math.min(
          this.options.sqsConcurrency ?? LAMBDA_SQS_INITIAL_CONCURRENCY,
          source.maximumConcurrency ?? Number.POSITIVE_INFINITY,
        ),
      });
      poller.start();
      this.pollers.push(poller);
    }
  }

  // -------------------------------------------------------------------------------------
  // Schedules

  private startScheduler(): void {
    const { template, ctx } = this.options;
    for (const rule of scheduleRules(template)) {
      const name = ctx.physicalIds[rule.logicalId] ?? rule.logicalId;
      const arn = resolveValue(template, ctx, { 'Fn::GetAtt': [rule.logicalId, 'Arn'] }) ?? name;
      try {
        this.schedules.push({ rule, name, arn, schedule: parseScheduleExpression(rule.scheduleExpression) });
      } catch (error) {
        this.log(`warning: rule ${rule.logicalId}: ${(error as Error).message}`);
        this.schedules.push({ rule, name, arn, error: (error as Error).message });
      }
    }
    if (this.options.schedules === false) return;
    const jobs = this.schedules.flatMap((s) =>
      s.schedule ? [{ id: s.rule.logicalId, schedule: s.schedule, enabled: s.rule.enabled }] : [],
    );
    this.scheduler = new Scheduler(jobs, (job, time) => {
      const schedule = this.schedules.find((s) => s.rule.logicalId === job.id);
      if (!schedule) return;
      this.runSchedule(schedule, time).then(
        (results) =>
          this.log(`schedule ${schedule.rule.logicalId} fired: ${JSON.stringify(results).slice(0, 200)}`),
        (error: unknown) =>
          this.log(
            `schedule ${schedule.rule.logicalId} failed: ${error instanceof Error ? error.stack : error}`,
          ),
      );
    });
    this.scheduler.start();
  }

  private findSchedule(name: string): RuntimeSchedule | undefined {
    return this.schedules.find((s) => s.rule.logicalId === name || s.name === name || s.arn === name);
  }

  /** Invokes every Lambda target of the rule with a Scheduled Event (or the target's Input). */
  private async runSchedule(
    schedule: RuntimeSchedule,
    time: Date,
    overrides: Record<string, unknown> = {},
  ): Promise<unknown[]> {
    const { ctx } = this.options;
    const results: unknown[] = [];
    for (const target of schedule.rule.targets) {
      const event =
        target.input !== undefined
          ? (JSON.parse(target.input) as unknown)
          : {
              ...scheduledEvent({ ruleArn: schedule.arn, account: ctx.accountId, region: ctx.region, time }),
              ...overrides,
            };
      results.push(await this.invoke(target.functionLogicalId, event));
    }
    return results;
  }

  listSchedules(): ScheduleInfo[] {
    return this.schedules.map((s) => {
      const next =
        this.scheduler?.nextFire(s.rule.logicalId) ??
        (s.schedule && s.rule.enabled && this.options.schedules !== false
          ? nextFireTime(s.schedule, new Date())
          : undefined);
      return {
        logicalId: s.rule.logicalId,
        name: s.name,
        arn: s.arn,
        scheduleExpression: s.rule.scheduleExpression,
        state: s.rule.enabled ? 'ENABLED' : 'DISABLED',
        targets: s.rule.targets.map(
          (t) => this.functions.get(t.functionLogicalId)?.fn.name ?? t.functionLogicalId,
        ),
        ...(next ? { nextFireTime: next.toISOString() } : {}),
        ...(s.error ? { error: s.error } : {}),
      };
    });
  }

  // -------------------------------------------------------------------------------------

  /** Waits until no invocation runs, nor waits for its handler's import. */
  private async settled(): Promise<void> {
    while (this.loading.size > 0) await Promise.allSettled([...this.loading]);
    await this.invocations.idle();
  }

  /** Stops scheduler and pollers, closes the server, and waits for running invocations. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.scheduler?.stop();
      await Promise.all(this.pollers.map((poller) => poller.stop()));
      const server = this.server;
      if (server) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await this.settled();
        server.closeAllConnections();
        await closed;
      }
      await this.settled();
      this.ownWriter?.close();
    })();
    return this.stopping;
  }
}
