"""Named training recipes, as plain data (``presets.toml``), and the one way to override them.

A preset is a table of three parts: ``data`` (a data kind and its options, see
:func:`lstm_viz.data.build`), ``model`` (the :class:`~lstm_viz.engine.network.ModelConfig` fields besides
the vocabulary and output sizes) and ``train`` (:class:`~lstm_viz.training.train.TrainConfig` defaults).
The command line and the Train page read the same file and override it the same way, with
:func:`merge`: a flat mapping of field names (``hidden_size=64``, ``steps=300``, ``seq_len=64``),
each sent to the part it belongs to, unknown names refused. A shipped model's card names its
preset, so anyone can train it again.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lstm_viz import data as data_kinds
from lstm_viz.engine.network import ModelConfig
from lstm_viz.training.train import TrainConfig

FILE = Path(__file__).resolve().parent / "presets.toml"
CORPUS = "corpus"  # the table for a character model of your own text
MODEL_FIELDS = tuple(
    f.name for f in dataclasses.fields(ModelConfig) if f.name not in ("vocab_size", "num_outputs", "task")
)
BUDGET = ("steps", "minutes")  # giving one of them replaces both: a step count alone means no time limit


TRAIN_FIELDS = tuple(f.name for f in dataclasses.fields(TrainConfig))


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    data: dict  # {"kind": ..., options}
    model: dict  # ModelConfig fields except vocab_size / num_outputs / task
    train: dict = field(default_factory=dict)  # TrainConfig fields


def _check(name: str, table: dict) -> Preset:
    for part in ("title", "description", "data", "model"):
        if part not in table:
            raise ValueError(f"preset {name!r} in {FILE.name} has no {part!r}")
    unknown = set(table["model"]) - set(MODEL_FIELDS)
    if unknown:
        raise ValueError(f"preset {name!r}: unknown model fields {sorted(unknown)}")
    if table["data"].get("kind") not in data_kinds.DATA_KINDS:
        raise ValueError(f"preset {name!r}: unknown data kind {table['data'].get('kind')!r}")
    return Preset(
        name,
        table["title"],
        table["description"],
        dict(table["data"]),
        dict(table["model"]),
        dict(table.get("train", {})),
    )


@functools.cache
def _all() -> dict[str, Preset]:
    tables = tomllib.loads(FILE.read_text(encoding="utf-8"))
    return {name: _check(name, table) for name, table in tables.items()}


def names() -> list[str]:
    """Every preset a user can pick (not the table for your own text)."""
    return [name for name in _all() if name != CORPUS]


def get(name: str) -> Preset:
    if name not in _all():
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(sorted(names()))}")
    return _all()[name]


def merge(preset: Preset, overrides: dict) -> Preset:
    """``preset`` with each override sent to its part (data option, model field or training field).

    ``None`` values are ignored; unknown names raise ValueError listing what can be set.
    """
    data, model, train = dict(preset.data), dict(preset.model), dict(preset.train)
    given = {k: v for k, v in overrides.items() if v is not None}
    if any(k in given for k in BUDGET):
        train.update({k: given.get(k) for k in BUDGET})
    for key, value in given.items():
        if key in BUDGET:
            continue
        if key in MODEL_FIELDS:
            model[key] = value
        elif key in TRAIN_FIELDS:
            train[key] = value
        elif key in data_kinds.DATA_KINDS[data["kind"]]:
            data[key] = value
        else:
            allowed = sorted({*MODEL_FIELDS, *TRAIN_FIELDS, *data_kinds.DATA_KINDS[data["kind"]]})
            raise ValueError(f"{key!r} cannot be set for preset {preset.name!r}; these can: {', '.join(allowed)}")
    return dataclasses.replace(preset, data=data, model=model, train=train)
