import { request } from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../scripts/local/runtime.js';
import type { CfnTemplate } from '../../scripts/local/template.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TEMPLATE = {
  Resources: {
    Echo: { Type: 'AWS::Lambda::Function', Metadata: { 'understudy:function': 'echo' }, Properties: {} },
    Integration: {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: { IntegrationUri: { 'Fn::GetAtt': ['Echo', 'Arn'] }, PayloadFormatVersion: '2.0' },
    },
    Route: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        RouteKey: 'POST /echo/{Name}',
        Target: { 'Fn::Join': ['/', ['integrations', { Ref: 'Integration' }]] },
      },
    },
  },
} as unknown as CfnTemplate;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function post(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the local runtime over HTTP', () => {
  const lines: string[] = [];
  let runtime: LocalRuntime;
  beforeAll(async () => {
    runtime = await LocalRuntime.start({
      template: TEMPLATE,
      ctx: { accountId: '123456789012', region: 'us-east-1', stackName: 't', physicalIds: {} },
      projectRoot: root,
      sqs: {} as SQSClient,
      port: 0,
      schedules: false,
      functionSpecs: {
        echo: {
          entry: 'test/support/echo-lambda.ts',
          description: 'echo',
          memorySizeMb: 128,
          timeoutSeconds: 5,
          usesOnnx: false,
        },
      },
      log: (line) => lines.push(line),
    });
  });
  afterAll(() => runtime.stop());

  it('hands the function text as text and other bytes as base64, and answers its result', async () => {
    const text = await post(`${runtime.url}/echo/a%20b`, Buffer.from('é,1\n'), {
      'content-type': 'text/csv',
    });
    expect(text.status).toBe(200);
    const echoed = JSON.parse(text.body.toString('utf8'));
    expect(echoed).toMatchObject({ body: 'é,1\n', isBase64Encoded: false, pathParameters: { Name: 'a b' } });
    expect(text.headers['content-length']).toBe(String(text.body.length));
    expect(text.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(text.headers['apigw-requestid']).toBe(echoed.requestId);

    const bytes = Buffer.from([0, 255, 0xe9, 10]);
    const binary = JSON.parse(
      (await post(`${runtime.url}/echo/x`, bytes, { 'content-type': 'text/csv' })).body.toString(),
    );
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body, 'base64')).toEqual(bytes);
  });

  it('answers 404 off its routes and 413 past API Gateway’s 10 MB, and logs every request', async () => {
    expect((await post(`${runtime.url}/elsewhere`, Buffer.from('x'))).status).toBe(404);
    expect((await post(`${runtime.url}/echo/x`, Buffer.alloc(10 * 2 ** 20 + 1))).status).toBe(413);
    await runtime.stop();
    expect(lines.filter((line) => line.includes(' -> '))).toEqual([
      expect.stringMatching(/^POST \/echo\/a%20b -> echo 200 \(\d+ ms\)$/),
      expect.stringMatching(/^POST \/echo\/x -> echo 200 /),
      expect.stringMatching(/^POST \/elsewhere -> - 404 /),
    ]);
  });
});
