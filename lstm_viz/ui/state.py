"""Session state and links, in one place: every choice a user makes lives here and travels in the URL.

Each page declares its view as :class:`Param` s (``LINKS``): the URL name, the session-state key
of the widget that edits it, its type and its fixed range. ``init(page)`` creates missing keys,
and on the first run of a session reads the page's parameters from the URL, type- and
range-checks them, and queues a notice for every value it had to replace (never an exception).
Ranges that depend on the model or text (step, unit, layer) are checked by ``clamp`` once the
page knows the Trace. ``sync_query_params(page)`` writes the current view back, so the address bar
is always a link to what is on screen; a text too long for a link stays out of it, and the
share box (:func:`share_link`) says so.

Widgets that edit these keys keep their values across page changes themselves
(``persist_state="session"``: ``**state.KEEP``).
"""

from __future__ import annotations

import math
import re
import urllib.parse
from dataclasses import dataclass

import streamlit as st
import torch

from lstm_viz import messages
from lstm_viz.analysis import search
from lstm_viz.engine import cell
from lstm_viz.generation.generate import SEED_MAX
from lstm_viz.store import examples
from lstm_viz.store.zoo import LoadedModel

DEFAULT_TEXT = examples.DEFAULT_TEXT
COUNTED = "Layers are counted from 0, as steps and units are: layer 0 reads the tokens, layer 1 reads layer 0."
MAX_LINK_CHARS = 6_000  # the longest query a link may carry: browsers, proxies and servers agree below 8 KB
MAX_URL_TEXT = 20_000  # characters of text accepted from a URL at all; the page cuts by tokens later

KEEP = {"persist_state": "session"}  # a widget whose value survives every page change: st.slider(..., **KEEP)
# a widget in a lazy tab (st.tabs on_change="rerun") keeps its value while another tab is open
IN_TAB = {"persist_state": "page"}
_PENDING = "_lstm_viz_pending"  # values to apply at the top of the next run (see open_in)
_NOTICES = "_lstm_viz_notices"  # messages about replaced values, shown once
_CHECK = "_lstm_viz_check"  # keys whose value must be explained if a range check changes it
_URL_READ = "_lstm_viz_url_read"
_LAST_MODEL = "_lstm_viz_last_model"
_FROM_LINK = "_lstm_viz_from_link"  # keys whose value the link set, until the page has read it
CLASS_TEACHER = "class_teacher"  # the class this browser teaches: {"code", "secret", ...} (lstm_viz.ui.classmode)
CLASS_SEAT = "class_seat"  # the class this browser sits in: {"code", "secret", "nickname"}
_UNIT_CHOSEN = "_lstm_viz_unit_chosen"  # True once the user chose the unit (controls.open_on_ranked_unit)


@dataclass(frozen=True)
class Param:
    """One piece of a page's view: URL name, session key, type, default and fixed range."""

    name: str  # in the URL
    key: str  # in st.session_state (the widget's key)
    kind: type  # int, float or str
    default: object
    choices: tuple | None = None  # allowed values (selects)
    lo: float | None = None
    hi: float | None = None
    max_chars: int | None = None


QUANTITY_NAMES = cell.ALL_QUANTITIES  # what a link may colour or map by: every quantity of every kind of cell
EXPLORER = (
    Param("model", "model", str, None),
    Param("text", "text", str, DEFAULT_TEXT, max_chars=MAX_URL_TEXT),
    Param("layer", "layer", int, 0),
    Param("step", "step", int, 0),
    Param("unit", "unit", int, None),  # none until chosen: the pages open on a ranked unit (controls)
    Param("checkpoint", "checkpoint", int, None, lo=0, hi=10**9),  # a training step kept in the model's history
)
LINKS: dict[str, tuple[Param, ...]] = {
    "home": (),
    "step_through": (
        *EXPLORER,
        Param("colour", "colour", str, "forget_gate", choices=QUANTITY_NAMES),
        Param("order", "order", str, "similarity", choices=search.ORDERINGS),
    ),
    "heatmaps": (
        *EXPLORER,
        Param("quantity", "quantity", str, "forget_gate", choices=QUANTITY_NAMES),
        Param("order", "order", str, "similarity", choices=search.ORDERINGS),
        Param("order_of", "order_of", str, "cell", choices=QUANTITY_NAMES),
        Param("count", "count", int, 48, lo=1, hi=4096),
    ),
    "equations": EXPLORER,
    "neuron_lab": EXPLORER,
    "generate": (
        Param("model", "gen_model", str, None),
        Param("prime", "gen_prime", str, "ROMEO:", max_chars=2_000),
        Param("length", "gen_length", int, 300, lo=1, hi=2_000),
        Param("temperature", "gen_temperature", float, 0.8, lo=0.1, hi=2.0),
        Param("top_k", "gen_top_k", int, 0, lo=0, hi=100_000),
        Param("seed", "gen_seed", int, 1, lo=0, hi=SEED_MAX),
        Param("style", "gen_style", str, None, max_chars=100),  # checked against the model's styles by the page
    ),
    "classify": (
        Param("model", "classify_model", str, None),
        Param("text", "classify_text", str, None, max_chars=MAX_URL_TEXT),
    ),
}
SHARED = tuple(dict.fromkeys(p.key for p in LINKS["step_through"] + LINKS["heatmaps"]))  # the explorer's keys


def short(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (every message built from user data is bounded)."""
    return messages.cut(text, limit)


def init(page: str | None = None) -> None:
    """Create missing shared keys, apply pending values, read the URL once per session.

    app.py calls it at the top of every run with the page about to run (``st.navigation``'s
    url path), before any widget is drawn.
    """
    # One torch thread per script run: these models are too small to gain from intra-op
    # threads, and on a small shared server the threads of concurrent sessions fight (a 2,000
    # character trace took 19.6 s with 2 threads under load, 0.83 s with 1). The setting is
    # per thread, and every Streamlit run is a thread, so it is set here on every run.
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    ss = st.session_state
    for params in LINKS.values():
        for param in params:
            if param.key not in ss and param.default is not None:
                ss[param.key] = param.default
    ss.setdefault(_NOTICES, [])
    ss.setdefault(_CHECK, set())
    if not ss.get(_URL_READ):
        ss[_URL_READ] = True
        apply_query_params(dict(st.query_params), page or "step_through")
    apply_pending()


def apply_pending() -> None:
    """Apply values left by ``open_in`` (before any widget of this run is drawn)."""
    pending = st.session_state.pop(_PENDING, None)
    for key, value in (pending or {}).items():
        st.session_state[key] = value


def _checks() -> set:
    if _CHECK not in st.session_state:
        st.session_state[_CHECK] = set()
    return st.session_state[_CHECK]


def notice(message: str) -> None:
    """Queue a warning for the page to show (``show_notices``)."""
    st.session_state.setdefault(_NOTICES, []).append(message)


def show_notices() -> None:
    """Show and forget the queued warnings about replaced values.

    They go in a container drawn on every run, notices or not, so that what follows keeps its place when
    they go away: the browser keys elements by place, and a moved popover (Share this view) would close.
    """
    box = st.container()
    for message in st.session_state.pop(_NOTICES, []):
        box.warning(message, icon=":material/warning:")
    st.session_state[_NOTICES] = []


def _parse(param: Param, raw: str):
    """The value of one URL parameter, or None (with a notice) when it cannot be used."""
    raw = str(raw)
    shown = short(raw, 40)
    if param.kind is str:
        if param.max_chars is not None and len(raw) > param.max_chars:
            notice(
                f"The link's {param.name} has {len(raw):,} characters; only the first {param.max_chars:,} were kept."
            )
            raw = raw[: param.max_chars]
        if param.choices is not None and raw not in param.choices:
            notice(f"The link's {param.name} {shown!r} is not one of {', '.join(param.choices)}; it was ignored.")
            return None
        return raw
    try:
        value = link_number(raw, param.kind)
    except ValueError as err:
        notice(f"The link's {param.name} {err}; it was ignored.")
        return None
    lo, hi = param.lo, param.hi
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        fixed = min(max(value, lo if lo is not None else value), hi if hi is not None else value)
        low, high, now = ("any" if v is None else f"{v:,}" if param.kind is int else f"{v:g}" for v in (lo, hi, fixed))
        notice(f"The link asked for {param.name} {shown}, outside {low} to {high}; showing {now}.")
        value = fixed
    return value


MAX_NUMBER_CHARS = 24  # characters of a number in a link: every range a page uses needs far fewer
_WHOLE_RE = re.compile(r"[+-]?[0-9]+")  # [0-9]: ASCII digits only ("²", "١٢", "１２" are digits to int())
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def link_position(raw: str, name: str, count: int) -> tuple[int, str | None]:
    """A 1-based position from a link (``?stop=3`` of ``count``) as a 0-based index, and why it was replaced (or None).

    Anything that is not a whole number from 1 to ``count`` (see :func:`link_number`) gives index 0 and a message.
    """
    try:
        value = link_number(raw, int)
    except ValueError as err:
        return 0, f"The link's {name} {err}; showing {name} 1."
    if not 1 <= value <= count:
        return 0, f"The link asked for {name} {value:,}, outside 1 to {count}; showing {name} 1."
    return value - 1, None


def link_number(raw: str, kind: type = int) -> int | float:
    """A number from a link (``kind`` int or float), the one parser every page uses for numbers in its URL.

    ASCII digits only: no superscripts or other scripts' digits, no ``1_000``, ``0x10``, ``nan`` or ``inf``;
    at most MAX_NUMBER_CHARS characters, so a 5,000-digit value never reaches ``int()``. ValueError with a
    short message otherwise ("... is not a whole number ..."); the caller checks the range.
    """
    text = str(raw).strip()
    what = "whole number" if kind is int else "number"
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"{short(text, 20)!r} is not a {what} a link can hold (at most {MAX_NUMBER_CHARS} characters)")
    if not (_WHOLE_RE if kind is int else _DECIMAL_RE).fullmatch(text):
        raise ValueError(f"{short(text, 20)!r} is not a {what} (digits 0-9 only)")
    value = int(text) if kind is int else float(text)
    if not math.isfinite(value):
        raise ValueError(f"{short(text, 20)!r} is not a finite number")
    return value


def apply_query_params(params: dict[str, str], page: str) -> None:
    """Type- and range-check a page's URL parameters into session state.

    The model name is checked against the model list by ``check_model``, and the step, unit and
    layer against the Trace by ``clamp``; both then explain what they changed.
    """
    ss = st.session_state
    for param in LINKS.get(page, ()):
        if param.name not in params or (
            param.kind is str and not str(params[param.name]).strip() and param.name == "model"
        ):
            continue
        value = _parse(param, params[param.name])
        if value is not None:
            ss[param.key] = value.strip() if param.name == "model" else value
            _checks().add(param.key)
            if param.key == "unit":
                choose_unit()
            ss.setdefault(_FROM_LINK, set()).add(param.key)


def from_link(key: str) -> bool:
    """True once if the link set ``key`` (a page that would otherwise reset the value keeps it)."""
    found = st.session_state.get(_FROM_LINK, set())
    if key in found:
        found.discard(key)
        return True
    return False


def check_model(names: list[str], default: str | None, key: str = "model") -> str | None:
    """Make ``st.session_state[key]`` one of ``names`` (or ``default``); say so if a link asked otherwise."""
    ss = st.session_state
    current = ss.get(key)
    if current not in names:
        if current is not None and key in _checks():
            notice(f"There is no model called {short(current, 64)!r}; showing {default!r} instead.")
        ss[key] = default
    _checks().discard(key)
    return ss[key]


def model_changed(name: str) -> bool:
    """True during the run in which the explorer's model changed to ``name`` (not on a session's first run)."""
    return st.session_state.get(_LAST_MODEL) not in (None, name)


def fit_text_to_model(name: str, model: LoadedModel) -> None:
    """On a change of the explorer's model (``model``, loaded), open its own text if the current one does not fit.

    A text does not fit when most of it is unknown to the new model (:func:`examples.fits`): Shakespeare
    read by ``memory-gru`` would be 84 pieces all read as 'A'. Called before the text box is drawn; a
    link's text, on the first run of a session, is kept as it came, and a link that names a model but no
    text opens the model's own text when the app's default text does not fit it.
    """
    ss = st.session_state
    if ss.get(_LAST_MODEL) is None:  # the session's first run
        linked = "text" in st.query_params
        if not linked and ss.get("text") == DEFAULT_TEXT and not examples.fits(model.encode(DEFAULT_TEXT)):
            ss["text"] = examples.first_text(model.card)
        return
    if not model_changed(name):
        return
    text = ss.get("text") or ""
    if not text.strip():
        return
    encoding = model.encode(text[:MAX_URL_TEXT])
    if examples.fits(encoding):
        return
    ss["text"] = examples.first_text(model.card)
    replaced = encoding.unknown[0].replacement if encoding.unknown else "?"
    notice(
        f"The text did not fit {name}: {len(encoding.unknown):,} of its {len(encoding):,} pieces are not in its "
        f"vocabulary (each would be read as {replaced!r}). Opened {name}'s own sample text instead; type your own "
        "in the Text box."
    )


def remember_model_fit(name: str) -> None:
    """When the explorer's model changes, the next range checks of step, unit and layer explain what they change."""
    ss = st.session_state
    if ss.get(_LAST_MODEL) not in (None, name):
        _checks().update(("step", "unit", "layer"))
    ss[_LAST_MODEL] = name


def clamp(key: str, upper: int, what: str, lo: int = 0) -> int:
    """Keep ``st.session_state[key]`` within ``lo..upper-1`` (upper > lo) before its widget is drawn.

    ``what`` names the range for the notice, e.g. "this text has 42 steps". A value that came
    from a link, or that no longer fits after a change of model, gets a visible notice when
    replaced; others are clamped silently (for example the step after the text was shortened).
    """
    ss = st.session_state
    value = ss.get(key, lo)
    if not isinstance(value, int) or isinstance(value, bool):
        value = lo
    fixed = min(max(value, lo), max(upper, lo + 1) - 1)
    if fixed != ss.get(key) and key in _checks():
        notice(f"There is no {key} {value} here: {what} ({lo} to {max(upper, lo + 1) - 1}); showing {key} {fixed}.")
    _checks().discard(key)
    ss[key] = fixed
    return fixed


def view_params(page: str) -> dict[str, str]:
    """The current view of ``page`` as URL parameters, every one of them (a link says all it shows)."""
    ss = st.session_state
    out = {}
    for param in LINKS.get(page, ()):
        value = ss.get(param.key)
        if value is not None:
            out[param.name] = format(value, "g") if isinstance(value, float) else str(value)
    return out


def link_query(params: dict[str, str]) -> tuple[str, bool]:
    """The encoded query for ``params`` and whether it fits a link (a long text is left out when not)."""
    query = urllib.parse.urlencode(params)
    if len(query) <= MAX_LINK_CHARS:
        return query, True
    kept = {k: v for k, v in params.items() if k not in ("text", "prime")}
    return urllib.parse.urlencode(kept), False


def sync_query_params(page: str) -> bool:
    """Write the current view of ``page`` into the URL; False when its text is too long to be in it."""
    params = view_params(page)
    query, fits = link_query(params)
    wanted = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
    return fits


def share_link(page: str) -> tuple[str, bool]:
    """(an absolute link to this view, whether all of it fits in the link).

    ``st.context.url`` is the address in the user's browser without its query, and Streamlit
    (1.67, ``context_util``) already ends it with the running page's path, behind any path prefix of a
    reverse proxy (``https://school.example/lstm/step_through``). The page is appended only when the
    address does not end with it, so it is never there twice.
    """
    query, fits = link_query(view_params(page))
    address = (st.context.url or "").rstrip("/")
    if not address.endswith(f"/{page}"):
        address = f"{address}/{page}"
    return address + (f"?{query}" if query else ""), fits


def choose_unit(unit: int | None = None) -> None:
    """The user chose the unit (``unit``, or the one in session state): no page ranks another over it."""
    if unit is not None:
        st.session_state["unit"] = int(unit)
    st.session_state[_UNIT_CHOSEN] = True


def unit_chosen() -> bool:
    """Whether the user chose the unit in this session (a widget, a chart, a link, a lesson, ``open_in``)."""
    return bool(st.session_state.get(_UNIT_CHOSEN))


def open_in(page_path: str, model: str, text: str, step: int = 0, unit: int | None = None, layer: int = 0) -> None:
    """Show ``text`` through ``model`` on another page (e.g. "Step through this" buttons), at ``step`` and ``unit``.

    The values are applied at the top of the next run, before any widget exists, so this can
    be called after the page's own model picker was drawn. A ``unit`` is the user's choice (a lesson's
    stop); without one the page keeps the unit the user chose, or opens on the unit it ranks first.
    """
    pending = {"model": model, "text": text, "step": int(step), "layer": int(layer)}
    if unit is not None:
        pending["unit"] = int(unit)
        choose_unit()
    st.session_state[_PENDING] = pending
    st.switch_page(page_path)
