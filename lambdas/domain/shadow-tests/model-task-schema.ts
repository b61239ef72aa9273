import { z } from 'zod';
import type { ModelTask } from './comparison-rule.js';

/**
 * A ModelTask as the mirror message carries production's. Apart from comparison-rule.ts so that
 * the data plane, which infers tasks but never parses messages, does not load zod.
 */
export const modelTaskSchema: z.ZodType<ModelTask> = z.object({
  kind: z.enum(['classification', 'regression']),
  outputs: z.string(),
  label: z.string().optional(),
  probabilities: z.string().optional(),
  value: z.string().optional(),
});
