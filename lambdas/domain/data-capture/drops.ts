import { COLLECTIONS } from '../kernel/records.js';
import type { RegistryStore } from '../kernel/store.js';

/**
 * Captured copies not known to reach the mirror queue, counted per endpoint (the data plane
 * counts them when the mirror's time budget runs out; see mirroring/mirror-drops.ts).
 */
export const capturesDroppedId = (endpointName: string) => endpointName;

/** DescribeEndpoint's `CapturesDropped`. */
export async function capturesDropped(store: RegistryStore, endpointName: string): Promise<number> {
  return (await store.get<number>(COLLECTIONS.capturesDropped, capturesDroppedId(endpointName)))?.data ?? 0;
}
