"""Session state shared by the pages, and deep links, in one place.

Shared keys (create-if-missing, kept alive across pages):
``model`` (name), ``text``, ``layer``, ``step`` and ``unit`` (0-based indices into the Trace).
Widgets that edit them use these keys directly (the Step Through slider has key ``step``).
Streamlit forgets a widget's value when a page that does not draw the widget runs; ``init()``
re-assigns every shared key at the top of each run so the value survives page changes.

Deep links: the URL carries ``model``, ``text``, ``step``, ``unit`` and ``layer``. They are read
once per session (``init``), type-checked here, range-checked by ``clamp`` once the page knows
the Trace, and every value that had to be replaced is reported with ``st.warning`` by
``show_notices``, never an exception. Explorer pages write the current view back to the URL
with ``sync_query_params`` so the address bar is always a shareable link.
"""

from __future__ import annotations

import re
import uuid

import streamlit as st
import torch

SHARED = ("model", "text", "layer", "step", "unit")
DEFAULT_TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer"
MAX_URL_TEXT = 20_000  # characters of text accepted from a URL; the page cuts by tokens later

_DEFAULTS = {"model": None, "text": DEFAULT_TEXT, "layer": 0, "step": 0, "unit": 0}
_PENDING = "_lstm_viz_pending"  # values to apply at the top of the next run (see open_in)
_NOTICES = "_lstm_viz_notices"  # messages about replaced deep-link values, shown once
_FROM_URL = "_lstm_viz_from_url"  # shared keys whose value came from the URL, until clamped
_URL_READ = "_lstm_viz_url_read"


def init() -> None:
    """Create missing shared keys, apply pending values, read the URL once per session.

    Call at the top of every full run (app.py does, and the explorer pages again, so they also
    work when run on their own), before any widget is drawn. Calling it twice is harmless.
    """
    # One torch thread per script run: these models are too small to gain from intra-op
    # threads, and on a small shared server the threads of concurrent sessions fight (a 2,000
    # character trace took 19.6 s with 2 threads under load, 0.83 s with 1). The setting is
    # per thread, and every Streamlit run is a thread, so it is set here on every run.
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    ss = st.session_state
    for key in SHARED:  # the widgets that edit them keep their values themselves (persist_state="session")
        if key not in ss:
            ss[key] = _DEFAULTS[key]
    ss.setdefault(_NOTICES, [])
    ss.setdefault(_FROM_URL, set())
    if not ss.get(_URL_READ):
        ss[_URL_READ] = True
        apply_query_params(dict(st.query_params))
    apply_pending()


def apply_pending() -> None:
    """Apply values left by ``open_in`` (before any widget of this run is drawn)."""
    pending = st.session_state.pop(_PENDING, None)
    for key, value in (pending or {}).items():
        st.session_state[key] = value


def _from_url() -> set:
    """Shared keys whose value came from the URL and was not range-checked yet."""
    if _FROM_URL not in st.session_state:
        st.session_state[_FROM_URL] = set()
    return st.session_state[_FROM_URL]


def notice(message: str) -> None:
    """Queue a warning for the page to show (``show_notices``)."""
    st.session_state.setdefault(_NOTICES, []).append(message)


def show_notices() -> None:
    """Show and forget the queued warnings about replaced values."""
    for message in st.session_state.pop(_NOTICES, []):
        st.warning(message, icon=":material/warning:")
    st.session_state[_NOTICES] = []


def _parse_int(key: str, raw: str) -> int | None:
    try:
        return int(str(raw).strip())
    except ValueError:
        notice(f"The link's {key} {str(raw)[:40]!r} is not a whole number; it was ignored.")
        return None


def apply_query_params(params: dict[str, str]) -> None:
    """Type-check deep-link parameters into session state; ranges are checked by ``clamp``.

    The model name is checked later against the model list (``check_model``), so this module
    needs no model registry.
    """
    ss = st.session_state
    if "model" in params and str(params["model"]).strip():
        ss["model"] = str(params["model"]).strip()
        _from_url().add("model")
    if "text" in params:
        text = str(params["text"])
        if len(text) > MAX_URL_TEXT:
            notice(f"The link's text has {len(text):,} characters; only the first {MAX_URL_TEXT:,} were kept.")
            text = text[:MAX_URL_TEXT]
        ss["text"] = text
    for key in ("layer", "step", "unit"):
        if key in params:
            value = _parse_int(key, params[key])
            if value is not None:
                ss[key] = value
                _from_url().add(key)


def check_model(names: list[str], default: str | None, key: str = "model") -> str | None:
    """Make ``st.session_state[key]`` one of ``names`` (or ``default``); say so if a link asked otherwise."""
    ss = st.session_state
    current = ss.get(key)
    if current not in names:
        if current is not None and key == "model" and "model" in _from_url():
            notice(f"There is no model called {str(current)[:64]!r}; showing {default!r} instead.")
        ss[key] = default
    if key == "model":
        _from_url().discard("model")
    return ss[key]


def clamp(key: str, upper: int, what: str) -> int:
    """Keep ``st.session_state[key]`` within ``0..upper-1`` (upper >= 1) before its widget is drawn.

    ``what`` names the range for the notice, e.g. "this text has 42 steps". Values that came
    from a deep link get a visible notice when replaced; others are clamped silently (for
    example the step after the text was shortened).
    """
    ss = st.session_state
    value = ss.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool):
        value = 0
    fixed = min(max(value, 0), max(upper, 1) - 1)
    if fixed != ss.get(key) and key in _from_url():
        notice(f"The link asked for {key} {value}, but {what} (0 to {max(upper, 1) - 1}); showing {key} {fixed}.")
    _from_url().discard(key)
    ss[key] = fixed
    return fixed


def sync_query_params() -> None:
    """Write the current view into the URL so the address bar is a shareable deep link."""
    ss = st.session_state
    wanted = {k: str(ss[k]) for k in SHARED if ss.get(k) is not None}
    if len(wanted.get("text", "")) > MAX_URL_TEXT:
        wanted["text"] = wanted["text"][:MAX_URL_TEXT]
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


RUN_PARAM = "run"  # the Train page's URL parameter: the id of this tab's training run
_RUN_ID = re.compile(r"[0-9a-f]{32}")


def training_run_id(is_known) -> str:
    """This tab's training-run id, also kept in the URL (``?run=…``) so that a reload finds its run.

    ``is_known(run_id)`` says whether the server has a run with that id. A link to a run that
    is not there (finished and cleared, or the server restarted) or a malformed id gets a
    notice, and the tab starts afresh. Ids are random 128-bit hex, so a run is reachable only
    through its own link.
    """
    ss = st.session_state
    if "train_session" not in ss:
        linked = st.query_params.get(RUN_PARAM)
        if linked is not None and _RUN_ID.fullmatch(linked) and is_known(linked):
            ss["train_session"] = linked
        elif linked is not None:
            notice(
                "The link's training run is not on this server any more (a finished run's model is under "
                "Your models); you can start a new one."
                if _RUN_ID.fullmatch(linked)
                else f"The link's run id {linked[:40]!r} is not valid; it was ignored."
            )
        ss.setdefault("train_session", uuid.uuid4().hex)
    return ss["train_session"]


def show_run_in_url(run_id: str | None) -> None:
    """Put the training run's id in the URL (or take it out when ``None``)."""
    if run_id is None:
        st.query_params.pop(RUN_PARAM, None)
    elif st.query_params.get(RUN_PARAM) != run_id:
        st.query_params[RUN_PARAM] = run_id


def open_in(page_path: str, model: str, text: str, step: int = 0) -> None:
    """Show ``text`` through ``model`` on another page (e.g. "Step through this" buttons), at ``step``.

    The values are applied at the top of the next run, before any widget exists, so this can
    be called after the page's own model picker was drawn.
    """
    st.session_state[_PENDING] = {"model": model, "text": text, "step": int(step), "unit": 0, "layer": 0}
    st.switch_page(page_path)
