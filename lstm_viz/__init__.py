"""lstm-viz: run small, really trained LSTMs one token at a time and look at every gate.

The folder tree is the architecture, listed from the bottom (the engine) to the top (the app):

- :mod:`lstm_viz.paths` and :mod:`lstm_viz.messages`: where the shipped files are, and messages
  that quote user data, bounded (used by every layer);
- :mod:`lstm_viz.engine`: a model and a text in, a ``Trace`` out;
- :mod:`lstm_viz.data`: corpora, splits and synthetic tasks;
- :mod:`lstm_viz.store`: checked models saved, listed and loaded (``zoo``);
- :mod:`lstm_viz.training`: the training loop, its recipes and its launchers;
- :mod:`lstm_viz.generation`: text written by a language model;
- :mod:`lstm_viz.analysis`: questions asked of a Trace (units, equations, memory, agreement);
- :mod:`lstm_viz.lessons`: guided lessons as data, their facts measured on the model;
- :mod:`lstm_viz.classroom`: class mode: classes, students and answers in a database;
- :mod:`lstm_viz.plots`: figures and HTML views, numpy in, no streamlit;
- :mod:`lstm_viz.ui`: the only part that imports streamlit;
- :mod:`lstm_viz.cli`: the command line (``python -m lstm_viz``).

The public API is ``from lstm_viz import zoo`` (``zoo.load(name).trace(text)``); see docs/architecture.md.
"""

from __future__ import annotations

import importlib
import warnings

__version__ = "0.1.0"

# Where each module that used to sit at the top now lives. ``zoo`` is the public API and stays
# importable as ``from lstm_viz import zoo``; the others still resolve, with a DeprecationWarning.
MOVED = {
    "zoo": "lstm_viz.store.zoo", "card": "lstm_viz.store.card", "checkpoint": "lstm_viz.store.checkpoint",
    "usermodels": "lstm_viz.store.usermodels", "history": "lstm_viz.store.history",
    "reservation": "lstm_viz.store.reservation", "examples": "lstm_viz.store.examples",
    "cell": "lstm_viz.engine.cell", "model": "lstm_viz.engine.network", "record": "lstm_viz.engine.record",
    "trace": "lstm_viz.engine.trace", "intervene": "lstm_viz.analysis.intervene",
    "tokenizers": "lstm_viz.engine.tokenizers", "train": "lstm_viz.training.train",
    "distributed": "lstm_viz.training.distributed", "runspec": "lstm_viz.training.runspec",
    "presets": "lstm_viz.training.presets", "jobs": "lstm_viz.training.jobs", "resume": "lstm_viz.training.resume",
    "generate": "lstm_viz.generation.generate", "autocomplete": "lstm_viz.generation.autocomplete",
}  # fmt: skip
PUBLIC = {"zoo"}


def __getattr__(name: str):
    if name not in MOVED:
        raise AttributeError(f"module 'lstm_viz' has no attribute {name!r}")
    if name not in PUBLIC:
        warnings.warn(f"lstm_viz.{name} moved to {MOVED[name]}", DeprecationWarning, stacklevel=2)
    return importlib.import_module(MOVED[name])
