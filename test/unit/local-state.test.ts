import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatEnvFile, parseEnvFile } from '../../scripts/local/env-file.js';
import {
  createLambdaContext,
  Invocations,
  invokeHandler,
  LambdaTimeoutError,
} from '../../scripts/local/lambda.js';
import {
  decodeAttributeValue,
  encodeAttributeValue,
  objectFiles,
  physicalRenames,
  rewriteStrings,
} from '../../scripts/local/state.js';

describe('saved DynamoDB items', () => {
  it('round-trip through JSON, binary values included', () => {
    const item = {
      pk: { S: 'model#1' },
      n: { N: '42' },
      blob: { B: new Uint8Array([0, 1, 254, 255]) },
      blobs: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] },
      nested: {
        M: { list: { L: [{ S: 'x' }, { BOOL: true }, { NULL: true }, { B: new Uint8Array([9]) }] } },
      },
      strings: { SS: ['a', 'b'] },
    };
    const json = JSON.parse(JSON.stringify(encodeAttributeValue(item)));
    expect(json.blob).toEqual({ B: { $base64: 'AAH+/w==' } });
    expect(decodeAttributeValue(json)).toEqual(item);
  });
});

describe('saved S3 objects', () => {
  it('are stored under their key when it is a plain path', () => {
    const files = objectFiles(['models/m1/model.onnx', 'a b/ä.txt', 'top']);
    expect(files.get('models/m1/model.onnx')).toBe('models/m1/model.onnx');
    expect(files.get('a b/ä.txt')).toBe('a b/ä.txt');
    expect(files.get('top')).toBe('top');
  });

  it('and under a hashed name when the key cannot be a file path', () => {
    const keys = ['models', 'models/x', 'dir/', '../escape', 'a//b', './x', '/abs'];
    const files = objectFiles(keys);
    expect(files.get('models/x')).toBe('models/x');
    for (const key of ['models', 'dir/', '../escape', 'a//b', './x', '/abs']) {
      expect(files.get(key), key).toMatch(/^\0[0-9a-f]{64}$/);
    }
    expect(new Set(files.values()).size).toBe(keys.length);
  });
});

describe('env file', () => {
  it('writes shell-safe lines and reads them back', () => {
    const env = { A: 'http://127.0.0.1:4567', B: "it's a $secret", C: '' };
    const text = formatEnvFile(env, 'header line');
    expect(text).toBe("# header line\nA=http://127.0.0.1:4567\nB='it'\\''s a $secret'\nC=\n");
    expect(parseEnvFile(text)).toEqual(env);
  });
});

describe('Lambda invocation', () => {
  const fn = {
    functionName: 'f',
    region: 'us-east-1',
    accountId: '123456789012',
    memorySizeMb: 1024,
    timeoutSeconds: 1,
  };

  it('gives the handler a context', async () => {
    let clock = 1_000_000;
    const context = createLambdaContext(fn, { requestId: 'r1', now: () => clock });
    expect(context).toMatchObject({
      functionName: 'f',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
      memoryLimitInMB: '1024',
      awsRequestId: 'r1',
      logGroupName: '/aws/lambda/f',
    });
    expect(context.getRemainingTimeInMillis()).toBe(1000);
    clock += 400;
    expect(context.getRemainingTimeInMillis()).toBe(600);
  });

  it('returns results, rejects errors, supports callbacks', async () => {
    const context = () => createLambdaContext(fn);
    await expect(invokeHandler(async (event) => ({ got: event }), 1, context())).resolves.toEqual({ got: 1 });
    await expect(
      invokeHandler(
        async () => {
          throw new Error('bad');
        },
        1,
        context(),
      ),
    ).rejects.toThrow('bad');
    await expect(invokeHandler((_e, _c, callback) => callback?.(null, 'cb'), 1, context())).resolves.toBe(
      'cb',
    );
  });

  it('times out after the function timeout', async () => {
    const context = createLambdaContext({ ...fn, timeoutSeconds: 0.05 });
    await expect(invokeHandler(() => new Promise(() => {}), 1, context)).rejects.toBeInstanceOf(
      LambdaTimeoutError,
    );
  });
});

describe('Lambda timeouts of concurrent invocations (one shared timer)', () => {
  const fn = (timeoutSeconds: number, functionName = 'f') => ({
    functionName,
    region: 'us-east-1',
    accountId: '123456789012',
    memorySizeMb: 1024,
    timeoutSeconds,
  });
  const never = () => new Promise<never>(() => {});
  /** Whether a promise has settled, and how, without waiting for it. */
  const watch = (promise: Promise<unknown>) => {
    const state: { outcome?: 'resolved' | 'rejected'; value?: unknown } = {};
    promise.then(
      (value) => Object.assign(state, { outcome: 'resolved', value }),
      (value) => Object.assign(state, { outcome: 'rejected', value }),
    );
    return state;
  };
  afterEach(() => {
    vi.useRealTimers();
  });

  it('times each invocation out at its own deadline, and not the ones that answered', async () => {
    vi.useFakeTimers();
    const invocations = new Invocations();
    const f = fn(1);
    const first = watch(invocations.run(never, 1, createLambdaContext(f)));
    await vi.advanceTimersByTimeAsync(400);
    const second = watch(invocations.run(never, 2, createLambdaContext(f)));
    const answered = watch(invocations.run(async () => 'ok', 3, createLambdaContext(f)));
    await vi.advanceTimersByTimeAsync(599);
    expect(first.outcome).toBeUndefined();
    expect(answered).toEqual({ outcome: 'resolved', value: 'ok' });
    await vi.advanceTimersByTimeAsync(1);
    expect(first.outcome).toBe('rejected');
    expect(first.value).toBeInstanceOf(LambdaTimeoutError);
    expect(second.outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(399);
    expect(second.outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(second.outcome).toBe('rejected');
    expect((second.value as Error).message).toBe('Task timed out after 1.00 seconds');
  });

  it('times out a shorter timeout started after a longer one on time', async () => {
    vi.useFakeTimers();
    const invocations = new Invocations();
    const slow = watch(invocations.run(never, 1, createLambdaContext(fn(10, 'slow'))));
    const quick = watch(invocations.run(never, 2, createLambdaContext(fn(1, 'quick'))));
    await vi.advanceTimersByTimeAsync(1000);
    expect(quick.outcome).toBe('rejected');
    expect(slow.outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(9000);
    expect(slow.outcome).toBe('rejected');
  });

  it('keeps timing out after a thousand answered invocations went through the queue', async () => {
    vi.useFakeTimers();
    const invocations = new Invocations();
    const f = fn(1);
    const stuck = watch(invocations.run(never, 0, createLambdaContext(f)));
    const answers = await Promise.all(
      Array.from({ length: 3000 }, (_, i) => invocations.run(async (n) => n, i, createLambdaContext(f))),
    );
    expect(answers[2999]).toBe(2999);
    await vi.advanceTimersByTimeAsync(500);
    const late = watch(invocations.run(never, 1, createLambdaContext(f)));
    await vi.advanceTimersByTimeAsync(500);
    expect(stuck.outcome).toBe('rejected');
    expect(late.outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(500);
    expect(late.outcome).toBe('rejected');
  });

  it('is idle once every invocation settled, and an answer after a timeout changes nothing', async () => {
    vi.useFakeTimers();
    const invocations = new Invocations();
    let answer: (value: string) => void = () => {};
    const late = watch(
      invocations.run(
        () => new Promise<string>((resolve) => (answer = resolve)),
        1,
        createLambdaContext(fn(1)),
      ),
    );
    let finished = false;
    const waiting = invocations.idle().then(() => (finished = true));
    const callbacks = watch(
      invocations.run(
        (_e, _c, callback) => setTimeout(() => callback?.(null, 'cb'), 200),
        2,
        createLambdaContext(fn(5)),
      ),
    );
    await vi.advanceTimersByTimeAsync(200);
    expect(callbacks).toEqual({ outcome: 'resolved', value: 'cb' });
    expect(finished).toBe(false);
    await vi.advanceTimersByTimeAsync(800);
    expect(late.outcome).toBe('rejected');
    await waiting;
    expect(finished).toBe(true);
    answer('too late');
    await vi.advanceTimersByTimeAsync(0);
    expect(late.value).toBeInstanceOf(LambdaTimeoutError);
    // Idle, then busy again: the queue starts over and still times out on time.
    const again = watch(invocations.run(never, 3, createLambdaContext(fn(1))));
    await vi.advanceTimersByTimeAsync(999);
    expect(again.outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(again.outcome).toBe('rejected');
  });
});

describe('references to renamed resources', () => {
  const before = {
    Bucket: 'understudy-artifactstorebucket47ce7d81-aaaaaaaaaaaa',
    Queue: 'http://127.0.0.1:4566/123456789012/Understudy-MirrorQueue-AAAAAAAAAAAA',
    Key: '5b2896ff-b997-409d-ae75-7169bcafbc42',
    Short: 'abc',
  };
  const after = {
    Bucket: 'understudy-artifactstorebucket47ce7d81-bbbbbbbbbbbb',
    Queue: 'http://127.0.0.1:4577/123456789012/Understudy-MirrorQueue-BBBBBBBBBBBB',
    Key: '5b2896ff-b997-409d-ae75-7169bcafbc42',
    Short: 'xyz',
  };
  const renames = physicalRenames(before, after);

  it('maps old physical names to new ones, queue names included, longest first', () => {
    expect(renames).toEqual([
      [before.Queue, after.Queue],
      [before.Bucket, after.Bucket],
      ['Understudy-MirrorQueue-AAAAAAAAAAAA', 'Understudy-MirrorQueue-BBBBBBBBBBBB'],
    ]);
  });

  it('rewrites every string of an item, leaving binary values alone', () => {
    const item = {
      pk: { S: 'model#m1' },
      url: { S: `s3://${before.Bucket}/models/m1.onnx` },
      list: { L: [{ S: `arn:aws:sqs:us-east-1:123456789012:Understudy-MirrorQueue-AAAAAAAAAAAA` }] },
      set: { SS: [before.Queue] },
      raw: { B: new Uint8Array([1, 2]) },
    };
    expect(rewriteStrings(item, renames)).toEqual({
      pk: { S: 'model#m1' },
      url: { S: `s3://${after.Bucket}/models/m1.onnx` },
      list: { L: [{ S: 'arn:aws:sqs:us-east-1:123456789012:Understudy-MirrorQueue-BBBBBBBBBBBB' }] },
      set: { SS: [after.Queue] },
      raw: { B: new Uint8Array([1, 2]) },
    });
  });
});
