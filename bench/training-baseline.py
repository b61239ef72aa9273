#!/usr/bin/env python3
"""The Python baselines of bench/training.bench.ts: LightGBM or XGBoost (tree_method=hist,
one thread) trained on the bench's data with the bench's settings.

    python3 bench/training-baseline.py {lightgbm|xgboost} DATA_DIR ROUNDS MAX_DEPTH

DATA_DIR holds train-x.f64, train-y.f64, valid-x.f64, valid-y.f64 (little-endian float64, the
features row-major with NaN for missing) and shape.json ({"train": rows, "valid": rows,
"columns": n}). Prints one JSON line: library, version, training seconds (wall and CPU),
validation R², and the process's peak RSS (ru_maxrss: interpreter and imports included).
"""
import json
import os
import resource
import sys
import time

import numpy as np


def load(directory):
    with open(os.path.join(directory, "shape.json")) as f:
        shape = json.load(f)
    read = lambda name: np.fromfile(os.path.join(directory, name), dtype="<f8")
    cols = shape["columns"]
    return (read("train-x.f64").reshape(-1, cols), read("train-y.f64"),
            read("valid-x.f64").reshape(-1, cols), read("valid-y.f64"))


def r2(y, p):
    return 1 - float(np.sum((y - p) ** 2) / np.sum((y - np.mean(y)) ** 2))


def main():
    library, directory, rounds, depth = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    xt, yt, xv, yv = load(directory)
    if library == "lightgbm":
        import lightgbm as lgb
        version = lgb.__version__
        # Dataset construction (binning) counts as training, as Understudy's time includes its binning.
        wall, cpu = time.perf_counter(), time.process_time()
        model = lgb.train(
            {"objective": "regression", "max_depth": depth, "num_leaves": 2 ** depth, "learning_rate": 0.3,
             "min_sum_hessian_in_leaf": 1, "min_data_in_leaf": 1, "lambda_l2": 1, "max_bin": 256,
             "num_threads": 1, "seed": 0, "verbose": -1},
            lgb.Dataset(xt, label=yt), num_boost_round=rounds)
    else:
        import xgboost as xgb
        version = xgb.__version__
        wall, cpu = time.perf_counter(), time.process_time()
        model = xgb.train(
            {"objective": "reg:squarederror", "tree_method": "hist", "max_depth": depth, "eta": 0.3,
             "min_child_weight": 1, "lambda": 1, "max_bin": 256, "nthread": 1, "seed": 0},
            xgb.DMatrix(xt, label=yt, missing=np.nan, nthread=1), num_boost_round=rounds)
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    predictions = model.predict(xv) if library == "lightgbm" else model.predict(xgb.DMatrix(xv, missing=np.nan))
    print(json.dumps({
        "library": library, "version": version, "seconds": seconds, "cpuSeconds": cpu_seconds,
        "r2": r2(yv, predictions), "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
