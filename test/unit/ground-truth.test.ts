/**
 * Ground truth: SageMaker's file format and layout, Understudy.PutGroundTruth against the
 * in-memory stores, and the join with captures — late, duplicated and orphan labels are each
 * counted, never dropped silently.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import {
  type CapturedPrediction,
  groundTruthKey,
  joinGroundTruth,
  labelFor,
} from '../../lambdas/domain/model-quality/ground-truth.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

let ctx: ControlContext;
let objects: InMemoryObjectStore;
let clock: Date;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

beforeEach(async () => {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://m/row-sum.onnx', fixture('row-sum.onnx'));
  objects = new InMemoryObjectStore();
  clock = new Date('2026-11-25T12:34:56.789Z');
  ctx = {
    store: new InMemoryRegistryStore(),
    artifacts,
    objects,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => clock,
  };
  await call('CreateModel', { ModelName: 'm', PrimaryContainer: { ModelDataUrl: 's3://m/row-sum.onnx' } });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'captured',
    ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
    DataCaptureConfig: {
      InitialSamplingPercentage: 100,
      DestinationS3Uri: 's3://b/captures',
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    },
  });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'plain',
    ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
  });
  await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'captured' });
  await call('CreateEndpoint', { EndpointName: 'uncaptured', EndpointConfigName: 'plain' });
});

describe('Understudy.PutGroundTruth', () => {
  it('writes one SageMaker ground-truth file under the collection hour, in the capture bucket by default', async () => {
    const answer = await call('Understudy.PutGroundTruth', {
      EndpointName: 'ep',
      Records: [
        { InferenceId: 'inf-1', Label: 1 },
        { EventId: 'evt-2', Label: 0 },
      ],
    });
    expect(answer.RecordCount).toBe(2);
    expect(answer.GroundTruthS3Uri).toMatch(
      /^s3:\/\/b\/ground-truth\/ep\/2026\/11\/25\/12\/34-56-789-[0-9a-f-]{36}\.jsonl$/,
    );
    const lines = ((await objects.getText(answer.GroundTruthS3Uri as string)) as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        groundTruthData: { data: '1', encoding: 'CSV' },
        eventMetadata: { eventId: 'inf-1' },
        eventVersion: '0',
      },
      {
        groundTruthData: { data: '0', encoding: 'CSV' },
        eventMetadata: { eventId: 'evt-2' },
        eventVersion: '0',
      },
    ]);
  });

  it('writes where GroundTruthS3Uri says, also for an endpoint without data capture', async () => {
    const answer = await call('Understudy.PutGroundTruth', {
      EndpointName: 'uncaptured',
      GroundTruthS3Uri: 's3://labels/team/gt/',
      Records: [{ EventId: 'e', Label: 'cat' }],
    });
    expect(answer.GroundTruthS3Uri).toMatch(/^s3:\/\/labels\/team\/gt\/uncaptured\/2026\/11\/25\/12\//);
  });

  it('refuses bad input with a ValidationException and writes nothing', async () => {
    const bad: [unknown, RegExp][] = [
      [{ EndpointName: 'ep', Records: [{ EventId: 'e', Label: { nested: 1 } }] }, /Label/],
      [{ EndpointName: 'ep', Records: [{ EventId: 'e', Label: null }] }, /Label/],
      [{ EndpointName: 'ep', Records: [{ Label: 1 }] }, /exactly one of InferenceId and EventId/],
      [{ EndpointName: 'ep', Records: [{ EventId: 'e', InferenceId: 'i', Label: 1 }] }, /exactly one/],
      [{ EndpointName: 'ep', Records: [] }, /Records/],
      [
        {
          EndpointName: 'ep',
          Records: [
            { EventId: 'a', Label: 1 },
            { EventId: 'b', Label: 'x' },
          ],
        },
        /must all be numbers, all strings or all booleans/,
      ],
      [{ EndpointName: 'nope', Records: [{ EventId: 'a', Label: 1 }] }, /Could not find endpoint/],
      [{ EndpointName: 'uncaptured', Records: [{ EventId: 'a', Label: 1 }] }, /GroundTruthS3Uri/],
      [
        { EndpointName: 'ep', GroundTruthS3Uri: 'http://x', Records: [{ EventId: 'a', Label: 1 }] },
        /s3:\/\//,
      ],
    ];
    for (const [input, message] of bad) {
      const error = await errorOf(call('Understudy.PutGroundTruth', input));
      expect(error.type, JSON.stringify(input)).toBe('ValidationException');
      expect(error.message, JSON.stringify(input)).toMatch(message);
    }
    expect(await objects.list('s3://b/')).toEqual([]);
    expect(await objects.list('s3://labels/')).toEqual([]);
  });
});

describe('Understudy.PutGroundTruth and the endpoint’s model-quality job definitions', () => {
  it('refuses labels the definitions’ problem type cannot read, naming record and definition, writing nothing', async () => {
    await call('CreateModelQualityJobDefinition', {
      JobDefinitionName: 'quality',
      ModelQualityAppSpecification: {
        ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
        ProblemType: 'BinaryClassification',
      },
      ModelQualityJobInput: {
        EndpointInput: { EndpointName: 'ep', LocalPath: '/opt/ml/processing/input', InferenceAttribute: '0' },
        GroundTruthS3Input: { S3Uri: 's3://b/ground-truth' },
      },
      ModelQualityJobOutputConfig: {
        MonitoringOutputs: [
          { S3Output: { S3Uri: 's3://b/reports', LocalPath: '/opt/ml/processing/output' } },
        ],
      },
      JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 } },
      RoleArn: 'arn:aws:iam::123456789012:role/monitor',
    });
    const error = await errorOf(
      call('Understudy.PutGroundTruth', {
        EndpointName: 'ep',
        Records: [
          { InferenceId: 'a', Label: '1' },
          { InferenceId: 'b', Label: 'maybe' },
        ],
      }),
    );
    expect(error.type).toBe('ValidationException');
    expect(error.message).toMatch(
      /^Records\[1\]: The label of event b is "maybe"; BinaryClassification needs 0 or 1. \(model quality job definition quality monitors endpoint ep as BinaryClassification\)/,
    );
    expect(await objects.list('s3://b/ground-truth/')).toEqual([]);
    // Labels it can read go through; another endpoint's labels are not its business.
    await call('Understudy.PutGroundTruth', {
      EndpointName: 'ep',
      Records: [{ InferenceId: 'a', Label: '1' }],
    });
    await call('Understudy.PutGroundTruth', {
      EndpointName: 'uncaptured',
      GroundTruthS3Uri: 's3://labels/gt',
      Records: [{ EventId: 'e', Label: 'maybe' }],
    });
  });
});

describe('joining labels with captures', () => {
  const captures: CapturedPrediction<number>[] = [
    { eventId: 'e1', inferenceId: 'i1', prediction: 1 },
    { eventId: 'e2', inferenceId: 'i2', prediction: 0 },
    { eventId: 'e3', prediction: 1 }, // no inferenceId: joined on its eventId
    { eventId: 'e4', inferenceId: 'i4', prediction: 0 }, // never labelled
  ];
  const line = (eventId: string, data: string, encoding = 'CSV') =>
    JSON.stringify({ groundTruthData: { data, encoding }, eventMetadata: { eventId }, eventVersion: '0' });
  const file = (at: string, unique: string, lines: string[]) => ({
    key: groundTruthKey('gt', 'ep', new Date(at), unique),
    text: `${lines.join('\n')}\n`,
  });

  it('joins on inferenceId else eventId; the last label collected wins; orphans and bad lines are counted', () => {
    // Listed out of order on purpose: collection order is the key's time, not the listing's.
    const files = [
      file('2026-11-26T09:00:00Z', 'b', [line('i1', '0'), line('ghost-1', '1'), 'not json']),
      file('2026-11-25T13:00:00Z', 'a', [
        line('i1', '1'),
        line('i2', '0'),
        line('e3', 'true', 'JSON'),
        line('ghost-2', '0'),
      ]),
    ];
    const { joined, counts } = joinGroundTruth(captures, files);
    expect(joined).toEqual([
      { eventId: 'e1', prediction: 1, label: '0' }, // relabelled a day later
      { eventId: 'e2', prediction: 0, label: '0' },
      { eventId: 'e3', prediction: 1, label: true },
    ]);
    expect(counts).toEqual({
      captures: 4,
      labels: 6,
      joined: 3,
      unlabelledCaptures: 1,
      labelsWithoutCapture: 2,
      labelsWithoutCaptureSample: ['ghost-2', 'ghost-1'], // in collection order,
      supersededLabels: 1,
      malformedLabelLines: 1,
    });
  });

  it('reads labels as the problem type needs them, and names the event of a wrong one', () => {
    expect(labelFor('BinaryClassification', '1', 'e')).toBe(1);
    expect(labelFor('BinaryClassification', false, 'e')).toBe(0);
    expect(labelFor('Regression', '2.5', 'e')).toBe(2.5);
    expect(labelFor('MulticlassClassification', 3, 'e')).toBe('3');
    expect(() => labelFor('BinaryClassification', 'cat', 'evt-9')).toThrow(/event evt-9 .*needs 0 or 1/);
    expect(() => labelFor('Regression', 'abc', 'evt-9')).toThrow(/Regression needs a number/);
    expect(() => labelFor('MulticlassClassification', true, 'evt-9')).toThrow(/class name/);
  });
});
