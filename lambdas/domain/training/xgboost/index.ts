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
  async train(train, validation, hyperParameters, progress) {
    const params = parseXGBoostParams(hyperParameters);
    const { ensemble, rounds, metrics } = boost(train, validation, params, progress);
    return { onnx: exportOnnx(ensemble), metrics, iterations: rounds };
  },
};
