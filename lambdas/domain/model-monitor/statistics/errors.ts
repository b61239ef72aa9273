/**
 * Errors of the monitoring domain. Callers narrow with `instanceof`; the monitor handler
 * turns them into a Failed execution with the message as its reason, the control plane into
 * a 4xx (none of them carries anything a user should not see).
 */
export class MonitoringError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MonitoringError';
  }
}

/** Which Model Monitor file a problem was found in. */
export type MonitoringFileName = 'statistics.json' | 'constraints.json' | 'constraint_violations.json';

/**
 * A statistics.json / constraints.json that cannot be used: not JSON at all (`kind: 'syntax'`)
 * or JSON that breaks Model Monitor's schema (`kind: 'schema'`, with one line per problem in
 * `problems`, each naming the JSON path, e.g. `features[2].completeness: expected number`).
 */
export class InvalidMonitoringFileError extends MonitoringError {
  constructor(
    readonly file: MonitoringFileName,
    readonly kind: 'syntax' | 'schema',
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      kind === 'syntax'
        ? `${file} is not valid JSON: ${problems.join('; ')}`
        : `${file} does not follow Model Monitor's schema: ${problems.join('; ')}`,
      options,
    );
    this.name = 'InvalidMonitoringFileError';
  }
}

/** Accumulators or sketches that cannot be combined (different features, accuracies, versions). */
export class IncompatibleStatisticsError extends MonitoringError {
  constructor(message: string) {
    super(message);
    this.name = 'IncompatibleStatisticsError';
  }
}
