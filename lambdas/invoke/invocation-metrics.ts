import type { MiddlewareObj } from '@middy/core';
import { emfLine } from '../domain/inference/emf.js';
import type { InvokeProgress } from '../domain/inference/invoke-endpoint.js';
import { ApiError } from '../domain/kernel/errors.js';
import type { HttpEvent, HttpResult } from '../shared/http.js';

/** Where EMF lines go. In Lambda that is stdout, which CloudWatch Logs reads. */
export interface MetricsSink {
  write(line: string): void;
}

/**
 * Straight to stdout, not console.log: Lambda's console prefixes each line with a timestamp
 * and request id, and CloudWatch extracts metrics only from lines that are the JSON object.
 */
export const stdoutMetricsSink: MetricsSink = {
  write: (line) => {
    process.stdout.write(`${line}\n`);
  },
};

/**
 * One invocation's metrics while it runs; it is the use case's progress listener itself, so a
 * request makes no closures for it.
 */
class Pending implements InvokeProgress {
  endpointName = '';
  dims?: { EndpointName: string; EndpointConfigName: string; VariantName: string };
  modelLatencyUs?: number;
  mirror?: { dropped: boolean; captured: boolean };

  constructor(readonly startedMs: number) {}

  routed(EndpointConfigName: string, VariantName: string): void {
    this.dims = { EndpointName: this.endpointName, EndpointConfigName, VariantName };
  }

  modelLatency(microseconds: number): void {
    this.modelLatencyUs = microseconds;
  }
}

/** For requests the middleware did not see (a handler driven without it): their metrics go nowhere. */
const UNRECORDED: InvokeProgress = { routed: () => {}, modelLatency: () => {} };

/**
 * Collects one invocation's metrics while the handler runs and writes them once at the end
 * (one EMF line). The handler reports what only it knows — the variant it routed to, the
 * model's latency — and this middleware adds the outcome. Requests that never reached a
 * variant (bad signature, unknown endpoint) have no variant to count against and write
 * nothing, as in SageMaker.
 */
export class InvocationMetricsRecorder {
  private readonly pending = new WeakMap<HttpEvent, Pending>();

  constructor(
    private readonly sink: MetricsSink,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Use after the error middleware: its onError then runs first and sees the original error. */
  middleware(): MiddlewareObj<HttpEvent, HttpResult> {
    return {
      before: (request) => {
        this.pending.set(request.event, new Pending(this.clock()));
      },
      after: (request) => {
        this.flush(request.event, request.response?.statusCode ?? 200, false);
      },
      onError: (request) => {
        const error = request.error;
        const status = error instanceof ApiError ? error.statusCode : 500;
        this.flush(request.event, status, error instanceof ApiError && error.type === 'ModelError');
      },
    };
  }

  /** What the use case reports to on the way: the variant it routed to (of `endpointName`), the model's latency. */
  progress(event: HttpEvent, endpointName: string): InvokeProgress {
    const pending = this.pending.get(event);
    if (!pending) return UNRECORDED;
    pending.endpointName = endpointName;
    return pending;
  }

  /** The request was sampled for capture or shadowing; `dropped`: its copy is not known to be queued. */
  mirrored(event: HttpEvent, outcome: { dropped: boolean; captured: boolean }): void {
    const pending = this.pending.get(event);
    if (pending) pending.mirror = outcome;
  }

  private flush(event: HttpEvent, statusCode: number, modelError: boolean): void {
    const pending = this.pending.get(event);
    this.pending.delete(event);
    const dims = pending?.dims;
    if (!dims) return;
    // Fields named one by one: on Node 20, `{ ...dims, more }` costs microseconds per call.
    this.sink.write(
      emfLine({
        EndpointName: dims.EndpointName,
        EndpointConfigName: dims.EndpointConfigName,
        VariantName: dims.VariantName,
        statusCode,
        modelError,
        modelLatencyUs: pending.modelLatencyUs,
        mirror: pending.mirror,
        totalUs: (this.clock() - pending.startedMs) * 1000,
        timestampMs: Date.now(),
      }),
    );
  }
}
