/**
 * SageMaker's built-in `xgboost` algorithm: histogram gradient-boosted trees with XGBoost's
 * hyperparameters, trained in process (booster.ts, tree.ts) and exported as an ONNX tree
 * ensemble (onnx-export.ts).
 */
import type { BuiltInAlgorithm } from '../algorithm.js';
import { boost } from './booster.js';
import { parseXGBoostParams } from './hyperparameters.js';
import { exportOnnx } from './onnx-export.js';

export const xgboost: BuiltInAlgorithm = {
  name: 'xgboost',
  validate(hyperParameters) {
    parseXGBoostParams(hyperParameters);
  },
  // bench/training.bench.ts: about 23 ns per value per round at depth 6 (100,000 × 20, one
  // thread), the histograms of each level costing alike; multi:softprob grows a tree per class.
  cost(hyperParameters) {
    const params = parseXGBoostParams(hyperParameters);
    return { iterations: params.numRound, nanosecondsPerValue: 4 * params.maxDepth * params.numClass };
  },
  async train(train, validation, hyperParameters, progress) {
    const params = parseXGBoostParams(hyperParameters);
    const { ensemble, rounds, metrics } = boost(train, validation, params, progress);
    return { onnx: exportOnnx(ensemble), metrics, iterations: rounds };
  },
};
