"""Whose models a visitor sees: everyone's, their own, and their class's (:mod:`lstm_viz.store.owners`).

A visitor is a browser: the digest of Streamlit's own per-browser cookie (``_streamlit_xsrf``, a random
secret the server sets once per browser; every replica of a deployment reads the same one), else of a
secret drawn for this session. A model made on the Train page is claimed for its visitor (and the class
they are in) as its run starts; the picker of every page lists only what :func:`visible_models` keeps.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from lstm_viz.classroom import codes
from lstm_viz.classroom.store import ClassError, ClassStore, Unavailable
from lstm_viz.store import owners
from lstm_viz.ui import state

VISITOR = "_lstm_viz_visitor"
BROWSER_COOKIE = "_streamlit_xsrf"
_SHARED = "_lstm_viz_class_shares"  # (time, code, whether the class's models are shared), asked every few seconds
SHARED_TTL_S = 5.0


def browser_secret(cookie: str | None) -> str | None:
    """The secret inside Streamlit's XSRF cookie. The cookie is written again at each page load with a new mask
    (``2|mask|masked token|time``, the web server's format); the token under the mask is the browser's own."""
    if not cookie or len(cookie) > 200:
        return None
    parts = cookie.split("|")
    try:
        if len(parts) == 4 and parts[0] == "2":
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            return bytes(b ^ mask[k % len(mask)] for k, b in enumerate(masked)).hex() if mask else None
        return cookie if len(parts) == 1 else None
    except ValueError:
        return None


def visitor() -> str:
    """This browser's digest (the same on every page and after a reload)."""
    if VISITOR not in st.session_state:
        try:
            secret = browser_secret(st.context.cookies.get(BROWSER_COOKIE))
        except Exception:  # noqa: BLE001 - no request (a test harness): a secret of this session
            secret = None
        st.session_state[VISITOR] = codes.digest("visitor:" + (secret or codes.new_secret()))
    return st.session_state[VISITOR]


def _classes() -> tuple[str | None, str | None]:
    """(the class this browser teaches, the class it sits in when its teacher shares the class's models)."""
    teaching = (st.session_state.get(state.CLASS_TEACHER) or {}).get("code")
    seat = st.session_state.get(state.CLASS_SEAT)
    if not seat:
        return teaching, None
    asked = st.session_state.get(_SHARED)
    if asked is None or asked[1] != seat["code"] or time.monotonic() - asked[0] > SHARED_TTL_S:
        try:
            shared = ClassStore().where(seat["code"]).share_models
        except (ClassError, Unavailable, ValueError):
            shared = False
        asked = (time.monotonic(), seat["code"], shared)
        st.session_state[_SHARED] = asked
    return teaching, seat["code"] if asked[2] else None


def visible_models(infos) -> tuple:
    """The models of ``infos`` this visitor sees."""
    me = visitor()
    teaching, shared = _classes()
    return tuple(i for i in infos if owners.visible(i.path, i.shipped, me, teaching, shared))


def claim(folder: Path) -> None:
    """The model about to be written in ``folder`` is this visitor's (and their class's, in a class)."""
    seat = st.session_state.get(state.CLASS_SEAT) or st.session_state.get(state.CLASS_TEACHER) or {}
    owners.claim(folder, visitor(), seat.get("code"))


def is_mine(folder: Path) -> bool:
    return owners.is_mine(folder, visitor())


def is_shared(folder: Path) -> bool:
    owner = owners.read(folder)
    return owner is None or owner["shared"]


def has_owner(folder: Path) -> bool:
    """Whether the model is someone's (made on the app's pages); one without an owner is everyone's already."""
    return owners.read(folder) is not None


def share(folder: Path, shared: bool) -> None:
    """Show the visitor's model to everyone (or only to them and their class again)."""
    if is_mine(folder):
        owners.share(folder, shared)
