import type { EndpointRecord } from '../registry/endpoints.js';
import type { EndpointInternal, Timestamp } from '../registry/records.js';

// SageMaker's DeploymentConfig, as UpdateEndpoint receives it (validated against the service model).

export type TrafficRoutingConfigType = 'ALL_AT_ONCE' | 'CANARY' | 'LINEAR';

export interface CapacitySize {
  Type: 'INSTANCE_COUNT' | 'CAPACITY_PERCENT';
  Value: number;
}

export interface TrafficRoutingConfig {
  Type: TrafficRoutingConfigType;
  WaitIntervalInSeconds: number;
  CanarySize?: CapacitySize;
  LinearStepSize?: CapacitySize;
}

export interface BlueGreenUpdatePolicy {
  TrafficRoutingConfiguration: TrafficRoutingConfig;
  TerminationWaitInSeconds?: number;
  MaximumExecutionTimeoutInSeconds?: number;
}

export interface DeploymentConfig {
  BlueGreenUpdatePolicy?: BlueGreenUpdatePolicy;
  RollingUpdatePolicy?: Record<string, unknown>;
  AutoRollbackConfiguration?: { Alarms?: { AlarmName?: string }[] };
}

/**
 * How a new endpoint config takes over, derived from a DeploymentConfig: the percentage of
 * traffic on the new fleet after each step (the last is always 100), each step followed by a
 * bake of `waitSeconds` during which the alarms are watched.
 */
export interface RolloutPlan {
  readonly type: TrafficRoutingConfigType;
  readonly steps: readonly number[];
  readonly waitSeconds: number;
  readonly maxExecutionSeconds: number;
  readonly alarms: readonly string[];
}

/** A variant as DescribeEndpoint lists it. */
export type VariantSummaryView = EndpointRecord['ProductionVariants'][number];

/** DescribeEndpoint's PendingDeploymentSummary while a new config is rolled out. */
export interface PendingDeploymentSummary {
  EndpointConfigName: string;
  StartTime: Timestamp;
  ProductionVariants: (VariantSummaryView & {
    VariantStatus: {
      Status: 'Creating' | 'ActivatingTraffic' | 'Baking';
      StatusMessage: string;
      StartTime: Timestamp;
    }[];
  })[];
}

/** What serves traffic for one endpoint config: its variants, capture and shadows. */
export type FleetRuntime = Omit<EndpointInternal, 'rollout' | 'previous'>;

/**
 * An UpdateEndpoint in progress, kept on the endpoint record (`internal.rollout`) so that the
 * data plane reads the old fleet, the new fleet and the share between them in one record:
 * a request never sees a half-written rollout.
 */
export interface RolloutState {
  readonly deploymentId: string;
  /** Id of the DeploymentHistory record of this deployment. */
  readonly historyId: string;
  readonly EndpointConfigName: string;
  readonly runtime: FleetRuntime;
  /** The new config's variants as DescribeEndpoint will list them once it takes over. */
  readonly productionVariants: VariantSummaryView[];
  readonly plan: RolloutPlan;
  /** Index in `plan.steps` of the step in force. */
  readonly step: number;
  /** Fraction of untargeted traffic routed to the new fleet (plan.steps[step] / 100). */
  readonly share: number;
  readonly startedAt: Timestamp;
  readonly stepStartedAt: Timestamp;
  /** When the current step's bake is over (epoch seconds). */
  readonly bakeEndsAt: Timestamp;
  /**
   * Sequence number of the one step message that may act on this rollout. Each scheduled
   * message carries the value it expects; older duplicates (SQS delivers at least once) are
   * dropped, so exactly one chain of messages drives a rollout.
   */
  readonly tick: number;
}

/** The config an endpoint served before its last change, for `Understudy.RollbackEndpoint`. */
export interface PreviousDeployment {
  readonly EndpointConfigName: string;
  readonly productionVariants: VariantSummaryView[];
  readonly runtime: FleetRuntime;
}

/** The message that drives a rollout: "look at this deployment again". */
export interface StepMessage {
  readonly EndpointName: string;
  readonly DeploymentId: string;
  readonly Tick: number;
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** CloudWatch alarms by name (metric or composite). */
export interface AlarmSource {
  /** The states of the named alarms; a name missing from the answer has no alarm. */
  states(names: readonly string[]): Promise<Map<string, AlarmState>>;
}

/** Delivers step messages to the deployer after a delay, at least once. */
export interface StepScheduler {
  schedule(message: StepMessage, delaySeconds: number): Promise<void>;
}

/** What rollouts need beyond the registry; the control plane and the deployer both have it. */
export interface DeploymentServices {
  readonly alarms: AlarmSource;
  readonly scheduler: StepScheduler;
}
