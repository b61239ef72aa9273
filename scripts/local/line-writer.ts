/**
 * The local platform's own log lines (the access log above all: one line per request) written
 * in batches. A line is appended to a buffer and returns; the buffer goes out in one stream
 * write every `flushIntervalMs` (or as soon as it holds `maxPendingBytes`), so a busy server
 * makes a few writes a second instead of one `console.log` per request: for stdout redirected
 * to a file that is a synchronous write(2) each, in the request path. What is pending is
 * written on `flush()` (the runtime's stop) and when the process exits.
 *
 * Hand-written: the logging libraries that batch (pino's sonic-boom) would replace the
 * console lines users already read, for a dozen lines of code.
 */
const DEFAULT_FLUSH_INTERVAL_MS = 50;
const DEFAULT_MAX_PENDING_BYTES = 64 * 1024;

export interface LineWriterOptions {
  /** @default process.stdout */
  readonly stream?: { write(chunk: Uint8Array): unknown };
  /** Put before every line, e.g. `[local] `. @default '' */
  readonly prefix?: string;
  /** @default 50 */
  readonly flushIntervalMs?: number;
  /** @default 65536 */
  readonly maxPendingBytes?: number;
}

type WriteCallback = (error?: Error | null) => void;

/**
 * Output waiting to go out in one write: after `flushIntervalMs`, as soon as it holds
 * `maxPending` bytes, on `flush()`, and when the process exits. What LineWriter and
 * bufferWrites both batch with. Text is encoded into the batch's buffer as it arrives, which
 * costs less than keeping the strings and joining them for the write: a line built from many
 * pieces is one chain of strings that the join would flatten first, and the joined text would
 * then be encoded again on its way out. A batch's buffer is the stream's once written (a pipe
 * writes later), so each batch has a new one.
 */
class Batch {
  private buffer: Buffer | undefined;
  private size = 0;
  private callbacks: WriteCallback[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly onExit = () => this.flush();
  private readonly onTimer = () => this.flush();

  constructor(
    /** Writes one batch; `done`, when given, once its bytes were written. */
    private readonly write: (data: Buffer, done?: WriteCallback) => void,
    private readonly flushIntervalMs = DEFAULT_FLUSH_INTERVAL_MS,
    private readonly maxPending = DEFAULT_MAX_PENDING_BYTES,
  ) {
    process.on('exit', this.onExit);
  }

  add(piece: string | Uint8Array, callback?: WriteCallback): void {
    // At most 3 UTF-8 bytes per UTF-16 unit. Room for twice the limit, so that pieces far
    // below it never cut a batch short; one that still does not fit goes after what is pending.
    const most = typeof piece === 'string' ? piece.length * 3 : piece.byteLength;
    if (this.buffer !== undefined && this.size + most > this.buffer.length) this.flush();
    if (this.buffer === undefined) this.buffer = Buffer.allocUnsafe(Math.max(2 * this.maxPending, most));
    if (typeof piece === 'string') this.size += this.buffer.write(piece, this.size, 'utf8');
    else {
      this.buffer.set(piece, this.size);
      this.size += piece.byteLength;
    }
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
    if (this.buffer === undefined || this.size === 0) return;
    const data = this.buffer.subarray(0, this.size);
    const done = this.callbacks;
    this.buffer = undefined;
    this.size = 0;
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
    this.batch = new Batch((data) => stream.write(data), options.flushIntervalMs, options.maxPendingBytes);
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
 * out in one write per `flushIntervalMs` or `maxPendingBytes`, and on exit. Unbuffered, the EMF
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
    options.maxPendingBytes,
  );
  stream.write = (chunk, encoding, callback) => {
    const piece =
      typeof chunk === 'string'
        ? typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8'
          ? Buffer.from(chunk, encoding)
          : chunk
        : chunk;
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
