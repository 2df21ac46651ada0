#!/usr/bin/env python3
"""Writes the PyTorch parity fixture for GRU4Rec (Tests/Fixtures/gru4rec_parity.safetensors).

Run with the CPU torch wheel:  .venv-peer/bin/python scripts/make_gru4rec_fixtures.py
The module is GRU4Rec as RecBole builds it, at toy size: Embedding(V, E, padding_idx=0) ->
Dropout -> GRU(E, H, layers, bias=False, batch_first) -> Linear(H, E) -> logits against the
item embeddings. Double precision, no dropout. Trajectory starts every sequence from a zero
state at its first item, so each row runs without its padding.
"""
import os
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures")
V, E, H, LAYERS = 30, 6, 10, 2


class GRU4Rec(nn.Module):
    def __init__(self):
        super().__init__()
        self.item_embedding = nn.Embedding(V, E, padding_idx=0)
        self.gru_layers = nn.GRU(E, H, num_layers=LAYERS, bias=False, batch_first=True)
        self.dense = nn.Linear(H, E)

    def forward(self, seq):
        h, _ = self.gru_layers(self.item_embedding(seq))
        return self.dense(h) @ self.item_embedding.weight.t()


torch.manual_seed(0)
model = GRU4Rec().double()
inputs = torch.tensor([[0, 0, 3, 17, 5, 9],
                       [4, 4, 11, 2, 29, 7],
                       [0, 0, 0, 0, 12, 1]])
targets = torch.tensor([[0, 0, 17, 5, 9, 21],
                        [4, 11, 2, 29, 7, 7],
                        [0, 0, 0, 0, 1, 28]])
logits_rows, target_rows, last_logits = [], [], []
for row in range(inputs.shape[0]):
    keep = inputs[row] != 0
    logits = model(inputs[row][keep][None])[0]
    logits_rows.append(logits)
    target_rows.append(targets[row][keep])
    last_logits.append(logits[-1])
loss = F.cross_entropy(torch.cat(logits_rows), torch.cat(target_rows))
model.zero_grad()
loss.backward()

tensors = {f"param.{k}": v.detach().float().contiguous() for k, v in model.state_dict().items()}
tensors.update({f"grad.{k}": p.grad.detach().float().contiguous() for k, p in model.named_parameters()})
tensors["inputs"] = inputs.float()
tensors["targets"] = targets.float()
tensors["loss"] = loss.detach().float().reshape(1)
tensors["last_logits"] = torch.stack(last_logits).detach().float()
save_file(tensors, os.path.join(OUT, "gru4rec_parity.safetensors"))
print("loss", loss.item())
