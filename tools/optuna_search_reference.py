#!/usr/bin/env python3
"""Optuna's own samplers on the objective of `sweep bench --search`, for comparison.

Each trial trains the configuration Optuna suggests with `sweep train` (the project's engine, in
a child process): 5-fold cross-validated accuracy on the non-test 80% of the data, 30 epochs,
batch 64, over the same space as the benchmark (depth 1-3 with each width log-uniform in
8-256, lr log-uniform in [1e-4, 0.3], weight decay log-uniform in [1e-6, 0.1], dropout uniform
in [0, 0.5], optimizer and activation). For each seed it runs Optuna's RandomSampler for
--random-trials trials and its TPESampler (defaults, one trial at a time: no lag) for
--tpe-trials, and prints, per seed, the random search's best, the trial at which TPE reached it,
and TPE's best after 60 trials, then the median trials-to-target.

Run by hand (CI never installs Optuna):
    python3 -m venv /tmp/optuna-venv && /tmp/optuna-venv/bin/pip install optuna
    swift build -c release
    /tmp/optuna-venv/bin/python tools/optuna_search_reference.py --data builtin:phone-price --seeds 10
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile

import optuna


def objective_for(sweep, source, workdir):
    def objective(trial):
        depth = trial.suggest_int("depth", 1, 3)
        widths = [trial.suggest_int(f"width_{i + 1}", 8, 256, log=True) for i in range(depth)]
        configuration = {
            "data": {"source": source, "test_fraction": 0.2, "folds": 5, "split_seed": 88},
            "hidden_layers": widths,
            "lr": trial.suggest_float("lr", 1e-4, 0.3, log=True),
            "weight_decay": trial.suggest_float("weight_decay", 1e-6, 0.1, log=True),
            "dropout": trial.suggest_float("dropout", 0.0, 0.5),
            "optimizer": trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop", "adagrad"]),
            "activation": trial.suggest_categorical("activation", ["relu", "tanh", "sigmoid"]),
            "epochs": 30,
            "batch_size": 64,
            "seed": trial.number,
        }
        path = os.path.join(workdir, "trial.json")
        with open(path, "w") as file:
            json.dump(configuration, file)
        result = subprocess.run([sweep, "train", path, "--quiet"], capture_output=True, text=True)
        match = re.search(r"^validation: loss \S+ accuracy (\S+)", result.stdout, re.M)
        if result.returncode != 0 or not match:
            return float("nan")  # a diverged run: Optuna counts it as failed
        return float(match.group(1))
    return objective


def best_so_far(study):
    best, curve = float("-inf"), []
    for trial in sorted(study.trials, key=lambda t: t.number):
        if trial.state == optuna.trial.TrialState.COMPLETE and trial.value == trial.value:
            best = max(best, trial.value)
        curve.append(best)
    return curve


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="builtin:phone-price")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--random-trials", type=int, default=200)
    parser.add_argument("--tpe-trials", type=int, default=100)
    parser.add_argument("--sweep", default=".build/release/sweep")
    arguments = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    reached = []
    with tempfile.TemporaryDirectory() as workdir:
        objective = objective_for(arguments.sweep, arguments.data, workdir)
        for seed in range(arguments.seeds):
            random = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed))
            random.optimize(objective, n_trials=arguments.random_trials)
            tpe = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
            tpe.optimize(objective, n_trials=arguments.tpe_trials)
            target = best_so_far(random)[-1]
            curve = best_so_far(tpe)
            hit = next((index + 1 for index, value in enumerate(curve) if value >= target), None)
            reached.append(hit if hit is not None else float("inf"))
            print(json.dumps({"seed": seed, "random_best": target, "tpe_trials_to_target": hit,
                              "tpe_best_after_60": curve[min(59, len(curve) - 1)], "optuna": optuna.__version__}), flush=True)
    print(json.dumps({"data": arguments.data, "median_tpe_trials_to_target": statistics.median_low(reached)}))


if __name__ == "__main__":
    main()
