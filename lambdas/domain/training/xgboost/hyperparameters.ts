import { ValidationException } from '../../kernel/errors.js';

/** The objectives Understudy trains, named and meant as XGBoost names and means them. */
export type Objective = 'reg:squarederror' | 'binary:logistic' | 'multi:softprob';
export type EvalMetric = 'rmse' | 'mae' | 'logloss' | 'error' | 'auc' | 'mlogloss' | 'merror';

/** XGBoost's hyperparameters, parsed from the strings SageMaker sends. */
export interface XGBoostParams {
  readonly objective: Objective;
  /** Classes (multi:softprob); 1 for the other objectives, whose model has one output group. */
  readonly numClass: number;
  readonly numRound: number;
  readonly maxDepth: number;
  readonly eta: number;
  readonly gamma: number;
  readonly minChildWeight: number;
  readonly subsample: number;
  readonly colsampleBytree: number;
  readonly lambda: number;
  readonly alpha: number;
  readonly maxBin: number;
  /** In the objective's output space (a probability for binary:logistic); absent: estimated from the labels. */
  readonly baseScore?: number;
  readonly earlyStoppingRounds?: number;
  /** The last one decides early stopping, as in XGBoost. */
  readonly evalMetrics: readonly EvalMetric[];
  readonly seed: number;
}

const OBJECTIVES: readonly Objective[] = ['reg:squarederror', 'binary:logistic', 'multi:softprob'];
const METRICS_BY_OBJECTIVE: Record<Objective, readonly EvalMetric[]> = {
  'reg:squarederror': ['rmse', 'mae'],
  'binary:logistic': ['logloss', 'error', 'auc'],
  'multi:softprob': ['mlogloss', 'merror'],
};

interface NumberRule {
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
  /** The lower bound itself is refused (eta > 0 is not required, subsample > 0 is). */
  readonly minExclusive?: boolean;
}

// Ranges as XGBoost documents them, narrowed where a Lambda could not train the value anyway
// (max_depth: 2^20 leaves per tree; max_bin: bins are stored as 16-bit codes).
const RULES = {
  num_round: { integer: true, min: 1, max: 100_000 },
  num_class: { integer: true, min: 2, max: 1_000 },
  max_depth: { integer: true, min: 1, max: 20 },
  eta: { integer: false, min: 0, max: 1 },
  gamma: { integer: false, min: 0, max: Number.POSITIVE_INFINITY },
  min_child_weight: { integer: false, min: 0, max: Number.POSITIVE_INFINITY },
  subsample: { integer: false, min: 0, max: 1, minExclusive: true },
  colsample_bytree: { integer: false, min: 0, max: 1, minExclusive: true },
  lambda: { integer: false, min: 0, max: Number.POSITIVE_INFINITY },
  alpha: { integer: false, min: 0, max: Number.POSITIVE_INFINITY },
  max_bin: { integer: true, min: 2, max: 65_535 },
  base_score: { integer: false, min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY },
  early_stopping_rounds: { integer: true, min: 1, max: 100_000 },
  seed: { integer: true, min: 0, max: 2 ** 31 - 1 },
} satisfies Record<string, NumberRule>;

function describeRange(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  const low = `${rule.minExclusive ? '>' : '>='} ${rule.min}`;
  if (rule.max === Number.POSITIVE_INFINITY)
    return rule.min === Number.NEGATIVE_INFINITY ? kind : `${kind} ${low}`;
  return `${kind} ${low} and <= ${rule.max}`;
}

function parseNumber(hp: Readonly<Record<string, string>>, name: keyof typeof RULES): number | undefined {
  const raw = hp[name];
  if (raw === undefined) return undefined;
  const rule: NumberRule = RULES[name];
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const inRange =
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.minExclusive ? value > rule.min : value >= rule.min) &&
    value <= rule.max;
  if (!inRange) {
    throw new ValidationException(
      `Hyperparameter ${name} must be ${describeRange(rule)}; got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/**
 * Parses and checks XGBoost's hyperparameters; throws ValidationException naming the first
 * one that is unknown in meaning (an objective or metric Understudy does not train) or out of
 * range. Names it does not know are left alone: the training job reads its own (the label
 * column, a header) from the same map.
 */
export function parseXGBoostParams(hp: Readonly<Record<string, string>>): XGBoostParams {
  const objective = (hp.objective ?? 'reg:squarederror') as Objective;
  if (!OBJECTIVES.includes(objective)) {
    throw new ValidationException(
      `Hyperparameter objective must be one of ${OBJECTIVES.join(', ')}; got ${JSON.stringify(hp.objective)}`,
    );
  }
  const numRound = parseNumber(hp, 'num_round');
  if (numRound === undefined) {
    throw new ValidationException(
      `Hyperparameter num_round is required: ${describeRange(RULES.num_round)}, the number of boosting rounds`,
    );
  }
  const numClass = parseNumber(hp, 'num_class');
  if (objective === 'multi:softprob' && numClass === undefined) {
    throw new ValidationException('Hyperparameter num_class is required with objective multi:softprob');
  }
  const baseScore = parseNumber(hp, 'base_score');
  if (objective === 'binary:logistic' && baseScore !== undefined && !(baseScore > 0 && baseScore < 1)) {
    throw new ValidationException(
      `Hyperparameter base_score must be a probability > 0 and < 1 with objective binary:logistic; got ${baseScore}`,
    );
  }
  const allowed = METRICS_BY_OBJECTIVE[objective];
  const evalMetrics = (hp.eval_metric ?? allowed[0] ?? '').split(',').map((m) => m.trim()) as EvalMetric[];
  for (const metric of evalMetrics) {
    if (!allowed.includes(metric)) {
      throw new ValidationException(
        `Hyperparameter eval_metric must be one of ${allowed.join(', ')} with objective ${objective}; got ${JSON.stringify(metric)}`,
      );
    }
  }
  const earlyStoppingRounds = parseNumber(hp, 'early_stopping_rounds');
  return {
    objective,
    numClass: objective === 'multi:softprob' ? (numClass ?? 2) : 1,
    numRound,
    maxDepth: parseNumber(hp, 'max_depth') ?? 6,
    eta: parseNumber(hp, 'eta') ?? 0.3,
    gamma: parseNumber(hp, 'gamma') ?? 0,
    minChildWeight: parseNumber(hp, 'min_child_weight') ?? 1,
    subsample: parseNumber(hp, 'subsample') ?? 1,
    colsampleBytree: parseNumber(hp, 'colsample_bytree') ?? 1,
    lambda: parseNumber(hp, 'lambda') ?? 1,
    alpha: parseNumber(hp, 'alpha') ?? 0,
    maxBin: parseNumber(hp, 'max_bin') ?? 256,
    ...(baseScore !== undefined && { baseScore }),
    ...(earlyStoppingRounds !== undefined && { earlyStoppingRounds }),
    evalMetrics,
    seed: parseNumber(hp, 'seed') ?? 0,
  };
}
