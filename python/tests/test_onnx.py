"""`trajectory export` writes ONNX models that ONNX Runtime runs to the same rankings as
`trajectory predict`: exact top-10 and scores within 1e-4, for every family, with and without
seen-item exclusion, for histories shorter and longer than the run's window."""
import json

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")

FAMILIES = [
    ("lstm", ["--embedding-size", 8, "--hidden-size", 12, "--layers", 2]),
    ("gru4rec", ["--embedding-size", 8, "--hidden-size", 12, "--layers", 2]),
    ("sasrec", ["--hidden-size", 8, "--heads", 2, "--blocks", 2]),
]
WINDOW = 12


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, cli):
    root = tmp_path_factory.mktemp("onnx")
    cli("synth", "--out", root / "ds", "--users", 80, "--items", 50, "--median-length", 12, "--min-length", 4)
    return root / "ds"


def left_padded(histories):
    items = np.zeros((len(histories), max(map(len, histories))), dtype=np.int64)
    for row, history in enumerate(histories):
        items[row, items.shape[1] - len(history):] = history
    return items


@pytest.mark.parametrize("family, flags", FAMILIES, ids=[f for f, _ in FAMILIES])
@pytest.mark.parametrize("exclude_seen", [False, True], ids=["all", "exclude-seen"])
def test_onnx_runtime_ranks_as_predict_does(tmp_path, cli, dataset, family, flags, exclude_seen):
    cli("train", dataset, "--out", tmp_path / "run", "--model", family, "--epochs", 1, *flags,
        "--max-length", WINDOW, "--threads", 1)
    cli("export", tmp_path / "run", "--out", tmp_path / "model.onnx", "--top-k", 10,
        *(["--exclude-seen"] if exclude_seen else []))
    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    metadata = session.get_modelmeta().custom_metadata_map
    originals = metadata["trajectory.item_ids"].splitlines()
    assert metadata["trajectory.family"] == family and metadata["trajectory.window"] == str(WINDOW)

    rng = np.random.default_rng(7)
    # One item, a few, exactly the window, and longer than it (the latest WINDOW count).
    lengths = [1, 2, 5, WINDOW, WINDOW + 1, 3 * WINDOW] + list(rng.integers(1, 2 * WINDOW, size=6))
    histories = [list(rng.integers(1, len(originals) + 1, size=n)) for n in lengths]
    scores, top_scores, top_items, top_ids = session.run(["scores", "top_scores", "top_items", "top_ids"],
                                                         {"items": left_padded(histories)})
    assert scores.shape == (len(histories), len(originals) + 1) and np.isneginf(scores[:, 0]).all()
    for row, history in enumerate(histories):
        arguments = ["predict", tmp_path / "run", "--history", ",".join(originals[i - 1] for i in history), "--k", 10, "--json"]
        answer = json.loads(cli(*arguments, *(["--exclude-seen"] if exclude_seen else [])))
        expected = [item["item"] for item in answer["items"]]
        assert [originals[i - 1] for i in top_items[row]] == expected
        assert [i.decode() if isinstance(i, bytes) else i for i in top_ids[row]] == expected
        ours = np.array([item["score"] for item in answer["items"]])
        assert np.abs(top_scores[row] - ours).max() <= 1e-4 * max(1.0, np.abs(ours).max())
        if exclude_seen:
            assert np.isneginf(scores[row, history]).all()


def test_a_triton_repository_holds_the_model_and_a_matching_config(tmp_path, cli, dataset):
    cli("train", dataset, "--out", tmp_path / "run", "--model", "sasrec", "--epochs", 1, "--hidden-size", 8,
        "--max-length", WINDOW, "--threads", 1)
    cli("export", tmp_path / "run", "--format", "triton", "--out", tmp_path / "models", "--name", "ranker", "--top-k", 5)
    config = (tmp_path / "models" / "ranker" / "config.pbtxt").read_text()
    session = ort.InferenceSession(str(tmp_path / "models" / "ranker" / "1" / "model.onnx"))
    assert 'name: "ranker"' in config and 'backend: "onnxruntime"' in config
    for tensor in session.get_inputs() + session.get_outputs():
        assert f'name: "{tensor.name}"' in config
    # Triton adds the batch dimension: the config lists the rest (-1 for the dynamic length).
    assert 'name: "items"\n    data_type: TYPE_INT64\n    dims: [ -1 ]' in config
    assert 'name: "top_items"\n    data_type: TYPE_INT64\n    dims: [ 5 ]' in config
    assert 'name: "top_ids"\n    data_type: TYPE_STRING\n    dims: [ 5 ]' in config


@pytest.mark.parametrize("family, flags", FAMILIES, ids=[f for f, _ in FAMILIES])
def test_a_run_with_input_features_exports_its_event_and_time_inputs(tmp_path, cli, family, flags):
    """A run trained --features event,time-gap,category takes `events` and `times` beside `items`
    and ranks each user's own history (types and times from the dataset) as `predict --user` does."""
    import trajectory

    cli("synth", "--funnel", "--out", tmp_path / "shop.csv", "--users", 80, "--items", 40, "--clusters", 4)
    cli("prepare", tmp_path / "shop.csv", "--out", tmp_path / "shop", "--event", "event", "--attribute", "category")
    cli("train", tmp_path / "shop", "--out", tmp_path / "run", "--model", family, "--epochs", 1, *flags,
        "--max-length", WINDOW, "--features", "event,time-gap,category", "--threads", 1)
    cli("export", tmp_path / "run", "--out", tmp_path / "model.onnx", "--top-k", 10)
    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    assert [i.name for i in session.get_inputs()] == ["items", "events", "times"]
    metadata = session.get_modelmeta().custom_metadata_map
    assert metadata["trajectory.features"] == "event,time-gap,category"
    data = trajectory.Dataset(tmp_path / "shop")
    assert metadata["trajectory.event_types"].splitlines() == data.event_types
    users = data.user_originals()
    for index in range(0, len(data), max(1, len(data) // 10)):
        items = np.asarray(data.sequence(index), dtype=np.int64)[None, :]
        events = np.asarray(data.sequence_events(index), dtype=np.int64)[None, :]
        start, end = int(data.offsets[index]), int(data.offsets[index + 1])
        times = np.asarray(data.times[start:end], dtype=np.int64)[None, :]
        top_ids, top_scores = session.run(["top_ids", "top_scores"], {"items": items, "events": events, "times": times})
        answer = json.loads(cli("predict", tmp_path / "run", "--user", users[index], "--k", 10, "--json"))
        assert [i.decode() if isinstance(i, bytes) else i for i in top_ids[0]] == [item["item"] for item in answer["items"]]
        ours = np.array([item["score"] for item in answer["items"]])
        assert np.abs(top_scores[0] - ours).max() <= 1e-4 * max(1.0, np.abs(ours).max())
