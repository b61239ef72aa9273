import { describe, expect, it } from 'vitest';
import { newRequestId } from '../../scripts/local/apigw.js';
import { bufferWrites, LineWriter, type WritableStream } from '../../scripts/local/line-writer.js';

function recordingStream() {
  const writes: string[] = [];
  return {
    writes,
    stream: { write: (chunk: Uint8Array) => writes.push(Buffer.from(chunk).toString('utf8')) },
  };
}

describe('the local platform line writer', () => {
  it('writes every line once, in order, in a few writes rather than one per line', async () => {
    const { writes, stream } = recordingStream();
    const writer = new LineWriter({ stream, prefix: '[local] ', flushIntervalMs: 5 });
    for (let i = 0; i < 1000; i++) writer.line(`GET /${i}`);
    expect(writes).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(writes.length).toBe(1);
    writer.close();
    const lines = writes.join('').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(Array.from({ length: 1000 }, (_, i) => `[local] GET /${i}`));
  });

  it('writes at once past its buffer size, and what is pending on close', () => {
    const { writes, stream } = recordingStream();
    const writer = new LineWriter({ stream, maxPendingBytes: 100, flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) writer.line('0123456789');
    // 11 characters a line: a write after every tenth.
    expect(writes.map((w) => w.length)).toEqual([110, 110]);
    writer.close();
    expect(writes.map((w) => w.length)).toEqual([110, 110, 55]);
    writer.close();
    expect(writes).toHaveLength(3);
  });
  it('keeps text beyond ASCII and lines longer than the batch whole and in order', () => {
    const { writes, stream } = recordingStream();
    const writer = new LineWriter({ stream, maxPendingBytes: 16, flushIntervalMs: 60_000 });
    const lines = ['ünïcødé → 🚀', 'x'.repeat(100), 'short', '漢字'.repeat(20), 'end'];
    for (const line of lines) writer.line(line);
    writer.close();
    expect(writes.join('')).toBe(lines.map((line) => `${line}\n`).join(''));
    expect(writes.length).toBeGreaterThan(1);
  });
});

describe('buffered process output', () => {
  /** A stream that records each write it really makes, with the callback it was given. */
  function recordingWritable() {
    const writes: (string | Buffer)[] = [];
    const stream: WritableStream = {
      write(chunk, encoding, callback) {
        writes.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk));
        const cb = typeof encoding === 'function' ? encoding : callback;
        setImmediate(() => cb?.());
        return true;
      },
    };
    return { writes, stream };
  }

  it('writes everything once, in order, text and bytes alike, in one write per interval', async () => {
    const { writes, stream } = recordingWritable();
    const buffered = bufferWrites(stream, { flushIntervalMs: 5 });
    const expected: Buffer[] = [];
    for (let i = 0; i < 500; i++) {
      const text = `{"Invocations":1,"n":${i}}\n`;
      if (i % 7 === 0) stream.write(Uint8Array.from(Buffer.from(text)));
      else if (i % 11 === 0) stream.write(Buffer.from(text).toString('latin1'), 'latin1');
      else stream.write(text);
      expected.push(Buffer.from(text));
    }
    expect(writes).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(writes).toHaveLength(1);
    expect(Buffer.concat(writes.map((w) => Buffer.from(w)))).toEqual(Buffer.concat(expected));
    buffered.restore();
    stream.write('after\n');
    expect(writes.at(-1)).toBe('after\n');
  });

  it('writes at once past its size, calls each callback once its bytes were written, flushes on restore', async () => {
    const { writes, stream } = recordingWritable();
    const buffered = bufferWrites(stream, { maxPendingBytes: 100, flushIntervalMs: 60_000 });
    const called: number[] = [];
    for (let i = 0; i < 25; i++) stream.write('0123456789', () => called.push(i));
    expect(writes.map((w) => w.length)).toEqual([100, 100]);
    expect(called).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(called).toEqual(Array.from({ length: 20 }, (_, i) => i));
    buffered.restore();
    expect(writes.map((w) => w.length)).toEqual([100, 100, 50]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(called).toHaveLength(25);
    buffered.restore();
    expect(writes).toHaveLength(3);
  });
});

describe('API Gateway request ids', () => {
  it('are 12 random bytes in base64, unique across batches of pooled randomness', () => {
    const ids = Array.from({ length: 2000 }, () => newRequestId());
    expect(new Set(ids).size).toBe(ids.length);
    const malformed = ids.filter(
      (id) => !/^[A-Za-z0-9+/]{16}$/.test(id) || Buffer.from(id, 'base64').length !== 12,
    );
    expect(malformed).toEqual([]);
  });
});
