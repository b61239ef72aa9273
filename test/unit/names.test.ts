import { describe, expect, it } from 'vitest';
import { EndpointName } from '../../lambdas/domain/kernel/names.js';

describe('EndpointName', () => {
  it('takes SageMaker endpoint names: up to 63 letters, digits and inner hyphens', () => {
    for (const name of ['ep', 'My-Endpoint-2', 'a--b', 'x'.repeat(63)]) {
      expect(EndpointName.safeParse(name).success).toBe(true);
    }
  });

  it('refuses other names with SageMaker’s message', () => {
    for (const name of ['', '-ep', 'ep-', 'ep_1', 'x'.repeat(64)]) {
      expect(EndpointName.safeParse(name).success).toBe(false);
    }
    expect(EndpointName.safeParse('ep_1').error?.issues[0]?.message).toBe(
      'Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}',
    );
  });
});
