import { DEFAULT_CONTENT_TYPE_RULES } from '../capture/capture-record.js';
import { ValidationException } from '../errors.js';
import { parseS3Uri } from '../inference/artifact.js';
import type { ModelRecord } from './models.js';
import type { RuntimeCapture, RuntimeShadow } from './records.js';

/** SageMaker's DataCaptureConfig, as stored on an endpoint config. */
export interface DataCaptureConfig {
  EnableCapture?: boolean;
  InitialSamplingPercentage: number;
  DestinationS3Uri: string;
  KmsKeyId?: string;
  CaptureOptions: { CaptureMode: 'Input' | 'Output' | 'InputAndOutput' }[];
  CaptureContentTypeHeader?: { CsvContentTypes?: string[]; JsonContentTypes?: string[] };
}

export function checkDataCaptureConfig(config: DataCaptureConfig | undefined): void {
  if (!config) return;
  if (!parseS3Uri(`${config.DestinationS3Uri.replace(/\/+$/, '')}/x`)) {
    throw new ValidationException(
      `DataCaptureConfig.DestinationS3Uri '${config.DestinationS3Uri}' must be an s3://bucket[/prefix] URI.`,
    );
  }
  if (config.CaptureOptions.length === 0) {
    throw new ValidationException('DataCaptureConfig.CaptureOptions must name Input and/or Output.');
  }
}

/** What the data plane needs to capture traffic, resolved from a DataCaptureConfig. */
export function resolveCapture(config: DataCaptureConfig | undefined): RuntimeCapture | undefined {
  if (!config) return undefined;
  const modes = new Set(config.CaptureOptions.map((o) => o.CaptureMode));
  const header = config.CaptureContentTypeHeader;
  return {
    enabled: config.EnableCapture ?? true,
    samplingPercentage: config.InitialSamplingPercentage,
    destination: config.DestinationS3Uri.replace(/\/+$/, ''),
    captureInput: modes.has('Input') || modes.has('InputAndOutput'),
    captureOutput: modes.has('Output') || modes.has('InputAndOutput'),
    csvContentTypes: header?.CsvContentTypes ?? DEFAULT_CONTENT_TYPE_RULES.csvContentTypes,
    jsonContentTypes: header?.JsonContentTypes ?? DEFAULT_CONTENT_TYPE_RULES.jsonContentTypes,
    kmsKeyId: config.KmsKeyId,
  };
}

/** DescribeEndpoint's DataCaptureConfig summary. */
export function captureSummary(capture: RuntimeCapture | undefined) {
  if (!capture) return undefined;
  return {
    EnableCapture: capture.enabled,
    CaptureStatus: capture.enabled ? 'Started' : 'Stopped',
    CurrentSamplingPercentage: capture.samplingPercentage,
    DestinationS3Uri: capture.destination,
    KmsKeyId: capture.kmsKeyId ?? '',
  };
}

/**
 * Shadow variants of an endpoint config (ShadowProductionVariants). As in SageMaker, a
 * shadow's share of mirrored traffic is its weight relative to the production variant's
 * (shadow weight 1 against production weight 1 mirrors every request).
 */
export function resolveConfigShadows(
  production: readonly { VariantName: string; InitialVariantWeight?: number }[],
  shadows: readonly { VariantName: string; InitialVariantWeight?: number }[],
  shadowModels: readonly ModelRecord[],
  capture: RuntimeCapture | undefined,
): RuntimeShadow[] {
  if (shadows.length === 0) return [];
  const source = production[0];
  if (!source || production.length !== 1) {
    throw new ValidationException('ShadowProductionVariants need exactly one production variant to shadow.');
  }
  const sourceWeight = source.InitialVariantWeight ?? 1;
  return shadows.map((shadow, i) => {
    const model = shadowModels[i] as ModelRecord;
    return {
      VariantName: shadow.VariantName,
      weight: 0,
      ModelName: model.ModelName,
      artifact: model.internal.artifact,
      samplingPercentage: Math.min(100, (100 * (shadow.InitialVariantWeight ?? 1)) / sourceWeight),
      sourceVariant: source.VariantName,
      destination: capture?.destination,
      csvContentTypes: capture?.csvContentTypes ?? DEFAULT_CONTENT_TYPE_RULES.csvContentTypes,
      jsonContentTypes: capture?.jsonContentTypes ?? DEFAULT_CONTENT_TYPE_RULES.jsonContentTypes,
    };
  });
}
