"""Shared helpers for the Python reference scripts in tools/.

Reproduces, bit for bit, the pieces of the Swift engine that the reference scripts need in order
to compare like with like:

* ``SplitMix64`` -- the engine's random number generator (Sources/NeuralNet/Random.swift);
* ``stratified_split`` -- the project's stratified train/validation/test split;
* ``fit_standardization`` / ``apply_standardization`` -- z-scores fitted on the training rows
  (population std, ddof=0; a std of 0 becomes 1);
* ``load_phone`` / ``load_table`` -- CSV loading (float32 features, int64 class indices or
  float32 regression targets);
* ``phone_split`` -- the 80/20, seed-88 split of the phone file standardised on its train part,
  used by reference_train.py, bench_torch.py and bench_jax.py.

This module needs only numpy and pandas. Import it from another script in tools/ with
``import sweep_reference`` (the scripts put their own folder on sys.path), after
``tools/setup-python-env.sh`` has created tools/.venv.

Self-check: ``tools/.venv/bin/python tools/sweep_reference.py`` prints the first SplitMix64
draws for seed 0 and the split sizes of the phone file.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

MASK64 = (1 << 64) - 1

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TOOLS_DIR)
# <repo>/../shared/data/phone_price.csv -- never copied into the project.
DEFAULT_DATA = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "data", "phone_price.csv"))
PHONE_TARGET = "price_range"

# The split every reference figure is quoted on.
REFERENCE_SPLIT_SEED = 88
REFERENCE_TEST_FRACTION = 0.2
REFERENCE_VALIDATION_FRACTION = 0.0


class SplitMix64:
    """SplitMix64 exactly as the Swift engine (Steele, Lea & Flood 2014).

    state = (state + 0x9E3779B97F4A7C15) mod 2^64; z = state;
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) mod 2^64;
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) mod 2^64; return z ^ (z >> 31).
    """

    __slots__ = ("state",)

    def __init__(self, seed: int):
        self.state = int(seed) & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def next_index(self, bound: int) -> int:
        """Uniform integer in [0, bound) as the engine draws it: next() % bound."""
        if bound <= 0:
            raise ValueError("bound must be positive")
        return self.next() % bound

    def next_unit_float(self) -> float:
        """[0, 1) with 24 bits, exact in float32 (Swift nextUnitFloat)."""
        return float(self.next() >> 40) * (1.0 / 16_777_216.0)

    def next_unit_double(self) -> float:
        """[0, 1) with 53 bits (Swift nextUnitDouble)."""
        return float(self.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)

    def next_standard_normal(self) -> float:
        """Box-Muller, first of the pair (Swift nextStandardNormal)."""
        u1 = 1.0 - self.next_unit_double()
        u2 = self.next_unit_double()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    @staticmethod
    def derived(seed: int, stream: int) -> "SplitMix64":
        """Sub-stream generator (Swift SplitMix64.derived(seed:stream:))."""
        mixer = SplitMix64((int(seed) ^ ((int(stream) * 0xD1B54A32D192ED03) & MASK64)) & MASK64)
        return SplitMix64(mixer.next())

    def shuffle(self, items: list) -> None:
        """In-place Fisher-Yates from the last index down (Swift shuffleReproducibly)."""
        for i in range(len(items) - 1, 0, -1):
            j = self.next() % (i + 1)
            if i != j:
                items[i], items[j] = items[j], items[i]


@dataclass
class Split:
    train: np.ndarray       # int64 row indices, ascending
    validation: np.ndarray  # int64 row indices, ascending
    test: np.ndarray        # int64 row indices, ascending


def _part_count(n: int, fraction: float) -> int:
    return int(math.floor(n * float(fraction) + 0.5))


def stratified_split(labels: Sequence[int] | None, n_rows: int, seed: int,
                     test_fraction: float, validation_fraction: float = 0.0) -> Split:
    """The project's stratified split, exactly as the Swift engine does it.

    ``labels``: class index per row (classification), or None for regression (one group).
    Groups are the row indices of each class, classes ascending, file order within a group.
    One SplitMix64(seed) is shared across groups; each group is shuffled by Fisher-Yates from
    the last index down (j = next() % (i + 1)); then the first floor(n*test+0.5) rows go to
    test, the next floor(n*validation+0.5) to validation, the rest to train. Each part is
    returned sorted ascending.
    """
    rng = SplitMix64(seed)
    if labels is None:
        groups = [list(range(n_rows))]
    else:
        labels = np.asarray(labels)
        if labels.shape[0] != n_rows:
            raise ValueError("labels and n_rows disagree")
        groups = [[int(i) for i in np.flatnonzero(labels == c)] for c in sorted(set(labels.tolist()))]
    train: list[int] = []
    validation: list[int] = []
    test: list[int] = []
    for group in groups:
        n = len(group)
        rng.shuffle(group)
        t = _part_count(n, test_fraction)
        v = _part_count(n, validation_fraction)
        test += group[:t]
        validation += group[t:t + v]
        train += group[t + v:]
    return Split(np.array(sorted(train), dtype=np.int64),
                 np.array(sorted(validation), dtype=np.int64),
                 np.array(sorted(test), dtype=np.int64))


def fit_standardization(x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and population std (ddof=0) of the training rows, in float64; std 0 -> 1."""
    x = np.asarray(x_train, dtype=np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0, ddof=0)
    std = np.where(std == 0.0, 1.0, std)
    return mean, std


def apply_standardization(x: np.ndarray, mean: Iterable[float], std: Iterable[float]) -> np.ndarray:
    """(x - mean) / std computed in float64, returned as float32."""
    mean = np.asarray(list(mean), dtype=np.float64)
    std = np.asarray(list(std), dtype=np.float64)
    return ((np.asarray(x, dtype=np.float64) - mean) / std).astype(np.float32)


def load_table(path: str, target: str, feature_names: Sequence[str] | None = None,
               class_labels: Sequence[str] | None = None, regression: bool = False):
    """Load a CSV: returns (X float32 [n, d], y, feature_names, class_labels).

    Features are ``feature_names`` in that order (default: every column but ``target``, file order).
    Classification: y is int64 class indices; class i is ``class_labels[i]`` (default: the distinct
    target values sorted ascending, numerically when they are all numbers), matched by string or,
    failing that, by numeric value. Regression: y is float64 and class_labels is [].
    """
    import pandas as pd

    frame = pd.read_csv(path)
    if target not in frame.columns:
        raise ValueError(f"{path}: no target column {target!r}")
    if feature_names is None:
        feature_names = [c for c in frame.columns if c != target]
    missing = [c for c in feature_names if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing feature columns {missing}")
    x = frame[list(feature_names)].to_numpy(dtype=np.float64)
    if np.isnan(x).any():
        raise ValueError(f"{path}: missing values in the features")
    raw = frame[target]
    if regression:
        y = raw.to_numpy(dtype=np.float64)
        return x.astype(np.float32), y, list(feature_names), []
    values = raw.tolist()
    if class_labels is None:
        distinct = set(values)
        try:
            ordered = sorted(distinct, key=float)
        except (TypeError, ValueError):
            ordered = sorted(distinct, key=str)
        class_labels = [_label_string(v) for v in ordered]
    class_labels = [str(c) for c in class_labels]
    index = {c: i for i, c in enumerate(class_labels)}
    numeric_index = {}
    for i, c in enumerate(class_labels):
        try:
            numeric_index[float(c)] = i
        except ValueError:
            pass
    y = np.empty(len(values), dtype=np.int64)
    for r, v in enumerate(values):
        s = _label_string(v)
        if s in index:
            y[r] = index[s]
            continue
        try:
            y[r] = numeric_index[float(v)]
        except (KeyError, ValueError, TypeError):
            raise ValueError(f"{path}: row {r}: target {v!r} is not one of {class_labels}") from None
    return x.astype(np.float32), y, list(feature_names), class_labels


def _label_string(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def load_phone(path: str = DEFAULT_DATA):
    """The phone price file: (X float32 [n, 20], y int64 [n], feature_names)."""
    x, y, names, _ = load_table(path, PHONE_TARGET)
    return x, y, names


def phone_split(path: str = DEFAULT_DATA, seed: int = REFERENCE_SPLIT_SEED,
                test_fraction: float = REFERENCE_TEST_FRACTION,
                validation_fraction: float = REFERENCE_VALIDATION_FRACTION):
    """Split + standardise the phone file as every reference figure does.

    Returns a dict with x_train, y_train, x_test, y_test (and x_validation, y_validation),
    float32 standardised features and int64 labels, plus the split, mean, std, feature_names.
    """
    x, y, names = load_phone(path)
    split = stratified_split(y, len(y), seed, test_fraction, validation_fraction)
    mean, std = fit_standardization(x[split.train])
    xs = apply_standardization(x, mean, std)
    return {
        "x_train": xs[split.train], "y_train": y[split.train],
        "x_validation": xs[split.validation], "y_validation": y[split.validation],
        "x_test": xs[split.test], "y_test": y[split.test],
        "split": split, "mean": mean, "std": std, "feature_names": names,
    }


def resolve_data(path: str | None) -> str:
    path = path or DEFAULT_DATA
    if not os.path.exists(path):
        raise SystemExit(f"data file not found: {path} (pass --data PATH)")
    return path


if __name__ == "__main__":
    g = SplitMix64(0)
    print("SplitMix64(0) first draws:", [hex(g.next()) for _ in range(3)])
    data = phone_split(resolve_data(None))
    s = data["split"]
    print(f"phone split seed {REFERENCE_SPLIT_SEED}: train {len(s.train)}, validation {len(s.validation)}, "
          f"test {len(s.test)}; test class counts {np.bincount(data['y_test']).tolist()}")
    print("first test rows:", s.test[:10].tolist())


def parse_hidden(text: str) -> list[int]:
    """--hidden 128,256 for the bench scripts: positive layer widths, comma-separated."""
    import argparse

    widths = [int(w) for w in text.replace(" ", "").split(",") if w]
    if not widths or any(w <= 0 for w in widths):
        raise argparse.ArgumentTypeError("--hidden wants positive widths like 128,256")
    return widths


def parse_bench_arguments(description: str, argv=None):
    """The options bench_torch.py and bench_jax.py share: the shape and length of the trial."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", default=None)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hidden", type=parse_hidden, default=[128, 256])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.repeats < 1 or args.batch < 1:
        parser.error("--epochs, --repeats and --batch must be positive")
    return args
