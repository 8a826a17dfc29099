#!/usr/bin/env python3
"""Issue 18's last target: on an AVX2 machine nothing regresses. The portable and AVX2+FMA kernel
paths of this build against the same paths of the build before the AVX-512 work (commit
c04271a), on this machine, in the same run.

The old build chose its kernels from the processor alone (AVX2+FMA where present, else
portable). So that it can run its portable path on a processor that has AVX2, this script
builds it in a git worktree under .build/ with one change: the environment variable
OLD_PORTABLE makes its processor check answer "no AVX2". The new build's paths are forced with
SWEEP_KERNEL. Measured with `sweep train` (which both builds have), in interleaved rounds (the
machine's speed moves from minute to minute, so every configuration meets each spell alike), the
best of the rounds: one epoch's CPU time in steady state, a run's less a run's of a fifth as many
epochs, so that starting the process and reading the data cancel out. Five shapes: the
reference trial's network (20 -> 128 -> 256 -> 4, batch 32), the ends of the scaling tables
(widths 32 and 1024, batches 1 and 1280).

Only the AVX2 rows decide the target. The old build's element-wise kernels (Adam, activations,
column sums) were compiled as target clones that the loader picks by processor, which
OLD_PORTABLE does not reach: on a processor with AVX2 its "portable" path ran them on AVX2, so
its portable rows here are faster than its portable path was on a processor without AVX2.

Writes the section "kernel-paths-before-avx512" of BENCHMARKS.md (kept by `sweep bench`).
Run from the repository root after `swift build -c release`:
    python3 tools/kernel_paths_before_avx512.py [--rounds 5] [--output BENCHMARKS.md]
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile

from benchmarks_md import repository_and_build, write_section

OLD_COMMIT = "c04271a"
SECTION = "kernel-paths-before-avx512"


def build_old(root):
    tree = os.path.join(root, ".build", "kernels-before-avx512")
    if not os.path.isdir(tree):
        subprocess.run(["git", "-C", root, "worktree", "add", "--detach", "-f", tree, OLD_COMMIT], check=True)
    # The old processor checks, made to answer "no AVX2" under OLD_PORTABLE (once per process).
    patches = {
        "Sources/CKernels/elementwise.c": (
            'static int has_avx2(void) { return __builtin_cpu_supports("avx2"); }',
            'static int has_avx2(void) { static int c = -1; if (c < 0) c = getenv("OLD_PORTABLE") ? 0 : __builtin_cpu_supports("avx2"); return c; }'),
        "Sources/CKernels/sgemm.c": (
            '    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");',
            '    static int c = -1; if (c < 0) c = getenv("OLD_PORTABLE") ? 0 : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")); return c;'),
    }
    for path, (old, new) in patches.items():
        full = os.path.join(tree, path)
        text = open(full).read()
        if new not in text:
            if old not in text:
                sys.exit(f"{full}: the processor check to patch is not there; is {OLD_COMMIT} checked out?")
            text = "#include <stdlib.h>\n" + text.replace(old, new)
            open(full, "w").write(text)
    print(f"building {OLD_COMMIT} in {tree} (release)…", file=sys.stderr)
    subprocess.run(["swift", "build", "-c", "release"], cwd=tree, check=True, stdout=subprocess.DEVNULL)
    return os.path.join(tree, ".build", "release", "sweep")


SHAPES = [
    # (label, hidden layers, batch size, epochs of the long run: at AVX2 speed about a second and a
    # half, since on a shared machine runs of half a second moved by 8% from one round to the next)
    ("reference trial: 128-256, batch 32", [128, 256], 32, 600),
    ("width 32: 32-32, batch 32", [32, 32], 32, 6000),
    ("width 1024: 1024-1024, batch 32", [1024, 1024], 32, 30),
    ("batch 1: 128-256", [128, 256], 1, 120),
    ("batch 1280: 128-256", [128, 256], 1280, 1500),
]


def cpu_seconds(binary, env, configuration):
    """The CPU time (user and system) of `sweep train` on the configuration file."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([binary, "train", configuration], env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def epoch_milliseconds(binary, env, hidden, batch, epochs, data, folder):
    """One epoch's CPU time in steady state: a run of `epochs` less one of a fifth as many, so
    that starting the process, reading the data and the first epochs' warming up cancel out."""
    times = []
    for count in (epochs, epochs // 5):
        path = os.path.join(folder, "configuration.json")
        with open(path, "w") as file:
            json.dump({"data": {"source": data}, "hidden_layers": hidden, "activation": "relu",
                       "optimizer": {"name": "adam", "lr": 0.001}, "batch_size": batch, "epochs": count, "seed": 1}, file)
        times.append(cpu_seconds(binary, env, path))
    return (times[0] - times[1]) / (epochs - epochs // 5) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", default="BENCHMARKS.md")
    args = parser.parse_args()
    root, new = repository_and_build()
    old = build_old(root)
    configurations = [
        ("avx2-fma", "before", old, {}), ("avx2-fma", "now", new, {"SWEEP_KERNEL": "avx2"}),
        ("portable", "before", old, {"OLD_PORTABLE": "1"}), ("portable", "now", new, {"SWEEP_KERNEL": "portable"}),
    ]
    data = os.path.join(root, "..", "shared", "data", "phone_price.csv")
    if not os.path.exists(data):
        data = "builtin:phone-price?rows=1600"
    runs = {}
    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number} of {args.rounds}…", file=sys.stderr)
            for label, hidden, batch, epochs in SHAPES:
                for path, build, binary, env in configurations:
                    value = epoch_milliseconds(binary, env, hidden, batch, epochs, data, folder)
                    runs.setdefault((path, label), {}).setdefault(build, []).append(value)
    best = {key: {build: min(values) for build, values in builds.items()} for key, builds in runs.items()}
    # The old build names no kernels, and `sweep train` does not say which ran: that each
    # build ran its portable path where asked shows in its speed at the reference shape.
    for build in ("before", "now"):
        reference = {path: best[(path, SHAPES[0][0])][build] for path in ("avx2-fma", "portable")}
        if reference["portable"] < 1.5 * reference["avx2-fma"]:
            sys.exit(f"the {build} build's portable path ran as fast as its AVX2 one ({reference}): was it forced?")
    processor = re.search(r"^processor: (.*); kernels", subprocess.run(
        [new, "bench", "--reference-only", "--python", "/nonexistent"], capture_output=True, text=True).stdout, re.M).group(1)
    lines = [
        "## The portable and AVX2 paths before and after the AVX-512 kernels", "",
        f"From `tools/kernel_paths_before_avx512.py` on {processor}. One epoch's CPU time in steady state",
        "(`sweep train`, ReLU, Adam), this build's kernel paths forced with SWEEP_KERNEL against the same",
        f"paths of the build before the AVX-512 work ({OLD_COMMIT}), in {args.rounds} interleaved rounds: the",
        "times are each configuration's best, the ratio is the median over rounds of the round's own",
        "ratio (both builds meet the same spell of the machine within a round). Lower is faster; a",
        "ratio over 1.05 counts as slower. This processor runs AVX2 code as an",
        "AVX2-only one would, not at the same speed: the comparison is of the two builds on one machine.",
        "The AVX2 rows decide the target. In the portable rows the old build ran its element-wise",
        "kernels (Adam, activations) on AVX2 all the same, as target clones chosen by processor, so",
        "they compare this build's plain C with the old build's AVX2 there: most where a step is",
        "mostly the optimizer's, as at batch 1. Both builds compile the same C for those kernels'",
        "portable form.", "",
        "| path | shape | before (ms an epoch) | now (ms an epoch) | now / before | |", "| --- | --- | --- | --- | --- | --- |",
    ]
    worst = 0.0
    for (path, name), values in best.items():
        ratio = statistics.median(now / before for now, before in zip(runs[(path, name)]["now"], runs[(path, name)]["before"]))
        if path == "avx2-fma":
            worst = max(worst, ratio)
        mark = "slower" if ratio > 1.05 else "same or faster"
        lines.append(f"| {path} | {name} | {values['before']:.3f} | {values['now']:.3f} | {ratio:.3f} | {mark} |")
    verdict = "no regression" if worst <= 1.05 else "**a regression**"
    lines += ["", f"Slowest AVX2 ratio: {worst:.3f}: {verdict} on the AVX2 path."]
    text = "\n".join(lines)
    print(text)
    write_section(args.output, SECTION, text)
    return 0 if worst <= 1.05 else 1


if __name__ == "__main__":
    sys.exit(main())
