/**
 * What both monitors' executions share: the failure that carries a reason for the user,
 * bounded concurrency, and the window's capture files of an endpoint.
 */
import type { ObjectStore } from '../kernel/ports.js';
import type { RegistryStore } from '../kernel/store.js';
import type { AlertPublisher, MetricsPublisher } from './ports.js';
import type { ExecutionRecord } from './records.js';
import { MonitoringError } from './statistics/index.js';

export interface MonitorDeps {
  readonly store: RegistryStore;
  readonly objects: ObjectStore;
  readonly metrics?: MetricsPublisher;
  readonly alerts?: AlertPublisher;
  /** The wall clock, for the records' times. */
  now(): Date;
  /** Capture files read at once per execution. @default 8 */
  readonly fileConcurrency?: number;
  /** Executions run at once per tick. @default 2 */
  readonly executionConcurrency?: number;
  readonly log?: (entry: Record<string, unknown>) => void;
}

export interface AnalysisResult {
  status: 'Completed' | 'CompletedWithViolations';
  reports: { statistics: string; constraintViolations: string; report: string };
  exitMessage: string;
  counts: NonNullable<ExecutionRecord['internal']['counts']>;
  violatedFeatures: string[];
}

/** Raised for anything that fails an execution with a reason the user should read. */
export class ExecutionFailure extends MonitoringError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecutionFailure';
  }
}

/** Runs `work` over `items` with at most `limit` at once; results in input order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** The window's capture files of one endpoint, across its production variants. */
export async function captureFiles(
  objects: ObjectStore,
  destination: string,
  endpoint: string,
  variants: readonly string[],
  window: { start: number; end: number },
): Promise<string[]> {
  const hours: number[] = [];
  for (let h = Math.floor(window.start / 3600) * 3600; h < window.end; h += 3600) hours.push(h);
  const prefixes = variants.flatMap((variant) =>
    hours.map((h) => {
      const at = new Date(h * 1000);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${destination}/${endpoint}/${variant}/${at.getUTCFullYear()}/${p(at.getUTCMonth() + 1)}/${p(at.getUTCDate())}/${p(at.getUTCHours())}/`;
    }),
  );
  const listed = await mapLimited(prefixes, 8, (prefix) => objects.list(prefix));
  const files: string[] = [];
  listed.forEach((objectsUnder, i) => {
    const prefix = prefixes[i] as string;
    const hourStart = hours[i % hours.length] as number;
    for (const o of objectsUnder) {
      const name = o.uri.slice(prefix.length);
      if (name.includes('/') || !name.endsWith('.jsonl')) continue;
      const m = /^(\d{2})-(\d{2})-(\d{3})/.exec(name);
      const at = m ? hourStart + Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) / 1000 : hourStart;
      if (at >= window.start && at < window.end) files.push(o.uri);
    }
  });
  return files;
}

/**
 * Metrics and alerts are told, not waited on: the results are written; a failure to publish
 * is logged and said in the exit message (`notes`) rather than failing the execution.
 */
export function publishing(log: MonitorDeps['log']) {
  const notes: string[] = [];
  const tell = async (what: string, send: () => Promise<void>) => {
    try {
      await send();
    } catch (error) {
      log?.({ level: 'error', msg: `${what} not published`, error: (error as Error).message });
      notes.push(` The ${what} could not be published: ${(error as Error).message}.`);
    }
  };
  return { notes, tell };
}
