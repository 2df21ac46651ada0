"""PyTorch modules equal to Trajectory's models, with a run's weights loaded (`Run.to_torch`)."""
import numpy as np


def seed_lstm(settings, weights):
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
            Trajectory skips padding, so the history is run as it is."""
            items = torch.as_tensor(np.asarray(history, dtype=np.int64)).unsqueeze(0)
            return self.forward(items)[0, -1]

    module = SeedLSTM()
    module.load_state_dict({name: torch.from_numpy(np.array(value)) for name, value in weights.items()})
    return module.eval()


def gru4rec(settings, weights):
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
            """Every item's score after one history (item ids, oldest first), padding skipped as Trajectory does."""
            items = torch.as_tensor(np.asarray(history, dtype=np.int64)).unsqueeze(0)
            return self.forward(items)[0, -1]

    module = GRU4Rec()
    module.load_state_dict({name: torch.from_numpy(np.array(value)) for name, value in weights.items()})
    return module.eval()


BUILDERS = {"lstm": seed_lstm, "gru4rec": gru4rec}
