/**
 * Model Monitor's operations beyond SageMaker's API (the control plane serves them as
 * `Understudy.*`): SuggestBaseline and PutGroundTruth, with their request schemas.
 */
import { z } from 'zod';
import { ValidationException } from '../kernel/errors.js';
import type { UnderstudyOperation } from '../kernel/understudy-operation.js';
import { suggestBaselineJob } from './baseline-job.js';
import { putGroundTruth, putGroundTruthInput } from './put-ground-truth.js';

const S3Uri = z
  .string()
  .max(1024)
  .regex(/^s3:\/\/[^/]+/, 'Member must satisfy regular expression pattern: s3://bucket[/key]');

const suggestBaseline = z.strictObject({
  DatasetS3Uri: S3Uri,
  DatasetFormat: z.union([
    z.strictObject({ Csv: z.strictObject({ Header: z.boolean().optional() }) }),
    z.strictObject({ Json: z.strictObject({ Line: z.boolean().optional() }) }),
  ]),
  OutputS3Uri: S3Uri,
});

/**
 * Understudy's Model Monitor operations:
 * - `SuggestBaseline {DatasetS3Uri, DatasetFormat: {Csv: {Header}} | {Json: {Line: true}}, OutputS3Uri}`:
 *   what SageMaker's baselining job does — statistics.json and constraints.json in Model
 *   Monitor's schema under OutputS3Uri; answers `{StatisticsS3Uri, ConstraintsS3Uri, Rows,
 *   Features, UnparseableRecords}`. A dataset without a header, an empty one, or one that is
 *   not there is a ValidationException naming the problem.
 */
export const MONITORING_OPERATIONS = {
  SuggestBaseline: {
    input: suggestBaseline,
    run: (ctx, input) => {
      if (!ctx.objects)
        throw new ValidationException('This deployment cannot read datasets (no object store).');
      return suggestBaselineJob(ctx.objects, input);
    },
  } satisfies UnderstudyOperation<typeof suggestBaseline>,
  /**
   * `PutGroundTruth {EndpointName, GroundTruthS3Uri?, Records: [{InferenceId | EventId, Label}]}`:
   * one SageMaker ground-truth file under `{GroundTruthS3Uri}/{endpoint}/yyyy/mm/dd/hh/` (the
   * hour of the call); answers `{GroundTruthS3Uri, RecordCount}`.
   */
  PutGroundTruth: {
    input: putGroundTruthInput,
    run: putGroundTruth,
  } satisfies UnderstudyOperation<typeof putGroundTruthInput>,
};
