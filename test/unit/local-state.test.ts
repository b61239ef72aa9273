import { describe, expect, it } from 'vitest';
import { formatEnvFile, parseEnvFile } from '../../scripts/local/env-file.js';
import { createLambdaContext, invokeHandler, LambdaTimeoutError } from '../../scripts/local/lambda.js';
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
