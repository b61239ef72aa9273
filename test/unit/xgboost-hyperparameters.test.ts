import { describe, expect, it } from 'vitest';
import { ValidationException } from '../../lambdas/domain/kernel/errors.js';
import { parseXGBoostParams } from '../../lambdas/domain/training/xgboost/hyperparameters.js';

describe('parseXGBoostParams', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { num_round: '10', objective: 'reg:linear' },
      /objective must be one of reg:squarederror, binary:logistic, multi:softprob/,
    ],
    [{ objective: 'reg:squarederror' }, /num_round is required/],
    [{ num_round: '0' }, /num_round must be an integer >= 1/],
    [{ num_round: '2.5' }, /num_round must be an integer/],
    [{ num_round: '10', eta: '1.5' }, /eta must be a number >= 0 and <= 1; got "1.5"/],
    [{ num_round: '10', subsample: '0' }, /subsample must be a number > 0 and <= 1/],
    [{ num_round: '10', max_depth: 'six' }, /max_depth must be an integer/],
    [{ num_round: '10', lambda: '-1' }, /lambda must be a number >= 0/],
    [{ num_round: '10', max_bin: '1' }, /max_bin must be an integer >= 2/],
    [{ num_round: '10', objective: 'multi:softprob' }, /num_class is required/],
    [{ num_round: '10', objective: 'multi:softprob', num_class: '1' }, /num_class must be an integer >= 2/],
    [{ num_round: '10', objective: 'binary:logistic', base_score: '2' }, /base_score must be a probability/],
    [
      { num_round: '10', objective: 'binary:logistic', eval_metric: 'rmse' },
      /eval_metric must be one of logloss, error, auc/,
    ],
  ];
  for (const [hp, message] of cases) {
    it(`refuses ${JSON.stringify(hp)} with a ValidationException naming the hyperparameter`, () => {
      expect(() => parseXGBoostParams(hp)).toThrow(ValidationException);
      expect(() => parseXGBoostParams(hp)).toThrow(message);
    });
  }

  it('accepts SageMaker-style strings and leaves names it does not know to the job', () => {
    expect(() =>
      parseXGBoostParams({
        num_round: '50',
        eta: '0.2',
        objective: 'binary:logistic',
        eval_metric: 'auc,error',
        csv_weights: '0',
      }),
    ).not.toThrow();
    expect(parseXGBoostParams({ num_round: '5' })).toMatchObject({
      maxDepth: 6,
      eta: 0.3,
      lambda: 1,
      maxBin: 256,
      evalMetrics: ['rmse'],
    });
  });
});
