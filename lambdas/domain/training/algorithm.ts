/**
 * What a built-in training algorithm is to the training job that runs it: SageMaker's
 * built-in algorithms (`xgboost`, `linear-learner`) trained in process, each exporting an ONNX
 * model that onnxruntime serves with the trainer's own predictions.
 *
 * The job (reading channels from S3, the time limit, progress, the artifact and the registry)
 * knows nothing of how an algorithm learns; an algorithm knows nothing of S3 or the job.
 */

/** A channel's rows, parsed: features row-major (`rows × columns`), one label per row. */
export interface Dataset {
  readonly rows: number;
  readonly columns: number;
  /** `features[row * columns + column]`; NaN marks a missing value. */
  readonly features: Float64Array;
  readonly labels: Float64Array;
}

/** A metric as DescribeTrainingJob's `FinalMetricDataList` names it (`validation:auc`, `train:rmse`). */
export interface TrainingMetric {
  readonly MetricName: string;
  readonly Value: number;
}

export interface TrainedModel {
  /** A serialized ONNX ModelProto: input `features` float [N, columns]; outputs as the algorithm documents. */
  readonly onnx: Uint8Array;
  /** The final metrics on the train and (when given) validation channels. */
  readonly metrics: readonly TrainingMetric[];
  /** Rounds or epochs actually run (early stopping may end training before the limit). */
  readonly iterations: number;
}

export interface TrainingProgress {
  /** Called after each round or epoch, with that iteration's metrics; cheap to call. */
  iteration(index: number, metrics: readonly TrainingMetric[]): void;
  /** True once the job must end (StopTrainingJob, MaxRuntimeInSeconds): the algorithm stops early. */
  readonly stopRequested: () => boolean;
}

export interface BuiltInAlgorithm {
  /** SageMaker's repository name for it: `xgboost`, `linear-learner`. */
  readonly name: string;
  /**
   * Checks the hyperparameters (strings, as SageMaker sends them) before any data is read:
   * throws the kernel's ValidationException naming the hyperparameter and its allowed range.
   */
  validate(hyperParameters: Readonly<Record<string, string>>): void;
  /**
   * What training costs, for the job's time limit checked before training: the iterations
   * (epochs, rounds) the hyperparameters allow at most, and the time one iteration takes per
   * value of the data (a row's label and features), as the algorithm's bench measured it.
   */
  cost(hyperParameters: Readonly<Record<string, string>>): {
    readonly iterations: number;
    readonly nanosecondsPerValue: number;
  };
  train(
    train: Dataset,
    validation: Dataset | undefined,
    hyperParameters: Readonly<Record<string, string>>,
    progress: TrainingProgress,
  ): Promise<TrainedModel>;
}
