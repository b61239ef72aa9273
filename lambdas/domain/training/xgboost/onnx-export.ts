/**
 * A boosted ensemble as an `ai.onnx.ml` tree ensemble. Input `features` float [N, columns].
 * reg:squarederror → TreeEnsembleRegressor, output `score` float [N, 1]; binary:logistic and
 * multi:softprob → TreeEnsembleClassifier, outputs `label` int64 [N] and `probabilities` float
 * [N, classes] (no ZipMap: onnxruntime-node cannot return a sequence of maps); `margin: true`
 * → the raw margins, TreeEnsembleRegressor output `margin` float [N, groups].
 *
 * XGBoost sends a row left when `x < threshold` (float32): that is BRANCH_LT with the left
 * child as the true branch, and its default direction is `nodes_missing_value_tracks_true`.
 */
import { ANSWER_FORMAT_KEY, answerFormatValue } from '../../inference/built-in-answers.js';
import { attribute, DEFAULT_OPSET, ElementType, encodeModel, ML_OPSET, tensorInfo } from '../onnx-writer.js';
import type { Ensemble } from './booster.js';
import type { Tree } from './tree.js';

export interface ExportOptions {
  /** Export the raw margins instead of the objective's predictions. */
  readonly margin?: boolean;
}

interface Leaf {
  readonly tree: number;
  readonly node: number;
  readonly group: number;
  readonly weight: number;
}

export function exportOnnx(ensemble: Ensemble, options: ExportOptions = {}): Uint8Array {
  const { groups, objective } = ensemble;
  const asRegressor = options.margin === true || objective === 'reg:squarederror';
  const trees = [...ensemble.trees];
  const treeGroup = [...ensemble.treeGroup];
  // The classifier's base margin goes into the leaves of each group's first tree: onnxruntime
  // reads `base_values` of a two-class TreeEnsembleClassifier in ways the spec leaves open, and
  // a leaf sum is read one way. A group without trees gets a one-leaf tree holding it.
  const folded = new Set<number>();
  if (!asRegressor) {
    for (let k = 0; k < groups; k++) {
      if (!treeGroup.includes(k)) {
        trees.push(leafTree(0));
        treeGroup.push(k);
      }
    }
  }

  const nodes = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    trueIds: [] as number[],
    falseIds: [] as number[],
    missingTrue: [] as number[],
  };
  const leaves: Leaf[] = [];
  trees.forEach((tree, t) => {
    const group = treeGroup[t] as number;
    const fold = !asRegressor && !folded.has(group);
    if (fold) folded.add(group);
    for (let n = 0; n < tree.left.length; n++) {
      const isLeaf = (tree.left[n] as number) < 0;
      nodes.treeIds.push(t);
      nodes.nodeIds.push(n);
      nodes.featureIds.push(isLeaf ? 0 : (tree.feature[n] as number));
      nodes.modes.push(isLeaf ? 'LEAF' : 'BRANCH_LT');
      nodes.values.push(isLeaf ? 0 : Math.fround(tree.threshold[n] as number));
      nodes.trueIds.push(isLeaf ? 0 : (tree.left[n] as number));
      nodes.falseIds.push(isLeaf ? 0 : (tree.right[n] as number));
      nodes.missingTrue.push(!isLeaf && tree.defaultLeft[n] ? 1 : 0);
      if (isLeaf) {
        const weight = (tree.value[n] as number) + (fold ? (ensemble.baseMargin[group] as number) : 0);
        // Binary: the trees' sum is class 1's score; class 0 keeps none, so SOFTMAX([0, m]) is [1 - σ(m), σ(m)].
        leaves.push({
          tree: t,
          node: n,
          group: objective === 'binary:logistic' && !asRegressor ? 1 : group,
          weight,
        });
      }
    }
  });

  const treeAttributes = [
    attribute('nodes_treeids', nodes.treeIds, 'int'),
    attribute('nodes_nodeids', nodes.nodeIds, 'int'),
    attribute('nodes_featureids', nodes.featureIds, 'int'),
    attribute('nodes_modes', nodes.modes, 'string'),
    attribute('nodes_values', nodes.values),
    attribute('nodes_truenodeids', nodes.trueIds, 'int'),
    attribute('nodes_falsenodeids', nodes.falseIds, 'int'),
    attribute('nodes_missing_value_tracks_true', nodes.missingTrue, 'int'),
  ];
  const leafAttributes = (prefix: 'target' | 'class') => [
    attribute(
      `${prefix}_treeids`,
      leaves.map((l) => l.tree),
      'int',
    ),
    attribute(
      `${prefix}_nodeids`,
      leaves.map((l) => l.node),
      'int',
    ),
    attribute(
      `${prefix}_ids`,
      leaves.map((l) => l.group),
      'int',
    ),
    attribute(
      `${prefix}_weights`,
      leaves.map((l) => l.weight),
    ),
  ];
  const input = tensorInfo('features', ElementType.FLOAT, ['N', ensemble.columns]);
  // The endpoint answers as SageMaker's XGBoost container does (inference/built-in-answers.ts); margins are for tests.
  const metadata = options.margin
    ? undefined
    : { [ANSWER_FORMAT_KEY]: answerFormatValue({ algorithm: 'xgboost', variant: objective }) };

  if (asRegressor) {
    const output = options.margin ? 'margin' : 'score';
    return encodeModel({
      graphName: `xgboost_${objective.replace(':', '_')}`,
      opsets: [DEFAULT_OPSET, ML_OPSET],
      metadata,
      inputs: [input],
      outputs: [tensorInfo(output, ElementType.FLOAT, ['N', groups])],
      nodes: [
        {
          opType: 'TreeEnsembleRegressor',
          domain: ML_OPSET.domain,
          name: 'trees',
          input: ['features'],
          output: [output],
          attribute: [
            ...treeAttributes,
            ...leafAttributes('target'),
            attribute('n_targets', groups, 'int'),
            attribute('aggregate_function', 'SUM'),
            attribute('post_transform', 'NONE'),
            attribute('base_values', [...ensemble.baseMargin]),
          ],
        },
      ],
    });
  }
  const classes = objective === 'binary:logistic' ? 2 : groups;
  return encodeModel({
    graphName: `xgboost_${objective.replace(':', '_')}`,
    opsets: [DEFAULT_OPSET, ML_OPSET],
    metadata,
    inputs: [input],
    outputs: [
      tensorInfo('label', ElementType.INT64, ['N']),
      tensorInfo('probabilities', ElementType.FLOAT, ['N', classes]),
    ],
    nodes: [
      {
        opType: 'TreeEnsembleClassifier',
        domain: ML_OPSET.domain,
        name: 'trees',
        input: ['features'],
        output: ['label', 'probabilities'],
        attribute: [
          ...treeAttributes,
          ...leafAttributes('class'),
          attribute(
            'classlabels_int64s',
            Array.from({ length: classes }, (_, i) => i),
            'int',
          ),
          attribute('post_transform', 'SOFTMAX'),
        ],
      },
    ],
  });
}

function leafTree(value: number): Tree {
  return { left: [-1], right: [-1], feature: [0], threshold: [0], defaultLeft: [false], value: [value] };
}
