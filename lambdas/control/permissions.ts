import type { Permission } from '../domain/auth/roles.js';
import type { OperationName } from './operations-list.js';

/**
 * The permission each control-plane operation needs (what each role holds: domain/auth/roles.ts).
 * Written out per operation rather than guessed from the name, so that no future operation
 * is let through by a pattern it happens to match. A new SageMaker operation does not
 * type-check until it has a line here; a new Understudy operation fails
 * test/unit/authorization-matrix.test.ts and, until then, is allowed to admin only.
 */
export const SAGEMAKER_PERMISSIONS = {
  CreateModelPackageGroup: 'write',
  DescribeModelPackageGroup: 'read',
  ListModelPackageGroups: 'read',
  DeleteModelPackageGroup: 'write',
  DeleteModelPackage: 'write',
  CreateModelPackage: 'write',
  DescribeModelPackage: 'read',
  ListModelPackages: 'read',
  UpdateModelPackage: 'write',
  CreateModel: 'write',
  DescribeModel: 'read',
  ListModels: 'read',
  DeleteModel: 'write',
  CreateEndpointConfig: 'write',
  DescribeEndpointConfig: 'read',
  ListEndpointConfigs: 'read',
  DeleteEndpointConfig: 'write',
  CreateEndpoint: 'write',
  DescribeEndpoint: 'read',
  ListEndpoints: 'read',
  DeleteEndpoint: 'write',
  UpdateEndpoint: 'write',
  UpdateEndpointWeightsAndCapacities: 'write',
  CreateInferenceExperiment: 'write',
  DescribeInferenceExperiment: 'read',
  ListInferenceExperiments: 'read',
  StartInferenceExperiment: 'write',
  UpdateInferenceExperiment: 'write',
  StopInferenceExperiment: 'write',
  CreateDataQualityJobDefinition: 'write',
  DescribeDataQualityJobDefinition: 'read',
  ListDataQualityJobDefinitions: 'read',
  DeleteDataQualityJobDefinition: 'write',
  CreateModelQualityJobDefinition: 'write',
  DescribeModelQualityJobDefinition: 'read',
  ListModelQualityJobDefinitions: 'read',
  DeleteModelQualityJobDefinition: 'write',
  CreateMonitoringSchedule: 'write',
  DescribeMonitoringSchedule: 'read',
  ListMonitoringSchedules: 'read',
  UpdateMonitoringSchedule: 'write',
  StartMonitoringSchedule: 'write',
  StopMonitoringSchedule: 'write',
  DeleteMonitoringSchedule: 'write',
  ListMonitoringExecutions: 'read',
  DescribeProcessingJob: 'read',
  CreateProcessingJob: 'write',
  ListProcessingJobs: 'read',
  StopProcessingJob: 'write',
  CreateTrainingJob: 'write',
  DescribeTrainingJob: 'read',
  ListTrainingJobs: 'read',
  StopTrainingJob: 'write',
  Search: 'read',
  AddTags: 'write',
  ListTags: 'read',
  DeleteTags: 'write',
  CreateArtifact: 'write',
  DescribeArtifact: 'read',
  ListArtifacts: 'read',
  DeleteArtifact: 'write',
  CreateAction: 'write',
  DescribeAction: 'read',
  ListActions: 'read',
  CreateContext: 'write',
  DescribeContext: 'read',
  ListContexts: 'read',
  AddAssociation: 'write',
  DeleteAssociation: 'write',
  ListAssociations: 'read',
  QueryLineage: 'read',
} as const satisfies Record<OperationName, Permission>;

/** Understudy's own operations, by name without the `Understudy.` prefix (as in understudy-operations.ts). */
export const UNDERSTUDY_PERMISSIONS: Readonly<Record<string, Permission>> = {
  CreateAccessKey: 'manage-keys',
  ListAccessKeys: 'manage-keys',
  DeleteAccessKey: 'manage-keys',
  RollbackEndpoint: 'write',
  ListDeploymentHistory: 'read',
  ConfigureCaptureRedaction: 'write',
  DescribeEndpointAt: 'read',
  TraceInference: 'read',
  SuggestBaseline: 'write',
  // Labels come from the applications that invoke the endpoint; scoped to an invoker key's endpoints.
  PutGroundTruth: 'invoke',
  DescribeShadowReport: 'read',
  ConfigureShadowComparison: 'write',
  ListModelPackageHistory: 'read',
  DescribeModelEvaluation: 'read',
  // Deployers own the registry; the force is explicit, needs a reason and is kept in the history.
  ForceRejectModelPackage: 'write',
  ForceDeleteModelPackage: 'write',
};

const UNDERSTUDY_PREFIX = 'Understudy.';

/**
 * The permission `operation` (as `operationOf` names it) needs; undefined for an operation
 * missing from the tables, which `authorize` leaves to admin alone.
 */
export function permissionOf(operation: string): Permission | undefined {
  const [table, name] = operation.startsWith(UNDERSTUDY_PREFIX)
    ? [UNDERSTUDY_PERMISSIONS, operation.slice(UNDERSTUDY_PREFIX.length)]
    : [SAGEMAKER_PERMISSIONS as Readonly<Record<string, Permission>>, operation];
  return Object.hasOwn(table, name) ? table[name] : undefined;
}
