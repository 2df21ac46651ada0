#!/usr/bin/env bash
# The Python package's tests (python/tests, pytest) against the debug build of trajectory:
# numpy and pytest from the system Python when it has them, else in .venv-python (from PyPI).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=python3
if ! $PYTHON -c "import numpy, pytest" 2>/dev/null; then
  [ -x .venv-python/bin/python ] || python3 -m venv .venv-python
  .venv-python/bin/python -c "import numpy, pytest" 2>/dev/null || .venv-python/bin/pip install -q numpy pytest
  PYTHON=.venv-python/bin/python
fi
exec $PYTHON -m pytest python/tests -q
