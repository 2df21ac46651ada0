"""PyTorch modules equal to Trajectory's models, with a run's weights loaded (`Run.to_torch`)."""
import numpy as np


def _with_weights(module, weights):
    """`module` holding `weights` (numpy arrays by state_dict name, every tensor required), in eval mode."""
    import torch

    module.load_state_dict({name: torch.from_numpy(np.array(value)) for name, value in weights.items()})
    return module.eval()


def seed_lstm(settings, weights, window):
    """The seed LSTM as PyTorch's own modules: Embedding(V, E) -> LSTM(E -> H, L layers,
    batch_first) -> Linear(H, V), named as Trajectory names its tensors (PyTorch's state_dict)."""
    import torch
    from torch import nn

    class SeedLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(settings["vocabulary"], settings["embeddingSize"], padding_idx=0)
            self.lstm = nn.LSTM(settings["embeddingSize"], settings["hiddenSize"], num_layers=settings["layers"], batch_first=True)
            self.fc = nn.Linear(settings["hiddenSize"], settings["vocabulary"])

        def forward(self, items):
            """Logits at every position of (B, T) item ids without padding."""
            states, _ = self.lstm(self.embedding(items))
            return self.fc(states)

        @torch.no_grad()
        def score(self, history):
            """Every item's score after one history (item ids, oldest first): what Trajectory ranks.
            Trajectory skips padding and reads the latest `window` items (the run's max length)."""
            items = torch.as_tensor(np.asarray(history[-window:], dtype=np.int64)).unsqueeze(0)
            return self.forward(items)[0, -1]

    return _with_weights(SeedLSTM(), weights)


def gru4rec(settings, weights, window):
    """GRU4Rec as RecBole builds it: Embedding(V, E) -> dropout -> GRU(E -> H, no biases) ->
    Linear(H, E) -> logits against the item embeddings."""
    import torch
    from torch import nn

    class GRU4Rec(nn.Module):
        def __init__(self):
            super().__init__()
            self.item_embedding = nn.Embedding(settings["vocabulary"], settings["embeddingSize"], padding_idx=0)
            self.emb_dropout = nn.Dropout(settings["dropout"])
            self.gru_layers = nn.GRU(settings["embeddingSize"], settings["hiddenSize"], num_layers=settings["layers"],
                                     bias=False, batch_first=True)
            self.dense = nn.Linear(settings["hiddenSize"], settings["embeddingSize"])

        def forward(self, items):
            """Logits at every position of (B, T) item ids without padding."""
            states, _ = self.gru_layers(self.emb_dropout(self.item_embedding(items)))
            return self.dense(states) @ self.item_embedding.weight.T

        @torch.no_grad()
        def score(self, history):
            """Every item's score after one history (item ids, oldest first): its latest `window` items,
            padding skipped, as Trajectory reads it."""
            items = torch.as_tensor(np.asarray(history[-window:], dtype=np.int64)).unsqueeze(0)
            return self.forward(items)[0, -1]

    return _with_weights(GRU4Rec(), weights)


def sasrec(settings, weights, window):
    """SASRec with the reference implementation's blocks and names: item embedding * sqrt(d) plus a
    learned position (the latest item has position maxLength), then per block
    q = LN(x); x = q + attention(q, x, x); x = LN(x); x = x + FFN(x), a final LN, and logits
    against the item embeddings."""
    import math

    import torch
    from torch import nn

    d, heads, epsilon = settings["hiddenSize"], settings["heads"], settings["layerNormEpsilon"]

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.in_proj = nn.Linear(d, 3 * d)
            self.out_proj = nn.Linear(d, d)

        def forward(self, query, keys):
            w, b = self.in_proj.weight, self.in_proj.bias
            q = nn.functional.linear(query, w[:d], b[:d])
            k = nn.functional.linear(keys, w[d:2 * d], b[d:2 * d])
            v = nn.functional.linear(keys, w[2 * d:], b[2 * d:])
            length = q.shape[1]
            split = lambda x: x.view(x.shape[0], length, heads, d // heads).transpose(1, 2)
            scores = split(q) @ split(k).transpose(-1, -2) / math.sqrt(d // heads)
            causal = torch.ones(length, length, dtype=torch.bool).triu(1)
            attended = scores.masked_fill(causal, float("-inf")).softmax(-1) @ split(v)
            return self.out_proj(attended.transpose(1, 2).reshape(q.shape[0], length, d))

    class SASRec(nn.Module):
        def __init__(self):
            super().__init__()
            self.item_emb = nn.Embedding(settings["vocabulary"], d, padding_idx=0)
            self.pos_emb = nn.Embedding(settings["maxLength"] + 1, d, padding_idx=0)
            self.attn_ln = nn.ModuleList(nn.LayerNorm(d, eps=epsilon) for _ in range(settings["blocks"]))
            self.attn = nn.ModuleList(Attention() for _ in range(settings["blocks"]))
            self.ffn_ln = nn.ModuleList(nn.LayerNorm(d, eps=epsilon) for _ in range(settings["blocks"]))
            self.ffn = nn.ModuleList(nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Dropout(settings["dropout"]), nn.Linear(d, d))
                                     for _ in range(settings["blocks"]))
            self.last_ln = nn.LayerNorm(d, eps=epsilon)

        def forward(self, items):
            """Logits at every position of (B, T) item ids without padding (T <= maxLength)."""
            length = items.shape[1]
            positions = torch.arange(settings["maxLength"] - length + 1, settings["maxLength"] + 1).unsqueeze(0)
            x = self.item_emb(items) * math.sqrt(d) + self.pos_emb(positions)
            for attn_ln, attn, ffn_ln, ffn in zip(self.attn_ln, self.attn, self.ffn_ln, self.ffn):
                q = attn_ln(x)
                x = ffn_ln(q + attn(q, x))
                x = x + ffn(x)
            return self.last_ln(x) @ self.item_emb.weight.T

        @torch.no_grad()
        def score(self, history):
            """Every item's score after one history (item ids, oldest first; the latest maxLength count)."""
            items = torch.as_tensor(np.asarray(history[-min(window, settings["maxLength"]):], dtype=np.int64)).unsqueeze(0)
            return self.forward(items)[0, -1]

    return _with_weights(SASRec(), weights)


BUILDERS = {"lstm": seed_lstm, "gru4rec": gru4rec, "sasrec": sasrec}
