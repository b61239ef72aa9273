import { parseS3Uri } from '../kernel/artifact.js';
import { ValidationException } from '../kernel/errors.js';
import type { RuntimeCapture } from '../kernel/records.js';
import { DEFAULT_CONTENT_TYPE_RULES } from './capture-record.js';

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
