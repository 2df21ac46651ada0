"""A dataset directory written by `trajectory prepare` or `trajectory synth`.

The format (README, "The dataset directory"): items.bin (uint32 item ids 1..N, every sequence
concatenated, oldest first), offsets.bin (uint64, sequences + 1 boundaries), times.bin (int64
unix seconds, when the input had times), events.bin (uint8 event type ids 1..K, names in the
manifest's eventTypes, with `prepare --event`), values.bin (float32 strengths, with `prepare
--value`), attributes/NAME.{tsv,offsets.bin,values.bin} (categorical item attributes, with
`prepare --attribute`), items.tsv (id -> original id, title), users.tsv (sequence -> original user id,
session), manifest.json.
"""
import json
import os

import numpy as np


class Dataset:
    """The sequences of a dataset as numpy views of its memory-mapped files (nothing is copied)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        manifest_path = os.path.join(self.path, "manifest.json")
        if not os.path.isfile(manifest_path):
            raise FileNotFoundError(f"{self.path}: no manifest.json, not a Trajectory dataset directory")
        with open(manifest_path, encoding="utf-8") as handle:
            self.manifest = json.load(handle)
        self.items = self._map("items.bin", "<u4")
        self.offsets = self._map("offsets.bin", "<u8")
        self.times = self._map("times.bin", "<i8") if os.path.exists(os.path.join(self.path, "times.bin")) else None
        if len(self.offsets) < 1 or int(self.offsets[-1]) != len(self.items):
            raise ValueError(f"{self.path}/offsets.bin: its last boundary is not the number of items in items.bin")
        if self.times is not None and len(self.times) != len(self.items):
            raise ValueError(f"{self.path}/times.bin: {len(self.times)} times for {len(self.items)} events")
        #: Event type names in id order (id t names event_types[t - 1]); empty without events.
        self.event_types = [entry["name"] for entry in self.manifest.get("eventTypes") or []]
        self.events = self._map("events.bin", "u1") if self.manifest.get("eventTypes") is not None else None
        self.values = self._map("values.bin", "<f4") if self.manifest.get("hasValues") else None
        for name, column in (("events.bin", self.events), ("values.bin", self.values)):
            if column is not None and len(column) != len(self.items):
                raise ValueError(f"{self.path}/{name}: {len(column)} entries for {len(self.items)} events")
        self._item_table = None
        self._user_table = None
        self._attributes = None

    def _map(self, name, dtype):
        file = os.path.join(self.path, name)
        if os.path.getsize(file) == 0:
            return np.zeros(0, dtype=dtype)
        return np.memmap(file, dtype=dtype, mode="r")

    @property
    def sequence_count(self):
        """Sequences (users, or sessions when the dataset was cut into sessions)."""
        return len(self.offsets) - 1

    @property
    def item_count(self):
        """Items in the catalogue; item ids run 1..item_count (0 is padding in models)."""
        return int(self.manifest["counts"]["items"])

    @property
    def event_count(self):
        return len(self.items)

    def __len__(self):
        return self.sequence_count

    def sequence(self, index):
        """Item ids of sequence `index`, oldest first (a view of items.bin)."""
        if not 0 <= index < self.sequence_count:
            raise IndexError(f"sequence {index} of {self.sequence_count}")
        return self.items[int(self.offsets[index]):int(self.offsets[index + 1])]

    def sequence_times(self, index):
        """Unix seconds of sequence `index`'s events, or None without times."""
        if self.times is None:
            return None
        return self.times[int(self.offsets[index]):int(self.offsets[index + 1])]

    def __iter__(self):
        for index in range(self.sequence_count):
            yield self.sequence(index)

    def lengths(self):
        """Events per sequence."""
        return np.diff(self.offsets.astype(np.int64))

    def _table(self, name):
        rows = []
        with open(os.path.join(self.path, name), encoding="utf-8") as handle:
            next(handle, None)  # the header
            for line in handle:
                rows.append(line.rstrip("\n").split("\t"))
        return rows

    def item_originals(self):
        """Original item id of each item id 1..N (index id - 1), from items.tsv."""
        self._load_items()
        return self._item_table[0]

    def item_titles(self):
        """Titles (empty where unknown) of item ids 1..N."""
        self._load_items()
        return self._item_table[1]

    def _load_items(self):
        if self._item_table is None:
            originals = [""] * self.item_count
            titles = [""] * self.item_count
            for row in self._table("items.tsv"):
                index = int(row[0]) - 1
                originals[index] = row[1]
                if len(row) > 2:
                    titles[index] = row[2]
            self._item_table = (originals, titles)

    def user_originals(self):
        """Original user id of each sequence, from users.tsv."""
        if self._user_table is None:
            users = [""] * self.sequence_count
            for row in self._table("users.tsv"):
                users[int(row[0])] = row[1]  # sequences are numbered from 0
            self._user_table = users
        return self._user_table

    def sequence_events(self, index):
        """Event type ids of sequence `index` (a view of events.bin), or None without event types."""
        if self.events is None:
            return None
        return self.events[int(self.offsets[index]):int(self.offsets[index + 1])]

    def item_attributes(self):
        """Categorical item attributes (`prepare --attribute`): {name: one list of value names per
        item, index id - 1}, e.g. {"genre": [["Animation", "Comedy"], ["Action"], ...]}."""
        if self._attributes is None:
            self._attributes = {}
            for entry in self.manifest.get("itemAttributes") or []:
                name = entry["name"]
                folder = os.path.join(self.path, "attributes")
                with open(os.path.join(folder, name + ".tsv"), encoding="utf-8") as handle:
                    vocabulary = [line.rstrip("\n").split("\t", 1)[1] for line in list(handle)[1:]]
                offsets = np.fromfile(os.path.join(folder, name + ".offsets.bin"), dtype="<u4")
                values = np.fromfile(os.path.join(folder, name + ".values.bin"), dtype="<u4")
                if len(offsets) != self.item_count + 1 or int(offsets[-1]) != len(values):
                    raise ValueError(f"{folder}/{name}.offsets.bin: does not span {self.item_count} items")
                self._attributes[name] = [[vocabulary[v - 1] for v in values[offsets[i]:offsets[i + 1]]] for i in range(self.item_count)]
        return self._attributes

    def to_pandas(self):
        """One row per event: sequence, item (dense id), original user and item ids, time, event
        type (categorical) and value, each when the dataset has it."""
        import pandas as pd

        sequence = np.repeat(np.arange(self.sequence_count), self.lengths())
        originals = np.asarray(self.item_originals(), dtype=object)
        users = np.asarray(self.user_originals(), dtype=object)
        frame = pd.DataFrame({
            "sequence": sequence,
            "user": users[sequence],
            "item": np.asarray(self.items, dtype=np.int64),
            "original_item": originals[np.asarray(self.items, dtype=np.int64) - 1],
        })
        if self.times is not None:
            frame["time"] = pd.to_datetime(np.asarray(self.times), unit="s", utc=True)
        if self.events is not None:
            frame["event"] = pd.Categorical.from_codes(np.asarray(self.events, dtype=np.int64) - 1, categories=self.event_types)
        if self.values is not None:
            frame["value"] = np.asarray(self.values)
        return frame

    def __repr__(self):
        return f"Dataset({self.path!r}: {self.sequence_count} sequences, {self.item_count} items, {self.event_count} events)"
