#!/usr/bin/env python3
"""Reference values for the TPE sampler (Sources/SweepKit/Samplers), from Optuna's own internals.

Writes Tests/SweepKitTests/Samplers/Fixtures/tpe_reference.json, which the Swift tests compare
against. Needs only optuna (and numpy, which it brings):

    python3 -m venv /tmp/optuna-venv && /tmp/optuna-venv/bin/pip install optuna
    /tmp/optuna-venv/bin/python tools/tpe_reference.py

Every case is hand-built and fixed (no random draws from Optuna: its generator is numpy's, which
the Swift sampler does not reproduce), so the output is deterministic. Dimensions are written as
the sweep's spec writes them (kind, min, max, q, count) and mapped to Optuna's distributions:

    values (count C)       CategoricalDistribution(range(C)): the coordinate is the index
    uniform                FloatDistribution(min, max)
    log_uniform            FloatDistribution(min, max, log=True)
    int_uniform            IntDistribution(min, max)
    int_log_uniform        IntDistribution(min, max, log=True)
    q_uniform              FloatDistribution(min, max, step=q)  (min and max multiples of q)

Sections:
    weights       default_weights(n)
    gamma         default_gamma(n)
    estimators    _ParzenEstimator built on fixed observations: mixture weights, each
                  dimension's kernels (mu, sigma in the kernel space, or categorical weights)
                  and log_pdf at fixed points
    acquisitions  log l(x), log g(x) at fixed candidates and the argmax Optuna's _compare takes
    splits        _split_trials on studies of complete and pruned trials (ties, n >= 25)
    pipelines     a conditional search space and a study: the split, then for every parameter
                  the estimators of independent sampling and, for multivariate sampling with
                  group=True, the group decomposition and each group's estimators; one study
                  ends in running trials, split as constant_liar=True (the default) splits them
"""

from __future__ import annotations

import json
import math
import pathlib
import sys

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.probability_distributions import _BatchedCategoricalDistributions
from optuna.samplers._tpe.sampler import TPESampler, _split_trials, default_gamma, default_weights
from optuna.search_space.group_decomposed import _GroupDecomposedSearchSpace
from optuna.trial import TrialState, create_trial

OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/SweepKitTests/Samplers/Fixtures/tpe_reference.json"

optuna.logging.set_verbosity(optuna.logging.ERROR)


def distribution(dimension: dict):
    kind = dimension["kind"]
    if kind == "values":
        return CategoricalDistribution(list(range(dimension["count"])))
    if kind == "uniform":
        return FloatDistribution(dimension["min"], dimension["max"])
    if kind == "log_uniform":
        return FloatDistribution(dimension["min"], dimension["max"], log=True)
    if kind == "int_uniform":
        return IntDistribution(dimension["min"], dimension["max"])
    if kind == "int_log_uniform":
        return IntDistribution(dimension["min"], dimension["max"], log=True)
    if kind == "q_uniform":
        return FloatDistribution(dimension["min"], dimension["max"], step=dimension["q"])
    raise ValueError(kind)


def floats(values) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=float).ravel()]


def describe(estimator: _ParzenEstimator) -> dict:
    """The mixture: its weights and, per dimension, the kernels."""
    mixture = estimator._mixture_distribution
    dimensions = []
    for batched in mixture.distributions:
        if isinstance(batched, _BatchedCategoricalDistributions):
            dimensions.append({"probabilities": [floats(row) for row in batched.weights]})
        else:
            dimensions.append({"mus": floats(batched.mu), "sigmas": floats(batched.sigma)})
    return {"weights": floats(mixture.weights), "dimensions": dimensions}


def parameters(case: dict) -> _ParzenEstimatorParameters:
    return _ParzenEstimatorParameters(
        prior_weight=case.get("prior_weight", 1.0),
        consider_magic_clip=case.get("magic_clip", True),
        consider_endpoints=case.get("endpoints", False),
        weights=default_weights,
        multivariate=True,  # unused by Optuna 5.1's estimator
    )


def build(dimensions: list[dict], observations: list[list[float]], case: dict) -> _ParzenEstimator:
    names = [f"x{i}" for i in range(len(dimensions))]
    space = {name: distribution(d) for name, d in zip(names, dimensions)}
    columns = np.asarray(observations, dtype=float).reshape(len(observations), len(dimensions))
    return _ParzenEstimator({name: columns[:, i] for i, name in enumerate(names)}, space, parameters(case))


def log_pdf(estimator: _ParzenEstimator, dimensions: list[dict], points: list[list[float]]) -> list[float]:
    columns = np.asarray(points, dtype=float).reshape(len(points), len(dimensions))
    return floats(estimator.log_pdf({f"x{i}": columns[:, i] for i in range(len(dimensions))}))


# MARK: estimators

UNIFORM = {"kind": "uniform", "min": -2.0, "max": 3.0}
LOG = {"kind": "log_uniform", "min": 1e-4, "max": 0.1}
INT = {"kind": "int_uniform", "min": 2, "max": 9}
INT_LOG = {"kind": "int_log_uniform", "min": 1, "max": 512}
STEPPED = {"kind": "q_uniform", "min": 0.0, "max": 0.5, "q": 0.1}
STEPPED_FINE = {"kind": "q_uniform", "min": 0.1, "max": 0.9, "q": 0.05}
CHOICES = {"kind": "values", "count": 4}

UNIFORM_OBSERVED = [[0.3], [-1.7], [2.9], [0.35], [1.1]]
UNIFORM_POINTS = [[-2.0], [-1.0], [0.0], [0.31], [1.5], [2.99], [3.0]]


def estimator_cases() -> list[dict]:
    cases = [
        {"name": "uniform, no observation: the prior alone", "dimensions": [UNIFORM], "observations": [], "points": UNIFORM_POINTS},
        {"name": "uniform, one observation", "dimensions": [UNIFORM], "observations": [[0.3]], "points": UNIFORM_POINTS},
        {"name": "uniform, two observations", "dimensions": [UNIFORM], "observations": [[0.3], [2.0]], "points": UNIFORM_POINTS},
        {"name": "uniform, defaults", "dimensions": [UNIFORM], "observations": UNIFORM_OBSERVED, "points": UNIFORM_POINTS},
        {"name": "uniform, endpoints", "dimensions": [UNIFORM], "observations": UNIFORM_OBSERVED, "points": UNIFORM_POINTS, "endpoints": True},
        {"name": "uniform, no magic clip", "dimensions": [UNIFORM], "observations": UNIFORM_OBSERVED, "points": UNIFORM_POINTS, "magic_clip": False},
        {"name": "uniform, no magic clip, endpoints, equal observations", "dimensions": [UNIFORM],
         "observations": [[0.5], [0.5], [0.5], [1.0]], "points": UNIFORM_POINTS + [[0.5]], "magic_clip": False, "endpoints": True},
        {"name": "uniform, prior weight 2.5", "dimensions": [UNIFORM], "observations": UNIFORM_OBSERVED, "points": UNIFORM_POINTS, "prior_weight": 2.5},
        {"name": "uniform, prior weight 0.3", "dimensions": [UNIFORM], "observations": UNIFORM_OBSERVED, "points": UNIFORM_POINTS, "prior_weight": 0.3},
        {"name": "uniform, 30 observations: ramped weights", "dimensions": [UNIFORM],
         "observations": [[round(-2.0 + 5.0 * ((i * 0.6180339887) % 1.0), 6)] for i in range(30)], "points": UNIFORM_POINTS},
        {"name": "log uniform", "dimensions": [LOG], "observations": [[0.001], [0.0003], [0.05], [0.0011], [0.02], [0.0001]],
         "points": [[1e-4], [3e-4], [1e-3], [0.0105], [0.1]]},
        {"name": "log uniform, endpoints, no magic clip", "dimensions": [LOG], "observations": [[0.001], [0.0003], [0.05]],
         "points": [[1e-4], [1e-3], [0.09]], "endpoints": True, "magic_clip": False},
        {"name": "int uniform with repeats", "dimensions": [INT], "observations": [[3], [3], [7], [9], [2], [5], [3]],
         "points": [[2], [3], [4], [6], [9]]},
        {"name": "int uniform, no magic clip", "dimensions": [INT], "observations": [[3], [3], [7], [9]],
         "points": [[2], [3], [4], [6], [9]], "magic_clip": False},
        {"name": "int log uniform", "dimensions": [INT_LOG], "observations": [[16], [32], [32], [200], [1], [512], [64], [100]],
         "points": [[1], [2], [31], [32], [33], [256], [512]]},
        {"name": "q uniform", "dimensions": [STEPPED], "observations": [[0.0], [0.1], [0.1], [0.4], [0.2], [0.5]],
         "points": [[0.0], [0.1], [0.2], [0.3], [0.4], [0.5]]},
        {"name": "q uniform, fine steps, endpoints", "dimensions": [STEPPED_FINE], "observations": [[0.1], [0.35], [0.4], [0.85]],
         "points": [[0.1], [0.15], [0.4], [0.6], [0.9]], "endpoints": True},
        {"name": "categorical, no observation", "dimensions": [CHOICES], "observations": [], "points": [[0], [1], [2], [3]]},
        {"name": "categorical", "dimensions": [CHOICES], "observations": [[2], [2], [0], [2], [3]], "points": [[0], [1], [2], [3]]},
        {"name": "categorical, prior weight 0.5", "dimensions": [CHOICES], "observations": [[2], [2], [0]], "points": [[0], [1], [2], [3]],
         "prior_weight": 0.5},
        {"name": "multivariate, every kind", "dimensions": [UNIFORM, LOG, INT, INT_LOG, STEPPED, CHOICES],
         "observations": [
             [0.3, 0.001, 3, 16, 0.1, 2],
             [-1.7, 0.0003, 3, 32, 0.0, 2],
             [2.9, 0.05, 7, 200, 0.4, 0],
             [0.35, 0.0011, 9, 1, 0.1, 2],
             [1.1, 0.02, 2, 512, 0.5, 3],
             [0.0, 0.0001, 5, 64, 0.2, 1],
         ],
         "points": [[0.3, 0.001, 3, 16, 0.1, 2], [0.0, 0.01, 5, 100, 0.3, 1], [-2.0, 0.1, 9, 512, 0.5, 3], [2.5, 0.0002, 2, 1, 0.0, 0]]},
        {"name": "multivariate, no observation", "dimensions": [UNIFORM, INT, CHOICES], "observations": [],
         "points": [[0.3, 3, 2], [-2.0, 9, 0]]},
        {"name": "multivariate, endpoints, no magic clip, prior weight 2", "dimensions": [UNIFORM, STEPPED, CHOICES],
         "observations": [[0.3, 0.1, 2], [-1.7, 0.1, 2], [2.9, 0.4, 0]], "points": [[0.3, 0.1, 2], [1.0, 0.3, 1]],
         "endpoints": True, "magic_clip": False, "prior_weight": 2.0},
    ]
    for case in cases:
        estimator = build(case["dimensions"], case["observations"], case)
        case["expected"] = describe(estimator) | {"log_pdf": log_pdf(estimator, case["dimensions"], case["points"])}
    return cases


# MARK: acquisitions

def acquisition_cases() -> list[dict]:
    cases = [
        {"name": "one number",
         "dimensions": [UNIFORM],
         "below": [[0.3], [0.35], [0.25]],
         "above": [[-1.7], [2.9], [1.1], [-0.5], [2.2], [0.9], [-1.2]],
         "candidates": [[-1.9], [2.8], [0.31], [0.6], [0.29], [1.5]]},
        {"name": "a number, a step and a choice",
         "dimensions": [LOG, STEPPED, CHOICES],
         "below": [[0.001, 0.1, 2], [0.0012, 0.1, 2]],
         "above": [[0.05, 0.4, 0], [0.0003, 0.0, 1], [0.02, 0.5, 3], [0.0001, 0.2, 2], [0.09, 0.1, 1]],
         "candidates": [[0.05, 0.4, 0], [0.0011, 0.1, 1], [0.001, 0.1, 2], [0.0009, 0.2, 2], [0.003, 0.1, 2]]},
    ]
    sampler = TPESampler()
    for case in cases:
        below = build(case["dimensions"], case["below"], case)
        above = build(case["dimensions"], case["above"], case)
        columns = np.asarray(case["candidates"], dtype=float)
        samples = {f"x{i}": columns[:, i] for i in range(len(case["dimensions"]))}
        values = sampler._compute_acquisition_func(samples, below, above)
        case["expected"] = {
            "log_below": floats(below.log_pdf(samples)),
            "log_above": floats(above.log_pdf(samples)),
            "best": int(np.argmax(values)),
        }
    return cases


# MARK: splits and pipelines

def make_study(trials: list[dict], space: dict) -> optuna.Study:
    """trials: {number, state ("complete"/"pruned"/"running"), value, step (pruned), params}."""
    study = optuna.create_study(direction="minimize")
    for trial in sorted(trials, key=lambda t: t["number"]):
        params = trial.get("params", {})
        distributions = {name: space[name] for name in params}
        external = {name: (int(v) if isinstance(space[name], (CategoricalDistribution, IntDistribution)) else v)
                    for name, v in params.items()}
        if trial["state"] == "complete":
            frozen = create_trial(state=TrialState.COMPLETE, value=trial["value"], params=external, distributions=distributions)
        elif trial["state"] == "running":
            frozen = create_trial(state=TrialState.RUNNING, params=external, distributions=distributions)
        else:
            frozen = create_trial(state=TrialState.PRUNED, params=external, distributions=distributions,
                                  intermediate_values={trial["step"]: trial["value"]})
        study.add_trial(frozen)
    return study


def ranked(trials: list[dict]) -> list[int]:
    """Best first, as the sweep's ranking gives them to a sampler: complete trials by value (ties
    by number), then pruned ones by most steps, then value."""
    complete = sorted((t for t in trials if t["state"] == "complete"), key=lambda t: (t["value"], t["number"]))
    pruned = sorted((t for t in trials if t["state"] == "pruned"), key=lambda t: (-t["step"], t["value"], t["number"]))
    return [t["number"] for t in complete + pruned]


def split(study: optuna.Study) -> tuple[list, list]:
    """As TPESampler._sample splits with constant_liar=True: running trials join the bad group and
    do not count in n for gamma (with no running trial, the plain split)."""
    trials = study._get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING))
    n = sum(trial.state != TrialState.RUNNING for trial in trials)
    return _split_trials(study, trials, default_gamma(n))


def split_case(name: str, trials: list[dict]) -> dict:
    for trial in trials:
        trial.setdefault("state", "complete")
    below, above = split(make_study(trials, {}))
    return {"name": name, "trials": trials, "ranked": ranked(trials),
            "expected": {"below": [t.number for t in below], "above": [t.number for t in above]}}


def split_cases() -> list[dict]:
    return [
        split_case("ten trials: the best one", [{"number": i, "value": v} for i, v in enumerate([5, 3, 8, 1, 9, 7, 2, 6, 4, 10])]),
        split_case("eleven trials: the best two", [{"number": i, "value": float((i * 7) % 11)} for i in range(11)]),
        split_case("ties go to the lower number",
                   [{"number": i, "value": v} for i, v in enumerate([2.0, 1.0, 1.0, 3.0, 1.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 9.5])]),
        split_case("pruned trials fill the good group after the complete ones",
                   [{"number": 0, "value": 3.0}] + [{"number": i, "state": "pruned", "step": 10 + i % 3, "value": float(i)} for i in range(1, 15)]),
        split_case("only pruned trials",
                   [{"number": i, "state": "pruned", "step": 5, "value": float(20 - i)} for i in range(12)]),
        split_case("260 trials: at most 25 good",
                   [{"number": i, "value": float((i * 37) % 260)} for i in range(260)]),
    ]


PIPELINE_SPACE = [
    # name, dimension, condition (parent, coordinates)
    ("batch_size", {"kind": "int_uniform", "min": 16, "max": 128}, None),
    ("dropout", {"kind": "q_uniform", "min": 0.0, "max": 0.5, "q": 0.1}, None),
    ("hidden_layers.depth", {"kind": "values", "count": 3}, None),
    ("lr", {"kind": "log_uniform", "min": 1e-4, "max": 0.1}, None),
    ("optimizer", {"kind": "values", "count": 3}, None),
    ("beta", {"kind": "q_uniform", "min": 0.8, "max": 0.99, "q": 0.01}, ("optimizer", [1])),
    ("hidden_layers.width_1", {"kind": "int_log_uniform", "min": 16, "max": 256}, ("hidden_layers.depth", [0, 1, 2])),
    ("hidden_layers.width_2", {"kind": "int_log_uniform", "min": 16, "max": 256}, ("hidden_layers.depth", [1, 2])),
    ("hidden_layers.width_3", {"kind": "int_log_uniform", "min": 16, "max": 256}, ("hidden_layers.depth", [2])),
    ("momentum", {"kind": "uniform", "min": 0.5, "max": 0.99}, ("optimizer", [0])),
]


def pipeline_trials(count: int, pruned_every: int, running_last: int = 0) -> list[dict]:
    """Fixed trials over PIPELINE_SPACE, drawn once by a seeded numpy generator and written out;
    the last `running_last` are running (no value)."""
    rng = np.random.RandomState(2023)
    trials = []
    for number in range(count):
        params: dict[str, float] = {}
        for name, dimension, condition in PIPELINE_SPACE:
            if condition and params.get(condition[0]) not in condition[1]:
                continue
            kind = dimension["kind"]
            if kind == "values":
                value = float(rng.randint(dimension["count"]))
            elif kind == "uniform":
                value = round(float(rng.uniform(dimension["min"], dimension["max"])), 6)
            elif kind == "log_uniform":
                value = float(f"{math.exp(rng.uniform(math.log(dimension['min']), math.log(dimension['max']))):.6g}")
            elif kind in ("int_uniform", "int_log_uniform"):
                value = float(rng.randint(dimension["min"], dimension["max"] + 1))
            else:
                steps = round((dimension["max"] - dimension["min"]) / dimension["q"])
                value = round(dimension["min"] + rng.randint(steps + 1) * dimension["q"], 10)
            params[name] = value
        loss = round(abs(math.log10(params["lr"]) + 2.5) + params["dropout"] + 0.1 * params["optimizer"] + float(rng.uniform(0, 0.2)), 6)
        trial = {"number": number, "params": params, "value": loss, "state": "complete"}
        if number >= count - running_last:
            trial |= {"state": "running", "value": None}
        elif pruned_every and number % pruned_every == pruned_every - 1:
            trial |= {"state": "pruned", "step": 1 + number % 4}
        trials.append(trial)
    return trials


def pipeline_case(name: str, trials: list[dict]) -> dict:
    space = {name: distribution(dimension) for name, dimension, _ in PIPELINE_SPACE}
    study = make_study(trials, space)
    below, above = split(study)
    sampler = TPESampler()

    def estimators(subspace: dict) -> dict:
        return {
            "below": describe(sampler._build_parzen_estimator(study, subspace, below, handle_below=True)),
            "above": describe(sampler._build_parzen_estimator(study, subspace, above, handle_below=False)),
        }

    independent = {name: estimators({name: space[name]}) for name in space}
    groups = _GroupDecomposedSearchSpace(include_pruned=True).calculate(study).search_spaces
    grouped = []
    for group in sorted((sorted(g) for g in groups), key=lambda g: g[0]):
        # Optuna orders a group's parameters by name.
        grouped.append({"names": group} | estimators({n: space[n] for n in group}))
    return {
        "name": name,
        "space": [{"name": n, "dimension": d, "when": {"parent": c[0], "coordinates": c[1]} if c else None} for n, d, c in PIPELINE_SPACE],
        "trials": trials,
        "ranked": ranked(trials),
        "expected": {"below": [t.number for t in below], "above": [t.number for t in above],
                     "independent": independent, "groups": grouped},
    }


def main() -> None:
    document = {
        "generator": "tools/tpe_reference.py",
        "optuna_version": optuna.__version__,
        "numpy_version": np.__version__,
        "weights": [{"count": n, "weights": floats(default_weights(n))} for n in [0, 1, 2, 24, 25, 26, 27, 30, 60, 100]],
        "gamma": [{"finished": n, "below": default_gamma(n)} for n in [0, 1, 9, 10, 11, 20, 21, 99, 100, 101, 240, 241, 250, 251, 1000]],
        "estimators": estimator_cases(),
        "acquisitions": acquisition_cases(),
        "splits": split_cases(),
        "pipelines": [
            pipeline_case("40 trials on a conditional space, every fifth pruned", pipeline_trials(40, 5)),
            pipeline_case("12 trials on a conditional space", pipeline_trials(12, 0)),
            pipeline_case("30 finished trials and 8 running (constant liar)", pipeline_trials(38, 5, running_last=8)),
        ],
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUTPUT.relative_to(pathlib.Path.cwd()) if OUTPUT.is_relative_to(pathlib.Path.cwd()) else OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
