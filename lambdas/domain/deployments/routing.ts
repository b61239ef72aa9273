import type { EndpointRecord } from '../hosting/endpoints.js';
import { chooseFleetVariant } from '../hosting/routing.js';
import type { RuntimeVariant } from '../kernel/records.js';

/**
 * The variant that serves one request to `endpoint`, and the endpoint config it belongs to:
 * during a rollout the new config's fleet takes its share of traffic (see
 * `chooseFleetVariant`). Both fleets come from the same record, read whole.
 */
export function routeRequest(
  endpoint: EndpointRecord,
  targetVariant: string | undefined,
  random: () => number,
): { variant: RuntimeVariant; endpointConfigName: string } {
  const rollout = endpoint.internal.rollout;
  const { variant, fleet } = chooseFleetVariant(
    { EndpointConfigName: endpoint.EndpointConfigName, variants: endpoint.internal.variants },
    rollout && { EndpointConfigName: rollout.EndpointConfigName, variants: rollout.runtime.variants },
    rollout?.share ?? 0,
    targetVariant,
    random,
  );
  return { variant, endpointConfigName: fleet.EndpointConfigName };
}
