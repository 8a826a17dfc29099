"""JAX speed reference for `sweep bench` (jit-compiled epochs, one thread, CPU).

Same reference trial as tools/bench_torch.py: 20 -> 128 -> 256 -> 4 MLP, ReLU, kaiming normal
weights (std sqrt(2 / fan_in)) and zero biases, softmax cross-entropy (mean over the batch),
Adam written by hand (lr 1e-3, betas 0.9/0.999, eps 1e-8, PyTorch's bias correction), batch 32,
50 epochs on the 1280 training rows of the project's stratified split of the phone file (seed 88,
80/20, z-scores fitted on the training rows): 40 batches x 50 epochs = 2000 optimizer steps.

One whole epoch is a single jitted function: lax.scan over the full batches (plus one extra step
for a last partial batch, kept, when --batch does not divide 1280); the per-epoch permutation is
drawn outside with jax.random.permutation and passed in. The epoch function is compiled (and
the permutations are generated) before timing; every timed run starts from the same initial
weights and ends with block_until_ready. The best (minimum) of --repeats runs is reported.

Single-threaded: XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
OMP/MKL/OPENBLAS_NUM_THREADS=1 and JAX_PLATFORMS=cpu are set before jax is imported.

Prints ONE JSON object on stdout:
  {"framework": "jax", "version", "seconds", "steps", "samples_per_second",
   "final_train_loss", "test_accuracy", "threads": 1, ...}
with the same meanings as bench_torch.py (seconds excludes data loading and compilation;
final_train_loss = sample-weighted mean of the minibatch losses over the last epoch). Extra
keys: hidden, batch, epochs, repeats, all_seconds, compile_seconds, seed.

Run (after tools/setup-python-env.sh):

  tools/.venv/bin/python tools/bench_jax.py
  tools/.venv/bin/python tools/bench_jax.py --hidden 256,512 --batch 64 --epochs 10 --repeats 5

Options: --data PATH (default <repo>/../shared/data/phone_price.csv), --epochs N (50),
--repeats R (3), --hidden W1,W2,... (128,256), --batch B (32), --lr (1e-3), --seed (0).
"""

from __future__ import annotations

import os

# Single-threaded CPU JAX, quiet. Must happen before jax is imported.
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NPROC"):
    os.environ[_var] = "1"
os.environ["JAX_PLATFORMS"] = "cpu"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("JAX_ENABLE_X64", "0")

import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
logging.getLogger("jax").setLevel(logging.ERROR)
logging.getLogger("absl").setLevel(logging.ERROR)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

import sweep_reference as ref  # noqa: E402



def init_params(key, widths: list[int]):
    """[(W [in, out], b [out])] with W ~ N(0, 2 / fan_in), b = 0."""
    params = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        key, sub = jax.random.split(key)
        w = jax.random.normal(sub, (fan_in, fan_out), dtype=jnp.float32) * math.sqrt(2.0 / fan_in)
        params.append((w, jnp.zeros((fan_out,), dtype=jnp.float32)))
    return params


def forward(params, x):
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss_fn(params, x, y):
    logits = forward(params, x)
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def make_epoch(n: int, batch: int, lr: float, b1=0.9, b2=0.999, eps=1e-8):
    full = n // batch
    rest = n - full * batch
    grad_fn = jax.value_and_grad(loss_fn)

    def adam_step(state, x, y):
        params, m, v, t = state
        loss, grads = grad_fn(params, x, y)
        t = t + 1
        m = jax.tree_util.tree_map(lambda m_, g: b1 * m_ + (1 - b1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda v_, g: b2 * v_ + (1 - b2) * g * g, v, grads)
        tf = t.astype(jnp.float32)
        step_size = lr / (1 - b1 ** tf)
        root_bc2 = jnp.sqrt(1 - b2 ** tf)
        params = jax.tree_util.tree_map(
            lambda p, m_, v_: p - step_size * m_ / (jnp.sqrt(v_) / root_bc2 + eps), params, m, v)
        return (params, m, v, t), loss

    def epoch(state, x_train, y_train, perm):
        def body(state, idx):
            state, loss = adam_step(state, x_train[idx], y_train[idx])
            return state, loss * batch

        batches = perm[:full * batch].reshape(full, batch)
        state, losses = lax.scan(body, state, batches)
        total = jnp.sum(losses)
        if rest:
            idx = perm[full * batch:]
            state, loss = adam_step(state, x_train[idx], y_train[idx])
            total = total + loss * rest
        return state, total / n

    return jax.jit(epoch), full + (1 if rest else 0)


def main(argv=None) -> int:
    args = ref.parse_bench_arguments(__doc__.split("\n\n")[0], argv)

    data = ref.phone_split(ref.resolve_data(args.data))
    x_train = jnp.asarray(data["x_train"])
    y_train = jnp.asarray(data["y_train"].astype("int32"))
    x_test = jnp.asarray(data["x_test"])
    y_test = jnp.asarray(data["y_test"].astype("int32"))
    n = int(x_train.shape[0])
    widths = [int(x_train.shape[1]), *args.hidden, int(data["y_train"].max()) + 1]

    key = jax.random.PRNGKey(args.seed)
    init_key, perm_key = jax.random.split(key)
    params0 = init_params(init_key, widths)
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params0)
    state0 = (params0, zeros, zeros, jnp.zeros((), dtype=jnp.int32))
    perms = [jax.random.permutation(k, n) for k in jax.random.split(perm_key, args.epochs)]
    perms = [p.block_until_ready() for p in perms]

    epoch_fn, steps_per_epoch = make_epoch(n, args.batch, args.lr)
    compile_start = time.perf_counter()
    warm_state, warm_loss = epoch_fn(state0, x_train, y_train, perms[0])  # compile + one warm-up epoch
    jax.block_until_ready((warm_state, warm_loss))
    compile_seconds = time.perf_counter() - compile_start

    results = []
    for _ in range(args.repeats):
        state = state0
        start = time.perf_counter()
        loss = None
        for e in range(args.epochs):
            state, loss = epoch_fn(state, x_train, y_train, perms[e])
        jax.block_until_ready((state, loss))
        seconds = time.perf_counter() - start
        results.append((seconds, state, loss))

    seconds, state, loss = min(results, key=lambda r: r[0])
    params = state[0]
    accuracy = float(jnp.mean(jnp.argmax(forward(params, x_test), axis=1) == y_test))
    steps = steps_per_epoch * args.epochs
    assert int(state[3]) == steps
    print(json.dumps({
        "framework": "jax",
        "version": jax.__version__,
        "seconds": seconds,
        "steps": steps,
        "samples_per_second": n * args.epochs / seconds,
        "final_train_loss": float(loss),
        "test_accuracy": accuracy,
        "threads": 1,
        "hidden": args.hidden,
        "batch": args.batch,
        "epochs": args.epochs,
        "train_rows": n,
        "repeats": args.repeats,
        "all_seconds": [r[0] for r in results],
        "compile_seconds": compile_seconds,
        "seed": args.seed,
        "backend": jax.default_backend(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
