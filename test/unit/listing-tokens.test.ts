import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { type ControlContext, ListingTokens } from '../../lambdas/domain/kernel/context.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

let ctx: ControlContext;
const tokens = new ListingTokens(async () => Buffer.from('k'.repeat(64)));
const otherKey = new ListingTokens(async () => Buffer.from('x'.repeat(64)));

/** A call as the control handler makes it: open the token, dispatch, seal the answer's token. */
async function list(op: string, input: Record<string, unknown>, through = tokens) {
  const output = await dispatch(ctx, op, await through.open(op, input));
  return (await through.seal(op, input, output)) as Record<string, unknown> & { NextToken?: string };
}

beforeEach(async () => {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://models/regressor.onnx', fixture('regressor.onnx'));
  ctx = {
    store: new InMemoryRegistryStore(),
    artifacts,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => new Date('2026-11-25T12:00:00Z'),
  };
  for (const name of ['a', 'b', 'c', 'd', 'e']) {
    await dispatch(ctx, 'CreateModel', {
      ModelName: name,
      PrimaryContainer: { ModelDataUrl: 's3://models/regressor.onnx' },
    });
    await dispatch(ctx, 'CreateEndpointConfig', {
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'v', ModelName: name }],
    });
  }
});

describe('listing tokens', () => {
  const byName = { SortBy: 'Name', SortOrder: 'Ascending' };

  it('page through a listing; the page size may change between pages', async () => {
    const first = await list('ListModels', { ...byName, MaxResults: 2 });
    expect(first.NextToken).toMatch(/^[\w-]+\.[\w-]+$/);
    const rest = await list('ListModels', { ...byName, MaxResults: 3, NextToken: first.NextToken });
    expect(
      [...(first.Models as never[]), ...(rest.Models as never[])].map(
        (m: { ModelName: string }) => m.ModelName,
      ),
    ).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(rest.NextToken).toBeUndefined();
  });

  it('refuse a token that was altered, before the operation runs', async () => {
    const { NextToken } = await list('ListModels', { ...byName, MaxResults: 2 });
    const [position = '', mac = ''] = (NextToken as string).split('.');
    const forged = `${Buffer.from(JSON.stringify({ offset: 0 })).toString('base64url')}.${mac}`;
    const flipped = `${position}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [forged, flipped, 'garbage', `${position}.`, `.${mac}`]) {
      const error = await errorOf(list('ListModels', { ...byName, NextToken: bad }));
      expect(error.type).toBe('ValidationException');
      expect(error.message).toMatch(/NextToken is not valid for this ListModels listing/);
    }
  });

  it("refuse another listing's token: another operation, other filters, another key", async () => {
    const { NextToken } = await list('ListModels', { ...byName, MaxResults: 2 });
    const elsewhere = [
      list('ListEndpointConfigs', { ...byName, NextToken }),
      list('ListModels', { SortBy: 'CreationTime', SortOrder: 'Ascending', NextToken }),
      list('ListModels', { ...byName, NameContains: 'a', NextToken }),
      list('ListModels', { ...byName, NextToken }, otherKey),
    ];
    for (const call of elsewhere) expect((await errorOf(call)).type).toBe('ValidationException');
    // Filters in another key order are the same listing.
    const same = await list('ListModels', { SortOrder: 'Ascending', SortBy: 'Name', NextToken });
    expect((same.Models as { ModelName: string }[])[0]?.ModelName).toBe('c');
  });
});
