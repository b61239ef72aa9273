import { randomUUID } from 'node:crypto';
import type { CaptureIndex, CaptureIndexEntry } from '../data-capture/capture-index.js';
import {
  type CaptureRecord,
  type ContentTypeRules,
  captureKey,
  capturePayload,
  hourOf,
} from '../data-capture/capture-record.js';
import type { ModelCache } from '../inference/model-cache.js';
import {
  decodeInstances,
  encodePredictions,
  type Instance,
  type NamedOutput,
  predictionsOf,
  type ResponseType,
} from '../inference/payload.js';
import { ValidationError } from '../kernel/errors.js';
import { consoleLog, type Log } from '../kernel/log.js';
import { mediaType } from '../kernel/media-type.js';
import {
  type ComparisonRecorder,
  comparisonIdFor,
  type ShadowObservation,
} from '../shadow-tests/comparison-recorder.js';
import {
  type ComparisonConfig,
  comparableRows,
  dedupeByEventId,
  inferModelTask,
  type ModelTask,
} from '../shadow-tests/index.js';
import type { DeliveryLedger } from './delivery-ledger.js';
import type { MirrorMessage } from './mirror.js';
import { mirrorMessageSchema, spilledMessageSchema } from './mirror-schema.js';

/** One delivery of a queue message. */
export interface Delivery {
  readonly messageId: string;
  readonly body: string;
}

/** Port: writes capture files. */
export interface CaptureSink {
  /** Writes one object at `s3://bucket/key` holding JSON lines. */
  write(bucketAndKey: { bucket: string; key: string }, body: string, kmsKeyId?: string): Promise<void>;
  /** Reads a spilled mirror message (undefined when it is not there yet). */
  readSpilled(uri: string): Promise<string | undefined>;
  /** Whether an object exists (a capture object an attempt that died meant to write). */
  exists(uri: string): Promise<boolean>;
}

/** Port: parks a message that can never be processed, with the reason. */
export interface DeadLetters {
  send(body: string, reason: string): Promise<void>;
}

export interface ShadowBatchDeps {
  readonly models: ModelCache;
  readonly sink: CaptureSink;
  readonly deadLetters: DeadLetters;
  readonly comparisons: ComparisonRecorder;
  readonly ledger: DeliveryLedger;
  /**
   * Records where each production capture line goes (by event id and inference id), so a
   * prediction can be traced without listing S3. Without one, nothing is indexed.
   */
  readonly captureIndex?: CaptureIndex;
  /** Where drops, deferrals and failures are logged with their event ids. @default consoleLog */
  readonly log?: Log;
  /** Names capture objects and each batch's holder token in the ledger. */
  readonly uuid?: () => string;
  /**
   * Run each shadow model once over all the batch's rows (true), or once per message (false,
   * kept to measure what batching buys).
   * @default true
   */
  readonly batchRows?: boolean;
}

interface Job {
  readonly delivery: Delivery;
  readonly message: MirrorMessage;
  readonly done: ReadonlySet<string>;
  readonly completed: Set<string>;
  /** Part → the capture object it is written to, recorded in the ledger before the writes. */
  readonly intents: Map<string, string>;
  failed: boolean;
}

interface PendingFile {
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint: string;
  readonly variant: string;
  readonly hour: string;
  readonly kmsKeyId?: string;
  readonly lines: string[];
  readonly parts: { job: Job; part: string }[];
}

/** What became of a batch's messages: every one is counted in exactly one of these. */
export interface ShadowBatchTally {
  /** Processed in full and recorded as done. */
  completed: number;
  /** Copies of an event another delivery (or this batch) already carries: dropped. */
  duplicates: number;
  /** Held by another live attempt, or the ledger could not be asked: retried later. */
  deferred: number;
  /** Part of their work failed: retried, resuming after what was done. */
  failed: number;
  /** A spilled body not readable yet: retried. */
  pending: number;
  /** Can never be processed: sent to the dead-letter queue with the reason. */
  deadLettered: number;
}

export interface ShadowBatchOutcome {
  /** Message ids to leave on the queue (batchItemFailures). */
  readonly retry: string[];
  readonly tally: ShadowBatchTally;
}

/**
 * Processes a batch of mirrored requests: writes production captures, runs each shadow model
 * once over the rows of all messages it applies to (falling back to one run per message when
 * the batched run fails), writes shadow captures, and records comparisons. One object is
 * written per destination, endpoint, variant and hour. Each event is processed at most once
 * across deliveries (see delivery-ledger.ts), and nothing is skipped without a log line
 * naming its event ids.
 */
export async function processShadowBatch(
  deliveries: readonly Delivery[],
  deps: ShadowBatchDeps,
): Promise<ShadowBatchOutcome> {
  const uuid = deps.uuid ?? randomUUID;
  const log = deps.log ?? consoleLog;
  const holder = uuid();
  const tally: ShadowBatchTally = {
    completed: 0,
    duplicates: 0,
    deferred: 0,
    failed: 0,
    pending: 0,
    deadLettered: 0,
  };
  const { jobs, retry } = await admitDeliveries(deliveries, deps, holder, tally);
  const files = new Map<string, PendingFile>();
  const addLine = (job: Job, part: string, target: Omit<PendingFile, 'lines' | 'parts'>, line: string) => {
    const id = [target.bucket, target.prefix, target.endpoint, target.variant, target.hour].join('\u0000');
    let file = files.get(id);
    if (!file) {
      file = { ...target, lines: [], parts: [] };
      files.set(id, file);
    }
    file.lines.push(line);
    file.parts.push({ job, part });
  };

  // Production captures.
  for (const job of jobs) {
    const { message } = job;
    const capture = message.capture;
    if (!capture || job.done.has('capture')) continue;
    const record = captureRecord(
      message,
      capture,
      payloadBytesOf(message.response.body),
      message.response.contentType,
      {
        input: capture.captureInput,
        output: capture.captureOutput,
      },
    );
    addLine(
      job,
      'capture',
      target(capture.destination, message, message.variantName, capture.kmsKeyId),
      JSON.stringify(record),
    );
  }

  // The index of this batch's production captures is written while the shadows run, and
  // before the capture objects: an object is never written without its index entries.
  const keys = new Map<PendingFile, string>();
  const keyOf = (file: PendingFile) => {
    let key = keys.get(file);
    if (key === undefined) {
      const first = file.parts[0]?.job.message.inferenceTime ?? new Date().toISOString();
      key = captureKey(file.prefix, file.endpoint, file.variant, new Date(first), uuid());
      keys.set(file, key);
    }
    return key;
  };
  const indexing = indexCaptures(deps, log, [...files.values()], keyOf);

  // Shadows: one batched run per shadow model.
  const comparisons = new Map<
    string,
    {
      comparisonId: string;
      variant: string;
      config?: ComparisonConfig;
      observations: ShadowObservation[];
      jobs: Job[];
    }
  >();
  // Messages whose shadow runs the same model share one run; each message keeps its own
  // shadow entry (destination, experiment, comparison), which may differ within a batch.
  const byModel = new Map<
    string,
    { model: MirrorMessage['shadows'][number]; jobs: Job[]; shadows: MirrorMessage['shadows'][number][] }
  >();
  const compareKeyOf = (message: MirrorMessage, shadow: MirrorMessage['shadows'][number]) =>
    `${comparisonIdFor(message.endpointName, shadow.experimentName)}\u0000${shadow.VariantName}`;
  for (const job of jobs) {
    for (const shadow of job.message.shadows) {
      // The shadow runs again unless both its capture and its comparison are done: a capture
      // written by an attempt whose comparison failed still needs the comparison.
      const captured = job.done.has(`shadow:${shadow.VariantName}`);
      if (captured && job.done.has(`compare:${compareKeyOf(job.message, shadow)}`)) continue;
      const key = `${shadow.VariantName}\u0000${shadow.artifact.sha256}`;
      const group = byModel.get(key) ?? { model: shadow, jobs: [], shadows: [] };
      group.jobs.push(job);
      group.shadows.push(shadow);
      byModel.set(key, group);
    }
  }
  for (const { model, jobs: shadowJobs, shadows } of byModel.values()) {
    const results = await runShadow(deps.models, model, shadowJobs, deps.batchRows ?? true);
    for (const [i, job] of shadowJobs.entries()) {
      const result = results[i] as ShadowResult;
      const shadow = shadows[i] as MirrorMessage['shadows'][number];
      const { message } = job;
      const part = `shadow:${shadow.VariantName}`;
      if (job.done.has(part)) {
        // Written by an earlier attempt.
      } else if (shadow.destination && result.outputs) {
        const responseType = responseTypeOf(message.response.contentType);
        const body = Buffer.from(encodePredictions(result.outputs, responseType), 'utf8');
        const record = captureRecord(message, shadow, body, responseType, {
          input: true,
          output: true,
        });
        addLine(
          job,
          part,
          target(shadow.destination, message, shadow.VariantName, shadow.kmsKeyId),
          JSON.stringify(record),
        );
      } else {
        job.completed.add(part);
      }
      const comparisonId = comparisonIdFor(message.endpointName, shadow.experimentName);
      const compareKey = compareKeyOf(message, shadow);
      if (job.done.has(`compare:${compareKey}`)) continue;
      const entry = comparisons.get(compareKey) ?? {
        comparisonId,
        variant: shadow.VariantName,
        config: shadow.comparison,
        observations: [],
        jobs: [],
      };
      const productionModel = message.response.task;
      entry.observations.push({
        eventId: message.eventId,
        production: message.response.predictions ?? productionPredictions(message),
        // Read as production's are: under the models' tasks when the message names production's.
        shadow:
          result.outputs &&
          (productionModel ? comparableRows(result.task, result.outputs) : predictionsOf(result.outputs)),
        productionModel,
        shadowModel: result.task,
        shadowError: result.error,
        shadowErrorKind:
          result.error === undefined ? undefined : result.missingModel ? 'MissingModel' : 'ModelError',
        productionLatencyMs: message.response.modelLatencyUs / 1000,
        shadowLatencyMs: result.latencyMs,
        rows: result.rows,
      });
      entry.jobs.push(job);
      comparisons.set(compareKey, entry);
    }
  }

  // Before any object is written, each event's ledger entry names the objects its parts go
  // to: if this attempt dies after a write, whoever takes the event over finds the object and
  // does not write the part again (see delivery-ledger.ts).
  for (const file of files.values()) {
    for (const { job, part } of file.parts) job.intents.set(part, `s3://${file.bucket}/${keyOf(file)}`);
  }
  const unintended = new Set<Job>();
  const intending = Promise.all(
    jobs
      .filter((job) => job.intents.size > 0)
      .map((job) =>
        deps.ledger.intend(job.message.eventId, holder, job.intents).catch((error: unknown) => {
          logEvents(
            log,
            'error',
            'capture intents not recorded; captures retried',
            [job.message.eventId],
            error,
          );
          unintended.add(job);
        }),
      ),
  );

  // Writes: every capture object and every comparison update, side by side.
  const [indexed] = await Promise.all([indexing, intending]);
  await Promise.all([
    ...[...files.values()].map(async (file) => {
      const key = keyOf(file);
      // An intent that may or may not have landed names this key: the object must then not
      // exist without that event's line, so the whole file waits for the retry.
      const intentMissing = file.parts.some((p) => unintended.has(p.job));
      if ((!indexed && file.parts.some((p) => p.part === 'capture')) || intentMissing) {
        for (const { job } of file.parts) job.failed = true;
        return;
      }
      try {
        await deps.sink.write({ bucket: file.bucket, key }, `${file.lines.join('\n')}\n`, file.kmsKeyId);
        for (const { job, part } of file.parts) job.completed.add(part);
      } catch (error) {
        logEvents(
          log,
          'error',
          'capture write failed; retried',
          file.parts.map((p) => p.job.message.eventId),
          error,
        );
        for (const { job } of file.parts) job.failed = true;
      }
    }),
    ...[...comparisons.entries()].map(async ([compareKey, entry]) => {
      try {
        await deps.comparisons.record(entry.comparisonId, entry.variant, entry.observations, entry.config);
        for (const job of entry.jobs) job.completed.add(`compare:${compareKey}`);
      } catch (error) {
        logEvents(
          log,
          'error',
          'comparison update failed; retried',
          entry.observations.map((o) => o.eventId),
          error,
        );
        for (const job of entry.jobs) job.failed = true;
      }
    }),
  ]);

  await settle(log, jobs, deps.ledger, holder, retry, tally);
  return { retry, tally };
}

/**
 * Writes the index entries of the batch's production captures in one call (the adapter
 * batches them); false when that failed, and the captures wait for the retry.
 */
async function indexCaptures(
  deps: ShadowBatchDeps,
  log: Log,
  files: readonly PendingFile[],
  keyOf: (file: PendingFile) => string,
): Promise<boolean> {
  if (!deps.captureIndex) return true;
  const entries: CaptureIndexEntry[] = files.flatMap((file) =>
    file.parts
      .filter((p) => p.part === 'capture')
      .map(({ job: { message } }) => ({
        endpointName: message.endpointName,
        eventId: message.eventId,
        ...(message.inferenceId === undefined ? {} : { inferenceId: message.inferenceId }),
        inferenceTime: message.inferenceTime,
        variantName: message.variantName,
        ...(message.endpointConfigName === undefined
          ? {}
          : { endpointConfigName: message.endpointConfigName }),
        captureUri: `s3://${file.bucket}/${keyOf(file)}`,
      })),
  );
  if (entries.length === 0) return true;
  try {
    await deps.captureIndex.record(entries);
    return true;
  } catch (error) {
    logEvents(
      log,
      'error',
      'capture index write failed; captures retried',
      entries.map((e) => e.eventId),
      error,
    );
    return false;
  }
}

/**
 * Records the outcome of each job in the ledger: done for the completed (later copies are
 * duplicates), released with the parts done for the failed (their redelivery resumes there).
 */
async function settle(
  log: Log,
  jobs: readonly Job[],
  ledger: DeliveryLedger,
  holder: string,
  retry: string[],
  tally: ShadowBatchTally,
): Promise<void> {
  const completed = jobs.filter((job) => !job.failed).map((job) => job.message.eventId);
  const failed = jobs.filter((job) => job.failed);
  tally.completed += completed.length;
  tally.failed += failed.length;
  const [unrecorded] = await Promise.all([
    completed.length > 0
      ? ledger.complete(completed, holder).catch(() => completed)
      : Promise.resolve([] as readonly string[]),
    ...failed.map(async (job) => {
      retry.push(job.delivery.messageId);
      const parts = new Set([...job.done, ...job.completed]);
      await ledger.release(job.message.eventId, holder, parts).catch((error: unknown) => {
        logEvents(
          log,
          'error',
          'progress not saved; the redelivery waits for the hold to go stale, then may repeat completed parts',
          [job.message.eventId],
          error,
        );
      });
    }),
  ]);
  if (unrecorded.length > 0) {
    logEvents(
      log,
      'error',
      'events processed but not recorded as done; a late copy of one may be processed again',
      unrecorded,
    );
  }
}

/**
 * Parses deliveries and admits their events. A message that can never be processed goes to
 * the dead-letter queue with its reason at once; a spilled message whose object is not there
 * yet is retried; a second copy of an event (in this batch, or finished by another delivery)
 * is dropped; an event another attempt holds is retried later.
 */
async function admitDeliveries(
  deliveries: readonly Delivery[],
  deps: ShadowBatchDeps,
  holder: string,
  tally: ShadowBatchTally,
): Promise<{ jobs: Job[]; retry: string[] }> {
  const log = deps.log ?? consoleLog;
  const retry: string[] = [];
  const parsed = await Promise.all(deliveries.map((delivery) => readDelivery(delivery, deps)));
  const readable: { eventId: string; delivery: Delivery; message: MirrorMessage }[] = [];
  for (const [i, result] of parsed.entries()) {
    const delivery = deliveries[i] as Delivery;
    if (result === 'retry') {
      tally.pending++;
      retry.push(delivery.messageId);
    } else if (typeof result === 'string') {
      tally.deadLettered++;
      await deps.deadLetters.send(delivery.body, result).catch((error: unknown) => {
        logEvents(
          log,
          'error',
          'dead-letter send failed; leaving the message for redrive',
          [delivery.messageId],
          error,
        );
        retry.push(delivery.messageId);
      });
    } else {
      readable.push({ eventId: result.eventId, delivery, message: result });
    }
  }
  const fresh = dedupeByEventId(readable);
  const sameBatch = readable.length - fresh.length;
  if (sameBatch > 0) {
    tally.duplicates += sameBatch;
    const kept = new Set(fresh.map((r) => r.delivery.messageId));
    logEvents(
      log,
      'info',
      'duplicate copies in the batch dropped',
      readable.filter((r) => !kept.has(r.delivery.messageId)).map((r) => r.eventId),
    );
  }
  const admissions =
    fresh.length > 0
      ? await deps.ledger.admit(
          fresh.map((r) => r.eventId),
          holder,
        )
      : new Map();
  const jobs: Job[] = [];
  const dropped: string[] = [];
  const resumed: string[] = [];
  const deferred: string[] = [];
  const tookOver: string[] = [];
  for (const { delivery, message } of fresh) {
    const admission = admissions.get(message.eventId) ?? { kind: 'unavailable', reason: 'no answer' };
    if (admission.kind === 'admitted') {
      if (admission.tookOver === 'stale') tookOver.push(message.eventId);
      const done = new Set<string>(admission.done);
      try {
        for (const part of await writtenIntents(deps.sink, admission)) done.add(part);
      } catch (error) {
        // Not knowing whether a part was written, writing it again could duplicate it: later.
        logEvents(
          log,
          'warn',
          'capture objects of an earlier attempt could not be checked; retried',
          [message.eventId],
          error,
        );
        deferred.push(message.eventId);
        retry.push(delivery.messageId);
        await deps.ledger.release(message.eventId, holder, admission.done).catch(() => undefined);
        continue;
      }
      if (done.size > admission.done.size) resumed.push(message.eventId);
      jobs.push({ delivery, message, done, completed: new Set(), intents: new Map(), failed: false });
    } else if (admission.kind === 'duplicate') {
      dropped.push(message.eventId);
    } else {
      deferred.push(message.eventId);
      retry.push(delivery.messageId);
      if (admission.kind === 'unavailable') {
        logEvents(log, 'warn', `delivery ledger unavailable (${admission.reason}); retried`, [
          message.eventId,
        ]);
        // The admission may have landed all the same: give it back, or the redelivery would
        // find the event held (by us) until the hold goes stale.
        await deps.ledger.release(message.eventId, holder, new Set()).catch(() => undefined);
      }
    }
  }
  tally.duplicates += dropped.length;
  tally.deferred += deferred.length;
  if (dropped.length > 0) logEvents(log, 'info', 'copies of events already processed dropped', dropped);
  if (deferred.length > 0)
    logEvents(log, 'info', 'events held by another attempt or not admitted; retried', deferred);
  if (tookOver.length > 0) {
    logEvents(
      log,
      'warn',
      'took over events of an attempt that died; resuming after what it wrote',
      tookOver,
    );
  }
  if (resumed.length > 0) {
    logEvents(
      log,
      'info',
      'capture objects an earlier attempt wrote but did not record found; not written again',
      resumed,
    );
  }
  return { jobs, retry };
}

/** The parts an earlier attempt meant to write, not recorded as done, whose objects exist. */
async function writtenIntents(
  sink: CaptureSink,
  admission: { readonly done: ReadonlySet<string>; readonly intents?: ReadonlyMap<string, string> },
): Promise<string[]> {
  const open = [...(admission.intents ?? [])].filter(([part]) => !admission.done.has(part));
  const found = await Promise.all(
    open.map(async ([part, uri]) => ((await sink.exists(uri)) ? part : undefined)),
  );
  return found.filter((part): part is string => part !== undefined);
}

/** A message, the reason it can never be processed, or 'retry' when its spilled body is not there yet. */
async function readDelivery(delivery: Delivery, deps: ShadowBatchDeps): Promise<MirrorMessage | string> {
  const json = parseJson(delivery.body);
  if (typeof json === 'string') return json;
  // Only a pointer has spilledTo: a whole message is parsed and checked once, not first tried as a pointer.
  if (typeof json.value === 'object' && json.value !== null && 'spilledTo' in json.value) {
    const pointer = spilledMessageSchema.safeParse(json.value);
    if (pointer.success) {
      const spilled = await deps.sink.readSpilled(pointer.data.spilledTo);
      if (spilled === undefined) return 'retry';
      const stored = parseJson(spilled);
      return typeof stored === 'string' ? stored : messageOf(stored.value);
    }
  }
  return messageOf(json.value);
}

/** The parsed JSON, or the reason the text is not JSON. */
function parseJson(body: string): { value: unknown } | string {
  try {
    return { value: JSON.parse(body) };
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
}

/** The message, or the reason it can never be processed. */
function messageOf(json: unknown): MirrorMessage | string {
  const result = mirrorMessageSchema.safeParse(json);
  if (!result.success) {
    return `not a mirror message: ${result.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || 'message'}: ${i.message}`)
      .join('; ')}`;
  }
  return result.data;
}

function target(destination: string, message: MirrorMessage, variant: string, kmsKeyId: string | undefined) {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(destination);
  return {
    bucket: match?.[1] ?? destination,
    prefix: match?.[2] ?? '',
    endpoint: message.endpointName,
    variant,
    hour: hourOf(message.inferenceTime),
    kmsKeyId,
  };
}

function payloadBytesOf(base64: string): Buffer {
  return Buffer.from(base64, 'base64');
}

function captureRecord(
  message: MirrorMessage,
  rules: ContentTypeRules,
  outputBody: Uint8Array,
  outputContentType: string,
  include: { input: boolean; output: boolean },
): CaptureRecord {
  return {
    captureData: {
      endpointInput: include.input
        ? capturePayload(payloadBytesOf(message.request.body), message.request.contentType, 'INPUT', rules)
        : undefined,
      endpointOutput: include.output
        ? capturePayload(outputBody, outputContentType, 'OUTPUT', rules)
        : undefined,
    },
    eventMetadata: {
      eventId: message.eventId,
      inferenceTime: message.inferenceTime,
      ...(message.inferenceId ? { inferenceId: message.inferenceId } : {}),
    },
    eventVersion: '0',
  };
}

function responseTypeOf(contentType: string): ResponseType {
  return mediaType(contentType) === 'text/csv' ? 'text/csv' : 'application/json';
}

interface ShadowResult {
  readonly rows: readonly Instance[];
  readonly outputs?: NamedOutput[];
  readonly error?: string;
  readonly missingModel?: boolean;
  readonly latencyMs?: number;
  /** What the shadow's ONNX outputs make it, once its model loaded. */
  readonly task?: ModelTask;
}

/**
 * Runs one shadow model over the rows of several messages in one ONNX call where it can;
 * a failure of the batched run (one bad message) falls back to one run per message so the
 * others are still compared.
 */
async function runShadow(
  models: ModelCache,
  shadow: MirrorMessage['shadows'][number],
  jobs: readonly Job[],
  batchRows: boolean,
): Promise<ShadowResult[]> {
  const decoded = jobs.map((job) => {
    try {
      return {
        rows: decodeInstances(payloadBytesOf(job.message.request.body), job.message.request.contentType),
      };
    } catch (error) {
      return { rows: [] as Instance[], error: (error as Error).message };
    }
  });
  let model: Awaited<ReturnType<ModelCache['get']>>;
  try {
    model = await models.get(shadow.artifact);
  } catch (error) {
    const reason = `shadow model ${shadow.ModelName} could not load: ${(error as Error).message}`;
    return decoded.map((d) => ({ rows: d.rows, error: reason, missingModel: true }));
  }
  const runnable = decoded.map((d, i) => ({ ...d, i })).filter((d) => d.error === undefined);
  // Known from the model whether or not it answers: a failing shadow is still compared under its kind.
  const task = inferModelTask(model.outputs);
  const results: ShadowResult[] = decoded.map((d) => ({ rows: d.rows, error: d.error, task }));
  const allRows = runnable.flatMap((d) => d.rows);
  if (allRows.length === 0) return results;
  if (batchRows) {
    const started = performance.now();
    try {
      const outputs = await model.predict(allRows);
      const perRowMs = (performance.now() - started) / allRows.length;
      let offset = 0;
      for (const d of runnable) {
        const slice = outputs.map((o) => ({
          name: o.name,
          rows: o.rows.slice(offset, offset + d.rows.length),
        }));
        offset += d.rows.length;
        results[d.i] = { rows: d.rows, outputs: slice, latencyMs: perRowMs * d.rows.length, task };
      }
      return results;
    } catch {
      // One message's rows broke the batched run: run message by message to isolate it.
    }
  }
  for (const d of runnable) {
    const one = performance.now();
    try {
      results[d.i] = {
        rows: d.rows,
        outputs: await model.predict(d.rows),
        latencyMs: performance.now() - one,
        task,
      };
    } catch (error) {
      const kind = error instanceof ValidationError ? 'input rejected' : 'model error';
      results[d.i] = { rows: d.rows, error: `${kind}: ${(error as Error).message}`, task };
    }
  }
  return results;
}

/**
 * Per-row predictions from a production answer as the client received it (JSON or CSV), for
 * messages that do not carry them (sent before `response.predictions` existed).
 */
export function productionPredictions(message: MirrorMessage): unknown[] {
  const text = payloadBytesOf(message.response.body).toString('utf8');
  if (mediaType(message.response.contentType) === 'text/csv') {
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const values = line.split(',').map(Number);
        return values.length === 1 ? values[0] : values;
      });
  }
  const parsed = JSON.parse(text) as { predictions?: unknown[] };
  return parsed.predictions ?? [];
}

/** One structured line naming the events concerned: nothing is dropped or skipped unlogged. */
function logEvents(
  log: Log,
  level: 'info' | 'warn' | 'error',
  msg: string,
  eventIds: readonly string[],
  error?: unknown,
): void {
  log[level](msg, { eventIds, ...(error === undefined ? {} : { error: (error as Error).message }) });
}
