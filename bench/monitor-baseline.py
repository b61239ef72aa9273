#!/usr/bin/env python3
"""The Python baseline of bench/monitor.bench.ts: a data-drift check over SageMaker capture
files as a Python user would write it.

    .venv/bin/python bench/monitor-baseline.py --baseline baseline.csv capture-000.jsonl ...

Reads the baseline dataset (CSV with a header) and the capture files (JSON Lines: the
endpointInput's CSV payload of each record), builds a pandas DataFrame of the window, and runs
  - Evidently's data drift preset (Report([DataDriftPreset()])), or
  - with `--implementation scipy`, scipy over pandas: DataFrame.describe() and, per feature, ks_2samp against the
    baseline, Benjamini-Hochberg-corrected.
Prints one JSON line: which implementation ran, versions, records, seconds, records/s and the
process's peak RSS (ru_maxrss, so interpreter and imports included).

Runs under the project's Python environment (.venv, made from requirements.txt, which pins
Evidently and pandas for it); `--implementation scipy` forces the fallback.
"""
import argparse
import io
import json
import resource
import sys
import time


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def read_window(paths, names, pd):
    """The capture files' endpointInput CSV payloads as one DataFrame (parsed file by file)."""
    frames = []
    records = unparseable = 0
    for path in paths:
        payloads = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                records += 1
                try:
                    payloads.append(json.loads(line)["captureData"]["endpointInput"]["data"])
                except (ValueError, KeyError, TypeError):
                    unparseable += 1
        if payloads:
            frames.append(pd.read_csv(io.StringIO("\n".join(payloads)), header=None, names=names))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=names)
    return frame, records, unparseable


def drift_evidently(reference, current, names):
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=names)
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    drifted = []
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        if not config.get("type", "").endswith("ValueDrift"):
            continue
        value, threshold, method = metric["value"], config["threshold"], config["method"]
        # p-value methods drift below the threshold, distances at or above it.
        is_drift = value < threshold if "p_value" in method else value >= threshold
        if is_drift:
            drifted.append(config["column"])
    return drifted


def drift_scipy(reference, current, names):
    from scipy.stats import ks_2samp

    current.describe()  # the basic statistics (count, mean, std, min, quartiles, max)
    current.isna().mean()  # completeness
    p_values = [ks_2samp(reference[c].dropna(), current[c].dropna()).pvalue for c in names]
    # Benjamini-Hochberg at 5%.
    order = sorted(range(len(names)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(names)
    running = 1.0
    for rank in range(len(order) - 1, -1, -1):
        i = order[rank]
        running = min(running, p_values[i] * len(names) / (rank + 1))
        adjusted[i] = running
    return [c for c, p in zip(names, adjusted) if p <= 0.05]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, help="baseline dataset: CSV with a header")
    parser.add_argument("--implementation", choices=["auto", "evidently", "scipy"], default="auto")
    parser.add_argument("files", nargs="+", help="capture files (JSON Lines)")
    args = parser.parse_args()

    import numpy
    import pandas as pd
    import scipy

    versions = {"python": sys.version.split()[0], "pandas": pd.__version__, "numpy": numpy.__version__,
                "scipy": scipy.__version__}
    implementation = args.implementation
    if implementation in ("auto", "evidently"):
        try:
            import evidently
            from evidently.presets import DataDriftPreset  # noqa: F401

            versions["evidently"] = evidently.__version__
            implementation = "evidently"
        except ImportError:
            if implementation == "evidently":
                raise
            implementation = "scipy"

    reference = pd.read_csv(args.baseline)
    names = list(reference.columns)

    start = time.perf_counter()
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    current, records, unparseable = read_window(args.files, names, pd)
    read_done = time.perf_counter()
    if implementation == "evidently":
        drifted = drift_evidently(reference, current, names)
        label = f"Evidently {versions['evidently']} DataDriftPreset over pandas"
    else:
        drifted = drift_scipy(reference, current, names)
        label = f"scipy {versions['scipy']} ks_2samp + describe() over pandas"
    end = time.perf_counter()
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_end.ru_utime + cpu_end.ru_stime) - (cpu_start.ru_utime + cpu_start.ru_stime)

    print(json.dumps({
        "implementation": label,
        "versions": versions,
        "records": records,
        "rows": int(len(current)),
        "unparseable": unparseable,
        "seconds": end - start,
        "cpu_seconds": cpu,
        "read_seconds": read_done - start,
        "drift_seconds": end - read_done,
        "records_per_second": records / (end - start),
        "peak_rss_mb": peak_rss_mb(),
        "drifted": drifted,
    }))


if __name__ == "__main__":
    main()
