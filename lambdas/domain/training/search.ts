/**
 * SageMaker's `Search`, for `Resource: TrainingJob` only: what the SageMaker Python SDK's
 * `Estimator.register()` calls to find the job behind a model artifact (its model card's
 * training details: a filter `ModelArtifacts.S3ModelArtifacts Equals <model.tar.gz>`).
 * Filters are ANDed over dotted field paths of DescribeTrainingJob's answer; nested filters,
 * sub-expressions and other resources are refused with a ValidationException naming what is
 * supported (the SDK falls back to List… when its Search of a model package group fails).
 */
import { type ControlContext, page } from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import { COLLECTIONS } from '../kernel/records.js';
import type { TrainingJobRecord } from './training-jobs.js';

type Operator =
  | 'Equals'
  | 'NotEquals'
  | 'GreaterThan'
  | 'GreaterThanOrEqualTo'
  | 'LessThan'
  | 'LessThanOrEqualTo'
  | 'Contains'
  | 'Exists'
  | 'NotExists'
  | 'In';

interface Filter {
  Name: string;
  Operator?: Operator;
  Value?: string;
}

export interface SearchRequest {
  Resource: string;
  SearchExpression?: {
    Filters?: Filter[];
    NestedFilters?: unknown[];
    SubExpressions?: unknown[];
    Operator?: 'And' | 'Or';
  };
  SortBy?: string;
  SortOrder?: 'Ascending' | 'Descending';
  NextToken?: string;
  MaxResults?: number;
}

function fieldAt(record: unknown, path: string): unknown {
  let value: unknown = record;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function matches(record: unknown, filter: Filter): boolean {
  const value = fieldAt(record, filter.Name);
  const operator = filter.Operator ?? 'Equals';
  if (operator === 'Exists') return value !== undefined;
  if (operator === 'NotExists') return value === undefined;
  const wanted = filter.Value ?? '';
  if (value === undefined || (typeof value === 'object' && value !== null)) {
    return operator === 'NotEquals';
  }
  const text = String(value);
  const numeric = typeof value === 'number' ? Number(wanted) : undefined;
  const order = numeric !== undefined ? (value as number) - numeric : text.localeCompare(wanted);
  switch (operator) {
    case 'Equals':
      return order === 0;
    case 'NotEquals':
      return order !== 0;
    case 'GreaterThan':
      return order > 0;
    case 'GreaterThanOrEqualTo':
      return order >= 0;
    case 'LessThan':
      return order < 0;
    case 'LessThanOrEqualTo':
      return order <= 0;
    case 'Contains':
      return text.includes(wanted);
    case 'In':
      return wanted.split(',').includes(text);
  }
}

const SORT_KEYS: Readonly<Record<string, string>> = { CreationTime: 'CreationTime', TrainingJobName: 'Name' };

export async function search(ctx: ControlContext, input: SearchRequest) {
  if (input.Resource !== 'TrainingJob') {
    throw new ValidationException(
      `Search of Resource ${input.Resource} is not supported: Understudy searches TrainingJob only (use the List… operations for other resources).`,
    );
  }
  const expression = input.SearchExpression ?? {};
  if (expression.NestedFilters?.length || expression.SubExpressions?.length) {
    throw new ValidationException(
      'SearchExpression.NestedFilters and SubExpressions are not supported: give Filters (all must match).',
    );
  }
  const filters = expression.Filters ?? [];
  const any = expression.Operator === 'Or';
  const sortBy = SORT_KEYS[input.SortBy ?? 'CreationTime'];
  if (!sortBy) {
    throw new ValidationException(
      `SortBy ${input.SortBy} is not supported: sort TrainingJob results by CreationTime or TrainingJobName.`,
    );
  }
  const jobs = (await ctx.store.list<TrainingJobRecord>(COLLECTIONS.trainingJob))
    .map(({ internal: _internal, ...job }) => job)
    .filter((job) =>
      filters.length === 0
        ? true
        : any
          ? filters.some((f) => matches(job, f))
          : filters.every((f) => matches(job, f)),
    );
  const { items, NextToken } = page(
    jobs,
    { SortBy: sortBy, SortOrder: input.SortOrder, NextToken: input.NextToken, MaxResults: input.MaxResults },
    (job) => job.TrainingJobName,
  );
  const Results = items.map((TrainingJob) => ({ TrainingJob }));
  return NextToken ? { Results, NextToken } : { Results };
}
