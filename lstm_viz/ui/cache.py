"""Caching for pages: one loaded model per name, one Trace per (model, text), shared read-only.

Models are cached with ``st.cache_resource``: one object shared by every session, so treat it as
read-only (never ``.train()`` it, never change its weights). Traces live in :class:`TraceCache`,
one copy shared by every session (their arrays are read-only, see :mod:`lstm_viz.engine.trace`): a step
change reruns the page without copying or unpickling anything, so it costs the same at 200 tokens
as at 2,000. The cache is bounded by bytes (``LSTM_VIZ_TRACE_CACHE_MB``; by default a quarter of the
machine's memory, at most 1,536 MB), not by entry counts, so thirty students with long texts cannot
grow the server without limit. A 2,000-token trace of the 2x256 model is 42.5 MB: 1,536 MB holds
thirty students' own long texts; a smaller budget still works, but steps then trace again.

The weights file's modification time is part of every key, so a user model that was retrained
under the same name is reloaded instead of served stale. The measurements a page repeats on every
run (a memory model's accuracy on fresh strings, its gradients, a brackets model's counting units)
are cached here too, around the functions of :mod:`lstm_viz.analysis` that compute them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import threading
import time
from collections import OrderedDict

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lstm_viz.analysis import memory
from lstm_viz.engine.trace import Trace
from lstm_viz.plots import heatmaps
from lstm_viz.store import checkpoint, history, zoo
from lstm_viz.ui import owners

MAX_TOKENS = 2000  # longer texts are cut to their first MAX_TOKENS tokens, with a notice
DEFAULT_TRACE_CACHE_MB = 1536  # a 2,000-token trace of the 2x256 model is 42.5 MB


def _version(name: str) -> float:
    """Modification time of the model's weights (0.0 when it cannot be found)."""
    try:
        return (zoo.resolve(name) / checkpoint.WEIGHTS).stat().st_mtime
    except (ValueError, OSError):
        return 0.0


@st.cache_resource(show_spinner="Loading the model…", max_entries=32)  # every shipped model (19) and some own
def _load_model(name: str, version: float) -> zoo.LoadedModel:
    return zoo.load(name)


def load_model(name: str) -> zoo.LoadedModel:
    """The model called ``name`` (shipped or user), loaded once and shared; read-only."""
    return _load_model(name, _version(name))


@st.cache_resource(show_spinner="Loading the weights of that training step…", max_entries=16)
def _load_checkpoint(name: str, version: float, step: int) -> zoo.LoadedModel:
    return history.load(_load_model(name, version), step)


@st.cache_resource(show_spinner=False, max_entries=64)
def _checkpoints(name: str, version: float) -> tuple[history.Checkpoint, ...]:
    try:
        return tuple(history.checkpoints(_load_model(name, version)))
    except ValueError:  # a malformed list: nothing to scrub (the model itself loaded)
        return ()


def checkpoints(name: str) -> tuple[history.Checkpoint, ...]:
    """The model's weights kept along its training (final weights last); empty when it kept none."""
    return _checkpoints(name, _version(name))


@st.cache_resource(show_spinner="Looking for the counting units over 20 strings…", max_entries=8)
def _counting_units(name: str, version: float):
    from lstm_viz.analysis import counting

    return counting.counting_units(_load_model(name, version))


def counting_units(name: str):
    """A brackets model's counting units (``counting.counting_units``), found once and shared by every page."""
    return _counting_units(name, _version(name))


# --- the memory models' measurements (RNN versus LSTM): small results, copied per session -------------


@st.cache_data(show_spinner="Measuring accuracy on fresh strings…", max_entries=32)
def _memory_accuracy(name: str, version: float, seed: int, per_gap: int) -> dict[int, float]:
    return memory.accuracy(_load_model(name, version), seed, per_gap)


def memory_accuracy(name: str, seed: int, per_gap: int) -> dict[int, float]:
    """A memory model's accuracy at each of ``memory.PAGE_GAPS`` on fresh strings (``memory.accuracy``)."""
    return _memory_accuracy(name, _version(name), seed, per_gap)


@st.cache_data(show_spinner="Backpropagating through every step…", max_entries=64)
def _start_gradient(name: str, version: float, text: str, trained: bool) -> memory.StartGradient:
    return memory.start_gradient(_load_model(name, version), text, trained=trained)


def start_gradient(name: str, text: str, trained: bool) -> memory.StartGradient:
    """Gradient norms of a memory model on ``text``, before training or after (``memory.start_gradient``)."""
    return _start_gradient(name, _version(name), text, trained)


@st.cache_data(show_spinner="Checking the product formula against autograd…", max_entries=32)
def _formula_check(name: str, version: float, text: str, trained: bool) -> tuple[np.ndarray, np.ndarray]:
    return memory.rnn_formula_check(_load_model(name, version), text, trained)


def formula_check(name: str, text: str, trained: bool) -> tuple[np.ndarray, np.ndarray]:
    """A vanilla RNN's product formula next to autograd on ``text`` (``memory.rnn_formula_check``)."""
    return _formula_check(name, _version(name), text, trained)


@st.cache_data(show_spinner="Closing the counting unit's forget gate on every string…")
def _clamp_effect(name: str, version: float, unit: int):
    from lstm_viz.analysis import counting

    return counting.clamp_effect(_load_model(name, version), unit)


def clamp_effect(name: str, unit: int):
    """What shutting a brackets model's unit's forget gate costs (``counting.clamp_effect``)."""
    return _clamp_effect(name, _version(name), unit)


def model_at(name: str, step: int | None = None) -> zoo.LoadedModel:
    """The model as it was after ``step`` training steps (None or the final step: the model itself); shared."""
    kept = checkpoints(name)
    if step is None or not kept or step == kept[-1].training_step:
        return load_model(name)
    return _load_checkpoint(name, _version(name), step)


class ByteCache:
    """Least-recently-used values, at most ``budget`` bytes in all (``size(value)`` each); thread-safe.

    A value larger than the whole budget is computed and returned but not kept. Values are shared by every
    session: read-only.
    """

    def __init__(self, budget: int, size=lambda value: value.nbytes):
        self.budget = budget
        self._size = size
        self._items: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: tuple) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: tuple, build):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
            gate = self._building.setdefault(key, threading.Lock())
        with gate:  # one session builds a value; the others asking for it at the same time wait for it
            with self._lock:
                if key in self._items:
                    return self._items[key][0]
            try:
                value = build()
            finally:
                with self._lock:
                    self._building.pop(key, None)
            size = self._size(value)
            with self._lock:
                if size <= self.budget and key not in self._items:
                    self._items[key] = (value, size)
                    self._bytes += size
                    while self._bytes > self.budget:
                        _, (_, dropped) = self._items.popitem(last=False)
                        self._bytes -= dropped
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


TraceCache = ByteCache  # a Trace's size is its arrays' bytes (Trace.nbytes)


def _default_budget_mb() -> int:
    """A quarter of the machine's memory, at most DEFAULT_TRACE_CACHE_MB (1.5 GB: 30 students' 2,000-token texts)."""
    try:
        total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):  # not a POSIX system: take the cap
        return DEFAULT_TRACE_CACHE_MB
    return max(64, min(DEFAULT_TRACE_CACHE_MB, total_mb // 4))


def _budget_bytes() -> int:
    try:
        return max(1, int(float(os.environ.get("LSTM_VIZ_TRACE_CACHE_MB", _default_budget_mb())) * 2**20))
    except ValueError:
        return _default_budget_mb() * 2**20


@st.cache_resource(show_spinner=False)
def traces() -> ByteCache:
    """The server's one trace cache (shared by every session)."""
    return TraceCache(_budget_bytes())


def get_trace(name: str, text: str, max_tokens: int = MAX_TOKENS, at_step: int | None = None) -> Trace:
    """Trace of the first ``max_tokens`` tokens of ``text`` (shared, read-only); empty text raises ValueError.

    ``at_step``: through the weights the model had after that many training steps (:func:`model_at`).
    """
    version = _version(name)
    key = (name, version, at_step, text, max_tokens)
    return traces().get(key, lambda: model_at(name, at_step).trace(text, max_tokens))


def intervention(name: str, text: str, clamp, at_step: int | None = None):
    """The Neuron Lab's clamp (:func:`lstm_viz.analysis.intervene.intervene`), kept with the traces (bounded by
    the same bytes): a rerun that keeps the clamp (a step, another tab) does not trace the text twice again."""
    from lstm_viz.analysis.intervene import intervene

    key = ("clamp", name, _version(name), at_step, text, clamp)
    return traces().get(key, lambda: intervene(model_at(name, at_step), text, clamp))


@st.cache_resource(show_spinner=False, max_entries=48)
def _heatmap(
    name: str, version: float, text: str, max_tokens: int, layer: int, quantity: str, units: tuple, step, unit, at_step
) -> go.Figure:
    trace = get_trace(name, text, max_tokens, at_step)
    values = trace.layers[layer].quantities()[quantity]
    return heatmaps.quantity_heatmap(values, trace.tokens, quantity, units=list(units), step=step, unit=unit)


def heatmap(
    name: str,
    text: str,
    layer: int,
    quantity: str,
    units,
    step=None,
    unit=None,
    max_tokens: int = MAX_TOKENS,
    at_step: int | None = None,
) -> go.Figure:
    """The Gate Heatmaps figure of one quantity, built once per view and shared read-only."""
    units = tuple(int(u) for u in units)
    return _heatmap(name, _version(name), text, max_tokens, layer, quantity, units, step, unit, at_step)


FIGURE_CACHE_MB = 256  # built charts kept for the next rerun (a chart's bytes are estimated from its inputs)
FIGURE_OVERHEAD = 64 * 1024  # what a chart holds besides its data: layout, labels, hover text


def fingerprint(value):
    """A hashable stand-in for a chart's input: arrays by shape, dtype and a digest of their bytes; strings,
    numbers, lists, dicts, tuples and dataclasses by their contents. TypeError for anything else, so that an
    input the key would miss can never serve a stale chart."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":  # objects (strings): by their values, not their addresses
            return ("nd-objects", value.shape, fingerprint(value.tolist()))
        digest = hashlib.blake2b(np.ascontiguousarray(value).tobytes(), digest_size=16).digest()
        return ("nd", value.shape, value.dtype.str, digest)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return (type(value).__name__, *(fingerprint(v) for v in value))
    if isinstance(value, dict):
        return ("dict", *((fingerprint(k), fingerprint(v)) for k, v in value.items()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__qualname__, *(fingerprint(getattr(value, f.name)) for f in dataclasses.fields(value)))
    raise TypeError(f"cannot key a chart on a {type(value).__name__}")


def _input_bytes(value) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, list | tuple):
        return sum(_input_bytes(v) for v in value) + 8 * len(value)
    if isinstance(value, dict):
        return sum(_input_bytes(v) for v in value.values())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(_input_bytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    return len(value) if isinstance(value, str) else 8


@st.cache_resource(show_spinner=False)
def figures() -> ByteCache:
    """The server's built charts, shared by every session (read-only: never change a figure it returns)."""
    try:  # LSTM_VIZ_FIGURE_CACHE_MB=0 turns it off (benchmarks.page_switch measures the difference)
        budget = float(os.environ.get("LSTM_VIZ_FIGURE_CACHE_MB", FIGURE_CACHE_MB)) * 2**20
    except ValueError:
        budget = FIGURE_CACHE_MB * 2**20
    return ByteCache(max(0, int(budget)), size=lambda item: item[2])


def _chart(build, args, kwargs, title_above: bool) -> tuple[str | None, go.Figure]:
    key = (build.__module__, build.__qualname__, title_above, fingerprint(args), fingerprint(kwargs))

    def make():
        fig = build(*args, **kwargs)
        title = fig.layout.title.text
        if title_above and title:
            fig.update_layout(title=None, margin=dict(t=50 if fig.layout.legend.orientation == "h" else 20))
        return title, fig, FIGURE_OVERHEAD + _input_bytes(args) + _input_bytes(kwargs)

    title, fig, _ = figures().get(key, make)
    return title, fig


def kept(key: tuple, build, size) -> object:
    """``build()`` kept with the built charts (bounded by their budget) under ``key``, which must name every input;
    ``size(value)`` is its bytes. For what a browser-side chart is sent: built once, the same object each rerun."""
    return figures().get(key, lambda: (None, value := build(), size(value)))[1]


def version(name: str) -> float:
    """The version of a model's files (a key part that drops what was built from older weights)."""
    return _version(name)


def figure(build, *args, **kwargs) -> go.Figure:
    """``build(*args, **kwargs)``, built once per distinct input and shared by every session: never change it.

    A rerun that changes nothing the chart depends on (a step elsewhere, another tab, coming back to the page)
    gets the same figure without building it again: a plotly figure takes tenths of a second to build.
    """
    return _chart(build, args, kwargs, title_above=False)[1]


def titled_figure(build, *args, **kwargs) -> tuple[str | None, go.Figure]:
    """As :func:`figure`, with its title taken out: (the title, for the page to write above it, the figure)."""
    return _chart(build, args, kwargs, title_above=True)


FOLDER_LOOK_SECONDS = 1.0  # the user folder is looked at (a few stat calls) at most this often per process
_folder_seen: tuple[float, tuple] = (-math.inf, ())  # (monotonic time of the last look, what it saw)


def _user_folder_version() -> tuple:
    """(folder, models, latest modification time) of the user folder and the model folders in it.

    A model saved, uploaded, renamed or deleted changes the user folder or its own folder (a new
    card is renamed into it), so this changes the moment it happens, in every process reading the
    folder: several app replicas sharing one ``LSTM_VIZ_HOME`` see each other's models at once,
    not after the list's minute-long ttl. Looked at once a second at most: pages read the list
    many times a run.
    """
    global _folder_seen
    now, root = time.monotonic(), zoo.user_dir()
    looked, seen = _folder_seen
    if now - looked < FOLDER_LOOK_SECONDS and seen[:1] == (str(root),):
        return seen
    try:
        with os.scandir(root) as entries:
            folders = [entry.stat().st_mtime_ns for entry in entries if entry.is_dir()]
        seen = (str(root), len(folders), max([root.stat().st_mtime_ns, *folders]))
    except OSError:  # no user folder (yet)
        seen = (str(root),)
    _folder_seen = (now, seen)
    return seen


@st.cache_resource(show_spinner=False, ttl=60, max_entries=4)
def _list_models(folder_version: tuple) -> tuple[zoo.ModelInfo, ...]:
    return tuple(zoo.list())


def list_models() -> tuple[zoo.ModelInfo, ...]:
    """Every loadable model this visitor sees (shipped first; a model made on another's page only when they
    share it, :mod:`lstm_viz.ui.owners`), as ``zoo.list()``; cached, refreshed when the user folder changes.

    One shared copy (``st.cache_resource``): a page reads it many times a run (every picker
    label), so it is not unpickled each time. Read-only, like the models. Besides the folder's
    changes (:func:`_user_folder_version`) the list is read again every minute, for changes
    modification times do not show (a shipped model replaced in place).
    """
    return owners.visible_models(_list_models(_user_folder_version()))


def model_names(tasks: tuple[str, ...] | list[str] | None = None) -> list[str]:
    """Names of the models whose task is in ``tasks`` (all when None)."""
    return [m.name for m in list_models() if tasks is None or m.card.get("task") in tasks]


def model_info(name: str) -> zoo.ModelInfo | None:
    """The model named ``name`` (a name the pickers offered: the lookup itself does not ask whose it is, so a
    label drawn outside a session still finds it)."""
    return next((m for m in _list_models(_user_folder_version()) if m.name == name), None)


def refresh_models() -> None:
    """Forget the cached model list, so a model just trained or uploaded shows up everywhere."""
    global _folder_seen
    _folder_seen = (-math.inf, ())
    _list_models.clear()
