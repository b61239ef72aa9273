import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { MemoryArtifactSource } from '../support/models.js';

/** Reachability computed with networkx by scripts/fixtures/lineage-reference.py. */
const reference = JSON.parse(
  readFileSync(
    path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'lineage', 'reference.json'),
    'utf8',
  ),
) as {
  vertices: { id: string; lineage_type: 'Artifact' | 'Action' | 'Context'; type: string }[];
  edges: { source: string; destination: string; association: string }[];
  queries: {
    start: string;
    depth: number;
    direction: string;
    vertices: string[];
    edges: [string, string][];
  }[];
};

let ctx: ControlContext;
let store: InMemoryRegistryStore;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

beforeEach(() => {
  store = new InMemoryRegistryStore();
  ctx = {
    store,
    artifacts: new MemoryArtifactSource(),
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => new Date('2026-11-25T12:00:00Z'),
  };
});

async function createVertex(v: { id: string; lineage_type: string; type: string }): Promise<string> {
  const source = { SourceUri: `s3://lineage/${v.id}` };
  switch (v.lineage_type) {
    case 'Artifact':
      return (await call('CreateArtifact', { ArtifactName: v.id, Source: source, ArtifactType: v.type }))
        .ArtifactArn as string;
    case 'Action':
      return (await call('CreateAction', { ActionName: v.id, Source: source, ActionType: v.type }))
        .ActionArn as string;
    default:
      return (await call('CreateContext', { ContextName: v.id, Source: source, ContextType: v.type }))
        .ContextArn as string;
  }
}

describe('QueryLineage against networkx', () => {
  it('reaches exactly the reference vertices and walks the reference edges, in every direction and depth', async () => {
    const arns = new Map<string, string>();
    for (const v of reference.vertices) arns.set(v.id, await createVertex(v));
    const ids = new Map([...arns].map(([id, arn]) => [arn, id]));
    for (const e of reference.edges) {
      await call('AddAssociation', {
        SourceArn: arns.get(e.source),
        DestinationArn: arns.get(e.destination),
        AssociationType: e.association,
      });
    }
    const types = new Map(reference.vertices.map((v) => [v.id, v]));
    for (const q of reference.queries) {
      const answer = (await call('QueryLineage', {
        StartArns: [arns.get(q.start)],
        Direction: q.direction,
        MaxDepth: q.depth,
        IncludeEdges: true,
      })) as {
        Vertices: { Arn: string; Type: string; LineageType: string }[];
        Edges: { SourceArn: string; DestinationArn: string; AssociationType: string }[];
      };
      const label = `${q.direction} from ${q.start} at depth ${q.depth}`;
      expect(answer.Vertices.map((v) => ids.get(v.Arn)).sort(), label).toEqual(q.vertices);
      expect(
        answer.Edges.map((e) => [ids.get(e.SourceArn), ids.get(e.DestinationArn)]).sort(),
        label,
      ).toEqual(q.edges.map((e) => [...e]).sort());
      for (const v of answer.Vertices) {
        const expected = types.get(ids.get(v.Arn) as string);
        expect({ Type: v.Type, LineageType: v.LineageType }).toEqual({
          Type: expected?.type,
          LineageType: expected?.lineage_type,
        });
      }
    }
  });
});

describe('lineage entities', () => {
  it('keeps one artifact per SourceUri and describes it as SageMaker does', async () => {
    const source = {
      SourceUri: 's3://data/train.csv',
      SourceTypes: [{ SourceIdType: 'Custom', Value: 'v1' }],
    };
    const first = await call('CreateArtifact', {
      ArtifactName: 'train',
      Source: source,
      ArtifactType: 'DataSet',
    });
    const again = await call('CreateArtifact', { Source: source, ArtifactType: 'DataSet' });
    expect(again.ArtifactArn).toBe(first.ArtifactArn);
    expect(first.ArtifactArn).toMatch(/^arn:aws:sagemaker:us-east-1:123456789012:artifact\/[0-9a-f]{32}$/);
    const other = await errorOf(call('CreateArtifact', { Source: source, ArtifactType: 'Model' }));
    expect(other.type).toBe('ValidationException');
    expect(await call('DescribeArtifact', { ArtifactArn: first.ArtifactArn })).toMatchObject({
      ArtifactName: 'train',
      ArtifactArn: first.ArtifactArn,
      Source: source,
      ArtifactType: 'DataSet',
      CreatedBy: { UserProfileName: 'AKUSTEST' },
    });
    const listed = await call('ListArtifacts', { SourceUri: 's3://data/train.csv' });
    expect(listed.ArtifactSummaries).toHaveLength(1);
    expect((await call('ListArtifacts', { ArtifactType: 'Model' })).ArtifactSummaries).toEqual([]);
  });

  it('creates, describes and lists actions and contexts by name or ARN', async () => {
    const { ActionArn } = await call('CreateAction', {
      ActionName: 'deploy-1',
      Source: { SourceUri: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/e' },
      ActionType: 'ModelDeployment',
      Status: 'Completed',
    });
    const { ContextArn } = await call('CreateContext', {
      ContextName: 'Endpoint-e',
      Source: { SourceUri: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/e' },
      ContextType: 'Endpoint',
    });
    expect(ActionArn).toBe('arn:aws:sagemaker:us-east-1:123456789012:action/deploy-1');
    expect(await call('DescribeAction', { ActionName: 'deploy-1' })).toMatchObject({
      ActionType: 'ModelDeployment',
    });
    expect(await call('DescribeAction', { ActionName: ActionArn })).toMatchObject({ Status: 'Completed' });
    expect(await call('DescribeContext', { ContextName: ContextArn })).toMatchObject({
      ContextName: 'Endpoint-e',
    });
    expect((await call('ListContexts', { ContextType: 'Endpoint' })).ContextSummaries).toHaveLength(1);
    expect((await call('ListActions', { SourceUri: 'nope' })).ActionSummaries).toEqual([]);
    const duplicate = await errorOf(
      call('CreateContext', {
        ContextName: 'endpoint-E',
        Source: { SourceUri: 'x' },
        ContextType: 'Endpoint',
      }),
    );
    expect(duplicate.type).toBe('ValidationException');
    expect((await errorOf(call('DescribeContext', { ContextName: 'missing' }))).type).toBe(
      'ResourceNotFound',
    );
  });
});

describe('associations', () => {
  async function pair() {
    const a = (await call('CreateArtifact', { Source: { SourceUri: 's3://d/a' }, ArtifactType: 'DataSet' }))
      .ArtifactArn as string;
    const b = (await call('CreateArtifact', { Source: { SourceUri: 's3://d/b' }, ArtifactType: 'Model' }))
      .ArtifactArn as string;
    return { a, b };
  }

  it('adds, lists by either end and type, and deletes associations', async () => {
    const { a, b } = await pair();
    await call('AddAssociation', { SourceArn: a, DestinationArn: b, AssociationType: 'ContributedTo' });
    await call('AddAssociation', { SourceArn: a, DestinationArn: b, AssociationType: 'ContributedTo' });
    const bySource = await call('ListAssociations', { SourceArn: a });
    expect(bySource.AssociationSummaries).toEqual([
      expect.objectContaining({
        SourceArn: a,
        DestinationArn: b,
        SourceType: 'DataSet',
        DestinationType: 'Model',
        AssociationType: 'ContributedTo',
      }),
    ]);
    expect(
      (await call('ListAssociations', { DestinationArn: b, SourceType: 'DataSet' })).AssociationSummaries,
    ).toHaveLength(1);
    expect(
      (await call('ListAssociations', { DestinationType: 'Artifact' })).AssociationSummaries,
    ).toHaveLength(1);
    expect((await call('ListAssociations', { AssociationType: 'Produced' })).AssociationSummaries).toEqual(
      [],
    );
    await call('DeleteAssociation', { SourceArn: a, DestinationArn: b });
    expect((await call('ListAssociations', {})).AssociationSummaries).toEqual([]);
    expect((await errorOf(call('DeleteAssociation', { SourceArn: a, DestinationArn: b }))).type).toBe(
      'ResourceNotFound',
    );
  });

  it('deleting an artifact removes its associations in both directions', async () => {
    const { a, b } = await pair();
    await call('AddAssociation', { SourceArn: a, DestinationArn: b });
    await call('DeleteArtifact', { ArtifactArn: b });
    expect((await call('QueryLineage', { StartArns: [a] })).Vertices).toEqual([]);
    expect((await call('ListAssociations', {})).AssociationSummaries).toEqual([]);
  });

  it('refuses an unknown ARN, a malformed ARN and MaxDepth 11 with typed errors, writing nothing', async () => {
    const { a } = await pair();
    const before = JSON.stringify(await call('ListAssociations', {}));
    const unknown = await errorOf(
      call('AddAssociation', {
        SourceArn: a,
        DestinationArn: 'arn:aws:sagemaker:us-east-1:123456789012:artifact/0123456789abcdef0123456789abcdef',
      }),
    );
    expect(unknown).toMatchObject({ type: 'ResourceNotFound', statusCode: 400 });
    const malformed = await errorOf(call('AddAssociation', { SourceArn: a, DestinationArn: 'not-an-arn' }));
    expect(malformed).toMatchObject({ type: 'ValidationException', statusCode: 400 });
    const deep = await errorOf(call('QueryLineage', { StartArns: [a], MaxDepth: 11 }));
    expect(deep).toMatchObject({ type: 'ValidationException', statusCode: 400 });
    expect(JSON.stringify(await call('ListAssociations', {}))).toBe(before);
    const missingStart = await errorOf(
      call('QueryLineage', {
        StartArns: ['arn:aws:sagemaker:us-east-1:123456789012:context/nothing-here'],
      }),
    );
    expect(missingStart.type).toBe('ResourceNotFound');
  });

  it('answers Edges even when not asked for them, and filters vertices without cutting the walk', async () => {
    const { a, b } = await pair();
    const c = (await call('CreateArtifact', { Source: { SourceUri: 's3://d/c' }, ArtifactType: 'DataSet' }))
      .ArtifactArn as string;
    await call('AddAssociation', { SourceArn: a, DestinationArn: b });
    await call('AddAssociation', { SourceArn: b, DestinationArn: c });
    const answer = await call('QueryLineage', {
      StartArns: [a],
      Direction: 'Descendants',
      IncludeEdges: false,
      Filters: { Types: ['DataSet'] },
    });
    expect(answer).toEqual({ Vertices: [{ Arn: c, Type: 'DataSet', LineageType: 'Artifact' }], Edges: [] });
    const paged = await call('QueryLineage', { StartArns: [a], Direction: 'Descendants', MaxResults: 1 });
    expect(paged.Vertices).toHaveLength(1);
    const rest = await call('QueryLineage', {
      StartArns: [a],
      Direction: 'Descendants',
      MaxResults: 1,
      NextToken: paged.NextToken,
    });
    expect(rest.Vertices).toHaveLength(1);
    expect(rest).not.toHaveProperty('NextToken');
  });
});
