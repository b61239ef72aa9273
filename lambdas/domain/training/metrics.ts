/**
 * The evaluation metrics the built-in algorithms report (FinalMetricDataList), in float64.
 * Written here because they are a few lines each; AUC is the rank statistic
 * (Mann–Whitney U, ties counted half), as scikit-learn's roc_auc_score computes it.
 */

export function meanSquaredError(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += ((predictions[i] as number) - (labels[i] as number)) ** 2;
  return sum / labels.length;
}

export function meanAbsoluteError(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += Math.abs((predictions[i] as number) - (labels[i] as number));
  return sum / labels.length;
}

/** The share of rows whose predicted class equals the label. */
export function accuracy(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predicted[i]) right++;
  return right / labels.length;
}

/** Area under the ROC curve of scores for 0/1 labels; NaN when only one class is present. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    const score = scores[order[start] as number] as number;
    while (end < order.length && scores[order[end] as number] === score) end++;
    const midRank = (start + end + 1) / 2; // 1-based average rank of the tied run
    for (let k = start; k < end; k++) {
      if (labels[order[k] as number] === 1) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
