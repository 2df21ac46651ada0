import json

import numpy as np
import pytest

import trajectory


def test_sequences_times_and_ids_are_the_logs(tmp_path, cli):
    log = tmp_path / "log.csv"
    log.write_text("user_id,item_id,rating,timestamp\n"
                   "u2,b,5,2000-01-01T00:00:03Z\n"
                   "u1,a,5,2000-01-01T00:00:01Z\n"
                   "u1,b,4,2000-01-01T00:00:02Z\n"
                   "u2,c,3,2000-01-01T00:00:01Z\n"
                   "u1,c,5,2000-01-01T00:00:05Z\n")
    cli("prepare", log, "--out", tmp_path / "ds")
    data = trajectory.Dataset(tmp_path / "ds")
    assert (data.sequence_count, data.item_count, data.event_count) == (2, 3, 5)
    originals = data.item_originals()
    users = data.user_originals()
    by_user = {users[i]: [originals[item - 1] for item in data.sequence(i)] for i in range(len(data))}
    assert by_user == {"u1": ["a", "b", "c"], "u2": ["c", "b"]}
    index = users.index("u1")
    assert list(data.sequence_times(index) - 946684800) == [1, 2, 5]
    assert list(data.lengths()) == [len(s) for s in data]
    # Views of the mapped files, not copies.
    assert isinstance(data.items, np.memmap)


def test_counts_agree_with_trajectory_info(tmp_path, cli):
    cli("synth", "--out", tmp_path / "ds", "--users", 60, "--items", 40, "--median-length", 10, "--min-length", 4)
    data = trajectory.Dataset(tmp_path / "ds")
    info = json.loads(cli("info", tmp_path / "ds", "--json"))
    assert (data.sequence_count, data.item_count, data.event_count) == (info["users"], info["items"], info["events"])
    assert (data.lengths().min(), data.lengths().max()) == (info["sequenceLength"]["min"], info["sequenceLength"]["max"])
    assert 1 <= data.items.min() and data.items.max() <= data.item_count


def test_a_directory_that_is_not_a_dataset_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        trajectory.Dataset(tmp_path)


def test_event_types_and_values_come_with_each_event(tmp_path, cli):
    (tmp_path / "log.csv").write_text("user,item,event,ts,seconds\n"
                                      "u1,a,view,3,10\nu1,a,cart,1,0.5\nu2,b,play,5,42\nu2,a,view,6,7\n")
    cli("prepare", tmp_path / "log.csv", "--out", tmp_path / "ds", "--event", "event", "--value", "seconds")
    data = trajectory.Dataset(tmp_path / "ds")
    assert data.event_types == ["view", "cart", "play"]        # in order of first appearance in the log
    assert [data.event_types[t - 1] for t in data.sequence_events(0)] == ["cart", "view"]
    assert data.values.tolist() == [0.5, 10, 42, 7]
    pd = pytest.importorskip("pandas")
    frame = data.to_pandas()
    assert frame["event"].tolist() == ["cart", "view", "play", "view"]
    assert isinstance(frame["event"].dtype, pd.CategoricalDtype)
    assert frame["value"].tolist() == [0.5, 10, 42, 7]


def test_item_attributes_are_lists_of_values_per_item(tmp_path, cli):
    (tmp_path / "log.csv").write_text("user,item,ts\n1,10,1\n1,20,2\n2,30,3\n")
    (tmp_path / "movies.dat").write_text("10::A::Animation|Comedy\n30::C::Drama\n")
    cli("prepare", tmp_path / "log.csv", "--out", tmp_path / "ds", "--item-attributes", tmp_path / "movies.dat", "--attribute", "genre=3")
    data = trajectory.Dataset(tmp_path / "ds")
    assert data.item_attributes() == {"genre": [["Animation", "Comedy"], [], ["Drama"]]}
