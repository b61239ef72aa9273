/**
 * The filters ListMonitoringSchedules and ListMonitoringExecutions share, as SageMaker
 * defines them for both: endpoint, status, job definition, monitoring type and last modified
 * time. Each `…After` / `…Before` bound is exclusive, and an absent one does not filter.
 */
import { type ListRequest, toEpoch } from '../kernel/context.js';
import type { Timestamp } from '../kernel/records.js';
import type { MonitoringType } from './records.js';

export interface MonitoringListRequest<Status extends string> extends ListRequest {
  readonly EndpointName?: string;
  readonly StatusEquals?: Status;
  readonly MonitoringJobDefinitionName?: string;
  readonly MonitoringTypeEquals?: MonitoringType;
  readonly LastModifiedTimeBefore?: number | string;
  readonly LastModifiedTimeAfter?: number | string;
}

/** A List* time filter from its `…After` and `…Before` request fields (epoch seconds or ISO). */
export function timeFilter(
  after: number | string | undefined,
  before: number | string | undefined,
): (time: Timestamp) => boolean {
  const from = toEpoch(after);
  const to = toEpoch(before);
  return (time) => (from === undefined || time > from) && (to === undefined || time < to);
}

/**
 * The request's filters as a predicate over schedules or executions. Their status and job
 * definition name are given apart: a schedule keeps them under other names than an execution.
 */
export function monitoringListFilter<Status extends string>(
  request: MonitoringListRequest<Status>,
): (
  record: { EndpointName: string; MonitoringType: MonitoringType; LastModifiedTime: Timestamp },
  status: Status,
  jobDefinitionName: string | undefined,
) => boolean {
  const modified = timeFilter(request.LastModifiedTimeAfter, request.LastModifiedTimeBefore);
  return (record, status, jobDefinitionName) =>
    (!request.EndpointName || record.EndpointName === request.EndpointName) &&
    (!request.StatusEquals || status === request.StatusEquals) &&
    (!request.MonitoringJobDefinitionName || jobDefinitionName === request.MonitoringJobDefinitionName) &&
    (!request.MonitoringTypeEquals || record.MonitoringType === request.MonitoringTypeEquals) &&
    modified(record.LastModifiedTime);
}
