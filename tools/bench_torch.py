"""PyTorch speed reference for `sweep bench` (eager mode, one thread).

Times the reference trial: 20 -> 128 -> 256 -> 4 MLP, ReLU, kaiming_normal_(relu) weights and
zero biases, Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8), CrossEntropyLoss, batch 32, 50 epochs on
the 1280 training rows of the project's stratified split of the phone file (seed 88, 80/20,
z-scores fitted on the training rows): 40 batches x 50 epochs = 2000 optimizer steps. The batch
order is torch.randperm(n, generator=torch.Generator().manual_seed(seed)) per epoch; the last
partial batch (if --batch does not divide 1280) is kept, so steps = ceil(1280 / batch) * epochs.

Only the training loop is timed (not data loading, not the test evaluation). Each of the
--repeats runs re-initialises the model from the same seed and the best (minimum) time is
reported. torch.set_num_threads(1) and torch.set_num_interop_threads(1).

Prints ONE JSON object on stdout:
  {"framework": "pytorch", "version", "seconds", "steps", "samples_per_second",
   "final_train_loss", "test_accuracy", "threads": 1, ...}
seconds = training time of the best timed run; step time = seconds / steps;
samples_per_second = train rows x epochs / seconds; final_train_loss = sample-weighted mean of
the minibatch losses (before each step's update) over the last epoch; test_accuracy on the 320
test rows after training. Extra keys: hidden, batch, epochs, repeats, all_seconds, seed.

Run (after tools/setup-python-env.sh):

  tools/.venv/bin/python tools/bench_torch.py
  tools/.venv/bin/python tools/bench_torch.py --hidden 256,512 --batch 64 --epochs 10 --repeats 5

Options: --data PATH (default <repo>/../shared/data/phone_price.csv), --epochs N (50),
--repeats R (3), --hidden W1,W2,... (128,256), --batch B (32), --lr (1e-3), --seed (0).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch import nn  # noqa: E402

import sweep_reference as ref  # noqa: E402



def build(input_width: int, hidden: list[int], output_width: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = input_width
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, output_width))
    model = nn.Sequential(*layers)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
    return model


def run(args, x_train, y_train, x_test, y_test):
    torch.manual_seed(args.seed)
    model = build(x_train.shape[1], args.hidden, int(y_train.max()) + 1)
    generator = torch.Generator().manual_seed(args.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    n = x_train.shape[0]
    steps = 0
    model.train()
    start = time.perf_counter()
    total = torch.zeros(())
    for _ in range(args.epochs):
        order = torch.randperm(n, generator=generator)
        total = torch.zeros(())
        for lo in range(0, n, args.batch):
            idx = order[lo:lo + args.batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.detach() * idx.numel()
            steps += 1
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).double().mean().item()
    return seconds, steps, float(total) / n, accuracy


def main(argv=None) -> int:
    args = ref.parse_bench_arguments(__doc__.split("\n\n")[0], argv)

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    data = ref.phone_split(ref.resolve_data(args.data))
    x_train = torch.from_numpy(data["x_train"])
    y_train = torch.from_numpy(data["y_train"])
    x_test = torch.from_numpy(data["x_test"])
    y_test = torch.from_numpy(data["y_test"])

    results = [run(args, x_train, y_train, x_test, y_test) for _ in range(args.repeats)]
    best = min(results, key=lambda r: r[0])
    seconds, steps, loss, accuracy = best
    n = x_train.shape[0]
    assert steps == math.ceil(n / args.batch) * args.epochs
    print(json.dumps({
        "framework": "pytorch",
        "version": torch.__version__,
        "seconds": seconds,
        "steps": steps,
        "samples_per_second": n * args.epochs / seconds,
        "final_train_loss": loss,
        "test_accuracy": accuracy,
        "threads": torch.get_num_threads(),
        "hidden": args.hidden,
        "batch": args.batch,
        "epochs": args.epochs,
        "train_rows": n,
        "repeats": args.repeats,
        "all_seconds": [r[0] for r in results],
        "seed": args.seed,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
