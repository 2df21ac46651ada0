#!/usr/bin/env python3
"""Writes the PyTorch parity fixtures for the seed LSTM model (Tests/Fixtures/*.safetensors).

Run with the CPU torch wheel:  .venv-peer/bin/python scripts/make_fixtures.py
The model is the reference workflow's, at toy size: Embedding(V, E, padding_idx=0) ->
LSTM(E, H, 2 layers, batch_first) -> Linear(H, V), state_dict names embedding.*, lstm.*, fc.*.

Trajectory starts every sequence from a zero state at its first item (padding is skipped,
as with packed sequences), so the reference runs each row's items without its padding.
"""
import os
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures")
V, E, H, LAYERS, T = 50, 8, 12, 2, 6


class LSTMRec(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, E, padding_idx=0)
        self.lstm = nn.LSTM(E, H, num_layers=LAYERS, batch_first=True)
        self.fc = nn.Linear(H, V)

    def forward(self, seq):
        h, _ = self.lstm(self.embedding(seq))
        return self.fc(h)


torch.manual_seed(0)
model = LSTMRec().double()  # the reference in double precision; Trajectory runs float32
inputs = torch.tensor([[0, 0, 3, 17, 5, 9],
                       [4, 4, 11, 2, 30, 7],
                       [0, 0, 0, 0, 42, 1]])
targets = torch.tensor([[0, 0, 17, 5, 9, 21],
                        [4, 11, 2, 30, 7, 7],
                        [0, 0, 0, 0, 1, 49]])

# Loss: mean cross-entropy over every non-padding target, each row run without its padding.
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
save_file(tensors, os.path.join(OUT, "lstm_parity.safetensors"))

# A state_dict as a user would save it, and the top-10 PyTorch predicts after a history.
save_file({k: v.float().contiguous() for k, v in model.state_dict().items()}, os.path.join(OUT, "lstm_state_dict.safetensors"))
history = torch.tensor([[12, 3, 44, 8, 19]])
with torch.no_grad():
    scores = model(history)[0, -1].clone()
scores[0] = -float("inf")
top10 = torch.topk(scores, 10).indices
save_file({"history": history.float(), "top10": top10.float(), "scores": scores[1:].float()},
          os.path.join(OUT, "lstm_predict.safetensors"))
print("loss", loss.item(), "top10", top10.tolist())
