#!/usr/bin/env bash
# One-step, idempotent set-up: a virtual environment in .venv with the package
# installed in editable mode, its test extras and the optional Dask backend.
#
# On a machine without a CUDA GPU, torch==2.13.0 resolves to the CPU build
# (no CUDA packages are pulled).  Set TORCH_SPEC to override, e.g.
#   TORCH_SPEC="torch==2.13.0" ./setup.sh
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
stamp=.venv/.setup-stamp
want=$( (cat setup.cfg; echo "$TORCH_SPEC") | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
say() { echo "setup.sh: $*"; }
[ -x .venv/bin/python ] || { say "creating .venv with $PY"; "$PY" -m venv .venv; }
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
say "installing $TORCH_SPEC (the CPU wheel: about 1 minute; a download from PyPI can take several)"
if ! command -v nvidia-smi >/dev/null 2>&1; then
    # CPU-only machine: take the CPU wheel (the local build when present,
    # otherwise PyTorch's CPU index) and never the CUDA dependency stack.
    .venv/bin/python -m pip install -q "$TORCH_SPEC" \
        || .venv/bin/python -m pip install -q "$TORCH_SPEC" --index-url https://download.pytorch.org/whl/cpu
else
    .venv/bin/python -m pip install -q "$TORCH_SPEC"
fi
say "installing the package in editable mode with its test extras and the Dask backend (about 1 minute)"
# the test extras and the optional dask.distributed backend (tested in CI)
.venv/bin/python -m pip install -q -e ".[test,distributed]"
echo "$want" > "$stamp"
say "done: .venv is ready (a second run does nothing)"
