"""Trajectory from Python: datasets and runs written by the `trajectory` command.

    import trajectory
    data = trajectory.Dataset("data/ml1m")      # sequences over the memory-mapped files
    run = trajectory.Run("runs/sasrec")         # config, metrics per epoch, weights
    api = trajectory.Client("http://127.0.0.1:8080", key="…")   # the HTTP API of `trajectory serve`
    trajectory.cli("train", "data/ml1m", "--out", "runs/lstm")  # the command, progress passed through

Depends only on numpy; pandas is optional (`Dataset.to_pandas`, `Run.metrics_frame`).
"""
from .cli import CommandError, cli, find_binary
from .client import APIError, BadRequest, Client, NotFound, Unauthorized, Unavailable
from .dataset import Dataset
from .run import Run
from .safetensors import read_safetensors

__all__ = ["Dataset", "Run", "Client", "cli", "read_safetensors", "APIError", "BadRequest", "Unauthorized", "NotFound",
           "Unavailable", "CommandError", "find_binary"]
__version__ = "0.1.0"
