"""sweep's parameter importance next to Optuna's own, on trials where the two should agree.

How to run (from the package root; needs Optuna and scikit-learn, e.g. in a virtual environment):

    python3 -m venv /tmp/optuna-venv && /tmp/optuna-venv/bin/pip install optuna scikit-learn
    /tmp/optuna-venv/bin/python tools/fanova_optuna_comparison.py

It writes Tests/SweepKitTests/Analysis/ReferenceValues/fanova_optuna.json: 300 trials over four
settings with no conditional one and no log scale (Optuna's evaluator drops parameters that some
trials lack and measures log-scale parameters on the raw scale, where sweep's does neither), a
metric whose variance shares are known (optimizer 0.75, dropout 0.25, weight decay and batch norm
0), and three sets of importances for them:

- `reference`: tools/fanova_reference.py, which the Swift implementation must match to 1e-12;
- `optuna`: optuna.importance.FanovaImportanceEvaluator (64 trees, max depth 64, as sweep's) with
  seeds 0 to 9, averaged: scikit-learn's random forest on one-hot encoded categories;
- `analytic`: the shares the metric was built with.

The Swift test checks that its numbers stay within a few hundredths of Optuna's. CI never runs
this; the JSON is committed.
"""

import json
import math
from pathlib import Path

import optuna
import sklearn

from fanova_reference import SplitMix64, importances

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = PACKAGE_ROOT / "Tests" / "SweepKitTests" / "Analysis" / "ReferenceValues" / "fanova_optuna.json"

OPTIMIZERS = ["sgd", "momentum", "adam", "rmsprop"]
PARAMETERS = {
    "optimizer": {"values": OPTIMIZERS},
    "dropout": {"distribution": "uniform", "min": 0, "max": 0.5},
    "weight_decay": {"distribution": "uniform", "min": 0, "max": 0.01},
    "batch_norm": {"values": [False, True]},
}
# The Swift SearchSpace's order (by name; no conditions).
DIMENSIONS = ["batch_norm", "dropout", "optimizer", "weight_decay"]
ANALYTIC = {"optimizer": 0.75, "dropout": 0.25, "weight_decay": 0.0, "batch_norm": 0.0}


def make_trials() -> list:
    """metric = 0.8 ± 0.03 (sgd and momentum below, adam and rmsprop above: variance 0.0009)
    + 0.06 · dropout/0.5 (uniform on [0, 0.06]: variance 0.06²/12 = 0.0003) + noise of sd 0.002."""
    generator = SplitMix64(7)
    trials = []
    for number in range(1, 301):
        optimizer = OPTIMIZERS[generator.next_index(4)]
        dropout = 0.5 * generator.next_unit_double()
        weight_decay = 0.01 * generator.next_unit_double()
        batch_norm = generator.next_index(2) == 1
        metric = 0.8 + (-0.03 if optimizer in ("sgd", "momentum") else 0.03) + 0.06 * dropout / 0.5
        metric += 0.002 * generator.next_standard_normal()
        parameters = {"optimizer": optimizer, "dropout": dropout, "weight_decay": weight_decay, "batch_norm": batch_norm}
        trials.append({"number": number, "parameters": parameters, "validation_accuracy": metric})
    return trials


def optuna_importances(trials: list, seeds: range) -> dict:
    distributions = {
        "optimizer": optuna.distributions.CategoricalDistribution(OPTIMIZERS),
        "dropout": optuna.distributions.FloatDistribution(0, 0.5),
        "weight_decay": optuna.distributions.FloatDistribution(0, 0.01),
        "batch_norm": optuna.distributions.CategoricalDistribution([False, True]),
    }
    study = optuna.create_study(direction="maximize")
    for trial in trials:
        study.add_trial(optuna.trial.create_trial(params=trial["parameters"], distributions=distributions, value=trial["validation_accuracy"]))
    totals = {name: 0.0 for name in distributions}
    for seed in seeds:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
        for name, value in optuna.importance.get_param_importances(study, evaluator=evaluator).items():
            totals[name] += value / len(seeds)
    return totals


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trials = make_trials()
    reference, main_effect_share, _ = importances(trials, PARAMETERS, DIMENSIONS)
    seeds = range(10)
    document = {
        "generator": "tools/fanova_optuna_comparison.py",
        "optuna_version": optuna.__version__,
        "sklearn_version": sklearn.__version__,
        "parameters": PARAMETERS,
        "dimensions": DIMENSIONS,
        "trials": trials,
        "reference": {entry["setting"]: entry["importance"] for entry in reference},
        "reference_main_effect_share": main_effect_share,
        "optuna": optuna_importances(trials, seeds),
        "optuna_seeds": list(seeds),
        "analytic": ANALYTIC,
    }
    OUTPUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    for name in PARAMETERS:
        print(f"{name:>13}  sweep {document['reference'][name]:.4f}  optuna {document['optuna'][name]:.4f}  analytic {ANALYTIC[name]:.2f}")
    print(f"wrote {OUTPUT.relative_to(PACKAGE_ROOT)}")


if __name__ == "__main__":
    main()
