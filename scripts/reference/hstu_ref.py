#!/usr/bin/env python3
"""HSTU reference (PyTorch): the layer of Zhai et al. 2024 ("Actions Speak Louder than Words"),
rewritten from the public generative-recommenders definition for Trajectory's `hstu` family.

Per layer: n = LN(x) (no affine, eps 1e-6); u, v, q, k = SiLU(n W_uvqk^T) (no bias);
z_ij = q_i . k_j + w[i - j] (relative position bias by distance, shared by heads);
a_i = sum_{j<=i} SiLU(z_ij) / N v_j (N = the model's window, a constant; no softmax);
x = x + dropout(u * LN(a)) W_o^T + b_o.  Input: item_emb * sqrt(d) + pos_emb (positions count
back from the most recent item = maxlen, as Trajectory's SASRec), dropout.  Output: the state
and the item embeddings L2-normalised, logits = cosine / temperature, the padding item excluded.
Differences from the public code, on purpose: the bias is one vector indexed by distance (the
public Toeplitz of 2N-1 weights uses only N of them under the causal mask), no time buckets
(SASRec-format data has no timestamps), full softmax instead of sampled negatives.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class HSTULayer(nn.Module):
    def __init__(self, d, heads, maxlen, dropout, eps=1e-6):
        super().__init__()
        self.d, self.heads, self.maxlen, self.dropout, self.eps = d, heads, maxlen, dropout, eps
        self.uvqk = nn.Linear(d, 4 * d, bias=False)
        self.o = nn.Linear(d, d)
        self.rel_pos_bias = nn.Parameter(torch.empty(maxlen).normal_(0, 0.02))
        nn.init.normal_(self.uvqk.weight, 0, 0.02)
        nn.init.xavier_uniform_(self.o.weight)

    def forward(self, x, keep):                 # x (B, T, d), keep (B, T) bool
        B, T, d = x.shape
        h = F.silu(self.uvqk(F.layer_norm(x, [d], eps=self.eps)))
        u, v, q, k = h.split(d, dim=-1)
        split = lambda t: t.view(B, T, self.heads, d // self.heads).transpose(1, 2)   # (B, H, T, dh)
        z = split(q) @ split(k).transpose(-1, -2)                                       # (B, H, T, T)
        i = torch.arange(T, device=x.device)
        distance = (i[:, None] - i[None, :]).clamp(min=0)
        z = z + self.rel_pos_bias[distance]
        mask = (i[:, None] >= i[None, :]) & keep[:, None, None, :]
        w = F.silu(z) / self.maxlen * mask
        a = (w @ split(v)).transpose(1, 2).reshape(B, T, d)
        g = u * F.layer_norm(a, [d], eps=self.eps)
        return x + self.o(F.dropout(g, self.dropout, self.training))


class HSTU(nn.Module):
    def __init__(self, num_items, maxlen=200, d=64, blocks=2, heads=1, dropout=0.2, temperature=0.05):
        super().__init__()
        self.maxlen, self.temperature = maxlen, temperature
        self.item_emb = nn.Embedding(num_items, d, padding_idx=0)
        self.pos_emb = nn.Embedding(maxlen + 1, d, padding_idx=0)
        self.emb_drop = nn.Dropout(dropout)
        self.hstu = nn.ModuleList([HSTULayer(d, heads, maxlen, dropout) for _ in range(blocks)])
        nn.init.normal_(self.item_emb.weight, 0, 0.02)
        nn.init.normal_(self.pos_emb.weight, 0, d ** -0.5)
        with torch.no_grad():
            self.item_emb.weight[0].zero_()
            self.pos_emb.weight[0].zero_()

    def forward(self, seq):                     # (B, T) ids, left-padded -> (B, T, d) unit rows / temperature
        B, T = seq.shape
        keep = seq != 0
        pos = torch.arange(self.maxlen - T + 1, self.maxlen + 1, device=seq.device).expand(B, T) * keep
        x = self.item_emb(seq) * self.item_emb.embedding_dim ** 0.5 + self.pos_emb(pos)
        x = self.emb_drop(x) * keep.unsqueeze(-1)
        # Left padding shifts a sequence; distances between its items do not change.
        for layer in self.hstu:
            x = layer(x, keep) * keep.unsqueeze(-1)
        return F.normalize(x, dim=-1, eps=1e-6) / self.temperature

    def logits(self, h):
        logits = h @ F.normalize(self.item_emb.weight, dim=-1, eps=1e-6).T
        logits[..., 0] = float("-inf")
        return logits
