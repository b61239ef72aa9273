import type { ArtifactRef } from '../inference/artifact.js';

/** Collections of the registry store. */
export const COLLECTIONS = {
  modelPackageGroup: 'ModelPackageGroup',
  modelPackage: 'ModelPackage',
  packageVersionCounter: 'ModelPackageVersionCounter',
  model: 'Model',
  endpointConfig: 'EndpointConfig',
  endpoint: 'Endpoint',
} as const;

/** A registered artifact: where, its digest and size. */
export interface RegisteredArtifact extends ArtifactRef {
  readonly sizeBytes: number;
}

/** Stored records hold the SageMaker Describe view plus Understudy's own fields under `internal`. */
export type StoredResource<View, Internal = undefined> = View & { internal: Internal };

export interface ModelPackageInternal {
  readonly artifact: RegisteredArtifact;
}

export interface ModelInternal {
  readonly artifact: RegisteredArtifact;
  /** The package the model was created from, whose approval gates deployment. */
  readonly modelPackageArn?: string;
}

/** What the data plane needs of one variant, resolved when the endpoint is deployed. */
export interface RuntimeVariant {
  readonly VariantName: string;
  readonly weight: number;
  readonly ModelName: string;
  readonly artifact: RegisteredArtifact;
}

export interface EndpointInternal {
  readonly variants: readonly RuntimeVariant[];
}

/** Fields of a view that hold timestamps (epoch seconds on the wire). */
export type Timestamp = number;
