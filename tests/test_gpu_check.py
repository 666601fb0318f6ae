"""The GPU cross-check script refuses what it cannot do before running anything."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.sh"


def _run(args, tmp_path, **env):
    full = {**os.environ, "PYTHON": sys.executable, **env}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=full, timeout=120,
                          cwd=tmp_path)


def test_usage_without_an_output_folder(tmp_path):
    r = _run([], tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("usage: scripts/gpu_check.sh OUTDIR")


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a CUDA device is present")
def test_no_cuda_device_is_a_one_line_refusal(tmp_path):
    out = tmp_path / "out"
    r = _run([str(out)], tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == "gpu_check: torch sees no CUDA device (DEVICE=cpu runs the script on the CPU)"
    assert not any(out.iterdir())  # nothing written
