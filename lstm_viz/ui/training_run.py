"""The Train page's run: this tab's training-run id, kept in the URL (``?run=…``) so that a reload finds it."""

from __future__ import annotations

import re
import uuid

import streamlit as st

from lstm_viz.ui import state

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
            state.notice(
                "The link's training run is not on this server any more (a finished run's model is under "
                "Your models); you can start a new one."
                if _RUN_ID.fullmatch(linked)
                else f"The link's run id {state.short(linked, 40)!r} is not valid; it was ignored."
            )
        ss.setdefault("train_session", uuid.uuid4().hex)
    return ss["train_session"]


def show_run_in_url(run_id: str | None) -> None:
    """Put the training run's id in the URL (or take it out when ``None``)."""
    if run_id is None:
        st.query_params.pop(RUN_PARAM, None)
    elif st.query_params.get(RUN_PARAM) != run_id:
        st.query_params[RUN_PARAM] = run_id
