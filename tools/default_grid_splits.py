"""The default grid against a tuned logistic regression on several holdouts of the phone data.

tools/quality_benchmark.py compares on one holdout (train_test_split's random_state 0), which
was also looked at while the default grid's linear models were chosen. This script carves other
holdouts the same way (400 of the 1600 phones of ../shared/data/phone_price.csv, stratified,
random_state 1, 2, ...), and on each compares:

* standardisation + LogisticRegression, C tuned by 5-fold cross-validation over 10^-4 ... 10^4
  on the other 1200 rows (GridSearchCV, 33 values);
* `sweeps/phone-price.json` run with `--data` on the same 1200 rows, its best trial exported
  and run on the holdout by `sweep predict`.

The CSVs and databases go to --out (default results/default-grid-splits, git-ignored).

  python tools/default_grid_splits.py --splits 6
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TOOLS_DIR)
PHONE = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "data", "phone_price.csv"))


def holdout_accuracy(binary: str, model: str, holdout: str, out: str) -> float:
    result = subprocess.run([binary, "predict", model, holdout, "-o", os.path.join(out, "predictions.csv")],
                            capture_output=True, text=True, check=True)
    line = next(l for l in (result.stdout + result.stderr).splitlines() if l.startswith("accuracy"))
    return float(line.split()[3])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", type=int, default=6, help="holdouts, random_state 1 … N (6)")
    parser.add_argument("--sweep", default=os.path.join(REPO_ROOT, ".build", "release", "sweep"), help="the sweep binary")
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "results", "default-grid-splits"))
    args = parser.parse_args(argv)
    if not os.path.exists(args.sweep):
        parser.error(f"no sweep binary at {args.sweep}; build it with swift build -c release (or pass --sweep)")
    os.makedirs(args.out, exist_ok=True)
    frame = pd.read_csv(PHONE)
    print("| holdout (random_state) | tuned logistic regression | default grid | its best trial |")
    print("| --- | --- | --- | --- |")
    wins = ties = losses = 0
    for state in range(1, args.splits + 1):
        train, holdout = train_test_split(frame, test_size=400, random_state=state, stratify=frame["price_range"])
        train_path = os.path.join(args.out, f"train-{state}.csv")
        holdout_path = os.path.join(args.out, f"holdout-{state}.csv")
        train.to_csv(train_path, index=False)
        holdout.to_csv(holdout_path, index=False)
        search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=10000)),
                              {"logisticregression__C": np.logspace(-4, 4, 33)}, cv=5)
        search.fit(train.drop(columns="price_range").values, train["price_range"].values)
        baseline = search.score(holdout.drop(columns="price_range").values, holdout["price_range"].values)
        database = os.path.join(args.out, f"grid-{state}.sqlite")
        model = os.path.join(args.out, f"grid-{state}.safetensors")
        subprocess.run([args.sweep, "run", "sweeps/phone-price.json", "--data", train_path, "--db", database,
                        "--jobs", "2", "--quiet", "--restart"], cwd=REPO_ROOT, check=True, capture_output=True)
        subprocess.run([args.sweep, "export", "--db", database, "-o", model], check=True, capture_output=True)
        grid = holdout_accuracy(args.sweep, model, holdout_path, args.out)
        board = subprocess.run([args.sweep, "leaderboard", "--db", database, "--format", "csv", "--top", "1"],
                               capture_output=True, text=True, check=True).stdout.splitlines()
        best = next(csv.DictReader(board))
        layers = best.get("hidden_layers", "?")
        kind = "linear" if layers == "[]" else f"network {layers}"
        wins, ties, losses = wins + (grid > baseline), ties + (grid == baseline), losses + (grid < baseline)
        print(f"| {state} | {baseline:.4f} (C {search.best_params_['logisticregression__C']:.3g}) | {grid:.4f} | {kind} |", flush=True)
    print(f"\nThe default grid ahead on {wins}, level on {ties}, behind on {losses} of {args.splits} holdouts "
          "(one phone is 0.0025).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
