import * as deployments from '../domain/deployments/operations.js';
import { createModelQualityJobDefinitionWithPackageBaseline } from '../domain/evaluation/package-baseline.js';
import * as endpointConfigs from '../domain/hosting/endpoint-configs.js';
import * as endpoints from '../domain/hosting/endpoints.js';
import * as models from '../domain/hosting/models.js';
import type { ControlContext } from '../domain/kernel/context.js';
import * as associations from '../domain/lineage/associations.js';
import * as recorded from '../domain/lineage/automatic.js';
import * as lineage from '../domain/lineage/entities.js';
import { queryLineage } from '../domain/lineage/query.js';
import * as monitoringExecutions from '../domain/model-monitor/executions.js';
import * as jobDefinitions from '../domain/model-monitor/job-definitions.js';
import * as modelQualityJobDefinitions from '../domain/model-monitor/model-quality-job-definitions.js';
import * as processingJobs from '../domain/model-monitor/processing-jobs.js';
import * as monitoringSchedules from '../domain/model-monitor/schedules.js';
import * as packages from '../domain/model-registry/model-packages.js';
import * as experiments from '../domain/shadow-tests/inference-experiments.js';
import * as tags from '../domain/tags/tags.js';
import { search } from '../domain/training/search.js';
import * as trainingJobs from '../domain/training/training-jobs.js';
import type { OperationName } from './operations-list.js';

// biome-ignore lint/suspicious/noExplicitAny: inputs are validated against the service model before dispatch.
type Operation = (ctx: ControlContext, input: any) => Promise<unknown>;

/** The control plane's operations, by SageMaker operation name. */
export const OPERATIONS: Record<OperationName, Operation> = {
  // These record the lineage SageMaker creates automatically once the resource exists.
  CreateModelPackageGroup: recorded.createModelPackageGroup,
  DescribeModelPackageGroup: packages.describeModelPackageGroup,
  ListModelPackageGroups: packages.listModelPackageGroups,
  DeleteModelPackageGroup: packages.deleteModelPackageGroup,
  CreateModelPackage: recorded.createModelPackage,
  DescribeModelPackage: packages.describeModelPackage,
  ListModelPackages: packages.listModelPackages,
  UpdateModelPackage: packages.updateModelPackage,
  DeleteModelPackage: packages.deleteModelPackage,
  CreateModel: models.createModel,
  DescribeModel: models.describeModel,
  ListModels: models.listModels,
  DeleteModel: models.deleteModel,
  CreateEndpointConfig: endpointConfigs.createEndpointConfig,
  DescribeEndpointConfig: endpointConfigs.describeEndpointConfig,
  ListEndpointConfigs: endpointConfigs.listEndpointConfigs,
  DeleteEndpointConfig: endpointConfigs.deleteEndpointConfig,
  CreateEndpoint: recorded.createEndpoint,
  DescribeEndpoint: endpoints.describeEndpoint,
  ListEndpoints: endpoints.listEndpoints,
  DeleteEndpoint: deployments.deleteEndpoint,
  UpdateEndpoint: recorded.updateEndpoint,
  UpdateEndpointWeightsAndCapacities: deployments.updateEndpointWeightsAndCapacities,
  CreateInferenceExperiment: experiments.createInferenceExperiment,
  DescribeInferenceExperiment: experiments.describeInferenceExperiment,
  ListInferenceExperiments: experiments.listInferenceExperiments,
  StartInferenceExperiment: experiments.startInferenceExperiment,
  UpdateInferenceExperiment: experiments.updateInferenceExperiment,
  StopInferenceExperiment: recorded.stopInferenceExperiment,
  CreateDataQualityJobDefinition: jobDefinitions.createDataQualityJobDefinition,
  DescribeDataQualityJobDefinition: jobDefinitions.describeDataQualityJobDefinition,
  ListDataQualityJobDefinitions: jobDefinitions.listDataQualityJobDefinitions,
  DeleteDataQualityJobDefinition: jobDefinitions.deleteDataQualityJobDefinition,
  // Without a baseline, the offline evaluation of the package the endpoint serves is the default.
  CreateModelQualityJobDefinition: createModelQualityJobDefinitionWithPackageBaseline,
  DescribeModelQualityJobDefinition: modelQualityJobDefinitions.describeModelQualityJobDefinition,
  ListModelQualityJobDefinitions: modelQualityJobDefinitions.listModelQualityJobDefinitions,
  DeleteModelQualityJobDefinition: modelQualityJobDefinitions.deleteModelQualityJobDefinition,
  CreateMonitoringSchedule: monitoringSchedules.createMonitoringSchedule,
  DescribeMonitoringSchedule: monitoringSchedules.describeMonitoringSchedule,
  ListMonitoringSchedules: monitoringSchedules.listMonitoringSchedules,
  UpdateMonitoringSchedule: monitoringSchedules.updateMonitoringSchedule,
  StartMonitoringSchedule: monitoringSchedules.startMonitoringSchedule,
  StopMonitoringSchedule: monitoringSchedules.stopMonitoringSchedule,
  DeleteMonitoringSchedule: monitoringSchedules.deleteMonitoringSchedule,
  ListMonitoringExecutions: monitoringExecutions.listMonitoringExecutions,
  AddTags: tags.addTags,
  ListTags: tags.listTags,
  DeleteTags: tags.deleteTags,
  CreateProcessingJob: processingJobs.createProcessingJob,
  DescribeProcessingJob: processingJobs.describeProcessingJob,
  ListProcessingJobs: processingJobs.listProcessingJobs,
  StopProcessingJob: processingJobs.stopProcessingJob,
  CreateArtifact: lineage.createArtifact,
  DescribeArtifact: lineage.describeArtifact,
  ListArtifacts: lineage.listArtifacts,
  DeleteArtifact: lineage.deleteArtifact,
  CreateAction: lineage.createAction,
  DescribeAction: lineage.describeAction,
  ListActions: lineage.listActions,
  CreateContext: lineage.createContext,
  DescribeContext: lineage.describeContext,
  ListContexts: lineage.listContexts,
  AddAssociation: associations.addAssociation,
  DeleteAssociation: associations.deleteAssociation,
  ListAssociations: associations.listAssociations,
  QueryLineage: queryLineage,
  CreateTrainingJob: trainingJobs.createTrainingJob,
  DescribeTrainingJob: trainingJobs.describeTrainingJob,
  ListTrainingJobs: trainingJobs.listTrainingJobs,
  StopTrainingJob: trainingJobs.stopTrainingJob,
  Search: search,
};
