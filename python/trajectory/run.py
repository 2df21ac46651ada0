"""A run directory written by `trajectory train`: config.json, metrics.jsonl, checkpoints, report."""
import json
import os

from .dataset import Dataset
from .safetensors import read_safetensors


class Run:
    """A trained (or training) run: its configuration, per-epoch metrics and weights."""

    def __init__(self, path):
        self.path = os.fspath(path)
        config_path = os.path.join(self.path, "config.json")
        if not os.path.isfile(config_path):
            raise FileNotFoundError(f"{self.path}: no config.json, not a Trajectory run directory")
        with open(config_path, encoding="utf-8") as handle:
            self.config = json.load(handle)

    @property
    def model(self):
        """The model family: lstm, sasrec, gru4rec, …"""
        return self.config["model"]

    @property
    def settings(self):
        """The family's settings (config.json's entry under the family's name)."""
        return self.config[self.model]

    @property
    def training(self):
        return self.config["training"]

    @property
    def metrics(self):
        """One dict per finished epoch, as metrics.jsonl holds them (epoch, train_loss, seconds, valid, …)."""
        path = os.path.join(self.path, "metrics.jsonl")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def metrics_frame(self):
        """The per-epoch metrics as a pandas DataFrame, validation metrics flattened (valid_NDCG@10, …)."""
        import pandas as pd

        rows = []
        for entry in self.metrics:
            row = {key: value for key, value in entry.items() if not isinstance(value, dict)}
            for key, value in (entry.get("valid") or {}).items():
                row["valid_" + key] = value
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def best_epoch(self):
        """The epoch whose checkpoint is best.safetensors (best validation NDCG@10), or None."""
        metrics = self.metrics
        return metrics[-1].get("best_epoch") if metrics else None

    def weights(self, which="best"):
        """The model's tensors by their reference names (PyTorch's for the seed LSTM), as numpy arrays.
        `which`: best (the best validation epoch) or last."""
        name = {"best": "best.safetensors", "last": "model.safetensors"}[which]
        tensors, _ = read_safetensors(os.path.join(self.path, name))
        return tensors

    def to_torch(self, which="best"):
        """The model as a PyTorch module with this run's weights (needs torch): `score(history)`
        gives every item's score after a history of item ids, as Trajectory ranks them.
        Families: the seed LSTM, GRU4Rec, SASRec."""
        from .torch_models import BUILDERS

        if self.model not in BUILDERS:
            raise NotImplementedError(f"to_torch: {self.model} is not converted yet (families: {', '.join(BUILDERS)})")
        features = self.config.get("features") or {}
        if features.get("eventTypes") is not None or features.get("timeGap") or features.get("attributes"):
            raise NotImplementedError(f"{self.path}: the run reads input features (train --features), which to_torch does not build yet")
        return BUILDERS[self.model](self.settings, self.weights(which), self.training["maxLength"])

    @property
    def dataset(self):
        """The dataset the run was trained on."""
        return Dataset(self.config["dataset"]["path"])

    def _repr_html_(self):
        """Jupyter shows the run's report (report.html) inline."""
        path = os.path.join(self.path, "report.html")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        return f"<p>Run {self.path}: {self.model}, no report.html yet</p>"

    def __repr__(self):
        return f"Run({self.path!r}: {self.model}, {len(self.metrics)} epochs)"
