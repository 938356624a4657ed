"""Named recipes for every shipped model: which data, which model, how long to train.

``python -m lstm_viz train --preset NAME`` and the Train page both read this table, so a
shipped model's card names a preset that anyone can re-run. ``make_data(tokenizer=None)``
builds the task data object (see :mod:`lstm_viz.data`); passing a model's own tokenizer
rebuilds the exact evaluation data for ``python -m lstm_viz eval``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    make_data: Callable  # (tokenizer=None) -> task data object
    model: dict  # ModelConfig fields except vocab_size / num_outputs / task
    train: dict  # TrainConfig defaults; the command line may override
    tags: list[str] = field(default_factory=list)


def _shakespeare(tokenizer=None):
    from lstm_viz.data.corpus import CharCorpus

    return CharCorpus.shakespeare(seq_len=128, tokenizer=tokenizer)


PRESETS: dict[str, Preset] = {}


def register(preset: Preset) -> Preset:
    PRESETS[preset.name] = preset
    return preset


register(Preset(
    name="shakespeare-char",
    title="Shakespeare (characters)",
    description="Character-level language model of tiny shakespeare: reads a character, predicts the next.",
    make_data=_shakespeare,
    model={"cell": "lstm", "embed_dim": 64, "hidden_size": 256, "num_layers": 2, "dropout": 0.1},
    train={"steps": 3500, "batch_size": 32, "lr": 3e-3, "warmup_steps": 100, "eval_every": 500},
))  # fmt: skip
register(Preset(
    name="shakespeare-char-large",
    title="Shakespeare (characters, large)",
    description="The 2x512 character model; train it where a GPU is available.",
    make_data=_shakespeare,
    model={"cell": "lstm", "embed_dim": 64, "hidden_size": 512, "num_layers": 2, "dropout": 0.2},
    train={"steps": 6000, "batch_size": 64, "lr": 2e-3, "warmup_steps": 200, "eval_every": 500},
))  # fmt: skip

# Your own text (``--corpus FILE`` and the Train page's upload): a character model with these
# defaults; the command line and the page both read them, so the two train the same thing.
CORPUS_MODEL = {"cell": "lstm", "embed_dim": 64, "hidden_size": 256, "num_layers": 2, "dropout": 0.1}
CORPUS_TRAIN = {"minutes": 5.0, "batch_size": 32, "eval_every": 200}
CORPUS_SEQ_LEN = 128

# Presets of the other shipped models register themselves here (one import each).
from lstm_viz.data import presets_extra  # noqa: E402,F401


def get(name: str) -> Preset:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(sorted(PRESETS))}")
    return PRESETS[name]
