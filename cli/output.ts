/**
 * How commands speak: tables for people, `--json` for scripts, a spinner while waiting (only
 * on a terminal, and never in --json mode, so piped output stays clean).
 */
import Table from 'cli-table3';
import ora from 'ora';

/** The process's streams, passed in so a test can run the CLI in-process and read what it wrote. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<Buffer>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stderr is a terminal (spinners are drawn only then). */
  readonly interactive: boolean;
  readonly cwd: string;
}

export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    env: process.env,
    interactive: Boolean(process.stderr.isTTY) && !process.env.CI,
    cwd: process.cwd(),
  };
}

export interface Progress {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
}

type Cell = string | number | boolean | undefined | null;

export class Output {
  constructor(
    private readonly io: Io,
    readonly json: boolean,
  ) {}

  line(text = ''): void {
    this.io.stdout(`${text}\n`);
  }

  /** `data` as JSON with --json, else what `human` prints. */
  result(data: unknown, human: () => void): void {
    if (this.json) this.io.stdout(`${JSON.stringify(data, null, 2)}\n`);
    else human();
  }

  table(head: readonly string[], rows: readonly (readonly Cell[])[]): void {
    const table = new Table({ head: [...head], style: { head: [], border: [] } });
    for (const row of rows)
      table.push(row.map((cell) => (cell === undefined || cell === null ? '-' : String(cell))));
    this.line(table.toString());
  }

  /** Key/value lines, aligned. */
  fields(entries: readonly (readonly [string, Cell])[]): void {
    const width = Math.max(0, ...entries.map(([key]) => key.length));
    for (const [key, value] of entries) {
      if (value === undefined || value === null || value === '') continue;
      this.line(`${key.padEnd(width)}  ${value}`);
    }
  }

  /** A spinner on a terminal; plain stderr lines at start and end otherwise (unless --json). */
  progress(text: string): Progress {
    if (this.io.interactive && !this.json) {
      const spinner = ora({ text, stream: process.stderr }).start();
      return {
        update: (t) => {
          spinner.text = t;
        },
        succeed: (t) => {
          spinner.succeed(t);
        },
        fail: (t) => {
          spinner.fail(t);
        },
      };
    }
    return {
      update: () => undefined,
      succeed: () => undefined,
      fail: () => undefined,
    };
  }
}

/** A figure for a table: four significant digits, integers as they are. */
export function num(value: number | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/** Epoch seconds or a Date, as an ISO time without milliseconds. */
export function time(value: Date | number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(typeof value === 'number' ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
