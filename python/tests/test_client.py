import socket
import subprocess
import time

import pytest

import trajectory


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, binary, cli):
    """A live `trajectory serve` of a tiny trained run, with an API key."""
    root = tmp_path_factory.mktemp("serve")
    cli("synth", "--out", root / "ds", "--users", 60, "--items", 40, "--median-length", 10, "--min-length", 4)
    cli("train", root / "ds", "--out", root / "run", "--epochs", 1, "--embedding-size", 8, "--hidden-size", 8,
        "--max-length", 20, "--threads", 1)
    key = cli("keys", "create", "--run", root / "run", "--name", "pytest", "--quiet").strip()
    port = free_port()
    process = subprocess.Popen([binary, "serve", root / "run", "--port", str(port), "--log-level", "warning"])
    client = trajectory.Client(f"http://127.0.0.1:{port}", key=key)
    for _ in range(100):
        if client.healthy():
            break
        time.sleep(0.1)
    yield client
    process.terminate()
    assert process.wait(timeout=20) == 0


def test_predict_and_batch(server):
    answer = server.predict(["1", "2", 3], k=5, exclude_seen=True)
    assert len(answer["items"]) == 5 and answer["source"] == "model"
    assert not {"1", "2", "3"} & {item["item"] for item in answer["items"]}
    batch = server.predict_batch([["1"], ["2", "unknown-item"]], k=3)
    assert [len(b["items"]) for b in batch] == [3, 3]
    assert batch[1]["unknown"] == ["unknown-item"]


def test_events_recommendations_and_model(server):
    stored = server.add_events("user 1", ["4", "5"])
    assert stored["accepted"] == 2 and stored["history_length"] == 2
    assert len(server.recommendations("user 1", k=4)["prediction"]["items"]) == 4
    assert server.model()["kind"] == "lstm"


def test_errors_are_typed(server):
    with pytest.raises(trajectory.BadRequest, match="k must be between 1 and 1000"):
        server.predict(["1"], k=0)
    with pytest.raises(trajectory.Unauthorized):
        trajectory.Client(server.url, key="wrong").predict(["1"])


def test_cli_passes_output_through_and_names_failures(tmp_path, binary, capsys):
    output = trajectory.cli("synth", "--out", tmp_path / "ds", "--users", 20, "--items", 10, "--median-length", 5,
                            "--min-length", 3, binary=binary)
    assert "wrote" in output and "wrote" in capsys.readouterr().out
    with pytest.raises(trajectory.CommandError) as failure:
        trajectory.cli("info", tmp_path / "missing", binary=binary, echo=False)
    assert failure.value.status in (65, 66)
