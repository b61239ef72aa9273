import { ValidationException } from '../kernel/errors.js';
import type { CapacitySize, DeploymentConfig, RolloutPlan } from '../kernel/records.js';

/** SageMaker's ceiling on MaximumExecutionTimeoutInSeconds, used when the policy leaves it out. */
export const DEFAULT_MAX_EXECUTION_SECONDS = 28_800;
/** SageMaker's bounds: a canary is at most half the traffic; a linear step 10–50%. */
export const MAX_CANARY_PERCENT = 50;
export const LINEAR_STEP_PERCENT = { min: 10, max: 50 } as const;

/**
 * Turns a DeploymentConfig into the steps of a rollout, refusing what SageMaker refuses and
 * what has no meaning on serverless fleets:
 * - no BlueGreenUpdatePolicy: all traffic at once, no bake (SageMaker's default);
 * - ALL_AT_ONCE: [100], then one bake;
 * - CANARY: [CanarySize, 100], a bake after each;
 * - LINEAR: LinearStepSize, 2×, … up to 100, a bake after each.
 * Sizes must be CAPACITY_PERCENT: a serverless variant has no instances to count, so
 * INSTANCE_COUNT is refused rather than guessed at. RollingUpdatePolicy (instance batches)
 * is refused for the same reason.
 */
export function planRollout(config: DeploymentConfig | undefined): RolloutPlan {
  if (config?.RollingUpdatePolicy) {
    throw new ValidationException(
      'DeploymentConfig.RollingUpdatePolicy updates instances in batches and does not apply to serverless endpoints; use BlueGreenUpdatePolicy with a TrafficRoutingConfiguration.',
    );
  }
  const alarms = alarmNames(config);
  const policy = config?.BlueGreenUpdatePolicy;
  if (!policy) {
    return {
      type: 'ALL_AT_ONCE',
      steps: [100],
      waitSeconds: 0,
      maxExecutionSeconds: DEFAULT_MAX_EXECUTION_SECONDS,
      alarms,
    };
  }
  const routing = policy.TrafficRoutingConfiguration;
  const where = 'DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration';
  if (routing.Type !== 'CANARY' && routing.CanarySize) {
    throw new ValidationException(`${where}.CanarySize applies only to Type CANARY (got ${routing.Type}).`);
  }
  if (routing.Type !== 'LINEAR' && routing.LinearStepSize) {
    throw new ValidationException(
      `${where}.LinearStepSize applies only to Type LINEAR (got ${routing.Type}).`,
    );
  }
  let steps: number[];
  switch (routing.Type) {
    case 'ALL_AT_ONCE':
      steps = [100];
      break;
    case 'CANARY': {
      const canary = percentOf(routing.CanarySize, `${where}.CanarySize`, 1, MAX_CANARY_PERCENT);
      steps = [canary, 100];
      break;
    }
    case 'LINEAR': {
      const step = percentOf(
        routing.LinearStepSize,
        `${where}.LinearStepSize`,
        LINEAR_STEP_PERCENT.min,
        LINEAR_STEP_PERCENT.max,
      );
      steps = [];
      for (let p = step; p < 100; p += step) steps.push(p);
      steps.push(100);
      break;
    }
  }
  const waitSeconds = routing.WaitIntervalInSeconds;
  const maxExecutionSeconds = policy.MaximumExecutionTimeoutInSeconds ?? DEFAULT_MAX_EXECUTION_SECONDS;
  const totalWait = steps.length * waitSeconds + (policy.TerminationWaitInSeconds ?? 0);
  if (totalWait >= maxExecutionSeconds) {
    throw new ValidationException(
      `DeploymentConfig.BlueGreenUpdatePolicy.MaximumExecutionTimeoutInSeconds (${maxExecutionSeconds}) must be larger than the total waiting time of the deployment: ${steps.length} step(s) × WaitIntervalInSeconds ${waitSeconds} + TerminationWaitInSeconds ${policy.TerminationWaitInSeconds ?? 0} = ${totalWait} s.`,
    );
  }
  return { type: routing.Type, steps, waitSeconds, maxExecutionSeconds, alarms };
}

function percentOf(size: CapacitySize | undefined, field: string, min: number, max: number): number {
  if (!size) throw new ValidationException(`${field} is required for this traffic routing type.`);
  if (size.Type !== 'CAPACITY_PERCENT') {
    throw new ValidationException(
      `${field}.Type ${size.Type} has no meaning on a serverless endpoint (there are no instances to count); use CAPACITY_PERCENT.`,
    );
  }
  if (!Number.isInteger(size.Value) || size.Value < min || size.Value > max) {
    throw new ValidationException(
      `${field}.Value must be a whole percentage from ${min} to ${max}, got ${size.Value}.`,
    );
  }
  return size.Value;
}

function alarmNames(config: DeploymentConfig | undefined): string[] {
  const alarms = config?.AutoRollbackConfiguration?.Alarms ?? [];
  const names = alarms.map((alarm, i) => {
    if (!alarm.AlarmName) {
      throw new ValidationException(
        `DeploymentConfig.AutoRollbackConfiguration.Alarms[${i}].AlarmName is required.`,
      );
    }
    return alarm.AlarmName;
  });
  return [...new Set(names)];
}

/** The share of untargeted traffic on the new fleet at a step. */
export function shareAt(plan: RolloutPlan, step: number): number {
  return (plan.steps[step] ?? 100) / 100;
}
