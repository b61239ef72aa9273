import { createHash } from 'node:crypto';
import type { ControlContext } from '../kernel/context.js';
import { ResourceNotFound } from '../kernel/errors.js';
import type { StoredResource, Timestamp } from '../kernel/records.js';
import type { RegistryStore } from '../kernel/store.js';

/**
 * The lineage graph in the registry store, read without scans. Access patterns (the
 * DynamoDB adapter maps a collection to `pk` and an id to `sk`):
 *
 * | collection | id | written by | read by |
 * | --- | --- | --- | --- |
 * | `LineageArtifact` | artifact ARN | CreateArtifact, automatic lineage | DescribeArtifact, every vertex check; ListArtifacts (`SourceUri`: one get, the ARN is derived from it) |
 * | `LineageAction` | action ARN | CreateAction, automatic lineage | DescribeAction, vertex checks, ListActions |
 * | `LineageContext` | context ARN | CreateContext, automatic lineage | DescribeContext, vertex checks, ListContexts |
 * | `LineageEdgeOut` | `{SourceArn}#{DestinationArn}` | AddAssociation | descendants of a vertex (Query `begins_with(sk, "{arn}#")`), ListAssociations by SourceArn |
 * | `LineageEdgeIn` | `{DestinationArn}#{SourceArn}` | AddAssociation | ascendants of a vertex (Query `begins_with`), ListAssociations by DestinationArn |
 *
 * Each association is stored twice, once under each end, and carries both ends' types and
 * names, so a QueryLineage hop is one Query per vertex of the frontier and reads no vertex
 * record (unless Filters ask for creation times or properties). ARNs never contain `#`, so
 * `{arn}#` prefixes never match another vertex.
 */
export const LINEAGE = {
  artifact: 'LineageArtifact',
  action: 'LineageAction',
  context: 'LineageContext',
  edgeOut: 'LineageEdgeOut',
  edgeIn: 'LineageEdgeIn',
} as const;

export type LineageType = 'Artifact' | 'Action' | 'Context';
export type AssociationType = 'ContributedTo' | 'AssociatedWith' | 'DerivedFrom' | 'Produced' | 'SameAs';

/** What the graph knows of any vertex, whatever its kind. */
export interface VertexInternal {
  readonly lineageType: LineageType;
  /** ArtifactType, ActionType or ContextType. */
  readonly type: string;
  readonly name?: string;
  readonly sourceUri: string;
}

/** A stored artifact, action or context: its Describe view plus the graph's own fields. */
export type VertexRecord = StoredResource<
  {
    CreationTime: Timestamp;
    LastModifiedTime: Timestamp;
    Properties?: Record<string, string>;
    [field: string]: unknown;
  },
  VertexInternal
>;

/** One association, as both edge collections store it. */
export interface EdgeRecord {
  SourceArn: string;
  DestinationArn: string;
  AssociationType?: AssociationType;
  SourceType: string;
  DestinationType: string;
  SourceLineageType: LineageType;
  DestinationLineageType: LineageType;
  SourceName?: string;
  DestinationName?: string;
  CreationTime: Timestamp;
  CreatedBy: { UserProfileName: string };
}

const KIND: Record<string, { collection: string; lineageType: LineageType }> = {
  artifact: { collection: LINEAGE.artifact, lineageType: 'Artifact' },
  action: { collection: LINEAGE.action, lineageType: 'Action' },
  context: { collection: LINEAGE.context, lineageType: 'Context' },
};

/** The collection an ARN's vertex lives in, from its resource type; undefined for other ARNs. */
export function collectionOf(arn: string): string | undefined {
  const resource = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:\d{12}:([a-z-]+)\//.exec(arn)?.[1];
  return resource === undefined ? undefined : KIND[resource]?.collection;
}

/**
 * An artifact's ARN, derived from its SourceUri: SageMaker keeps one artifact per SourceUri,
 * and a derived id makes that a conditional write and a lookup by URI a single get.
 */
export function artifactArn(ctx: Pick<ControlContext, 'region' | 'accountId'>, sourceUri: string): string {
  const id = createHash('sha256').update(sourceUri).digest('hex').slice(0, 32);
  return `arn:aws:sagemaker:${ctx.region}:${ctx.accountId}:artifact/${id}`;
}

export async function findVertex(store: RegistryStore, arn: string): Promise<VertexRecord | undefined> {
  const collection = collectionOf(arn);
  if (!collection) return undefined;
  return (await store.get<VertexRecord>(collection, arn))?.data;
}

/** The vertex, or SageMaker's ResourceNotFound naming the ARN. */
export async function getVertex(store: RegistryStore, arn: string): Promise<VertexRecord> {
  const vertex = await findVertex(store, arn);
  if (!vertex) {
    throw new ResourceNotFound(
      collectionOf(arn)
        ? `Lineage entity ${arn} does not exist.`
        : `${arn} is not the ARN of an artifact, action or context: Understudy tracks lineage between those.`,
    );
  }
  return vertex;
}

export const edgeOutId = (source: string, destination: string) => `${source}#${destination}`;
export const edgeInId = (destination: string, source: string) => `${destination}#${source}`;

/** Associations whose source is `arn` (its descendants, one hop). */
export function edgesFrom(store: RegistryStore, arn: string): Promise<EdgeRecord[]> {
  return store.list<EdgeRecord>(LINEAGE.edgeOut, `${arn}#`);
}

/** Associations whose destination is `arn` (its ascendants, one hop). */
export function edgesTo(store: RegistryStore, arn: string): Promise<EdgeRecord[]> {
  return store.list<EdgeRecord>(LINEAGE.edgeIn, `${arn}#`);
}

/** Removes both copies of an association; returns whether it existed. */
export async function removeEdge(
  store: RegistryStore,
  source: string,
  destination: string,
): Promise<boolean> {
  const [out, into] = await Promise.all([
    store.delete(LINEAGE.edgeOut, edgeOutId(source, destination)),
    store.delete(LINEAGE.edgeIn, edgeInId(destination, source)),
  ]);
  return out || into;
}
