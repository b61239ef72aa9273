import type { ControlContext } from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';

/** Every `S3Uri` under a value (MetricsSource and FileSource both carry one), with its path. */
function s3Uris(value: unknown, path: string, found: { path: string; uri: string }[] = []) {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) s3Uris(v, `${path}[${i}]`, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'S3Uri' && typeof v === 'string') found.push({ path: `${path}.S3Uri`, uri: v });
      else s3Uris(v, `${path}.${key}`, found);
    }
  }
  return found;
}

/**
 * Checks at registration that the reports a package points to (ModelMetrics' and
 * DriftCheckBaselines' statistics, constraints, metrics and config files) can be read, so a
 * registry never records a report that is not there. A missing one is named.
 */
export async function checkReportsReadable(
  ctx: ControlContext,
  input: { ModelMetrics?: unknown; DriftCheckBaselines?: unknown },
): Promise<void> {
  const uris = [
    ...s3Uris(input.ModelMetrics, 'ModelMetrics'),
    ...s3Uris(input.DriftCheckBaselines, 'DriftCheckBaselines'),
  ];
  if (uris.length === 0) return;
  const objects = ctx.objects;
  if (!objects)
    throw new Error('The control plane was built without an object store: ModelMetrics cannot be checked.');
  const unreadable = (
    await Promise.all(uris.map(async (u) => ((await objects.getText(u.uri)) === undefined ? u : undefined)))
  ).filter((u) => u !== undefined);
  if (unreadable.length > 0) {
    throw new ValidationException(
      `Cannot read ${unreadable.map((u) => `${u.path} ${u.uri}`).join(', ')}: no such object.`,
    );
  }
}

/** A ModelCard's content is a JSON document; refuse one that is not, rather than store it. */
export function checkModelCard(card: { ModelCardContent?: string } | undefined): void {
  if (card?.ModelCardContent === undefined) return;
  try {
    JSON.parse(card.ModelCardContent);
  } catch (error) {
    throw new ValidationException(`ModelCard.ModelCardContent is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
