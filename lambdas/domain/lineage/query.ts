import { type ControlContext, decodeToken, encodeToken, toEpoch } from '../kernel/context.js';
import type { RegistryStore } from '../kernel/store.js';
import { type EdgeRecord, edgesFrom, edgesTo, findVertex, getVertex, type LineageType } from './graph.js';

export type Direction = 'Ascendants' | 'Descendants' | 'Both';

export interface QueryLineageInput {
  StartArns?: string[];
  Direction?: Direction;
  IncludeEdges?: boolean;
  Filters?: {
    Types?: string[];
    LineageTypes?: LineageType[];
    CreatedBefore?: number | string;
    CreatedAfter?: number | string;
    ModifiedBefore?: number | string;
    ModifiedAfter?: number | string;
    Properties?: Record<string, string>;
  };
  MaxDepth?: number;
  MaxResults?: number;
  NextToken?: string;
}

export interface Vertex {
  Arn: string;
  Type: string;
  LineageType: LineageType;
}

export interface Edge {
  SourceArn: string;
  DestinationArn: string;
  AssociationType?: string;
}

/** SageMaker's default and largest MaxDepth. */
export const MAX_DEPTH = 10;
/** Vertices whose edges are read at once during a hop: bounded so a wide frontier does not flood the table. */
const HOP_CONCURRENCY = 16;

/**
 * QueryLineage: the vertices reachable from the start ARN within MaxDepth hops, upstream
 * (Ascendants: against the edges), downstream (Descendants) or both (the union of the two;
 * a walk never turns round, so "Both" from a model does not wander into its siblings through
 * a shared context). Filters choose which vertices are returned, not which are walked
 * through. `Edges` is always present, empty when IncludeEdges is false: the SageMaker Python
 * SDK reads it unconditionally. Each hop reads one key prefix per frontier vertex; nothing
 * scans the table.
 */
export async function queryLineage(ctx: ControlContext, input: QueryLineageInput) {
  const starts = input.StartArns ?? [];
  await Promise.all(starts.map((arn) => getVertex(ctx.store, arn)));
  const depth = input.MaxDepth ?? MAX_DEPTH;
  const direction = input.Direction ?? 'Both';
  const walks: ('Ascendants' | 'Descendants')[] =
    direction === 'Both' ? ['Ascendants', 'Descendants'] : [direction];
  const vertices = new Map<string, Vertex>();
  const edges = new Map<string, Edge>();
  for (const walk of walks) {
    const reached = await traverse(ctx.store, starts, walk, depth);
    for (const [arn, vertex] of reached.vertices) vertices.set(arn, vertex);
    for (const [id, edge] of reached.edges) edges.set(id, edge);
  }
  for (const arn of starts) vertices.delete(arn);
  const kept = await filterVertices(ctx.store, [...vertices.values()], input.Filters);
  const start = decodeToken(input.NextToken);
  const size = input.MaxResults ?? kept.length;
  const pageVertices = kept.slice(start, start + size);
  const next = start + size < kept.length ? encodeToken(start + size) : undefined;
  return {
    Vertices: pageVertices,
    Edges: input.IncludeEdges === false ? [] : [...edges.values()],
    ...(next ? { NextToken: next } : {}),
  };
}

async function traverse(
  store: RegistryStore,
  starts: readonly string[],
  direction: 'Ascendants' | 'Descendants',
  maxDepth: number,
): Promise<{ vertices: Map<string, Vertex>; edges: Map<string, Edge> }> {
  const vertices = new Map<string, Vertex>();
  const edges = new Map<string, Edge>();
  const seen = new Set(starts);
  let frontier = [...starts];
  for (let hop = 0; hop < maxDepth && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const found of await mapBounded(frontier, HOP_CONCURRENCY, (arn) =>
      direction === 'Ascendants' ? edgesTo(store, arn) : edgesFrom(store, arn),
    )) {
      for (const edge of found) {
        edges.set(`${edge.SourceArn}#${edge.DestinationArn}`, toEdge(edge));
        const other = direction === 'Ascendants' ? vertexAtSource(edge) : vertexAtDestination(edge);
        if (seen.has(other.Arn)) continue;
        seen.add(other.Arn);
        vertices.set(other.Arn, other);
        next.push(other.Arn);
      }
    }
    frontier = next;
  }
  return { vertices, edges };
}

function toEdge(edge: EdgeRecord): Edge {
  return {
    SourceArn: edge.SourceArn,
    DestinationArn: edge.DestinationArn,
    ...(edge.AssociationType ? { AssociationType: edge.AssociationType } : {}),
  };
}

const vertexAtSource = (e: EdgeRecord): Vertex => ({
  Arn: e.SourceArn,
  Type: e.SourceType,
  LineageType: e.SourceLineageType,
});
const vertexAtDestination = (e: EdgeRecord): Vertex => ({
  Arn: e.DestinationArn,
  Type: e.DestinationType,
  LineageType: e.DestinationLineageType,
});

/** Types and lineage types come with the edges; times and properties need the vertex records. */
async function filterVertices(
  store: RegistryStore,
  vertices: Vertex[],
  filters: QueryLineageInput['Filters'],
): Promise<Vertex[]> {
  if (!filters) return vertices;
  const byType = vertices.filter(
    (v) =>
      (!filters.Types?.length || filters.Types.includes(v.Type)) &&
      (!filters.LineageTypes?.length || filters.LineageTypes.includes(v.LineageType)),
  );
  const createdBefore = toEpoch(filters.CreatedBefore);
  const createdAfter = toEpoch(filters.CreatedAfter);
  const modifiedBefore = toEpoch(filters.ModifiedBefore);
  const modifiedAfter = toEpoch(filters.ModifiedAfter);
  const properties = Object.entries(filters.Properties ?? {});
  const needRecords =
    [createdBefore, createdAfter, modifiedBefore, modifiedAfter].some((t) => t !== undefined) ||
    properties.length > 0;
  if (!needRecords) return byType;
  const records = await mapBounded(byType, HOP_CONCURRENCY, (v) => findVertex(store, v.Arn));
  return byType.filter((_, i) => {
    const record = records[i];
    if (!record) return false;
    return (
      (createdBefore === undefined || record.CreationTime < createdBefore) &&
      (createdAfter === undefined || record.CreationTime > createdAfter) &&
      (modifiedBefore === undefined || record.LastModifiedTime < modifiedBefore) &&
      (modifiedAfter === undefined || record.LastModifiedTime > modifiedAfter) &&
      properties.every(([key, value]) => record.Properties?.[key] === value)
    );
  });
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
