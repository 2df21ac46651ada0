import pytest

import trajectory


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
