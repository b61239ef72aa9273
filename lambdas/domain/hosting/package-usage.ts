import type { PackageUsage } from '../kernel/ports.js';
import { COLLECTIONS } from '../kernel/records.js';
import type { RegistryStore } from '../kernel/store.js';
import type { EndpointRecord } from './endpoints.js';
import type { ModelRecord } from './models.js';

/**
 * Which endpoints a model package serves, from the registry: each endpoint's production
 * variants in force and those of a rollout in flight, and the package each variant's model was
 * created from. Two queries and one read per distinct model; endpoints are few.
 */
export class EndpointPackageUsage implements PackageUsage {
  constructor(private readonly store: RegistryStore) {}

  async endpointsServing(modelPackageArn: string): Promise<string[]> {
    const endpoints = await this.store.list<EndpointRecord>(COLLECTIONS.endpoint);
    const modelsOf = new Map(
      endpoints.map((e) => [
        e.EndpointName,
        [...e.internal.variants, ...(e.internal.rollout?.runtime.variants ?? [])].map((v) => v.ModelName),
      ]),
    );
    const names = [...new Set([...modelsOf.values()].flat())];
    const models = await Promise.all(names.map((n) => this.store.get<ModelRecord>(COLLECTIONS.model, n)));
    const target = modelPackageArn.toLowerCase();
    const fromPackage = new Set(
      models
        .filter((m) => m?.data.internal.modelPackageArn?.toLowerCase() === target)
        .map((m) => m?.data.ModelName),
    );
    return [...modelsOf]
      .filter(([, used]) => used.some((m) => fromPackage.has(m)))
      .map(([endpoint]) => endpoint)
      .sort();
  }
}
