import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))


@pytest.fixture(scope="session")
def binary():
    """The trajectory command (TRAJECTORY_BIN, else the debug build `make test` makes)."""
    path = os.environ.get("TRAJECTORY_BIN", os.path.join(ROOT, ".build", "debug", "trajectory"))
    if not os.access(path, os.X_OK):
        pytest.skip(f"no trajectory binary at {path} (build it first: swift build)")
    return path


@pytest.fixture(scope="session")
def cli(binary):
    def run(*arguments):
        result = subprocess.run([binary, *map(str, arguments)], capture_output=True, text=True)
        assert result.returncode == 0, f"trajectory {' '.join(map(str, arguments))}: {result.stderr}"
        return result.stdout
    return run
