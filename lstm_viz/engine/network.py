"""SequenceModel: token embedding -> nn.LSTM (or nn.RNN, nn.GRU) -> linear head. Forward only.

The state_dict keys are the public checkpoint format (docs/architecture.md): ``embedding.weight``,
``rnn.weight_ih_l{k}``, ``rnn.weight_hh_l{k}``, ``rnn.bias_ih_l{k}``, ``rnn.bias_hh_l{k}``,
``head.weight``, ``head.bias``. The model never picks a device and never does I/O.

Tasks:
- ``charlm``: next-token logits at every step (head size = vocabulary size);
- ``classify``: class logits at every step, so a running prediction exists; training
  scores only the last real token of each sequence;
- ``sequence``: a label at some or all steps (the synthetic tasks).

Tied embeddings (``tied=True``, language models with ``embed_dim == hidden_size``): the head's
weight *is* the embedding matrix, one parameter trained once. The state_dict still holds both
``embedding.weight`` and ``head.weight``, as two separate tensors with equal values, so the saved
format is the same as an untied model's and any loader reads it as an ordinary (untied) model.
``io_dropout`` drops embedding outputs and the last layer's outputs in training (none at evaluation).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from lstm_viz.engine.cell import CELLS

TASKS = ("charlm", "classify", "sequence")
LAYERS = {"lstm": nn.LSTM, "rnn": nn.RNN, "gru": nn.GRU}


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int  # rows of the embedding
    num_outputs: int  # head size: vocab size (charlm) or number of classes
    task: str = "charlm"  # one of TASKS
    cell: str = "lstm"  # "lstm", "rnn" (tanh Elman RNN) or "gru"
    embed_dim: int = 64  # small: characters carry little information each
    hidden_size: int = 256  # H, units per layer
    num_layers: int = 2
    dropout: float = 0.0  # between stacked layers, training only
    tied: bool = False  # head.weight is embedding.weight (needs embed_dim == hidden_size and a charlm)
    io_dropout: float = 0.0  # on the embeddings and on the last layer's output, training only

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        for field in ("vocab_size", "num_outputs", "embed_dim", "hidden_size", "num_layers"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{field} must be a positive integer, got {value!r}")
        if self.tied and (self.embed_dim != self.hidden_size or self.vocab_size != self.num_outputs):
            raise ValueError(
                "tied embeddings need embed_dim == hidden_size and a head as large as the vocabulary, got "
                f"embed_dim {self.embed_dim}, hidden_size {self.hidden_size}"
            )
        if not 0.0 <= self.io_dropout < 1.0:
            raise ValueError(f"io_dropout must be in [0, 1), got {self.io_dropout!r}")

    def to_dict(self) -> dict:
        return asdict(self)


class SequenceModel(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim)
        self.rnn = LAYERS[config.cell](
            config.embed_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.head = nn.Linear(config.hidden_size, config.num_outputs)
        self.drop = nn.Dropout(config.io_dropout)  # no weights: the state_dict keys stay the public format
        if config.tied:
            self.head.weight = self.embedding.weight
            self._register_state_dict_hook(_untie_saved)

    def forward(self, ids: torch.Tensor, state=None):
        """ids (B, T) long -> logits (B, T, num_outputs) and the final state.

        ``state`` is ``(h, c)`` each (L, B, H) for an LSTM, ``h`` for an RNN or GRU, or None for zeros.
        """
        if ids.dim() != 2:
            raise ValueError(f"expected token ids of shape (B, T), got {tuple(ids.shape)}")
        x = self.drop(self.embedding(ids))  # (B, T, E)
        out, state = self.rnn(x, state)  # (B, T, H)
        return self.head(self.drop(out)), state

    def untied(self) -> SequenceModel:
        """This model with its own copy of the head's weight (as a saved and loaded model is), in eval mode.

        What reads weights by name (``named_parameters``: generation, traces) finds ``head.weight`` there.
        """
        if not self.config.tied:
            return self
        config = ModelConfig(**{**self.config.to_dict(), "tied": False})
        copy = SequenceModel(config).to(self.embedding.weight.device)
        copy.load_state_dict(self.state_dict())
        return copy.eval()


def _untie_saved(module: SequenceModel, state_dict, prefix, local_metadata):
    """A tied model's state_dict holds ``head.weight`` as its own tensor (safetensors refuses shared memory)."""
    key = prefix + "head.weight"
    if key in state_dict:
        state_dict[key] = state_dict[key].detach().clone()
    return state_dict
