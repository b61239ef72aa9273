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

export class LineWriter {
  private pending: string[] = [];
  private pendingChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly stream: { write(text: string): unknown };
  private readonly prefix: string;
  private readonly flushIntervalMs: number;
  private readonly maxPendingChars: number;
  private readonly onExit = () => this.flush();

  constructor(options: LineWriterOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.prefix = options.prefix ?? '';
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.maxPendingChars = options.maxPendingChars ?? DEFAULT_MAX_PENDING_CHARS;
    process.on('exit', this.onExit);
  }

  /** Queues one line (without its newline). */
  readonly line = (text: string): void => {
    const line = `${this.prefix}${text}\n`;
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= this.maxPendingChars) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
      // Pending lines never keep the process alive; the exit hook writes them.
      this.timer.unref();
    }
  };

  /** Writes every pending line now, in one write. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    this.stream.write(text);
  }

  /** Flushes and stops listening for the process's exit. */
  close(): void {
    this.flush();
    process.off('exit', this.onExit);
  }
}

type WriteCallback = (error?: Error | null) => void;

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
  const flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  const maxPendingChars = options.maxPendingChars ?? DEFAULT_MAX_PENDING_CHARS;
  let pending: (string | Buffer)[] = [];
  let pendingSize = 0;
  let allText = true;
  let callbacks: WriteCallback[] = [];
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending.length === 0) return;
    const data = allText
      ? pending.join('')
      : Buffer.concat(pending.map((piece) => (typeof piece === 'string' ? Buffer.from(piece) : piece)));
    const done = callbacks;
    pending = [];
    pendingSize = 0;
    allText = true;
    callbacks = [];
    if (done.length === 0) own.call(stream, data);
    else
      own.call(stream, data, (error?: Error | null) => {
        for (const callback of done) callback(error);
      });
  };
  const onExit = () => flush();

  stream.write = (chunk, encoding, callback) => {
    const cb = typeof encoding === 'function' ? encoding : callback;
    const piece =
      typeof chunk === 'string'
        ? typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8'
          ? Buffer.from(chunk, encoding)
          : chunk
        : Buffer.from(chunk);
    if (typeof piece !== 'string') allText = false;
    pending.push(piece);
    pendingSize += piece.length;
    if (cb) callbacks.push(cb);
    if (pendingSize >= maxPendingChars) flush();
    else if (timer === undefined) {
      timer = setTimeout(flush, flushIntervalMs);
      timer.unref();
    }
    return true;
  };
  process.on('exit', onExit);
  return {
    flush,
    restore: () => {
      flush();
      stream.write = own;
      process.off('exit', onExit);
    },
  };
}
