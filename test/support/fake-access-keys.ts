import type { AccessKeyAdmin, AccessKeySummary } from '../../lambdas/domain/kernel/ports.js';

/** An AccessKeyAdmin that issues one fixed key, lists none and finds none to delete. */
export class FakeAccessKeys implements AccessKeyAdmin {
  constructor(private readonly now: Date) {}

  async issue(spec: { role: string }) {
    return {
      accessKeyId: 'AKUSNEWKEY0000000000',
      secretAccessKey: 'fake-new-secret',
      role: spec.role,
      createdAt: this.now.toISOString(),
    };
  }
  async list(): Promise<AccessKeySummary[]> {
    return [];
  }
  async delete(): Promise<'not-found'> {
    return 'not-found';
  }
}
