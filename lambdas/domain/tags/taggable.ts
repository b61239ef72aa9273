/**
 * Which resource an ARN names, for AddTags, ListTags and DeleteTags: the resource types
 * Understudy has, the collection each one's records live in and the record field holding
 * its ARN.
 */
import { ValidationException } from '../kernel/errors.js';
import { COLLECTIONS } from '../kernel/records.js';
import type { RegistryStore } from '../kernel/store.js';

export interface TaggableKind {
  readonly collection: string;
  /** The field of a stored record that holds the resource's ARN. */
  readonly arnField: string;
}

/**
 * By the resource type of their ARNs (`arn:aws:sagemaker:<region>:<account>:<type>/<name>`).
 * A table here rather than registrations made by each capability: tags sit below every
 * capability (they import none), and a table cannot depend on which modules a function
 * happened to load. A new kind of resource adds its line.
 */
export const TAGGABLE_KINDS: Readonly<Record<string, TaggableKind>> = {
  model: { collection: COLLECTIONS.model, arnField: 'ModelArn' },
  'endpoint-config': { collection: COLLECTIONS.endpointConfig, arnField: 'EndpointConfigArn' },
  endpoint: { collection: COLLECTIONS.endpoint, arnField: 'EndpointArn' },
  'model-package-group': { collection: COLLECTIONS.modelPackageGroup, arnField: 'ModelPackageGroupArn' },
  'model-package': { collection: COLLECTIONS.modelPackage, arnField: 'ModelPackageArn' },
  'inference-experiment': { collection: COLLECTIONS.inferenceExperiment, arnField: 'Arn' },
  'data-quality-job-definition': {
    collection: COLLECTIONS.dataQualityJobDefinition,
    arnField: 'JobDefinitionArn',
  },
  'model-quality-job-definition': {
    collection: COLLECTIONS.modelQualityJobDefinition,
    arnField: 'JobDefinitionArn',
  },
  'monitoring-schedule': { collection: COLLECTIONS.monitoringSchedule, arnField: 'MonitoringScheduleArn' },
  // Monitoring executions' entries in this collection point to their execution and carry no
  // ARN of their own: only jobs made by CreateProcessingJob are found (and tagged) here.
  'processing-job': { collection: COLLECTIONS.processingJob, arnField: 'ProcessingJobArn' },
  'training-job': { collection: COLLECTIONS.trainingJob, arnField: 'TrainingJobArn' },
};

const SAGEMAKER_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:([a-z-]+)\/.+$/;

/**
 * The ARN of the resource `resourceArn` names, as its record holds it (the tags' key).
 * Malformed ARNs, resource types Understudy does not have and resources that do not exist
 * are all ValidationException: the tag operations model no other error, and SageMaker
 * answers ValidationException for a resource it cannot find.
 */
export async function findTaggable(store: RegistryStore, resourceArn: string): Promise<string> {
  const type = SAGEMAKER_ARN.exec(resourceArn)?.[1];
  if (type === undefined) {
    throw new ValidationException(
      `ResourceArn '${resourceArn}' is not a SageMaker resource ARN (arn:aws:sagemaker:<region>:<account>:<resource-type>/<name>).`,
    );
  }
  const kind = Object.hasOwn(TAGGABLE_KINDS, type) ? TAGGABLE_KINDS[type] : undefined;
  if (!kind) {
    throw new ValidationException(
      `Understudy has no ${type} resources; it tags ${Object.keys(TAGGABLE_KINDS).join(', ')}.`,
    );
  }
  // ARNs carry lower-cased names while records are keyed by the name as given, so the record
  // is found by its ARN; registries are small enough to read a collection whole (as List* do).
  const wanted = resourceArn.toLowerCase();
  const records = await store.list<Record<string, unknown>>(kind.collection);
  const found = records.map((r) => r[kind.arnField]).find((a) => String(a).toLowerCase() === wanted);
  if (typeof found !== 'string') throw new ValidationException(`Could not find resource "${resourceArn}".`);
  return found;
}
