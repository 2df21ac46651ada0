"""Trajectory from Python: datasets and runs written by the `trajectory` command.

    import trajectory
    data = trajectory.Dataset("data/ml1m")      # sequences over the memory-mapped files
    run = trajectory.Run("runs/sasrec")         # config, metrics per epoch, weights

Depends only on numpy; pandas is optional (`Dataset.to_pandas`, `Run.metrics_frame`).
"""
from .dataset import Dataset
from .run import Run
from .safetensors import read_safetensors

__all__ = ["Dataset", "Run", "read_safetensors"]
__version__ = "0.1.0"
