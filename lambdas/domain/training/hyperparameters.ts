/**
 * Reading SageMaker's hyperparameters (every value a string, as SageMaker sends them): each
 * reader throws the kernel's ValidationException naming the hyperparameter, what it got and
 * what it allows, so a bad value is refused before any data is read.
 */
import { ValidationException } from '../kernel/errors.js';

export type HyperParameters = Readonly<Record<string, string>>;

function invalid(name: string, value: string, allowed: string): ValidationException {
  return new ValidationException(`Hyperparameter ${name}='${value}' is not valid: it must be ${allowed}.`);
}

/** An integer in [min, max], or `fallback` when the hyperparameter is absent (or `auto`). */
export function intParam(
  hp: HyperParameters,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = hp[name];
  if (raw === undefined || raw === 'auto') return fallback;
  const value = Number(raw.trim());
  if (!/^\s*[+-]?\d+\s*$/.test(raw) || value < min || value > max) {
    throw invalid(name, raw, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** A finite number in [min, max] (`exclusiveMin`: above min), or `fallback` when absent or `auto`. */
export function numberParam(
  hp: HyperParameters,
  name: string,
  fallback: number,
  range: { min: number; max: number; exclusiveMin?: boolean },
): number {
  const raw = hp[name];
  if (raw === undefined || raw === 'auto') return fallback;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const low = range.exclusiveMin ? value <= range.min : value < range.min;
  if (!Number.isFinite(value) || low || value > range.max) {
    throw invalid(
      name,
      raw,
      `a number ${range.exclusiveMin ? 'above' : 'from'} ${range.min}${range.exclusiveMin ? ' and at most' : ' to'} ${range.max}`,
    );
  }
  return value;
}

export function boolParam(hp: HyperParameters, name: string, fallback: boolean): boolean {
  const raw = hp[name];
  if (raw === undefined || raw === 'auto') return fallback;
  const lower = raw.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw invalid(name, raw, 'true or false');
}

export function enumParam<T extends string>(
  hp: HyperParameters,
  name: string,
  values: readonly T[],
): T | undefined {
  const raw = hp[name];
  if (raw === undefined) return undefined;
  if (!(values as readonly string[]).includes(raw)) throw invalid(name, raw, `one of ${values.join(', ')}`);
  return raw as T;
}

/**
 * Refuses hyperparameters the algorithm does not know, rather than ignoring them silently
 * (SageMaker's built-ins refuse them too). The SDK's own `sagemaker_*` keys are let through.
 */
export function checkKnown(hp: HyperParameters, algorithm: string, known: readonly string[]): void {
  const unknown = Object.keys(hp).filter((k) => !known.includes(k) && !k.startsWith('sagemaker_'));
  if (unknown.length > 0) {
    throw new ValidationException(
      `${algorithm} has no hyperparameter ${unknown.join(', ')}; it takes ${known.join(', ')}.`,
    );
  }
}
