/**
 * The local platform's own log lines (the access log above all: one line per request) written
 * in batches. A line is appended to a buffer and returns; the buffer goes out in one stream
 * write every `flushIntervalMs` (or as soon as it holds `maxPendingChars`), so a busy server
 * makes a few writes a second instead of one `console.log` per request: for stdout redirected
 * to a file that is a synchronous write(2) each, in the request path. What is pending is
 * written on `flush()` (the runtime's stop) and when the process exits.
 *
 * Hand-written: the logging libraries that batch (pino's sonic-boom) would replace the
 * console lines users already read, for a dozen lines of code.
 */
const DEFAULT_FLUSH_INTERVAL_MS = 50;
const DEFAULT_MAX_PENDING_CHARS = 64 * 1024;

export interface LineWriterOptions {
  /** @default process.stdout */
  readonly stream?: { write(text: string): unknown };
  /** Put before every line, e.g. `[local] `. @default '' */
  readonly prefix?: string;
  /** @default 50 */
  readonly flushIntervalMs?: number;
  /** @default 65536 */
  readonly maxPendingChars?: number;
}

type WriteCallback = (error?: Error | null) => void;

/**
 * Output waiting to go out in one write: after `flushIntervalMs`, as soon as it holds
 * `maxPending` characters (bytes, for Buffers), on `flush()`, and when the process exits.
 * What LineWriter and bufferWrites both batch with.
 */
class Batch {
  private pending: (string | Buffer)[] = [];
  private size = 0;
  private allText = true;
  private callbacks: WriteCallback[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly onExit = () => this.flush();
  private readonly onTimer = () => this.flush();

  constructor(
    /** Writes one batch; `done`, when given, once its bytes were written. */
    private readonly write: (data: string | Buffer, done?: WriteCallback) => void,
    private readonly flushIntervalMs = DEFAULT_FLUSH_INTERVAL_MS,
    private readonly maxPending = DEFAULT_MAX_PENDING_CHARS,
  ) {
    process.on('exit', this.onExit);
  }

  add(piece: string | Buffer, callback?: WriteCallback): void {
    if (typeof piece !== 'string') this.allText = false;
    this.pending.push(piece);
    this.size += piece.length;
    if (callback) this.callbacks.push(callback);
    if (this.size >= this.maxPending) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.onTimer, this.flushIntervalMs);
      // Pending output never keeps the process alive; the exit hook writes it.
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const pending = this.pending;
    const data = this.allText
      ? pending.join('')
      : Buffer.concat(pending.map((piece) => (typeof piece === 'string' ? Buffer.from(piece) : piece)));
    const done = this.callbacks;
    this.pending = [];
    this.size = 0;
    this.allText = true;
    this.callbacks = [];
    if (done.length === 0) this.write(data);
    else
      this.write(data, (error) => {
        for (const callback of done) callback(error);
      });
  }

  /** Flushes and stops listening for the process's exit. */
  close(): void {
    this.flush();
    process.off('exit', this.onExit);
  }
}

export class LineWriter {
  private readonly batch: Batch;
  private readonly prefix: string;

  constructor(options: LineWriterOptions = {}) {
    const stream = options.stream ?? process.stdout;
    this.prefix = options.prefix ?? '';
    this.batch = new Batch(
      (text) => stream.write(text as string),
      options.flushIntervalMs,
      options.maxPendingChars,
    );
  }

  /** Queues one line (without its newline). */
  readonly line = (text: string): void => {
    this.batch.add(`${this.prefix}${text}\n`);
  };

  /** Writes every pending line now, in one write. */
  flush(): void {
    this.batch.flush();
  }

  /** Flushes and stops listening for the process's exit. */
  close(): void {
    this.batch.close();
  }
}

/** What bufferWrites needs of a stream: process.stdout, or a stand-in in tests. */
export interface WritableStream {
  write(
    chunk: string | Uint8Array,
    encoding?: BufferEncoding | WriteCallback,
    callback?: WriteCallback,
  ): boolean;
}

export interface BufferedWrites {
  /** Writes what is pending now, in one write. */
  flush(): void;
  /** Flushes and gives the stream its own write() back. */
  restore(): void;
}

/**
 * Makes a stream's write() buffer as LineWriter does: what the local platform's process writes
 * to stdout (each invocation's EMF metrics line, the functions' log lines, the access log) goes
 * out in one write per `flushIntervalMs` or `maxPendingChars`, and on exit. Unbuffered, the EMF
 * line alone was a write(2) per request, 11% of the platform's CPU per request (bench). Lambda
 * itself hands function output to its log pipe off the request path; this is the local
 * equivalent. Order is kept; a write's callback runs once its bytes were written.
 */
export function bufferWrites(
  stream: WritableStream,
  options: Omit<LineWriterOptions, 'stream' | 'prefix'> = {},
): BufferedWrites {
  const own = stream.write;
  const batch = new Batch(
    (data, done) => (done ? own.call(stream, data, done) : own.call(stream, data)),
    options.flushIntervalMs,
    options.maxPendingChars,
  );
  stream.write = (chunk, encoding, callback) => {
    const piece =
      typeof chunk === 'string'
        ? typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8'
          ? Buffer.from(chunk, encoding)
          : chunk
        : Buffer.from(chunk);
    batch.add(piece, typeof encoding === 'function' ? encoding : callback);
    return true;
  };
  return {
    flush: () => batch.flush(),
    restore: () => {
      batch.close();
      stream.write = own;
    },
  };
}
