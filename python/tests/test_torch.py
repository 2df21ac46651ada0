import json

import numpy as np
import pytest

import trajectory

torch = pytest.importorskip("torch")


def test_the_lstm_in_pytorch_scores_as_trajectory_does(server, run_path):
    """Scores for many histories equal the server's within 1e-4 of the largest score, and the
    top-10 is the same. (Batched requests: the server's single-history path multiplies with
    half-precision recurrent weights, 1e-4 relative to PyTorch by design.)"""
    run = trajectory.Run(run_path)
    module = run.to_torch()
    data = run.dataset
    dense = {original: index + 1 for index, original in enumerate(data.item_originals())}
    histories = [[str(i) for i in data.item_originals()[start:start + length]] for start, length in [(0, 3), (5, 1), (2, 12), (10, 7)]]
    answers = server.predict_batch(histories, k=10)
    for history, answer in zip(histories, answers):
        scores = module.score([dense[h] for h in history]).numpy()
        scores[0] = -np.inf
        ours = np.array([item["score"] for item in answer["items"]])
        theirs = scores[[dense[item["item"]] for item in answer["items"]]]
        assert np.abs(ours - theirs).max() <= 1e-4 * np.abs(scores[1:]).max()
        assert [data.item_originals()[i - 1] for i in np.argsort(-scores, kind="stable")[:10]] == [item["item"] for item in answer["items"]]


@pytest.mark.parametrize("family, flags", [
    ("gru4rec", ["--embedding-size", 8, "--hidden-size", 12, "--layers", 2]),
    ("sasrec", ["--hidden-size", 8, "--heads", 2, "--blocks", 2]),
])
def test_every_family_in_pytorch_scores_as_trajectory_predicts(tmp_path, cli, family, flags):
    """The family's module against `trajectory predict --json` (its scores for one history)."""
    cli("synth", "--out", tmp_path / "ds", "--users", 60, "--items", 40, "--median-length", 10, "--min-length", 4)
    cli("train", tmp_path / "ds", "--out", tmp_path / "run", "--model", family, "--epochs", 1, *flags,
        "--max-length", 20, "--threads", 1)
    run = trajectory.Run(tmp_path / "run")
    module = run.to_torch()
    data = run.dataset
    originals = data.item_originals()
    dense = {original: index + 1 for index, original in enumerate(originals)}
    for history in [originals[0:3], originals[4:5], originals[1:13], (originals * 2)[:30]]:
        answer = json.loads(cli("predict", tmp_path / "run", "--history", ",".join(history), "--k", 10, "--json"))
        scores = module.score([dense[h] for h in history]).numpy()
        scores[0] = -np.inf
        ours = np.array([item["score"] for item in answer["items"]])
        theirs = scores[[dense[item["item"]] for item in answer["items"]]]
        assert np.abs(ours - theirs).max() <= 1e-4 * np.abs(scores[1:]).max()
        assert [originals[i - 1] for i in np.argsort(-scores, kind="stable")[:10]] == [item["item"] for item in answer["items"]]
