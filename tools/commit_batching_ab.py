#!/usr/bin/env python3
"""Issue 18's time outside training at --jobs 2: this build, which commits trials that end close
together in one transaction, against the build before it (commit bcd69a7), which committed each
trial alone, on this machine, in the same run.

Both run the sweep `sweep bench` times (40 trials of the default sweep's search space, 4-fold
cross-validation plus a final fit, 32 tanh units, 40 epochs) on ../shared/data/phone_price.csv
with --jobs 2, once writing results to SQLite and once keeping them in memory
(--results-in-memory), in interleaved rounds (the machine's speed moves from minute to minute,
so every configuration meets each spell alike). "Outside training" is as in `sweep bench`: the
workers' capacity (2 x wall time) not spent training, training being the CPU time the training
threads ran inside fits. The medians over rounds decide; the ranges show the spread. The memory
rows tell storing's share from the rest, which no way of storing can remove.

The old build is made in a git worktree under .build/ (about 8 minutes the first time), unless
--old names a sweep binary built from that commit.

Writes the section "commit-batching" of BENCHMARKS.md (kept by `sweep bench`).
Run from the repository root after `swift build -c release`:
    python3 tools/commit_batching_ab.py [--rounds 15] [--old PATH] [--output BENCHMARKS.md]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from benchmarks_md import repository_and_build, write_section

OLD_COMMIT = "bcd69a7"
SECTION = "commit-batching"
# The sweep `sweep bench` runs (BenchCommand.runSweep), with the data's path filled in.
SPEC = """{"name": "bench", "data": {"source": "%s", "folds": 4, "split_seed": 88},
 "method": "random", "trials": 40, "seed": 3,
 "fixed": {"hidden_layers": [32], "activation": "tanh", "batch_size": 64, "epochs": 40},
 "parameters": {
   "optimizer": {"values": [{"name": "sgd", "lr": 0.1}, {"name": "momentum", "lr": 0.02},
     {"name": "adagrad", "lr": 0.05}, {"name": "rmsprop", "lr": 0.002}, {"name": "adam", "lr": 0.005}]},
   "schedule": {"values": ["none", {"name": "step", "step_size": 10, "gamma": 0.5},
     {"name": "multistep", "milestones": [20, 30], "gamma": 0.3}, {"name": "exponential", "gamma": 0.95}]},
   "initializer": {"values": ["kaiming_normal", "xavier_normal"]},
   "dropout": {"values": [0, 0.2]},
   "batch_norm": {"values": [false, true]}}}
"""


def build_old(root):
    tree = os.path.join(root, ".build", "before-commit-batching")
    if not os.path.isdir(tree):
        subprocess.run(["git", "-C", root, "worktree", "add", "--detach", "-f", tree, OLD_COMMIT], check=True)
    subprocess.run(["swift", "build", "-c", "release", "--package-path", tree], check=True)
    return os.path.join(tree, ".build", "release", "sweep")


def outside_share(binary, spec, folder, in_memory):
    database = os.path.join(folder, "ab.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(database + suffix):
            os.remove(database + suffix)
    stats = os.path.join(folder, "stats.json")
    command = [binary, "run", spec, "--db", database, "--jobs", "2", "--quiet", "--stats-json", stats]
    subprocess.run(command + (["--results-in-memory"] if in_memory else []), stdout=subprocess.DEVNULL, check=True)
    run = json.load(open(stats))
    return 1 - run["training_cpu_seconds"] / (run["jobs"] * run["wall_seconds"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--old", help=f"a sweep binary built from {OLD_COMMIT} (default: build one)")
    parser.add_argument("--output", default="BENCHMARKS.md")
    args = parser.parse_args()
    root, new = repository_and_build()
    old = args.old or build_old(root)
    data = os.path.abspath(os.path.join(root, "..", "shared", "data", "phone_price.csv"))
    if not os.path.exists(data):
        sys.exit(f"{data} is missing")
    configurations = [
        ("each trial alone (before)", "SQLite", old, False), ("together (now)", "SQLite", new, False),
        ("each trial alone (before)", "memory", old, True), ("together (now)", "memory", new, True),
    ]
    shares = {(label, where): [] for label, where, _, _ in configurations}
    with tempfile.TemporaryDirectory() as folder:
        spec = os.path.join(folder, "spec.json")
        open(spec, "w").write(SPEC % data)
        for round_number in range(args.rounds):
            print(f"round {round_number + 1} of {args.rounds}", file=sys.stderr)
            for label, where, binary, in_memory in configurations:
                shares[(label, where)].append(outside_share(binary, spec, folder, in_memory))

    processor = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in processor.splitlines() if line.startswith("Model name")), "unknown")
    family = next((line.split(":", 1)[1].strip() for line in processor.splitlines() if line.startswith("CPU family")), "?")
    lines = [
        "## Committing trials together: before and after",
        "",
        f"From `tools/commit_batching_ab.py --rounds {args.rounds}` on {model} (family {family}), 2 cores: the "
        "`sweep bench` sweep (40 trials, --jobs 2) with this build, which commits the trials that end within "
        "a quarter second of the last commit together, against the build before it "
        f"({OLD_COMMIT}), which committed each trial alone, in interleaved rounds. Time outside training, "
        "median and range over the rounds; the memory rows keep results in memory (nothing written), the part "
        "no way of storing removes.",
        "",
        "| commits | results | outside training (median) | range |",
        "| --- | --- | --- | --- |",
    ]
    for label, where, _, _ in configurations:
        values = shares[(label, where)]
        lines.append(f"| {label} | {where} | {100 * statistics.median(values):.2f}% | "
                     f"{100 * min(values):.2f}–{100 * max(values):.2f}% |")
    before = statistics.median(shares[("each trial alone (before)", "SQLite")])
    now = statistics.median(shares[("together (now)", "SQLite")])
    memory = statistics.median(shares[("together (now)", "memory")])
    lines += [
        "",
        f"Storing's share of the median run: {100 * (before - memory):.2f} points before, {100 * (now - memory):.2f} now "
        "(each against this build's memory row).",
    ]
    text = "\n".join(lines)
    print(text)
    write_section(args.output, SECTION, text)


if __name__ == "__main__":
    main()
