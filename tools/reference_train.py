"""PyTorch reference accuracies for the phone price problem (the figures the README quotes).

Trains two fixed configurations on the project's stratified split of the phone file (seed 88,
80/20, no validation part; z-scores fitted on the 1280 training rows) once per seed 0..N-1 and
reports the test accuracy per seed, their mean and (population) std, and the seconds per run:

  price   20 -> Linear 128 -> ReLU -> Linear 256 -> ReLU -> Linear 4; kaiming_normal_(relu) weights,
          zero biases; Adam lr 1e-3, batch 32, 50 epochs, CrossEntropyLoss.
  tanh32  20 -> Linear 32 -> Tanh -> Dropout(0.2) -> Linear 4; xavier_normal_ weights, zero biases;
          Adam lr 1e-2, batch 64, 100 epochs, CrossEntropyLoss.

Per seed s: torch.manual_seed(s) right before building the model (so it fixes the initial weights
and the dropout masks); the batch order comes from a separate torch.Generator seeded with s:
every epoch draws torch.randperm(1280, generator=g) and walks it in batches, the last partial
batch kept. Single-threaded (torch.set_num_threads(1)). Test accuracy is measured in eval mode
after the last epoch.

Run (after tools/setup-python-env.sh):

  tools/.venv/bin/python tools/reference_train.py                 # table, seeds 0..4
  tools/.venv/bin/python tools/reference_train.py --seeds 10 --json
  tools/.venv/bin/python tools/reference_train.py --config price --data /path/to/phone_price.csv

Options: --data PATH (default <repo>/../shared/data/phone_price.csv), --seeds N (default 5),
--config price|tanh32|all (default all), --json (print one JSON object instead of the table).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch import nn  # noqa: E402

import sweep_reference as ref  # noqa: E402


def build_price() -> nn.Sequential:
    model = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 4))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
    return model


def build_tanh32() -> nn.Sequential:
    model = nn.Sequential(nn.Linear(20, 32), nn.Tanh(), nn.Dropout(0.2), nn.Linear(32, 4))
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.xavier_normal_(m.weight)
            nn.init.zeros_(m.bias)
    return model


CONFIGS = {
    "price": {"build": build_price, "lr": 1e-3, "batch": 32, "epochs": 50,
              "description": "20-128-256-4 ReLU, kaiming normal, Adam 1e-3, batch 32, 50 epochs"},
    "tanh32": {"build": build_tanh32, "lr": 1e-2, "batch": 64, "epochs": 100,
               "description": "20-32-4 tanh, dropout 0.2, xavier normal, Adam 1e-2, batch 64, 100 epochs"},
}


def train_once(config: dict, seed: int, x_train, y_train, x_test, y_test) -> tuple[float, float, float]:
    """Returns (test accuracy, final-epoch mean train loss, seconds)."""
    torch.manual_seed(seed)
    model = config["build"]()
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    loss_fn = nn.CrossEntropyLoss()
    n = x_train.shape[0]
    batch = config["batch"]
    start = time.perf_counter()
    epoch_loss = 0.0
    for _ in range(config["epochs"]):
        model.train()
        order = torch.randperm(n, generator=generator)
        total = torch.zeros(())
        for lo in range(0, n, batch):
            idx = order[lo:lo + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.detach() * idx.numel()
        epoch_loss = float(total) / n
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).double().mean().item()
    seconds = time.perf_counter() - start
    return accuracy, epoch_loss, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help=f"phone CSV (default {ref.DEFAULT_DATA})")
    parser.add_argument("--seeds", type=int, default=5, help="train with seeds 0..N-1 (default 5)")
    parser.add_argument("--config", choices=["all", *CONFIGS], default="all")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    data = ref.phone_split(ref.resolve_data(args.data))
    x_train = torch.from_numpy(data["x_train"])
    y_train = torch.from_numpy(data["y_train"])
    x_test = torch.from_numpy(data["x_test"])
    y_test = torch.from_numpy(data["y_test"])

    names = list(CONFIGS) if args.config == "all" else [args.config]
    report = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "split": {"seed": ref.REFERENCE_SPLIT_SEED, "test_fraction": ref.REFERENCE_TEST_FRACTION,
                  "validation_fraction": ref.REFERENCE_VALIDATION_FRACTION,
                  "train_rows": int(x_train.shape[0]), "test_rows": int(x_test.shape[0])},
        "configs": {},
    }
    for name in names:
        config = CONFIGS[name]
        runs = []
        for seed in range(args.seeds):
            acc, loss, secs = train_once(config, seed, x_train, y_train, x_test, y_test)
            runs.append({"seed": seed, "test_accuracy": acc, "final_train_loss": loss, "seconds": secs})
            if not args.json:
                print(f"{name:7s} seed {seed}: test accuracy {acc:.4f}  final train loss {loss:.4f}  "
                      f"{secs:.2f} s", flush=True)
        accs = [r["test_accuracy"] for r in runs]
        secs = [r["seconds"] for r in runs]
        summary = {
            "description": config["description"],
            "runs": runs,
            "mean_test_accuracy": statistics.fmean(accs),
            "std_test_accuracy": statistics.pstdev(accs) if len(accs) > 1 else 0.0,
            "sample_std_test_accuracy": statistics.stdev(accs) if len(accs) > 1 else 0.0,
            "mean_seconds": statistics.fmean(secs),
        }
        report["configs"][name] = summary
        if not args.json:
            print(f"{name:7s} mean {summary['mean_test_accuracy']:.4f} ± {summary['std_test_accuracy']:.4f} "
                  f"(population std; sample std {summary['sample_std_test_accuracy']:.4f}), "
                  f"{summary['mean_seconds']:.2f} s per run  [{config['description']}]\n", flush=True)
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
