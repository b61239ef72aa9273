import { z } from 'zod';

/**
 * SageMaker's EndpointName shape (`EndpointName` in the service model): up to 63 letters,
 * digits and inner hyphens, with SageMaker's message when it does not match. Understudy's own
 * operations validate names with it; SageMaker's operations get the same rule from the service
 * model (shape-validator.ts).
 */
export const EndpointName = z
  .string()
  .max(63)
  .regex(
    /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
    'Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}',
  );
