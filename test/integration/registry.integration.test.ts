import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorOf, sagemaker, understudy, unique, uploadFixture } from './platform.js';

const COUNT = 20;

describe('model registry with the AWS SDK', () => {
  const group = unique('registry');
  let modelDataUrl: string;
  let arns: string[];

  const register = (ModelPackageGroupName = group) =>
    sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName,
        InferenceSpecification: {
          Containers: [{ Image: 'onnx', ModelDataUrl: modelDataUrl }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['application/json'],
        },
      }),
    );
  const versions = async (MaxResults: number) => {
    const seen: number[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sagemaker.send(
        new ListModelPackagesCommand({
          ModelPackageGroupName: group,
          SortOrder: 'Ascending',
          MaxResults,
          NextToken,
        }),
      );
      seen.push(...(page.ModelPackageSummaryList ?? []).map((p) => p.ModelPackageVersion ?? 0));
      NextToken = page.NextToken;
    } while (NextToken);
    return seen;
  };

  beforeAll(async () => {
    modelDataUrl = await uploadFixture('regressor.onnx', `models/${group}/model.onnx`);
    await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: group }));
    const created = await Promise.all(Array.from({ length: COUNT }, () => register()));
    arns = created.map((c) => c.ModelPackageArn ?? '');
  });

  it(`gives ${COUNT} concurrent registrations the versions 1..${COUNT}, none shared or skipped`, () => {
    const numbers = arns.map((a) => Number(a.split('/').pop())).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
  });

  it('pages every package exactly once, whatever the page size', async () => {
    for (const size of [1, 3, 7]) {
      expect(await versions(size)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    }
  });

  it('keeps the audit history of approve → reject → approve, with the principal', async () => {
    const ModelPackageArn = arns[0] as string;
    const moves = [
      ['Approved', 'metrics reviewed'],
      ['Rejected', 'bias found'],
      ['Approved', 'bias fixed'],
    ] as const;
    for (const [ModelApprovalStatus, ApprovalDescription] of moves) {
      await sagemaker.send(
        new UpdateModelPackageCommand({ ModelPackageArn, ModelApprovalStatus, ApprovalDescription }),
      );
    }
    const { accessKeyId } = await sagemaker.config.credentials();
    const { ModelPackageHistory } = (await understudy('ListModelPackageHistory', { ModelPackageArn })) as {
      ModelPackageHistory: {
        Action: string;
        Principal: { AccessKeyId: string };
        From?: { ModelApprovalStatus: string };
        To: { ModelApprovalStatus: string };
        Reason?: string;
      }[];
    };
    expect(
      ModelPackageHistory.map((h) => [
        h.Action,
        h.Principal.AccessKeyId,
        h.From?.ModelApprovalStatus,
        h.To.ModelApprovalStatus,
        h.Reason,
      ]),
    ).toEqual([
      ['Created', accessKeyId, undefined, 'PendingManualApproval', undefined],
      ['Updated', accessKeyId, 'PendingManualApproval', 'Approved', 'metrics reviewed'],
      ['Updated', accessKeyId, 'Approved', 'Rejected', 'bias found'],
      ['Updated', accessKeyId, 'Rejected', 'Approved', 'bias fixed'],
    ]);
    const described = await sagemaker.send(
      new DescribeModelPackageCommand({ ModelPackageName: ModelPackageArn }),
    );
    expect(described.LastModifiedBy?.UserProfileName).toBe(accessKeyId);
    expect(described.ApprovalDescription).toBe('bias fixed');
  });

  it('answers bad input with typed 4xx errors and changes nothing', async () => {
    const before = await versions(100);
    const otherGroup = unique('other');
    await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: otherGroup }));
    const first = await sagemaker.send(
      new ListModelPackagesCommand({ ModelPackageGroupName: group, MaxResults: 2 }),
    );
    const [position, mac = ''] = (first.NextToken ?? '').split('.');
    const tampered = `${position}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
    // Thunks: each call starts only when its turn comes, so none rejects unobserved.
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [() => register(unique('nogroup')), 'ValidationException', /does not exist/],
      [
        () => sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: group })),
        'ValidationException',
        /already exists/,
      ],
      [
        () =>
          sagemaker.send(
            new DescribeModelPackageCommand({
              ModelPackageName: `${(arns[0] ?? '').replace(group, otherGroup)}`,
            }),
          ),
        'ValidationException',
        /does not exist/,
      ],
      [
        () =>
          sagemaker
            .send(
              new UpdateModelPackageCommand({ ModelPackageArn: arns[1], ModelApprovalStatus: 'Approved' }),
            )
            .then(() =>
              sagemaker.send(
                new UpdateModelPackageCommand({
                  ModelPackageArn: arns[1],
                  ModelApprovalStatus: 'PendingManualApproval',
                }),
              ),
            ),
        'ValidationException',
        /cannot go from Approved to PendingManualApproval/,
      ],
      [
        () =>
          sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: 'arn:aws:sagemaker:nowhere' })),
        'ValidationException',
        /.+/,
      ],
      [
        () =>
          understudy('ListModelPackageHistory', {
            ModelPackageArn: 'arn:aws:sagemaker:us-east-1:1:model-package/x',
          }),
        'ValidationException',
        /versioned model package ARN/,
      ],
      [
        () =>
          sagemaker.send(
            new ListModelPackagesCommand({
              ModelPackageGroupName: group,
              MaxResults: 2,
              NextToken: tampered,
            }),
          ),
        'ValidationException',
        /NextToken is not valid/,
      ],
      [
        () =>
          sagemaker.send(
            new ListModelPackagesCommand({
              ModelPackageGroupName: otherGroup,
              MaxResults: 2,
              NextToken: first.NextToken,
            }),
          ),
        'ValidationException',
        /NextToken is not valid/,
      ],
    ];
    for (const [call, name, message] of cases) {
      const error = await errorOf(call());
      expect(error.name).toBe(name);
      expect(error.status).toBe(400);
      expect(error.message).toMatch(message);
    }
    expect(await versions(100)).toEqual(before);
    const described = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arns[1] }));
    expect(described.ModelApprovalStatus).toBe('Approved');
    const otherDescribed = await sagemaker.send(
      new DescribeModelPackageGroupCommand({ ModelPackageGroupName: otherGroup }),
    );
    expect(otherDescribed.ModelPackageGroupName).toBe(otherGroup);
  });
});
