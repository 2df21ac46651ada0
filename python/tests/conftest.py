import os
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

import trajectory  # noqa: E402  (from this checkout, not an installed copy)


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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def run_path(tmp_path_factory, cli):
    """A tiny trained seed-LSTM run."""
    root = tmp_path_factory.mktemp("serve")
    cli("synth", "--out", root / "ds", "--users", 60, "--items", 40, "--median-length", 10, "--min-length", 4)
    cli("train", root / "ds", "--out", root / "run", "--epochs", 1, "--embedding-size", 8, "--hidden-size", 8,
        "--max-length", 20, "--threads", 1)
    return root / "run"


@pytest.fixture(scope="session")
def server(run_path, binary, cli):
    """A live `trajectory serve` of the tiny run, with an API key."""
    key = cli("keys", "create", "--run", run_path, "--name", "pytest", "--quiet").strip()
    port = free_port()
    process = subprocess.Popen([binary, "serve", run_path, "--port", str(port), "--log-level", "warning"])
    client = trajectory.Client(f"http://127.0.0.1:{port}", key=key)
    for _ in range(100):
        if client.healthy():
            break
        time.sleep(0.1)
    yield client
    process.terminate()
    assert process.wait(timeout=20) == 0
