/**
 * What the List and Delete operations of data-quality and model-quality job definitions share:
 * the two kinds differ only in their collection, the schedules' MonitoringType that uses them
 * and where their input names the endpoint.
 */
import { type ControlContext, type ListRequest, page } from '../kernel/context.js';
import { ResourceInUse, ResourceNotFound } from '../kernel/errors.js';
import { COLLECTIONS } from '../kernel/records.js';
import { forgetTags } from '../tags/tags.js';
import type { ScheduleRecord } from './records.js';

interface StoredDefinition {
  readonly JobDefinitionName: string;
  readonly JobDefinitionArn: string;
  readonly CreationTime: number;
}

export interface DefinitionKind<D extends StoredDefinition> {
  readonly collection: string;
  /** As schedules name it; a schedule without MonitoringType is DataQuality. */
  readonly monitoringType: 'DataQuality' | 'ModelQuality';
  /** For messages: "Data quality job definition". */
  readonly label: string;
  readonly endpointOf: (definition: D) => string | undefined;
}

export async function listDefinitions<D extends StoredDefinition>(
  ctx: ControlContext,
  kind: DefinitionKind<D>,
  input: ListRequest & { EndpointName?: string },
) {
  const defs = (await ctx.store.list<D>(kind.collection)).filter(
    (d) => !input.EndpointName || kind.endpointOf(d) === input.EndpointName,
  );
  const { items, NextToken } = page(defs, input, (d) => d.JobDefinitionName);
  return {
    JobDefinitionSummaries: items.map((d) => ({
      MonitoringJobDefinitionName: d.JobDefinitionName,
      MonitoringJobDefinitionArn: d.JobDefinitionArn,
      CreationTime: d.CreationTime,
      EndpointName: kind.endpointOf(d) ?? '',
    })),
    NextToken,
  };
}

/** Deletes a definition and its tags, unless a schedule of its kind still uses it (ResourceInUse). */
export async function deleteDefinition<D extends StoredDefinition>(
  ctx: ControlContext,
  kind: DefinitionKind<D>,
  name: string,
) {
  const def = (await ctx.store.get<D>(kind.collection, name))?.data;
  if (!def) throw new ResourceNotFound(`${kind.label} ${name} does not exist.`);
  const user = (await ctx.store.list<ScheduleRecord>(COLLECTIONS.monitoringSchedule)).find(
    (s) =>
      (s.MonitoringScheduleConfig.MonitoringType ?? 'DataQuality') === kind.monitoringType &&
      s.MonitoringScheduleConfig.MonitoringJobDefinitionName === name,
  );
  if (user) {
    throw new ResourceInUse(
      `${kind.label} ${name} is used by monitoring schedule ${user.MonitoringScheduleName}; delete the schedule first.`,
    );
  }
  await ctx.store.delete(kind.collection, name);
  await forgetTags(ctx, def.JobDefinitionArn);
  return {};
}
