/**
 * The comparison a shadow's copies feed: its experiment's, else its endpoint's config-level
 * shadows'. The registry keys the comparison aggregate and the shadow's drop count by it.
 * Apart from comparison-recorder.ts, so the data plane (which counts drops by these ids) does
 * not load the comparison's statistics.
 */
export function comparisonIdFor(endpointName: string, experimentName: string | undefined): string {
  return experimentName ?? `endpoint/${endpointName}`;
}

export const comparisonRecordId = (comparisonId: string, shadowVariant: string) =>
  `${comparisonId}/${shadowVariant}`;
