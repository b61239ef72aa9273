import { describe, expect, it } from 'vitest';
import { newRequestId } from '../../scripts/local/apigw.js';
import { LineWriter } from '../../scripts/local/line-writer.js';

function recordingStream() {
  const writes: string[] = [];
  return { writes, stream: { write: (text: string) => writes.push(text) } };
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
    const writer = new LineWriter({ stream, maxPendingChars: 100, flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) writer.line('0123456789');
    // 11 characters a line: a write after every tenth.
    expect(writes.map((w) => w.length)).toEqual([110, 110]);
    writer.close();
    expect(writes.map((w) => w.length)).toEqual([110, 110, 55]);
    writer.close();
    expect(writes).toHaveLength(3);
  });
});

describe('API Gateway request ids', () => {
  it('are 10 random bytes in base64, unique across batches of pooled randomness', () => {
    const ids = Array.from({ length: 2000 }, () => newRequestId());
    expect(new Set(ids).size).toBe(ids.length);
    const malformed = ids.filter(
      (id) => !/^[A-Za-z0-9+/]{14}==$/.test(id) || Buffer.from(id, 'base64').length !== 10,
    );
    expect(malformed).toEqual([]);
  });
});
