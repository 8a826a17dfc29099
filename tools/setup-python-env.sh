#!/usr/bin/env bash
# Creates tools/.venv with the pinned PyTorch/JAX reference stack used by the
# golden-value generators and the benchmark scripts. CI never runs this.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
# torch's CPU wheel is found through pip's configured find-links (PIP_FIND_LINKS on this machine).
"$venv/bin/pip" install --quiet -r "$here/requirements.txt"
"$venv/bin/python" -c 'import torch, jax, numpy, safetensors; print("torch", torch.__version__, "jax", jax.__version__, "numpy", numpy.__version__)'
