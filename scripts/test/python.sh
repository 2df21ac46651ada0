#!/usr/bin/env bash
# The Python package's tests (python/tests, pytest) against the debug build of trajectory, in
# .venv-python (numpy, pytest, pandas, matplotlib, onnxruntime and the CPU build of torch from
# PyPI, installed once: about a minute on a fresh machine, then nothing). Without torch or onnxruntime (e.g. no network)
# the to_torch parity and ONNX export tests are skipped with a warning; the rest still runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.venv-python
[ -x $VENV/bin/python ] || python3 -m venv $VENV
$VENV/bin/python -c "import numpy, pytest, pandas, matplotlib" 2>/dev/null || $VENV/bin/pip install -q numpy pytest pandas matplotlib
if ! $VENV/bin/python -c "import torch" 2>/dev/null; then
  $VENV/bin/pip install -q "torch==2.13.0+cpu" 2>/dev/null || $VENV/bin/pip install -q torch --index-url https://download.pytorch.org/whl/cpu 2>/dev/null \
    || echo "warning: torch could not be installed; the to_torch parity test will be skipped"
fi
$VENV/bin/python -c "import onnxruntime" 2>/dev/null || $VENV/bin/pip install -q onnxruntime 2>/dev/null \
  || echo "warning: onnxruntime could not be installed; the ONNX export tests will be skipped"
exec $VENV/bin/python -m pytest python/tests -q -rs
