import { z } from 'zod';
import { EndpointName } from '../kernel/names.js';
import type { UnderstudyOperation } from '../kernel/understudy-operation.js';
import { configureCaptureRedaction } from './capture-redaction.js';

/** A field by JSONPath (JSON payloads) or a column by 0-based index (CSV payloads). */
const selector = z.union([
  z.strictObject({ JsonPath: z.string().min(1).max(256) }),
  z.strictObject({ CsvColumn: z.int().min(0).max(10_000) }),
]);

const configureRedaction = z.strictObject({
  // EndpointConfigName has EndpointName's shape in the service model.
  EndpointConfigName: EndpointName,
  Drop: z.array(selector).max(100).optional(),
  Hash: z.array(selector).max(100).optional(),
});

/**
 * Understudy's hosting operations (`X-Amz-Target: Understudy.<Operation>`):
 * - `ConfigureCaptureRedaction {EndpointConfigName, Drop?, Hash?}`: request fields that the
 *   captures, shadow captures and dead letters of the config's endpoints never hold as sent.
 */
export const HOSTING_OPERATIONS = {
  ConfigureCaptureRedaction: {
    input: configureRedaction,
    run: (ctx, input) => configureCaptureRedaction(ctx, input),
  } satisfies UnderstudyOperation<typeof configureRedaction>,
};
