/**
 * How a data-quality job reads captures and judges drift, from its job definition's
 * `Environment` (SageMaker's `MonitoringAppSpecification.Environment` /
 * `DataQualityAppSpecification.Environment`) and `EndpointInput`. Keys Understudy reads:
 *
 * | key | values | default |
 * | --- | --- | --- |
 * | `dataset_format` | SageMaker's `{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}`: which sides of each capture record are analysed | `endpointInput` only |
 * | `features_json_path` | JSONPath picking the features in JSON inputs (`$.instances[*]`, `$.features`); `EndpointInput.FeaturesAttribute` is read the same way | `instances`, a bare array, or an object |
 * | `output_features` | comma-separated baseline features that come from `endpointOutput`, in the output's column order (prediction drift) | none |
 * | `output_json_path` | JSONPath to the prediction in JSON outputs; `EndpointInput.InferenceAttribute` is read the same way | `$.predictions` |
 * | `publish_cloudwatch_metrics` | `Enabled` / `Disabled` (SageMaker's key) | `Enabled` |
 * | `drift_violation_rule` | which drift rule writes `baseline_drift_check` violations: `l_infinity` (SageMaker's), `calibrated` (two-sample test + effect size), `any` | `l_infinity` |
 * | `drift_alpha` | level of the calibrated tests after correction | `0.05` |
 * | `drift_correction` | `benjamini-hochberg`, `bonferroni`, `none` | `benjamini-hochberg` |
 *
 * Other keys are kept and ignored (SageMaker's own container reads more).
 * With `endpointOutput` analysed, `output_features` must name the features it carries; the
 * input side then carries the baseline's other features, in order.
 */
import { ValidationException } from '../kernel/errors.js';
import { type Correction, compileJsonPath, InvalidJsonPathError, type JsonPath } from './statistics/index.js';

export type DriftViolationRule = 'l_infinity' | 'calibrated' | 'any';

export interface JobOptions {
  readonly analyseInput: boolean;
  readonly analyseOutput: boolean;
  readonly featuresJsonPath?: JsonPath;
  readonly outputFeatures: readonly string[];
  readonly outputJsonPath: JsonPath;
  readonly publishMetrics: boolean;
  readonly driftViolationRule: DriftViolationRule;
  readonly alpha: number;
  readonly correction: Correction;
}

export interface EndpointInputFields {
  readonly FeaturesAttribute?: string;
  readonly InferenceAttribute?: string;
}

function path(value: string, key: string): JsonPath {
  try {
    return compileJsonPath(value);
  } catch (error) {
    if (error instanceof InvalidJsonPathError) {
      throw new ValidationException(`${key}: ${error.message}.`, { cause: error });
    }
    throw error;
  }
}

function captureSides(value: string | undefined): { input: boolean; output: boolean } {
  if (value === undefined) return { input: true, output: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new ValidationException(`Environment dataset_format is not JSON: ${(error as Error).message}.`, {
      cause: error,
    });
  }
  const names = (parsed as { sagemakerCaptureJson?: { captureIndexNames?: unknown } } | null)
    ?.sagemakerCaptureJson?.captureIndexNames;
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    !names.every((n) => n === 'endpointInput' || n === 'endpointOutput')
  ) {
    throw new ValidationException(
      'Environment dataset_format must be {"sagemakerCaptureJson": {"captureIndexNames": [...]}} naming endpointInput and/or endpointOutput.',
    );
  }
  return { input: names.includes('endpointInput'), output: names.includes('endpointOutput') };
}

/** Reads and checks the options; ValidationException names the key at fault. */
export function jobOptions(
  environment: Readonly<Record<string, string>> | undefined,
  endpointInput: EndpointInputFields | undefined,
): JobOptions {
  const env = environment ?? {};
  const sides = captureSides(env.dataset_format);
  const outputFeatures = (env.output_features ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (sides.output && outputFeatures.length === 0) {
    throw new ValidationException(
      'dataset_format analyses endpointOutput: name the baseline features it carries in Environment output_features (comma-separated).',
    );
  }
  const featuresPath = env.features_json_path ?? endpointInput?.FeaturesAttribute;
  const outputPath = env.output_json_path ?? endpointInput?.InferenceAttribute ?? '$.predictions';
  const metrics = env.publish_cloudwatch_metrics ?? 'Enabled';
  if (metrics !== 'Enabled' && metrics !== 'Disabled') {
    throw new ValidationException(
      `Environment publish_cloudwatch_metrics must be Enabled or Disabled, got '${metrics}'.`,
    );
  }
  const rule = env.drift_violation_rule ?? 'l_infinity';
  if (rule !== 'l_infinity' && rule !== 'calibrated' && rule !== 'any') {
    throw new ValidationException(
      `Environment drift_violation_rule must be l_infinity, calibrated or any, got '${rule}'.`,
    );
  }
  const alpha = env.drift_alpha === undefined ? 0.05 : Number(env.drift_alpha);
  if (!(alpha > 0 && alpha < 0.5)) {
    throw new ValidationException(
      `Environment drift_alpha must be a number in (0, 0.5), got '${env.drift_alpha}'.`,
    );
  }
  const correction = env.drift_correction ?? 'benjamini-hochberg';
  if (correction !== 'benjamini-hochberg' && correction !== 'bonferroni' && correction !== 'none') {
    throw new ValidationException(
      `Environment drift_correction must be benjamini-hochberg, bonferroni or none, got '${correction}'.`,
    );
  }
  return {
    analyseInput: sides.input,
    analyseOutput: sides.output,
    featuresJsonPath: featuresPath ? path(featuresPath, 'features_json_path / FeaturesAttribute') : undefined,
    outputFeatures,
    outputJsonPath: path(outputPath, 'output_json_path / InferenceAttribute'),
    publishMetrics: metrics === 'Enabled',
    driftViolationRule: rule,
    alpha,
    correction,
  };
}
