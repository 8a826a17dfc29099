"""Verify in PyTorch a model written by `sweep export` (a .safetensors file).

Rebuilds the equivalent torch.nn.Sequential from the file's "sweep.architecture" metadata, loads
the tensors with safetensors.torch.load_file + load_state_dict(strict=True), switches to eval mode,
reads the CSV (--data, default the phone file), reproduces the split recorded in "sweep.split"
(the project's stratified SplitMix64 split, tools/sweep_reference.py) and applies the
standardisation recorded in "sweep.standardization" (NOT refitted). It then computes the test
metrics (multiclass: accuracy of the argmax of the logits, or of the class probabilities for an
ordinal head; binary: accuracy of logit > 0; regression: RMSE and MAE) -- and the validation ones
when the split has a validation part and the metadata quotes them -- prints each next to the
figure in "sweep.metrics", and exits 0 when every quoted figure it can recompute agrees
(|a - b| <= tolerance, default 1e-6; relative to max(1, |b|) for RMSE/MAE), 1 otherwise (also 1
for a malformed file). On an accuracy mismatch it prints the misclassified rows and the rows that
sit on a decision boundary (their predicted class changes between float32 and float64 evaluation,
or the top-2 logit margin -- class probability margin for an ordinal head -- is below 1e-4).

File format (the Swift exporter follows this; see tools/README.md for the full spec):
  tensors named like the state_dict of the nn.Sequential: per hidden layer, in order, Linear,
  BatchNorm1d (if batch_norm), the activation module, Dropout (if dropout > 0); then the output
  Linear. Float32, except "<i>.num_batches_tracked" (int64, shape []). PReLU: "<i>.weight" [1].
  Ordinal head (multiclass only, architecture "output": "ordinal", output_width K = the class
  count; CORAL, as coral-pytorch): the output Linear is Linear(width, 1) (with bias), followed at
  the next index by a thresholds module with one tensor "<i>.bias" [K-1] whose forward is x + bias
  ([N,1] -> [N,K-1] logits z). Class probabilities: c_k = sigmoid(z_k); P(0) = 1 - c_0,
  P(k) = c_(k-1) - c_k, P(K-1) = c_(K-2) (not clamped); the class is the first argmax. E.g. no
  hidden layer, 20 inputs, 4 classes: "0.weight" [1,20], "0.bias" [1], "1.bias" [3].
  __metadata__: format=pt, sweep.architecture, sweep.task, sweep.feature_names, sweep.target,
  sweep.class_labels, sweep.standardization, sweep.split, sweep.metrics, sweep.sweep, sweep.trial.

An ensemble (`sweep export --ensemble K` or `--folds`) is one file too: member i's tensors are
prefixed "member<i>." and "sweep.ensemble" lists the members, each with its own architecture,
standardisation and (regression) target standardisation, instead of sweep.architecture,
sweep.standardization and sweep.trial. Each member is rebuilt as above and loaded strictly from its
own tensors; the ensemble's prediction is the mean of the members' class probabilities (softmax,
or the ordinal head's probabilities above for an ordinal member -- the two kinds may be mixed --,
or sigmoid for a binary task; the class is the most probable, class 1 when its probability
exceeds 1/2) or of their predictions in the target's units (regression), and its test metrics are
compared with "sweep.metrics" as for one model. A model or ensemble exported with no test rows (sweep
auto trains on every row) is checked on other rows: `--all-rows --data HOLDOUT.csv --expect FIGURE`
scores every row of the CSV and compares with the accuracy (or RMSE) `sweep predict` printed for
it (pass --tolerance 5e-5, as predict prints 4 decimals).

Run (after tools/setup-python-env.sh):

  tools/.venv/bin/python tools/check_export.py results/model.safetensors
  tools/.venv/bin/python tools/check_export.py model.safetensors --data other.csv --tolerance 1e-5
  tools/.venv/bin/python tools/check_export.py --self-test            # round-trip test of the reader
  tools/.venv/bin/python tools/check_export.py --self-test --keep-dir /tmp/examples   # keep the files

Options: MODEL (path), --data PATH (default <repo>/../shared/data/phone_price.csv),
--tolerance T (1e-6), --quiet (only the comparison lines), --max-rows N (20), --self-test,
--keep-dir DIR.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import sweep_reference as ref  # noqa: E402

ACTIVATIONS = ("relu", "sigmoid", "tanh", "leaky_relu", "prelu")
TASK_OUTPUT = {"multiclass": "softmax", "binary": "sigmoid", "regression": "identity"}  # the default head
# The heads each task accepts: a multiclass model may end in softmax or an ordinal (CORAL) head.
TASK_OUTPUTS = {"multiclass": ("softmax", "ordinal"), "binary": ("sigmoid",), "regression": ("identity",)}
REQUIRED_METADATA = ("format", "sweep.architecture", "sweep.task", "sweep.feature_names", "sweep.target",
                     "sweep.class_labels", "sweep.standardization", "sweep.split", "sweep.metrics",
                     "sweep.sweep", "sweep.trial")
# An ensemble's members carry their own architecture, standardisation and trial.
REQUIRED_ENSEMBLE_METADATA = ("format", "sweep.ensemble", "sweep.task", "sweep.feature_names", "sweep.target",
                              "sweep.class_labels", "sweep.split", "sweep.metrics", "sweep.sweep")
BOUNDARY_MARGIN = 1e-4


class ExportError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Model


def activation_module(arch: dict) -> nn.Module:
    name = arch["activation"]
    slope = float(arch.get("negative_slope", 0.01))
    if name == "relu":
        return nn.ReLU()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "tanh":
        return nn.Tanh()
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope=slope)
    if name == "prelu":
        return nn.PReLU(num_parameters=1, init=slope)
    raise ExportError(f"unknown activation {name!r} (expected one of {ACTIVATIONS})")


class OrdinalThresholds(nn.Module):
    """An ordinal (CORAL) head's K-1 thresholds: one parameter "bias" [K-1]; x [N,1] -> x + bias [N,K-1].
    Initialised as coral-pytorch and the Swift engine do, (K-1, ..., 1) / (K-1)."""

    def __init__(self, classes: int):
        super().__init__()
        self.bias = nn.Parameter(torch.arange(classes - 1, 0, -1).float() / (classes - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bias


def ordinal_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """Class probabilities [N, K] of an ordinal head's logits [N, K-1], in the logits' dtype:
    c_k = sigmoid(z_k); P(0) = 1 - c_0, P(k) = c_(k-1) - c_k, P(K-1) = c_(K-2). Not clamped."""
    c = torch.sigmoid(logits)
    return torch.cat([1 - c[:, :1], c[:, :-1] - c[:, 1:], c[:, -1:]], dim=1)


def build_model(arch: dict) -> nn.Sequential:
    """The nn.Sequential whose state_dict names the exported tensors (logits out, no output module;
    an ordinal head ends in Linear(width, 1) and OrdinalThresholds, giving K-1 logits)."""
    for key in ("input_width", "hidden_widths", "output_width", "activation", "batch_norm", "dropout", "output"):
        if key not in arch:
            raise ExportError(f"sweep.architecture lacks {key!r}")
    dropout = float(arch["dropout"])
    if not 0.0 <= dropout < 1.0:
        raise ExportError(f"dropout {dropout} outside [0, 1)")
    eps = float(arch.get("batch_norm_epsilon", 1e-5))
    layers: list[nn.Module] = []
    width = int(arch["input_width"])
    for h in arch["hidden_widths"]:
        h = int(h)
        layers.append(nn.Linear(width, h))
        if arch["batch_norm"]:
            layers.append(nn.BatchNorm1d(h, eps=eps))
        layers.append(activation_module(arch))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    if arch["output"] == "ordinal":
        classes = int(arch["output_width"])
        if classes < 2:
            raise ExportError(f"an ordinal head needs at least 2 classes, output_width is {classes}")
        layers.append(nn.Linear(width, 1))
        layers.append(OrdinalThresholds(classes))
    else:
        layers.append(nn.Linear(width, int(arch["output_width"])))
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------------------------
# Reading


def read_export(path: str):
    """(state_dict, metadata dict with the JSON values decoded)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    try:
        with safe_open(path, framework="pt") as f:
            raw = f.metadata() or {}
        tensors = load_file(path)
    except Exception as exc:  # safetensors raises several types
        raise ExportError(f"{path}: not a readable safetensors file: {exc}") from exc
    required = REQUIRED_ENSEMBLE_METADATA if "sweep.ensemble" in raw else REQUIRED_METADATA
    missing = [k for k in required if k not in raw]
    if missing:
        raise ExportError(f"{path}: __metadata__ lacks {missing}")
    if raw["format"] != "pt":
        raise ExportError(f"{path}: __metadata__ format is {raw['format']!r}, expected 'pt'")
    meta = dict(raw)
    for key in ("sweep.architecture", "sweep.feature_names", "sweep.class_labels", "sweep.standardization",
                "sweep.split", "sweep.metrics", "sweep.target_standardization", "sweep.ensemble"):
        if key in meta:
            try:
                meta[key] = json.loads(raw[key])
            except json.JSONDecodeError as exc:
                raise ExportError(f"{path}: {key} is not valid JSON: {exc}") from exc
    for name, t in tensors.items():
        want = torch.int64 if name.endswith(".num_batches_tracked") else torch.float32
        if t.dtype != want:
            raise ExportError(f"{path}: tensor {name} is {t.dtype}, expected {want}")
        if name.endswith(".num_batches_tracked") and t.dim() != 0:
            raise ExportError(f"{path}: tensor {name} has shape {list(t.shape)}, expected []")
    return tensors, meta


def validate_metadata(meta: dict) -> None:
    arch = meta["sweep.architecture"]
    task = meta["sweep.task"]
    if task not in TASK_OUTPUT:
        raise ExportError(f"sweep.task {task!r} is not one of {list(TASK_OUTPUT)}")
    if arch.get("output") not in TASK_OUTPUTS[task]:
        wanted = " or ".join(repr(o) for o in TASK_OUTPUTS[task])
        raise ExportError(f"task {task} wants output {wanted}, architecture says {arch.get('output')!r}")
    names = meta["sweep.feature_names"]
    std = meta["sweep.standardization"]
    if int(arch["input_width"]) != len(names):
        raise ExportError(f"input_width {arch['input_width']} but {len(names)} feature names")
    if len(std.get("mean", [])) != len(names) or len(std.get("std", [])) != len(names):
        raise ExportError("sweep.standardization mean/std lengths differ from the feature count")
    labels = meta["sweep.class_labels"]
    out = int(arch["output_width"])
    if task == "multiclass" and out != len(labels):
        raise ExportError(f"multiclass: output_width {out} but {len(labels)} class labels")
    if task == "binary" and (out != 1 or len(labels) != 2):
        raise ExportError(f"binary: wants output_width 1 and 2 class labels, got {out} and {len(labels)}")
    if task == "regression" and (out != 1 or labels):
        raise ExportError(f"regression: wants output_width 1 and no class labels, got {out} and {labels}")
    split = meta["sweep.split"]
    for key in ("seed", "test_fraction", "validation_fraction"):
        if key not in split:
            raise ExportError(f"sweep.split lacks {key!r}")


# --------------------------------------------------------------------------------------------
# Checking


def predictions(model: nn.Module, x: np.ndarray, dtype=torch.float32) -> np.ndarray:
    m = model.to(dtype)
    with torch.no_grad():
        out = m(torch.from_numpy(x).to(dtype)).numpy()
    model.to(torch.float32)
    return out.astype(np.float64)


def classify(logits: np.ndarray, task: str) -> np.ndarray:
    if task == "binary":
        return (logits[:, 0] > 0).astype(np.int64)
    return logits.argmax(axis=1)


def margins(logits: np.ndarray, task: str) -> np.ndarray:
    if task == "binary":
        return np.abs(logits[:, 0])
    top2 = np.sort(logits, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


def class_scores(out: np.ndarray, output: str) -> np.ndarray:
    """What the class is the argmax of: the logits, or an ordinal head's class probabilities."""
    if output == "ordinal":
        return ordinal_probabilities(torch.from_numpy(out)).numpy()
    return out


def evaluate_part(model, model64, task, x, y, rows, target_std, output="softmax"):
    """Metrics dict plus per-row diagnostics for one part of the split (output: the head)."""
    out = predictions(model, x)
    if task == "regression":
        pred = out[:, 0]
        if target_std is not None:
            pred = pred * float(target_std["std"]) + float(target_std["mean"])
        err = pred - y
        return {"rmse": float(np.sqrt(np.mean(err ** 2))), "mae": float(np.mean(np.abs(err)))}, None
    out64 = predictions(model64, x, torch.float64)
    # float32 logits (as the engine computes them) turned into probabilities in float64.
    scores = class_scores(out, output)
    pred = classify(scores, task)
    pred64 = classify(class_scores(out64, output), task)
    correct = int((pred == y).sum())
    diag = {"rows": rows, "y": y, "pred": pred, "pred64": pred64, "logits": out,
            "margin": margins(scores, task), "correct": correct}
    return {"accuracy": correct / len(y)}, diag


def compare_metric(key: str, name: str, value: float, want: float, tolerance: float, extra: str = "") -> bool:
    """Prints a recomputed metric beside the quoted one; True when they agree (relative to the
    quoted value for losses and errors, absolute for accuracy)."""
    scale = 1.0 if name == "accuracy" else max(1.0, abs(want))
    agree = math.isfinite(value) and abs(value - want) <= tolerance * scale
    print(f"{key:22s} recomputed {value:.9g}   metadata {want:.9g}   {'OK' if agree else 'MISMATCH'}{extra}")
    return agree


def print_rows(diag, class_labels, label, max_rows=20):
    """Boundary rows first, then misclassified rows by increasing top-2 margin, at most max_rows."""
    wrong = diag["pred"] != diag["y"]
    boundary = (diag["pred"] != diag["pred64"]) | (diag["margin"] < BOUNDARY_MARGIN)
    print(f"  {label}: {int(wrong.sum())} misclassified rows, {int(boundary.sum())} on a decision boundary"
          f" (a row on a boundary may be classified differently by the Swift engine)")
    chosen = np.flatnonzero(wrong | boundary)
    chosen = chosen[np.lexsort((diag["margin"][chosen], ~boundary[chosen]))]
    if len(chosen) == 0:
        return
    print("    file row (0-based data row) | true | predicted | top-2 margin (ordinal: of the probabilities)"
          " | logits | note")
    for i in chosen[:max_rows]:
        note = []
        if wrong[i]:
            note.append("misclassified")
        if boundary[i]:
            note.append("BOUNDARY" + (" (float64 predicts %s)" % class_labels[diag["pred64"][i]]
                                      if diag["pred64"][i] != diag["pred"][i] else ""))
        logits = " ".join(f"{v:+.6g}" for v in diag["logits"][i])
        print(f"    {int(diag['rows'][i]):6d} | {class_labels[diag['y'][i]]} | {class_labels[diag['pred'][i]]} | "
              f"{diag['margin'][i]:.3g} | {logits} | {', '.join(note)}")
    if len(chosen) > max_rows:
        print(f"    ... {len(chosen) - max_rows} more (--max-rows to see them)")


# --------------------------------------------------------------------------------------------
# Ensembles


def ensemble_members(tensors: dict, meta: dict) -> list:
    """[(member metadata, model in eval mode)] for an ensemble file; every tensor must belong to one."""
    described = meta["sweep.ensemble"]
    members = described.get("members") or []
    if not members:
        raise ExportError("sweep.ensemble lists no members")
    want_combine = "mean_prediction" if meta["sweep.task"] == "regression" else "mean_probability"
    if described.get("combine") != want_combine:
        raise ExportError(f"sweep.ensemble combine is {described.get('combine')!r}, expected {want_combine!r}")
    claimed = set()
    built = []
    for i, member in enumerate(members):
        prefix = f"member{i}."
        if member.get("prefix") != prefix:
            raise ExportError(f"member {i} has prefix {member.get('prefix')!r}, expected {prefix!r}")
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        claimed.update(prefix + k for k in own)
        one = dict(meta)
        one["sweep.architecture"] = member["architecture"]
        one["sweep.standardization"] = member["standardization"]
        validate_metadata(one)
        model = build_model(member["architecture"])
        try:
            model.load_state_dict(own, strict=True)
        except RuntimeError as exc:
            raise ExportError(f"member {i}'s tensors do not match its architecture: {exc}") from exc
        model.eval()
        built.append((member, model))
    stray = sorted(set(tensors) - claimed)
    if stray:
        raise ExportError(f"tensors that belong to no member: {stray[:5]}")
    return built


def ensemble_output(built: list, task: str, x_raw: np.ndarray) -> np.ndarray:
    """The members' mean class probabilities [n, classes] (softmax, or an ordinal member's class
    probabilities; binary: [n, 1], P(class 1)) or mean predictions in the target's units [n, 1],
    each member standardising the raw features itself."""
    total = None
    for member, model in built:
        std = member["standardization"]
        xs = ref.apply_standardization(x_raw, std["mean"], std["std"])
        with torch.no_grad():
            logits = model(torch.from_numpy(xs)).double()
        if task == "multiclass" and member["architecture"]["output"] == "ordinal":
            out = ordinal_probabilities(logits)
        elif task == "multiclass":
            out = torch.softmax(logits, dim=1)
        elif task == "binary":
            out = torch.sigmoid(logits)
        else:
            out = logits
            scale = member.get("target_standardization")
            if scale is not None:
                out = out * float(scale["std"]) + float(scale["mean"])
        total = out if total is None else total + out
    return (total / len(built)).numpy()


def check_ensemble(path: str, tensors: dict, meta: dict, data_path: str | None, tolerance: float,
                   quiet: bool, all_rows: bool = False, expect: float | None = None) -> int:
    try:
        built = ensemble_members(tensors, meta)
        task = meta["sweep.task"]
        regression = task == "regression"
        data_path = ref.resolve_data(data_path)
        x, y, names, labels = ref.load_table(data_path, meta["sweep.target"], meta["sweep.feature_names"],
                                             None if regression else meta["sweep.class_labels"], regression=regression)
        split_meta = meta["sweep.split"]
        split = ref.stratified_split(None if regression else y, len(y), int(split_meta["seed"]),
                                     float(split_meta["test_fraction"]), float(split_meta["validation_fraction"]))
    except (ExportError, KeyError, TypeError) as exc:
        print(f"FAIL: {exc}")
        return 1
    if not quiet:
        print(f"model   {path}: an ensemble of {len(built)} members of sweep {meta['sweep.sweep']!r}, task {task}")
        for member, _ in built:
            arch = member["architecture"]
            fit = "" if member.get("fit") is None else f" fit {member['fit']}"
            print(f"        {member['prefix']} trial {member['trial']}{fit}: {arch['input_width']} -> "
                  f"{' -> '.join(map(str, arch['hidden_widths'] + [arch['output_width']]))}, {arch['activation']}, "
                  f"output {arch['output']}")
        print(f"data    {data_path}: {len(y)} rows; test {len(split.test)}")
    quoted = dict(meta["sweep.metrics"])
    ok, compared = True, 0
    rows = split.test
    if all_rows:
        # Every row of --data (a holdout the model never saw), against the figure sweep predict gave.
        rows = np.arange(len(y))
        quoted = {} if expect is None else {("test_rmse" if regression else "test_accuracy"): expect}
        if expect is None:
            print("FAIL: --all-rows needs --expect, the figure sweep predict reported on the same rows")
            return 1
        print(f"all {len(rows)} rows of {data_path}, against --expect {expect}")
    if len(rows):
        out = ensemble_output(built, task, x[rows])
        if regression:
            err = out[:, 0] - y[rows]
            metrics = {"rmse": float(np.sqrt(np.mean(err ** 2))), "mae": float(np.mean(np.abs(err)))}
        else:
            predicted = (out[:, 0] > 0.5).astype(np.int64) if task == "binary" else out.argmax(axis=1)
            metrics = {"accuracy": float((predicted == y[rows]).mean())}
        if all_rows:
            metrics = {k: v for k, v in metrics.items() if f"test_{k}" in quoted}
        for name, value in metrics.items():
            key = f"test_{name}"
            if key not in quoted:
                print(f"FAIL: sweep.metrics has no {key!r} (has {sorted(quoted)})")
                ok = False
                continue
            compared += 1
            ok = compare_metric(key, name, value, float(quoted[key]), tolerance) and ok
    else:
        print("the split has no test rows (test_fraction 0): each member loaded; no metric to compare")
        compared = 1
    if compared == 0:
        ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def check(path: str, data_path: str | None, tolerance: float = 1e-6, quiet: bool = False,
          max_rows: int = 20, all_rows: bool = False, expect: float | None = None) -> int:
    try:
        tensors, meta = read_export(path)
        if "sweep.ensemble" in meta:
            return check_ensemble(path, tensors, meta, data_path, tolerance, quiet, all_rows, expect)
        validate_metadata(meta)
        arch = meta["sweep.architecture"]
        task = meta["sweep.task"]
        model = build_model(arch)
        try:
            model.load_state_dict(tensors, strict=True)
        except RuntimeError as exc:
            expected = {k: list(v.shape) for k, v in model.state_dict().items()}
            raise ExportError(f"state dict does not match the architecture: {exc}\n"
                              f"expected tensors: {json.dumps(expected)}") from exc
        model.eval()
        model64 = build_model(arch)
        model64.load_state_dict(tensors, strict=True)
        model64.eval()

        data_path = ref.resolve_data(data_path)
        class_labels = meta["sweep.class_labels"]
        regression = task == "regression"
        x, y, names, labels = ref.load_table(data_path, meta["sweep.target"], meta["sweep.feature_names"],
                                             None if regression else class_labels, regression=regression)
        split_meta = meta["sweep.split"]
        split = ref.stratified_split(None if regression else y, len(y), int(split_meta["seed"]),
                                     float(split_meta["test_fraction"]), float(split_meta["validation_fraction"]))
        std = meta["sweep.standardization"]
        xs = ref.apply_standardization(x, std["mean"], std["std"])
    except ExportError as exc:
        print(f"FAIL: {exc}")
        return 1

    if not quiet:
        hidden = arch["hidden_widths"]
        print(f"model   {path}")
        print(f"        sweep {meta['sweep.sweep']!r} trial {meta['sweep.trial']}, task {task}, "
              f"{' -> '.join(map(str, [arch['input_width']] + hidden + [arch['output_width']]))}, "
              f"{arch['activation']}, batch norm {arch['batch_norm']}, "
              f"dropout {arch['dropout']}, output {arch['output']}")
        print(f"data    {data_path}: {len(y)} rows; split seed {split_meta['seed']}, test "
              f"{split_meta['test_fraction']}, validation {split_meta['validation_fraction']} -> "
              f"train {len(split.train)}, validation {len(split.validation)}, test {len(split.test)}")

    quoted = meta["sweep.metrics"]
    target_std = meta.get("sweep.target_standardization")
    ok = True
    compared = 0
    parts = (("test", split.test), ("validation", split.validation))
    if all_rows:
        # Every row of --data (a holdout the model never saw), against the figure sweep predict gave.
        if expect is None:
            print("FAIL: --all-rows needs --expect, the figure sweep predict reported on the same rows")
            return 1
        quoted = {("test_rmse" if regression else "test_accuracy"): expect}
        parts = (("test", np.arange(len(y))),)
        print(f"all {len(y)} rows of {data_path}, against --expect {expect}")
    elif len(split.test) == 0 and len(split.validation) == 0:
        print("FAIL: the split has no test or validation rows (test_fraction 0) to recompute a metric on; "
              "give a holdout with --data and --all-rows --expect, the figure sweep predict reported on it")
        return 1
    for part, rows in parts:
        if len(rows) == 0:
            continue
        metrics, diag = evaluate_part(model, model64, task, xs[rows], y[rows], rows, target_std, arch["output"])
        mismatch = False
        for name, value in metrics.items():
            key = f"{part}_{name}"
            if key not in quoted:
                if part == "test" and not all_rows:
                    print(f"FAIL: sweep.metrics has no {key!r} (has {sorted(quoted)})")
                    ok = False
                continue
            want = float(quoted[key])
            compared += 1
            extra = ""
            if name == "accuracy":
                extra = f"  ({diag['correct']}/{len(rows)} correct; quoted ≈ {want * len(rows):.3f}/{len(rows)})"
            if not compare_metric(key, name, value, want, tolerance, extra):
                ok = False
                mismatch = True
        if diag is not None and (mismatch or not quiet):
            boundary = (diag["pred"] != diag["pred64"]) | (diag["margin"] < BOUNDARY_MARGIN)
            if mismatch:
                print_rows(diag, labels, part, max_rows)
            elif boundary.any():
                print(f"  note: {int(boundary.sum())} {part} rows sit on a decision boundary:")
                print_rows(diag, labels, part, max_rows)
    ignored = [k for k in quoted if not any(k == f"{p}_{m}" for p in ("test", "validation")
                                            for m in ("accuracy", "rmse", "mae"))]
    if ignored and not quiet:
        print(f"not checked: {', '.join(ignored)}")
    if compared == 0:
        ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


# --------------------------------------------------------------------------------------------
# Self-test: write files the way the Swift exporter must, then check them.


def _self_test_case(tmp: str, data_path: str, name: str, task: str, target: str, arch_extra: dict,
                    split_cfg: dict, train_epochs: int = 15, target_standardize: bool = False) -> tuple[str, dict]:
    regression = task == "regression"
    import pandas as pd
    frame_cols = [c for c in pd.read_csv(data_path, nrows=1).columns if c != target]
    x, y, names, labels = ref.load_table(data_path, target, frame_cols, regression=regression)
    split = ref.stratified_split(None if regression else y, len(y), split_cfg["seed"],
                                 split_cfg["test_fraction"], split_cfg["validation_fraction"])
    mean, std = ref.fit_standardization(x[split.train])
    xs = ref.apply_standardization(x, mean, std)
    out_width = {"multiclass": len(labels), "binary": 1, "regression": 1}[task]
    arch = {"input_width": len(names), "hidden_widths": [16, 8], "output_width": out_width,
            "activation": "relu", "negative_slope": 0.01, "batch_norm": False, "dropout": 0.0,
            "output": TASK_OUTPUT[task]}
    arch.update(arch_extra)
    torch.manual_seed(7)
    model = build_model(arch)

    # A short training run so the figures mean something and BatchNorm running stats are real.
    y_t = y.astype(np.float64)
    t_mean, t_std = (float(y_t[split.train].mean()), float(y_t[split.train].std())) if target_standardize else (0.0, 1.0)
    xt = torch.from_numpy(xs[split.train])
    if task == "multiclass" and arch["output"] == "ordinal":
        yt = torch.from_numpy(y[split.train])

        def loss_fn(logits, target):  # coral-pytorch's coral_loss, levels [t > k]
            levels = (target[:, None] > torch.arange(logits.shape[1])[None, :]).float()
            return nn.functional.binary_cross_entropy_with_logits(logits, levels, reduction="none").sum(1).mean()
    elif task == "multiclass":
        yt = torch.from_numpy(y[split.train])
        loss_fn = nn.CrossEntropyLoss()
    else:
        yt = torch.from_numpy(((y_t[split.train] - t_mean) / t_std).astype(np.float32))[:, None]
        loss_fn = nn.BCEWithLogitsLoss() if task == "binary" else nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(7)
    for _ in range(train_epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        for lo in range(0, len(xt), 64):
            idx = perm[lo:lo + 64]
            if len(idx) < 2 and arch["batch_norm"]:
                continue
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()

    # Independent metric computation from the in-memory model (numpy standardisation above).
    metrics = {}
    for part, rows in (("test", split.test), ("validation", split.validation)):
        if len(rows) == 0:
            continue
        with torch.no_grad():
            out = model(torch.from_numpy(xs[rows])).numpy().astype(np.float64)
        if task == "multiclass" and arch["output"] == "ordinal":
            metrics[f"{part}_accuracy"] = float((_numpy_ordinal_probabilities(out).argmax(1) == y[rows]).mean())
        elif task == "multiclass":
            metrics[f"{part}_accuracy"] = float((out.argmax(1) == y[rows]).mean())
        elif task == "binary":
            metrics[f"{part}_accuracy"] = float(((out[:, 0] > 0).astype(np.int64) == y[rows]).mean())
        else:
            err = out[:, 0] * t_std + t_mean - y_t[rows]
            metrics[f"{part}_rmse"] = float(np.sqrt(np.mean(err ** 2)))
            metrics[f"{part}_mae"] = float(np.mean(np.abs(err)))
    metrics["train_loss"] = 0.123  # an extra figure: reported as "not checked"

    metadata = {
        "format": "pt",
        "sweep.architecture": json.dumps(arch),
        "sweep.task": task,
        "sweep.feature_names": json.dumps(names),
        "sweep.target": target,
        "sweep.class_labels": json.dumps(labels),
        "sweep.standardization": json.dumps({"mean": mean.tolist(), "std": std.tolist()}),
        "sweep.split": json.dumps(split_cfg),
        "sweep.metrics": json.dumps(metrics),
        "sweep.sweep": "self-test",
        "sweep.trial": "1",
    }
    if target_standardize:
        metadata["sweep.target_standardization"] = json.dumps({"mean": t_mean, "std": t_std})
    from safetensors.torch import save_file
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    path = os.path.join(tmp, f"{name}.safetensors")
    save_file(state, path, metadata=metadata)
    return path, {"state": state, "metadata": metadata, "metrics": metrics, "arch": arch}


def _numpy_ordinal_probabilities(z: np.ndarray) -> np.ndarray:
    """Class probabilities [n, K] of ordinal logits [n, K-1] in numpy float64 (independent of
    check_export's ordinal_probabilities): P(0) = 1 - c_0, P(k) = c_(k-1) - c_k, P(K-1) = c_(K-2)."""
    c = 1 / (1 + np.exp(-z.astype(np.float64)))
    return np.concatenate([1 - c[:, :1], c[:, :-1] - c[:, 1:], c[:, -1:]], axis=1)


def _numpy_outputs(info: dict, x_raw: np.ndarray) -> np.ndarray:
    """A plain ReLU network's outputs (probabilities, or values in the target's units) in numpy
    float64 from its state dict and metadata: independent of build_model and of torch. An ordinal
    head's thresholds are the "<i>.bias" after the last Linear."""
    meta = info["metadata"]
    std = json.loads(meta["sweep.standardization"])
    h = (x_raw.astype(np.float64) - np.array(std["mean"])) / np.array(std["std"])
    linear = sorted({int(k.split(".")[0]) for k in info["state"] if k.endswith(".weight")})
    for n, index in enumerate(linear):
        w = info["state"][f"{index}.weight"].double().numpy()
        b = info["state"][f"{index}.bias"].double().numpy()
        h = h @ w.T + b
        if n < len(linear) - 1:
            h = np.maximum(h, 0)
    task = meta["sweep.task"]
    if task == "multiclass" and info["arch"]["output"] == "ordinal":
        thresholds = info["state"][f"{linear[-1] + 1}.bias"].double().numpy()
        return _numpy_ordinal_probabilities(h + thresholds)
    if task == "multiclass":
        e = np.exp(h - h.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if task == "binary":
        return 1 / (1 + np.exp(-h))
    scale = json.loads(meta.get("sweep.target_standardization", '{"mean": 0, "std": 1}'))
    return h * scale["std"] + scale["mean"]


def _self_test_ensemble(out_dir: str, data_path: str, name: str, infos: list, split_cfg: dict,
                        target: str) -> tuple[str, dict]:
    """An ensemble file of the given single-model cases, as `sweep export --ensemble` writes it,
    with its test metrics computed in numpy from the members' own outputs."""
    first = infos[0]["metadata"]
    task = first["sweep.task"]
    regression = task == "regression"
    x, y, _, _ = ref.load_table(data_path, target, json.loads(first["sweep.feature_names"]),
                                None if regression else json.loads(first["sweep.class_labels"]), regression=regression)
    split = ref.stratified_split(None if regression else y, len(y), split_cfg["seed"],
                                 split_cfg["test_fraction"], split_cfg["validation_fraction"])
    rows = split.test
    mean = sum(_numpy_outputs(info, x[rows]) for info in infos) / len(infos)
    if regression:
        err = mean[:, 0] - y[rows]
        metrics = {"test_rmse": float(np.sqrt(np.mean(err ** 2))), "test_mae": float(np.mean(np.abs(err)))}
    else:
        predicted = (mean[:, 0] > 0.5).astype(np.int64) if task == "binary" else mean.argmax(axis=1)
        metrics = {"test_accuracy": float((predicted == y[rows]).mean())}
    state, members = {}, []
    for i, info in enumerate(infos):
        meta = info["metadata"]
        state.update({f"member{i}.{k}": v for k, v in info["state"].items()})
        member = {"prefix": f"member{i}.", "trial": i + 1, "architecture": info["arch"],
                  "standardization": json.loads(meta["sweep.standardization"]), "metrics": info["metrics"]}
        if "sweep.target_standardization" in meta:
            member["target_standardization"] = json.loads(meta["sweep.target_standardization"])
        members.append(member)
    metadata = {k: v for k, v in first.items()
                if k not in ("sweep.architecture", "sweep.standardization", "sweep.trial", "sweep.target_standardization")}
    metadata["sweep.split"] = json.dumps(split_cfg)
    metadata["sweep.metrics"] = json.dumps(metrics)
    metadata["sweep.ensemble"] = json.dumps({"combine": "mean_prediction" if regression else "mean_probability",
                                             "members": members})
    from safetensors.torch import save_file
    path = os.path.join(out_dir, f"{name}.safetensors")
    save_file(state, path, metadata=metadata)
    return path, {"state": state, "metadata": metadata, "metrics": metrics}


def self_test(data_path: str | None, keep_dir: str | None) -> int:
    torch.set_num_threads(1)
    data_path = ref.resolve_data(data_path)
    failures = []

    def expect(label, condition):
        print(f"[{'ok' if condition else 'FAILED'}] {label}")
        if not condition:
            failures.append(label)

    # SplitMix64 and the split on the phone file.
    g = ref.SplitMix64(0)
    expect("SplitMix64(0) first draw is 0xe220a8397b1dcdaf", g.next() == 0xE220A8397B1DCDAF)
    x, yph, _ = ref.load_phone(data_path)
    sp = ref.stratified_split(yph, len(yph), 88, 0.2, 0.0)
    expect("phone split seed 88, 80/20 gives 1280 train / 320 test",
           (len(sp.train), len(sp.validation), len(sp.test)) == (1280, 0, 320))

    with tempfile.TemporaryDirectory() as tmp:
        out_dir = keep_dir or tmp
        os.makedirs(out_dir, exist_ok=True)
        std_split = {"seed": 88, "test_fraction": 0.2, "validation_fraction": 0.0}
        cases = [
            ("multiclass_relu", "multiclass", "price_range", {"hidden_widths": [128, 256]}, std_split, False),
            ("multiclass_bn_dropout_prelu", "multiclass", "price_range",
             {"hidden_widths": [128, 256], "activation": "prelu", "negative_slope": 0.25, "batch_norm": True,
              "dropout": 0.2}, {"seed": 5, "test_fraction": 0.2, "validation_fraction": 0.1}, False),
            ("binary_tanh_bn", "binary", "blue", {"activation": "tanh", "batch_norm": True}, std_split, False),
            ("multiclass_leaky_relu_ncores", "multiclass", "n_cores",
             {"hidden_widths": [32], "activation": "leaky_relu", "negative_slope": 0.1}, std_split, False),
            ("regression_sigmoid", "regression", "ram", {"activation": "sigmoid", "dropout": 0.1},
             {"seed": 3, "test_fraction": 0.25, "validation_fraction": 0.15}, True),
            ("regression_no_hidden", "regression", "battery_power", {"hidden_widths": []}, std_split, True),
            ("ordinal_no_hidden", "multiclass", "price_range", {"hidden_widths": [], "output": "ordinal"},
             std_split, False),
            ("ordinal_bn_dropout_tanh", "multiclass", "price_range",
             {"hidden_widths": [32], "activation": "tanh", "batch_norm": True, "dropout": 0.1, "output": "ordinal"},
             {"seed": 5, "test_fraction": 0.2, "validation_fraction": 0.1}, False),
        ]
        written = {}
        for name, task, target, extra, split_cfg, tstd in cases:
            path, info = _self_test_case(out_dir, data_path, name, task, target, extra, split_cfg,
                                         target_standardize=tstd)
            written[name] = (path, info)
            print(f"\n--- {name}: {json.dumps(info['metrics'])}")
            expect(f"{name} passes check_export", check(path, data_path, quiet=True) == 0)

        # The tensor names of the spec's worked example.
        state = written["multiclass_bn_dropout_prelu"][1]["state"]
        want = ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                "1.num_batches_tracked", "2.weight", "4.weight", "4.bias", "5.weight", "5.bias",
                "5.running_mean", "5.running_var", "5.num_batches_tracked", "6.weight", "8.weight", "8.bias"]
        expect("BN + PReLU + dropout [128, 256] tensor names match the spec", sorted(state) == sorted(want))
        expect("num_batches_tracked is an int64 scalar",
               state["1.num_batches_tracked"].dtype == torch.int64 and state["1.num_batches_tracked"].dim() == 0)
        expect("PReLU weight has shape [1]", list(state["2.weight"].shape) == [1])

        # The ordinal head: Linear(width, 1) then the thresholds "<i>.bias" [K-1].
        shapes = {k: list(v.shape) for k, v in written["ordinal_no_hidden"][1]["state"].items()}
        expect("ordinal, no hidden layer, 20 inputs, 4 classes: 0.weight [1,20], 0.bias [1], 1.bias [3]",
               shapes == {"0.weight": [1, 20], "0.bias": [1], "1.bias": [3]})
        shapes = {k: list(v.shape) for k, v in written["ordinal_bn_dropout_tanh"][1]["state"].items()}
        expect("ordinal after BN + tanh + dropout [32]: 4.weight [1,32], 4.bias [1], 5.bias [3], nothing after",
               shapes.get("4.weight") == [1, 32] and shapes.get("4.bias") == [1] and shapes.get("5.bias") == [3]
               and max(int(k.split(".")[0]) for k in shapes) == 5)
        expect("a fresh ordinal head's thresholds start at [1, 2/3, 1/3]",
               torch.equal(build_model(written["ordinal_no_hidden"][1]["arch"])[1].bias.detach(),
                           torch.tensor([1.0, 2.0, 1.0]) / torch.tensor([1.0, 3.0, 3.0])))
        path, info = written["ordinal_no_hidden"]
        tensors, meta = read_export(path)
        model = build_model(meta["sweep.architecture"])
        model.load_state_dict(tensors, strict=True)
        model.eval()
        x_pr, _, _, _ = ref.load_table(data_path, "price_range", json.loads(info["metadata"]["sweep.feature_names"]),
                                       json.loads(info["metadata"]["sweep.class_labels"]))
        std = meta["sweep.standardization"]
        mine = class_scores(predictions(model, ref.apply_standardization(x_pr, std["mean"], std["std"])), "ordinal")
        numpy_probabilities = _numpy_outputs(info, x_pr)
        expect("ordinal class probabilities agree with a numpy evaluation (max |diff| < 1e-5) and sum to 1",
               np.abs(mine - numpy_probabilities).max() < 1e-5 and np.abs(mine.sum(1) - 1).max() < 1e-6)

        # Ensembles: members trained on different rows, so with different standardisations.
        other_split = {"seed": 5, "test_fraction": 0.2, "validation_fraction": 0.0}
        _, second = _self_test_case(out_dir, data_path, "multiclass_relu_other_rows", "multiclass", "price_range",
                                    {"hidden_widths": [32]}, other_split)
        _, third = _self_test_case(out_dir, data_path, "regression_other_rows", "regression", "battery_power",
                                   {"hidden_widths": [8]}, other_split, target_standardize=True)
        _, ordinal_member = _self_test_case(out_dir, data_path, "ordinal_relu_other_rows", "multiclass",
                                            "price_range", {"hidden_widths": [16], "output": "ordinal"}, other_split)
        ensembles = {
            "ensemble_multiclass": _self_test_ensemble(
                out_dir, data_path, "ensemble_multiclass", [written["multiclass_relu"][1], second], std_split,
                "price_range"),
            "ensemble_regression": _self_test_ensemble(
                out_dir, data_path, "ensemble_regression", [written["regression_no_hidden"][1], third], std_split,
                "battery_power"),
            # One softmax member and one ordinal member: their class probabilities are averaged.
            "ensemble_softmax_ordinal": _self_test_ensemble(
                out_dir, data_path, "ensemble_softmax_ordinal", [written["multiclass_relu"][1], ordinal_member],
                std_split, "price_range"),
        }
        for name, (path, info) in ensembles.items():
            print(f"\n--- {name}: {json.dumps(info['metrics'])}")
            expect(f"{name} passes check_export", check(path, data_path, quiet=True) == 0)
        path, info = ensembles["ensemble_softmax_ordinal"]
        tensors, meta = read_export(path)
        built = ensemble_members(tensors, meta)
        expect("the mixed ensemble's members are a softmax and an ordinal head",
               [member["architecture"]["output"] for member, _ in built] == ["softmax", "ordinal"])
        mean = ensemble_output(built, "multiclass", x_pr)
        numpy_mean = (_numpy_outputs(written["multiclass_relu"][1], x_pr) + _numpy_outputs(ordinal_member, x_pr)) / 2
        expect("the mixed ensemble's mean probabilities agree with numpy (max |diff| < 1e-5), shape [n, 4]",
               mean.shape == (len(x_pr), 4) and np.abs(mean - numpy_mean).max() < 1e-5)

        from safetensors.torch import save_file
        print("\n--- negative cases (each must FAIL)")
        path, info = ensembles["ensemble_multiclass"]
        st = dict(info["state"])
        st["member2.0.weight"] = st["member0.0.weight"].clone()
        save_file(st, os.path.join(out_dir, "bad_metric.safetensors"), metadata=info["metadata"])
        expect("an ensemble tensor of no member fails",
               check(os.path.join(out_dir, "bad_metric.safetensors"), data_path, quiet=True) == 1)
        bad_meta = dict(info["metadata"])
        described = json.loads(bad_meta["sweep.ensemble"])
        described["members"] = described["members"][:1]
        bad_meta["sweep.ensemble"] = json.dumps(described)
        st = {k: v for k, v in info["state"].items() if k.startswith("member0.")}
        save_file(st, os.path.join(out_dir, "bad_metric.safetensors"), metadata=bad_meta)
        expect("an ensemble scored as one of its members fails (the averaged metric differs)",
               check(os.path.join(out_dir, "bad_metric.safetensors"), data_path, quiet=True) == 1)
        path, info = written["multiclass_relu"]
        bad_meta = dict(info["metadata"])
        m = dict(info["metrics"])
        m["test_accuracy"] = m["test_accuracy"] - 1 / 320
        bad_meta["sweep.metrics"] = json.dumps(m)
        bad = os.path.join(out_dir, "bad_metric.safetensors")
        save_file(info["state"], bad, metadata=bad_meta)
        expect("an accuracy off by one row fails", check(bad, data_path, quiet=True, max_rows=3) == 1)

        st = dict(info["state"])
        st.pop("2.bias")
        save_file(st, bad, metadata=info["metadata"])
        expect("a missing tensor fails (strict load)", check(bad, data_path, quiet=True, max_rows=3) == 1)

        st = dict(info["state"])
        st["0.weight"] = st["0.weight"].double()
        save_file(st, bad, metadata=info["metadata"])
        expect("a float64 tensor fails", check(bad, data_path, quiet=True, max_rows=3) == 1)

        bad_meta = dict(info["metadata"])
        s = json.loads(bad_meta["sweep.standardization"])
        s["mean"] = [v + 0.5 * sd for v, sd in zip(s["mean"], s["std"])]
        bad_meta["sweep.standardization"] = json.dumps(s)
        save_file(info["state"], bad, metadata=bad_meta)
        expect("a wrong standardisation fails", check(bad, data_path, quiet=True, max_rows=3) == 1)

        path, info = written["ordinal_no_hidden"]
        bad_arch = dict(info["arch"], output="softmax")
        save_file(info["state"], bad, metadata=dict(info["metadata"], **{"sweep.architecture": json.dumps(bad_arch)}))
        expect("an ordinal file described as softmax fails (strict load)", check(bad, data_path, quiet=True) == 1)
        st = dict(info["state"])
        st["1.bias"] = torch.cat([st["1.bias"], st["1.bias"][-1:] - 1])
        save_file(st, bad, metadata=info["metadata"])
        expect("ordinal thresholds of the wrong length (K instead of K-1) fail", check(bad, data_path, quiet=True) == 1)
        path, info = written["binary_tanh_bn"]
        bad_arch = dict(info["arch"], output="ordinal", output_width=2)
        save_file(info["state"], bad, metadata=dict(info["metadata"], **{"sweep.architecture": json.dumps(bad_arch)}))
        expect("an ordinal head on a binary task fails", check(bad, data_path, quiet=True) == 1)
        path, info = ensembles["ensemble_softmax_ordinal"]
        bad_meta = dict(info["metadata"])
        described = json.loads(bad_meta["sweep.ensemble"])
        described["members"][1]["architecture"]["output"] = "softmax"
        bad_meta["sweep.ensemble"] = json.dumps(described)
        save_file(info["state"], bad, metadata=bad_meta)
        expect("a mixed ensemble whose ordinal member is described as softmax fails",
               check(bad, data_path, quiet=True) == 1)

        path, info = written["regression_sigmoid"]
        bad_meta = dict(info["metadata"])
        m = dict(info["metrics"])
        m["test_rmse"] *= 1.001
        bad_meta["sweep.metrics"] = json.dumps(m)
        save_file(info["state"], bad, metadata=bad_meta)
        expect("an RMSE off by 0.1% fails", check(bad, data_path, quiet=True, max_rows=3) == 1)
        if keep_dir:
            os.remove(bad)
            print(f"\nexample files kept in {keep_dir}")

    print(f"\nself-test: {'PASS' if not failures else 'FAIL: ' + '; '.join(failures)}")
    return 0 if not failures else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="a .safetensors file written by `sweep export`")
    parser.add_argument("--data", default=None, help=f"CSV (default {ref.DEFAULT_DATA})")
    parser.add_argument("--tolerance", type=float, default=1e-6)
    parser.add_argument("--quiet", action="store_true", help="only the comparison lines and the verdict")
    parser.add_argument("--max-rows", type=int, default=20, help="rows listed on an accuracy mismatch (20)")
    parser.add_argument("--all-rows", action="store_true",
                        help="score every row of --data (e.g. a holdout) instead of the split's test rows")
    parser.add_argument("--expect", type=float, default=None,
                        help="with --all-rows: the accuracy (or RMSE) sweep predict reported on the same rows")
    parser.add_argument("--self-test", action="store_true", help="write example exports and check them")
    parser.add_argument("--keep-dir", default=None, help="with --self-test: keep the example files here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.self_test:
        return self_test(args.data, args.keep_dir)
    if not args.model:
        parser.error("give a .safetensors file (or --self-test)")
    if not os.path.exists(args.model):
        print(f"FAIL: no such file {args.model}")
        return 1
    return check(args.model, args.data, args.tolerance, args.quiet, args.max_rows, args.all_rows, args.expect)


if __name__ == "__main__":
    sys.exit(main())
