import numpy as np
import pytest

import trajectory


@pytest.fixture(scope="module")
def trained(tmp_path_factory, cli):
    root = tmp_path_factory.mktemp("run")
    cli("synth", "--out", root / "ds", "--users", 60, "--items", 40, "--median-length", 10, "--min-length", 4)
    cli("train", root / "ds", "--out", root / "run", "--epochs", 2, "--embedding-size", 8, "--hidden-size", 8,
        "--max-length", 20, "--threads", 1)
    return root


def test_config_metrics_and_weights(trained):
    run = trajectory.Run(trained / "run")
    assert run.model == "lstm"
    assert run.settings["embeddingSize"] == 8
    assert [m["epoch"] for m in run.metrics] == [1, 2]
    assert run.best_epoch in (1, 2)
    assert all(np.isfinite(m["train_loss"]) and 0 <= m["valid"]["NDCG@10"] <= 1 for m in run.metrics)
    weights = run.weights()
    items = run.dataset.item_count
    # PyTorch's state_dict names and shapes for Embedding -> LSTM -> Linear.
    assert weights["embedding.weight"].shape == (items + 1, 8)
    assert weights["lstm.weight_hh_l0"].shape == (32, 8)
    assert weights["fc.weight"].shape == (items + 1, 8)
    assert set(run.weights("last")) == set(weights)
    assert all(np.isfinite(w).all() for w in weights.values())
    assert "<html" in run._repr_html_().lower()


def test_a_directory_that_is_not_a_run_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        trajectory.Run(tmp_path)
