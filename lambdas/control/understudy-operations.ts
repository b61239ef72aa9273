import { ACCESS_KEY_OPERATIONS } from '../domain/auth/understudy-operations.js';
import { DEPLOYMENT_OPERATIONS } from '../domain/deployments/understudy-operations.js';
import { EVALUATION_OPERATIONS } from '../domain/evaluation/understudy-operations.js';
import { HOSTING_OPERATIONS } from '../domain/hosting/understudy-operations.js';
import type { UnderstudyOperation } from '../domain/kernel/understudy-operation.js';
import { LINEAGE_OPERATIONS } from '../domain/lineage/understudy-operations.js';
import { MONITORING_OPERATIONS } from '../domain/model-monitor/understudy-operations.js';
import { REGISTRY_OPERATIONS } from '../domain/model-registry/understudy-operations.js';
import { SHADOW_OPERATIONS } from '../domain/shadow-tests/understudy-operations.js';

/** Registered by name without the `Understudy.` prefix. */
export const UNDERSTUDY_OPERATIONS: Record<string, UnderstudyOperation> = {
  ...ACCESS_KEY_OPERATIONS,
  ...DEPLOYMENT_OPERATIONS,
  ...HOSTING_OPERATIONS,
  ...SHADOW_OPERATIONS,
  ...MONITORING_OPERATIONS,
  ...REGISTRY_OPERATIONS,
  ...LINEAGE_OPERATIONS,
  ...EVALUATION_OPERATIONS,
};
