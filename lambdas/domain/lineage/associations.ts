import { type ControlContext, epochSeconds, page, userContext } from '../kernel/context.js';
import { ResourceNotFound, ValidationException } from '../kernel/errors.js';
import { RecordExistsError, type RegistryStore } from '../kernel/store.js';
import {
  type AssociationType,
  type EdgeRecord,
  edgeInId,
  edgeOutId,
  edgesFrom,
  edgesTo,
  getVertex,
  LINEAGE,
  removeEdge,
} from './graph.js';

/**
 * Associations: directed edges between artifacts, actions and contexts. Both ends must exist
 * (ResourceNotFound otherwise, nothing written); adding an association that exists already
 * changes nothing, as SageMaker's AddAssociation is idempotent.
 */
export async function addAssociation(
  ctx: ControlContext,
  input: { SourceArn: string; DestinationArn: string; AssociationType?: AssociationType },
) {
  if (input.SourceArn === input.DestinationArn) {
    throw new ValidationException(`An entity cannot be associated with itself (${input.SourceArn}).`);
  }
  const [source, destination] = await Promise.all([
    getVertex(ctx.store, input.SourceArn),
    getVertex(ctx.store, input.DestinationArn),
  ]);
  const edge: EdgeRecord = {
    SourceArn: input.SourceArn,
    DestinationArn: input.DestinationArn,
    ...(input.AssociationType ? { AssociationType: input.AssociationType } : {}),
    SourceType: source.internal.type,
    DestinationType: destination.internal.type,
    SourceLineageType: source.internal.lineageType,
    DestinationLineageType: destination.internal.lineageType,
    ...(source.internal.name ? { SourceName: source.internal.name } : {}),
    ...(destination.internal.name ? { DestinationName: destination.internal.name } : {}),
    CreationTime: epochSeconds(ctx.now()),
    CreatedBy: userContext(ctx),
  };
  await writeEdge(ctx.store, edge);
  return { SourceArn: input.SourceArn, DestinationArn: input.DestinationArn };
}

/**
 * Writes both copies of an edge, each only if absent: a retried AddAssociation completes a
 * half-written one and never changes an existing one's type or time.
 */
async function writeEdge(store: RegistryStore, edge: EdgeRecord): Promise<void> {
  const absent = async (collection: string, id: string) => {
    if ((await store.get(collection, id)) === undefined) {
      await store.create(collection, id, edge).catch((error: unknown) => {
        if (!(error instanceof RecordExistsError)) throw error;
      });
    }
  };
  await Promise.all([
    absent(LINEAGE.edgeOut, edgeOutId(edge.SourceArn, edge.DestinationArn)),
    absent(LINEAGE.edgeIn, edgeInId(edge.DestinationArn, edge.SourceArn)),
  ]);
}

export async function deleteAssociation(
  ctx: ControlContext,
  input: { SourceArn: string; DestinationArn: string },
) {
  if (!(await removeEdge(ctx.store, input.SourceArn, input.DestinationArn))) {
    throw new ResourceNotFound(`No association from ${input.SourceArn} to ${input.DestinationArn}.`);
  }
  return { SourceArn: input.SourceArn, DestinationArn: input.DestinationArn };
}

type SortAssociationsBy = 'SourceArn' | 'DestinationArn' | 'SourceType' | 'DestinationType' | 'CreationTime';

export interface ListAssociationsInput {
  SourceArn?: string;
  DestinationArn?: string;
  SourceType?: string;
  DestinationType?: string;
  AssociationType?: AssociationType;
  CreatedAfter?: number | string;
  CreatedBefore?: number | string;
  SortBy?: SortAssociationsBy;
  SortOrder?: 'Ascending' | 'Descending';
  MaxResults?: number;
  NextToken?: string;
}

const byField =
  (field: 'SourceArn' | 'DestinationArn' | 'SourceType' | 'DestinationType') =>
  (a: EdgeRecord, b: EdgeRecord) =>
    a[field].localeCompare(b[field]);

/**
 * ListAssociations. With SourceArn or DestinationArn it reads one vertex's edges (a Query
 * by key prefix); without either, every association. A type filter matches an end's type
 * (`Model`, `ModelDeployment`) or its lineage type (`Artifact`, `Action`, `Context`): the
 * SageMaker Python SDK passes either.
 */
export async function listAssociations(ctx: ControlContext, input: ListAssociationsInput) {
  const edges = input.SourceArn
    ? (await edgesFrom(ctx.store, input.SourceArn)).filter(
        (e) => !input.DestinationArn || e.DestinationArn === input.DestinationArn,
      )
    : input.DestinationArn
      ? await edgesTo(ctx.store, input.DestinationArn)
      : await ctx.store.list<EdgeRecord>(LINEAGE.edgeOut);
  const matching = edges.filter(
    (e) =>
      (!input.SourceType || input.SourceType === e.SourceType || input.SourceType === e.SourceLineageType) &&
      (!input.DestinationType ||
        input.DestinationType === e.DestinationType ||
        input.DestinationType === e.DestinationLineageType) &&
      (!input.AssociationType || input.AssociationType === e.AssociationType),
  );
  const { items, NextToken } = page(
    matching,
    {
      CreationTimeAfter: input.CreatedAfter,
      CreationTimeBefore: input.CreatedBefore,
      SortBy: input.SortBy,
      SortOrder: input.SortOrder,
      MaxResults: input.MaxResults,
      NextToken: input.NextToken,
    },
    (e) => e.SourceArn,
    {
      keys: {
        SourceArn: byField('SourceArn'),
        DestinationArn: byField('DestinationArn'),
        SourceType: byField('SourceType'),
        DestinationType: byField('DestinationType'),
      },
    },
  );
  return {
    AssociationSummaries: items.map((e) => ({
      SourceArn: e.SourceArn,
      DestinationArn: e.DestinationArn,
      SourceType: e.SourceType,
      DestinationType: e.DestinationType,
      AssociationType: e.AssociationType,
      SourceName: e.SourceName,
      DestinationName: e.DestinationName,
      CreationTime: e.CreationTime,
      CreatedBy: e.CreatedBy,
    })),
    NextToken,
  };
}
