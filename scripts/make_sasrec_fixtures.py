#!/usr/bin/env python3
"""Writes the PyTorch parity fixture for SASRec (Tests/Fixtures/sasrec_parity.safetensors).

Run with the CPU torch wheel:  .venv-peer/bin/python scripts/make_sasrec_fixtures.py
The model is the reference's own class (../shared/peer/pytorch/sasrec_ref.py) at toy size,
in double precision, without dropout, so the forward pass and the gradients are exact.
"""
import os
import sys
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "peer", "pytorch"))
from sasrec_ref import SASRec  # noqa: E402

OUT = os.path.join(HERE, "..", "Tests", "Fixtures")
V, D, BLOCKS, HEADS, T = 30, 8, 2, 2, 6

torch.manual_seed(0)
model = SASRec(V, maxlen=T, d=D, blocks=BLOCKS, heads=HEADS, dropout=0.0).double()
with torch.no_grad():  # the LN and bias defaults are too regular to catch a mix-up
    for name, p in model.named_parameters():
        if p.dim() == 1:
            p.add_(0.1 * torch.randn_like(p))
model.train()
inputs = torch.tensor([[0, 0, 3, 17, 5, 9],
                       [4, 4, 11, 2, 29, 7],
                       [0, 0, 0, 0, 12, 1]])
targets = torch.tensor([[0, 0, 17, 5, 9, 21],
                        [4, 11, 2, 29, 7, 7],
                        [0, 0, 0, 0, 1, 28]])
h = model(inputs)
m = targets != 0
loss = F.cross_entropy(model.logits(h[m]), targets[m])
model.zero_grad()
loss.backward()
model.eval()
with torch.no_grad():
    last_logits = model.logits(model(inputs)[:, -1, :])

tensors = {f"param.{k}": v.detach().float().contiguous() for k, v in model.state_dict().items()}
tensors.update({f"grad.{k}": p.grad.detach().float().contiguous() for k, p in model.named_parameters()})
tensors["inputs"] = inputs.float()
tensors["targets"] = targets.float()
tensors["loss"] = loss.detach().float().reshape(1)
tensors["last_logits"] = last_logits.float()
save_file(tensors, os.path.join(OUT, "sasrec_parity.safetensors"))
print("loss", loss.item())
