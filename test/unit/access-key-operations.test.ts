import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { AccessKeyAdmin, AccessKeySpec, AccessKeySummary } from '../../lambdas/domain/kernel/ports.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { MemoryArtifactSource } from '../support/models.js';

const BOOTSTRAP = 'AKUSBOOTSTRAP0000000';

/** Issues AKUSTEST…0001, 0002, … one second apart. */
class MemoryAccessKeys implements AccessKeyAdmin {
  readonly keys: Array<AccessKeySummary & { secretAccessKey: string }> = [];
  async issue(spec: AccessKeySpec) {
    const n = this.keys.length + 1;
    const key = {
      ...spec,
      accessKeyId: `AKUSTEST${String(n).padStart(12, '0')}`,
      secretAccessKey: `secret-${n}`,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    };
    this.keys.push(key);
    return key;
  }
  async list() {
    return this.keys.map(({ secretAccessKey: _, ...summary }) => summary);
  }
  async delete(id: string) {
    if (id === BOOTSTRAP) return 'bootstrap' as const;
    const index = this.keys.findIndex((k) => k.accessKeyId === id);
    if (index < 0) return 'not-found' as const;
    this.keys.splice(index, 1);
    return 'deleted' as const;
  }
}

let keys: MemoryAccessKeys;
let ctx: ControlContext;
const call = (op: string, input: unknown) =>
  dispatch(ctx, `Understudy.${op}`, input) as Promise<Record<string, unknown>>;

beforeEach(() => {
  keys = new MemoryAccessKeys();
  ctx = {
    store: new InMemoryRegistryStore(),
    artifacts: new MemoryArtifactSource(),
    models: { check: async () => undefined },
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: BOOTSTRAP, role: 'admin' },
    accessKeys: keys,
    now: () => new Date('2026-01-01T00:00:00Z'),
  };
});

describe('Understudy.CreateAccessKey', () => {
  it('answers the id, the secret and the role, and the scope and description when given', async () => {
    await expect(call('CreateAccessKey', { Role: 'deployer' })).resolves.toEqual({
      AccessKeyId: 'AKUSTEST000000000001',
      SecretAccessKey: 'secret-1',
      Role: 'deployer',
      CreationTime: Date.UTC(2026, 0, 1, 0, 0, 1) / 1000,
    });
    await expect(
      call('CreateAccessKey', {
        Role: 'invoker',
        EndpointNames: ['a', 'b', 'a'],
        Description: 'batch scorer',
      }),
    ).resolves.toMatchObject({ Role: 'invoker', EndpointNames: ['a', 'b'], Description: 'batch scorer' });
    expect(keys.keys[1]).toMatchObject({ role: 'invoker', endpointNames: ['a', 'b'] });
  });

  it.each([
    [{}, /Role/],
    [{ Role: 'root' }, /Role/],
    [{ Role: 'viewer', EndpointNames: ['a'] }, /EndpointNames limits invoker keys only/],
    [{ Role: 'invoker', EndpointNames: [] }, /EndpointNames/],
    [{ Role: 'invoker', EndpointNames: ['not a name!'] }, /EndpointNames/],
    [{ Role: 'invoker', Description: 'x'.repeat(1025) }, /Description/],
    [{ Role: 'invoker', SecretAccessKey: 'chosen' }, /SecretAccessKey/],
  ])('refuses %j with a ValidationException and issues nothing', async (input, message) => {
    const error = await errorOf(call('CreateAccessKey', input));
    expect(error).toMatchObject({ type: 'ValidationException', statusCode: 400 });
    expect(error.message).toMatch(message);
    expect(keys.keys).toHaveLength(0);
  });
});

describe('Understudy.ListAccessKeys', () => {
  it('pages newest first and never answers a secret', async () => {
    for (const Role of ['viewer', 'invoker', 'deployer']) await call('CreateAccessKey', { Role });
    const first = await call('ListAccessKeys', { MaxResults: 2 });
    expect((first.AccessKeys as { Role: string }[]).map((k) => k.Role)).toEqual(['deployer', 'invoker']);
    const second = await call('ListAccessKeys', { MaxResults: 2, NextToken: first.NextToken });
    expect(second).toEqual({
      AccessKeys: [
        {
          AccessKeyId: 'AKUSTEST000000000001',
          Role: 'viewer',
          CreationTime: Date.UTC(2026, 0, 1, 0, 0, 1) / 1000,
        },
      ],
    });
    expect(JSON.stringify([first, second])).not.toMatch(/secret/i);
  });
});

describe('Understudy.DeleteAccessKey', () => {
  it('deletes a key, then answers ResourceNotFound for it', async () => {
    const { AccessKeyId } = await call('CreateAccessKey', { Role: 'viewer' });
    await expect(call('DeleteAccessKey', { AccessKeyId })).resolves.toEqual({});
    expect(keys.keys).toHaveLength(0);
    expect(await errorOf(call('DeleteAccessKey', { AccessKeyId }))).toMatchObject({
      type: 'ResourceNotFound',
    });
  });

  it("refuses to delete the deployment's admin key, and ids that are not ids", async () => {
    const error = await errorOf(call('DeleteAccessKey', { AccessKeyId: BOOTSTRAP }));
    expect(error).toMatchObject({ type: 'ValidationException' });
    expect(error.message).toMatch(/rotate it in Secrets Manager/);
    expect(await errorOf(call('DeleteAccessKey', { AccessKeyId: 'lower' }))).toMatchObject({
      type: 'ValidationException',
    });
  });
});
