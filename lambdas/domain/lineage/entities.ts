import { arn, type ControlContext, epochSeconds, page, userContext, view } from '../kernel/context.js';
import { ResourceNotFound, ValidationException } from '../kernel/errors.js';
import type { Timestamp } from '../kernel/records.js';
import { RecordExistsError } from '../kernel/store.js';
import {
  artifactArn,
  edgesFrom,
  edgesTo,
  findVertex,
  getVertex,
  LINEAGE,
  type LineageType,
  removeEdge,
  type VertexRecord,
} from './graph.js';

/**
 * SageMaker's lineage entities: artifacts (URI-addressable things: datasets, models, images),
 * actions (something done: a deployment, an approval) and contexts (a logical grouping: an
 * endpoint, a model package group). CreateArtifact with a SourceUri that already has an
 * artifact of the same type answers that artifact, as SageMaker reuses entities.
 */

interface ListLineageRequest {
  SourceUri?: string;
  CreatedAfter?: number | string;
  CreatedBefore?: number | string;
  SortBy?: 'Name' | 'CreationTime';
  SortOrder?: 'Ascending' | 'Descending';
  MaxResults?: number;
  NextToken?: string;
}

interface Source {
  SourceUri: string;
  SourceType?: string;
  SourceId?: string;
  SourceTypes?: { SourceIdType: string; Value: string }[];
}

function newRecord(
  ctx: ControlContext,
  lineageType: LineageType,
  fields: {
    arnField: string;
    arn: string;
    nameField: string;
    name?: string;
    typeField: string;
    type: string;
  },
  rest: Record<string, unknown>,
  source: Source,
): VertexRecord {
  const now = epochSeconds(ctx.now());
  return {
    [fields.nameField]: fields.name,
    [fields.arnField]: fields.arn,
    Source: source,
    [fields.typeField]: fields.type,
    ...rest,
    CreationTime: now,
    CreatedBy: userContext(ctx),
    LastModifiedTime: now,
    LastModifiedBy: userContext(ctx),
    internal: { lineageType, type: fields.type, name: fields.name, sourceUri: source.SourceUri },
  };
}

/** Records a vertex; a second one under the same ARN is SageMaker's ValidationException. */
async function createVertex(ctx: ControlContext, collection: string, id: string, record: VertexRecord) {
  try {
    await ctx.store.create(collection, id, record);
  } catch (error) {
    if (error instanceof RecordExistsError) throw new ValidationException(`${id} already exists.`);
    throw error;
  }
}

function describe(record: VertexRecord) {
  return view(record);
}

function listed<T extends { CreationTime: Timestamp; internal: { name?: string } }>(
  records: T[],
  input: ListLineageRequest,
) {
  return page(
    records,
    {
      CreationTimeAfter: input.CreatedAfter,
      CreationTimeBefore: input.CreatedBefore,
      SortBy: input.SortBy,
      SortOrder: input.SortOrder,
      MaxResults: input.MaxResults,
      NextToken: input.NextToken,
    },
    (r) => r.internal.name ?? '',
  );
}

// Artifacts ---------------------------------------------------------------------------------

export interface CreateArtifactInput {
  ArtifactName?: string;
  Source: Source;
  ArtifactType: string;
  Properties?: Record<string, string>;
  MetadataProperties?: unknown;
  Tags?: unknown[];
}

export async function createArtifact(ctx: ControlContext, input: CreateArtifactInput) {
  const id = artifactArn(ctx, input.Source.SourceUri);
  const existing = await ctx.store.get<VertexRecord>(LINEAGE.artifact, id);
  if (existing) return reuseArtifact(existing.data, input);
  const record = newRecord(
    ctx,
    'Artifact',
    {
      arnField: 'ArtifactArn',
      arn: id,
      nameField: 'ArtifactName',
      name: input.ArtifactName,
      typeField: 'ArtifactType',
      type: input.ArtifactType,
    },
    { Properties: input.Properties, MetadataProperties: input.MetadataProperties },
    input.Source,
  );
  try {
    await ctx.store.create(LINEAGE.artifact, id, record);
  } catch (error) {
    if (!(error instanceof RecordExistsError)) throw error;
    // Created concurrently for the same SourceUri: that one is the artifact.
    return reuseArtifact((await getVertex(ctx.store, id)) as VertexRecord, input);
  }
  return { ArtifactArn: id };
}

function reuseArtifact(existing: VertexRecord, input: CreateArtifactInput) {
  if (existing.internal.type !== input.ArtifactType) {
    throw new ValidationException(
      `Artifact ${existing.ArtifactArn as string} already tracks SourceUri ${input.Source.SourceUri} as ArtifactType ${existing.internal.type}; there is one artifact per SourceUri.`,
    );
  }
  return { ArtifactArn: existing.ArtifactArn as string };
}

export async function describeArtifact(ctx: ControlContext, input: { ArtifactArn: string }) {
  return describe(await getKind(ctx, input.ArtifactArn, 'Artifact'));
}

export async function listArtifacts(
  ctx: ControlContext,
  input: ListLineageRequest & { ArtifactType?: string },
) {
  const records = input.SourceUri
    ? [(await ctx.store.get<VertexRecord>(LINEAGE.artifact, artifactArn(ctx, input.SourceUri)))?.data].filter(
        (r): r is VertexRecord => r !== undefined,
      )
    : await ctx.store.list<VertexRecord>(LINEAGE.artifact);
  const { items, NextToken } = listed(
    records.filter((r) => !input.ArtifactType || r.internal.type === input.ArtifactType),
    input,
  );
  return {
    ArtifactSummaries: items.map((r) => ({
      ArtifactArn: r.ArtifactArn,
      ArtifactName: r.ArtifactName,
      Source: r.Source,
      ArtifactType: r.ArtifactType,
      CreationTime: r.CreationTime,
      LastModifiedTime: r.LastModifiedTime,
    })),
    NextToken,
  };
}

/** Deletes an artifact (by ARN or by its Source) and every association that names it. */
export async function deleteArtifact(ctx: ControlContext, input: { ArtifactArn?: string; Source?: Source }) {
  const id = input.ArtifactArn ?? (input.Source ? artifactArn(ctx, input.Source.SourceUri) : undefined);
  if (!id) throw new ValidationException('DeleteArtifact needs an ArtifactArn or a Source.');
  await getKind(ctx, id, 'Artifact');
  await deleteVertexEdges(ctx, id);
  await ctx.store.delete(LINEAGE.artifact, id);
  return { ArtifactArn: id };
}

async function deleteVertexEdges(ctx: ControlContext, id: string): Promise<void> {
  const [out, into] = await Promise.all([edgesFrom(ctx.store, id), edgesTo(ctx.store, id)]);
  await Promise.all([
    ...out.map((e) => removeEdge(ctx.store, e.SourceArn, e.DestinationArn)),
    ...into.map((e) => removeEdge(ctx.store, e.SourceArn, e.DestinationArn)),
  ]);
}

async function getKind(ctx: ControlContext, id: string, kind: LineageType): Promise<VertexRecord> {
  const record = await getVertex(ctx.store, id);
  if (record.internal.lineageType !== kind) throw new ResourceNotFound(`${kind} ${id} does not exist.`);
  return record;
}

/** A name or ARN of an action or context, as its ARN. */
function arnOf(ctx: ControlContext, resource: 'action' | 'context', nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : arn(ctx, resource, nameOrArn);
}

// Actions -----------------------------------------------------------------------------------

export interface CreateActionInput {
  ActionName: string;
  Source: Source;
  ActionType: string;
  Description?: string;
  Status?: string;
  Properties?: Record<string, string>;
  MetadataProperties?: unknown;
  Tags?: unknown[];
}

export async function createAction(ctx: ControlContext, input: CreateActionInput) {
  const id = arn(ctx, 'action', input.ActionName);
  const record = newRecord(
    ctx,
    'Action',
    {
      arnField: 'ActionArn',
      arn: id,
      nameField: 'ActionName',
      name: input.ActionName,
      typeField: 'ActionType',
      type: input.ActionType,
    },
    {
      Description: input.Description,
      Status: input.Status,
      Properties: input.Properties,
      MetadataProperties: input.MetadataProperties,
    },
    input.Source,
  );
  await createVertex(ctx, LINEAGE.action, id, record);
  return { ActionArn: id };
}

export async function describeAction(ctx: ControlContext, input: { ActionName: string }) {
  return describe(await getKind(ctx, arnOf(ctx, 'action', input.ActionName), 'Action'));
}

export async function listActions(ctx: ControlContext, input: ListLineageRequest & { ActionType?: string }) {
  const records = (await ctx.store.list<VertexRecord>(LINEAGE.action)).filter(
    (r) =>
      (!input.ActionType || r.internal.type === input.ActionType) &&
      (!input.SourceUri || r.internal.sourceUri === input.SourceUri),
  );
  const { items, NextToken } = listed(records, input);
  return {
    ActionSummaries: items.map((r) => ({
      ActionArn: r.ActionArn,
      ActionName: r.ActionName,
      Source: r.Source,
      ActionType: r.ActionType,
      Status: r.Status,
      CreationTime: r.CreationTime,
      LastModifiedTime: r.LastModifiedTime,
    })),
    NextToken,
  };
}

// Contexts ----------------------------------------------------------------------------------

export interface CreateContextInput {
  ContextName: string;
  Source: Source;
  ContextType: string;
  Description?: string;
  Properties?: Record<string, string>;
  Tags?: unknown[];
}

export async function createContext(ctx: ControlContext, input: CreateContextInput) {
  const id = arn(ctx, 'context', input.ContextName);
  const record = newRecord(
    ctx,
    'Context',
    {
      arnField: 'ContextArn',
      arn: id,
      nameField: 'ContextName',
      name: input.ContextName,
      typeField: 'ContextType',
      type: input.ContextType,
    },
    { Description: input.Description, Properties: input.Properties },
    input.Source,
  );
  await createVertex(ctx, LINEAGE.context, id, record);
  return { ContextArn: id };
}

export async function describeContext(ctx: ControlContext, input: { ContextName: string }) {
  return describe(await getKind(ctx, arnOf(ctx, 'context', input.ContextName), 'Context'));
}

export async function listContexts(
  ctx: ControlContext,
  input: ListLineageRequest & { ContextType?: string },
) {
  const records = (await ctx.store.list<VertexRecord>(LINEAGE.context)).filter(
    (r) =>
      (!input.ContextType || r.internal.type === input.ContextType) &&
      (!input.SourceUri || r.internal.sourceUri === input.SourceUri),
  );
  const { items, NextToken } = listed(records, input);
  return {
    ContextSummaries: items.map((r) => ({
      ContextArn: r.ContextArn,
      ContextName: r.ContextName,
      Source: r.Source,
      ContextType: r.ContextType,
      CreationTime: r.CreationTime,
      LastModifiedTime: r.LastModifiedTime,
    })),
    NextToken,
  };
}

/**
 * Creates a vertex unless one with its ARN exists: automatic lineage runs after the resource
 * it describes was created, and may run again for the same resource (a retried request).
 */
export async function ensureVertex(ctx: ControlContext, id: string, create: () => Promise<unknown>) {
  if ((await findVertex(ctx.store, id)) !== undefined) return id;
  try {
    await create();
  } catch (error) {
    // A concurrent creation of the same vertex is as good as ours.
    if (!(error instanceof ValidationException) || (await findVertex(ctx.store, id)) === undefined)
      throw error;
  }
  return id;
}
