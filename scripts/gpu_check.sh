#!/usr/bin/env bash
# GPU cross-check of the Deep Fusion toy at paper-like settings, in one run.
#
#   scripts/gpu_check.sh OUTDIR [flags for python -m sims.deep_fusion_toy]
#
# On a CUDA machine with nothing of this package installed: makes the
# checkout importable (an editable install when pip can, the checkout on
# PYTHONPATH when it cannot reach an index), runs
#
#   python -m sims.deep_fusion_toy --preset paper --device cuda --n-jobs 1
#
# under a wall-clock budget, and writes to OUTDIR, flat (at most 8 files):
#
#   gpu_check.json          device name, CUDA and torch versions, the command,
#                           wall time, and the time per training epoch of each
#                           head (mean and sd over seeds and epochs)
#   deep_fusion_toy.json    the run's results (config, seed, versions, verdict inputs)
#   deep_fusion_toy.npz     its arrays (per-epoch metrics, attention maps)
#   deep_fusion_toy_*.png   its three figures
#   log.txt                 everything the run printed
#
# Environment: PYTHON (default python3), DEVICE (default cuda; cpu to try the
# script on a laptop, with --quick), BUDGET_S (default 450 s for the
# simulation, so that the whole script stays under 8 minutes).
# Extra flags are passed on, e.g. `--seeds 1 --epochs 100` to fit a slower card.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ]; then
    echo "usage: scripts/gpu_check.sh OUTDIR [flags for python -m sims.deep_fusion_toy]" >&2
    exit 2
fi
OUTDIR=$1
shift
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
BUDGET_S=${BUDGET_S:-450}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
RUN=$(mktemp -d)
trap 'rm -rf "$RUN"' EXIT

if ! "$PY" -c "import theory, sims" >/dev/null 2>&1; then
    "$PY" -m pip install -q --no-deps --no-build-isolation -e . >/dev/null 2>&1 \
        || export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
# one interpreter start for both checks: exit 3 = a dependency is missing, 4 = no CUDA device
set +e
DEVICE="$DEVICE" "$PY" -c "
import os, sys
try:
    import theory, sims, torch, numpy, scipy, sklearn, matplotlib, joblib, tqdm
except ImportError as exc:
    print(exc, file=sys.stderr); sys.exit(3)
sys.exit(4 if os.environ['DEVICE'] != 'cpu' and not torch.cuda.is_available() else 0)"
check=$?
set -e
if [ "$check" = 3 ]; then echo "gpu_check: a dependency is missing (see the import error above)" >&2; exit 2; fi
if [ "$check" = 4 ]; then echo "gpu_check: torch sees no CUDA device (DEVICE=cpu runs the script on the CPU)" >&2; exit 2; fi
if [ "$check" != 0 ]; then echo "gpu_check: the environment check failed (status $check)" >&2; exit 2; fi

cmd=("$PY" -m sims.deep_fusion_toy --preset paper --device "$DEVICE" --n-jobs 1 --no-progress --out "$RUN/out" "$@")
echo "gpu_check: ${cmd[*]}" | tee "$OUTDIR/log.txt"
t0=$(date +%s.%N)
set +e
PYTHONUNBUFFERED=1 timeout "$BUDGET_S" "${cmd[@]}" 2>&1 | tee -a "$OUTDIR/log.txt"
rc=${PIPESTATUS[0]}
set -e
t1=$(date +%s.%N)

for f in "$RUN"/out/deep_fusion_toy.json "$RUN"/out/deep_fusion_toy.npz "$RUN"/out/deep_fusion_toy_*.png; do
    [ -f "$f" ] && cp "$f" "$OUTDIR/"
done

RC=$rc T0=$t0 T1=$t1 CMD="${cmd[*]}" OUTDIR="$OUTDIR" "$PY" - <<'EOF'
import json, os, platform, subprocess

import numpy as np
import torch

out = os.environ["OUTDIR"]
info = {
    "exit_status": int(os.environ["RC"]),
    "command": os.environ["CMD"],
    "wall_s": float(os.environ["T1"]) - float(os.environ["T0"]),
    "torch": torch.__version__,
    "cuda": torch.version.cuda,
    "device_name": torch.cuda.get_device_name(0) if torch.cuda.is_available() else platform.processor() or "cpu",
    "python": platform.python_version(),
}
try:
    info["nvidia_smi"] = subprocess.run(
        ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
        capture_output=True, text=True, timeout=20).stdout.strip()
except (OSError, subprocess.SubprocessError):
    info["nvidia_smi"] = None
npz = os.path.join(out, "deep_fusion_toy.npz")
if os.path.exists(npz):
    z = np.load(npz)
    times = {}
    for key in z.files:
        if key.endswith("_epoch_time_s"):
            t = np.asarray(z[key], dtype=float)
            times[key[: -len("_epoch_time_s")]] = {"mean_s": float(np.nanmean(t)), "sd_s": float(np.nanstd(t)),
                                                   "n_epochs_timed": int(np.isfinite(t).sum())}
    info["time_per_epoch"] = times
    with open(os.path.join(out, "deep_fusion_toy.json")) as fh:
        res = json.load(fh)
    info["results_device"] = res.get("results", {}).get("device")
    info["config"] = res.get("config")
with open(os.path.join(out, "gpu_check.json"), "w") as fh:
    json.dump(info, fh, indent=2)
print(json.dumps({k: info.get(k) for k in ("exit_status", "wall_s", "device_name", "time_per_epoch")}, indent=2))
EOF
exit "$rc"
