/**
 * QueryLineage at depth 10 over a registry of 10,000 model packages, and TraceInference,
 * against DescribeModelPackage in the same run, on the in-memory registry store. Besides the
 * time, each operation's store reads are counted: on DynamoDB each is one GetItem or Query,
 * and a QueryLineage hop issues its Queries side by side, so its latency there is about
 * hops × one Query's round trip, whatever the registry's size.
 */
import { dispatch } from '../lambdas/control/control-plane.js';
import { RegistryCaptureIndex } from '../lambdas/domain/data-capture/capture-index.js';
import type { ControlContext } from '../lambdas/domain/kernel/context.js';
import {
  RecordExistsError,
  type RegistryStore,
  type StoredRecord,
  type StoreWrite,
  VersionConflictError,
} from '../lambdas/domain/kernel/store.js';
import { fixture, MemoryArtifactSource } from '../test/support/models.js';
import { measure, row } from './harness.js';

const PACKAGES = 10_000;
const GROUPS = 100;
/** Datasets derived one from another upstream of the deployed package's training data. */
const CHAIN = 8;

/**
 * An in-memory store whose key-prefix listing is a binary search in sorted ids, as a
 * DynamoDB Query on the sort key is (the unit tests' store filters every id of a collection,
 * which at 40,000 edges would measure itself rather than the lineage code).
 */
class SortedMemoryStore implements RegistryStore {
  private readonly collections = new Map<
    string,
    { records: Map<string, StoredRecord<unknown>>; ids: string[] }
  >();

  private of(name: string) {
    let c = this.collections.get(name);
    if (!c) {
      c = { records: new Map(), ids: [] };
      this.collections.set(name, c);
    }
    return c;
  }

  private static lowerBound(ids: readonly string[], key: string): number {
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ids[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async get<T>(collection: string, id: string) {
    const record = this.of(collection).records.get(id);
    return record ? (structuredClone(record) as StoredRecord<T>) : undefined;
  }

  async create<T>(collection: string, id: string, data: T) {
    const c = this.of(collection);
    if (c.records.has(id)) throw new RecordExistsError(collection, id);
    c.records.set(id, { data: structuredClone(data), version: 1 });
    c.ids.splice(SortedMemoryStore.lowerBound(c.ids, id), 0, id);
  }

  async replace<T>(collection: string, id: string, data: T, expectedVersion?: number) {
    const c = this.of(collection);
    const current = c.records.get(id);
    if (expectedVersion !== undefined && current?.version !== expectedVersion) {
      throw new VersionConflictError(collection, id);
    }
    if (!current) c.ids.splice(SortedMemoryStore.lowerBound(c.ids, id), 0, id);
    c.records.set(id, { data: structuredClone(data), version: (current?.version ?? 0) + 1 });
  }

  async delete(collection: string, id: string) {
    const c = this.of(collection);
    if (!c.records.delete(id)) return false;
    c.ids.splice(SortedMemoryStore.lowerBound(c.ids, id), 1);
    return true;
  }

  async list<T>(collection: string, idPrefix = '') {
    const c = this.of(collection);
    const out: T[] = [];
    for (let i = SortedMemoryStore.lowerBound(c.ids, idPrefix); i < c.ids.length; i++) {
      const id = c.ids[i] as string;
      if (!id.startsWith(idPrefix)) break;
      out.push(structuredClone(c.records.get(id)?.data) as T);
    }
    return out;
  }

  async transact(writes: readonly StoreWrite[]) {
    for (const w of writes) {
      const current = this.of(w.collection).records.get(w.id);
      const ok = w.kind === 'create' ? current === undefined : current?.version === w.expectedVersion;
      if (!ok) throw new VersionConflictError(w.collection, w.id);
    }
    for (const w of writes) {
      if (w.kind === 'delete') await this.delete(w.collection, w.id);
      else await this.replace(w.collection, w.id, w.data);
    }
  }

  async increment(collection: string, id: string) {
    const next = (((await this.get<number>(collection, id))?.data as number | undefined) ?? 0) + 1;
    await this.replace(collection, id, next);
    return next;
  }
}

/** Counts the store calls an operation makes (each is one DynamoDB request). */
class CountingStore implements RegistryStore {
  reads = 0;
  constructor(private readonly inner: RegistryStore) {}
  get: RegistryStore['get'] = (c, id) => {
    this.reads++;
    return this.inner.get(c, id);
  };
  list: RegistryStore['list'] = (c, prefix) => {
    this.reads++;
    return this.inner.list(c, prefix);
  };
  create: RegistryStore['create'] = (c, id, d) => this.inner.create(c, id, d);
  replace: RegistryStore['replace'] = (c, id, d, v) => this.inner.replace(c, id, d, v);
  delete: RegistryStore['delete'] = (c, id) => this.inner.delete(c, id);
  increment: RegistryStore['increment'] = (c, id, o) => this.inner.increment(c, id, o);
  transact: RegistryStore['transact'] = (writes) => this.inner.transact(writes);
}

export async function benchLineage(): Promise<void> {
  const store = new CountingStore(new SortedMemoryStore());
  const artifacts = new MemoryArtifactSource();
  const model = fixture('regressor.onnx');
  artifacts.register('regressor.onnx', 's3://bench');
  const ctx: ControlContext = {
    store,
    artifacts,
    // Registration loads each artifact as an ONNX session; 10,000 loads of one file measure nothing here.
    models: { check: async () => undefined },
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSBENCH', role: 'admin' },
    now: () => new Date('2026-11-25T12:00:00Z'),
  };
  const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

  const started = performance.now();
  for (let g = 0; g < GROUPS; g++) await call('CreateModelPackageGroup', { ModelPackageGroupName: `g${g}` });
  let deployedArn = '';
  for (let i = 0; i < PACKAGES; i++) {
    // Each version its own artifact (one model artifact vertex each), the same bytes.
    const uri = artifacts.put(`s3://bench/models/${i}.onnx`, model);
    const { ModelPackageArn } = await call('CreateModelPackage', {
      ModelPackageGroupName: `g${i % GROUPS}`,
      InferenceSpecification: { Containers: [{ Image: 'onnx', ModelDataUrl: uri }] },
      ModelApprovalStatus: 'Approved',
      CustomerMetadataProperties: { TrainingDataS3Uri: `s3://data/train-${i}.csv` },
    });
    if (i === PACKAGES / 2) deployedArn = ModelPackageArn as string;
  }
  // The deployed package's training data derives from a chain of datasets, deeper than 10 hops from the endpoint.
  let previous = (await call('ListArtifacts', { SourceUri: `s3://data/train-${PACKAGES / 2}.csv` }))
    .ArtifactSummaries as { ArtifactArn: string }[];
  for (let d = 0; d < CHAIN; d++) {
    const { ArtifactArn } = await call('CreateArtifact', {
      Source: { SourceUri: `s3://data/raw-${d}.csv` },
      ArtifactType: 'DataSet',
    });
    await call('AddAssociation', {
      SourceArn: ArtifactArn,
      DestinationArn: previous[0]?.ArtifactArn,
      AssociationType: 'DerivedFrom',
    });
    previous = [{ ArtifactArn: ArtifactArn as string }];
  }
  await call('CreateModel', { ModelName: 'deployed', PrimaryContainer: { ModelPackageName: deployedArn } });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'c1',
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'deployed' }],
  });
  await call('CreateEndpoint', { EndpointName: 'bench', EndpointConfigName: 'c1' });
  const endpointContext = (
    (await call('ListContexts', { ContextType: 'Endpoint' })).ContextSummaries as { ContextArn: string }[]
  )[0]?.ContextArn;
  const groupContext = `arn:aws:sagemaker:us-east-1:123456789012:context/g${(PACKAGES / 2) % GROUPS}-model-group`;
  await new RegistryCaptureIndex(store).record([
    {
      endpointName: 'bench',
      eventId: 'e-1',
      inferenceTime: '2026-11-25T12:00:00.000Z',
      variantName: 'AllTraffic',
      endpointConfigName: 'c1',
      captureUri: 's3://captures/bench/AllTraffic/2026/11/25/12/00-00-000-x.jsonl',
    },
  ]);
  console.log(
    `\nLineage over ${PACKAGES.toLocaleString('en')} model packages in ${GROUPS} groups, in-memory store (set up in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );

  const cases: [string, string, unknown][] = [
    ['DescribeModelPackage (baseline)', 'DescribeModelPackage', { ModelPackageName: deployedArn }],
    [
      'QueryLineage endpoint Ascendants depth 10',
      'QueryLineage',
      { StartArns: [endpointContext], Direction: 'Ascendants', MaxDepth: 10, IncludeEdges: true },
    ],
    [
      'QueryLineage endpoint Both depth 10, DataSet only',
      'QueryLineage',
      { StartArns: [endpointContext], Direction: 'Both', MaxDepth: 10, Filters: { Types: ['DataSet'] } },
    ],
    [
      `QueryLineage group context (${PACKAGES / GROUPS} packages) Ascendants depth 10`,
      'QueryLineage',
      { StartArns: [groupContext], Direction: 'Ascendants', MaxDepth: 10 },
    ],
    [
      'Understudy.TraceInference by EventId',
      'Understudy.TraceInference',
      { EndpointName: 'bench', EventId: 'e-1' },
    ],
  ];
  for (const [label, op, input] of cases) {
    const answer = await call(op, input);
    store.reads = 0;
    await call(op, input);
    const reads = store.reads;
    const s = await measure(() => call(op, input), 100);
    const vertices = Array.isArray(answer.Vertices) ? `, ${answer.Vertices.length} vertices` : '';
    console.log(`${row(label, s)}  ${reads} store reads${vertices}`);
  }
}
