"""A view stepped in the browser from *frames* the server writes once per step and sends by chunk.

What the Equations page's numbers (:mod:`lstm_viz.ui.equation_stepper`) and the Neuron Lab's ranking
at a step (:mod:`lstm_viz.ui.moment_stepper`) share, on the server; ``stepper_static/frames.js`` is
their half in the browser. The browser draws a step from its frame the moment the reader moves to it,
so a step costs the server nothing. The step goes back 300 ms after the last move (session key
``step``), for the share link and the other pages; a chunk the browser lacks it asks for at once,
and those beside it ahead.

The protocol (``st.components.v2``), as for Step Through's stepper (:mod:`lstm_viz.ui.stepper`):

- server -> browser, ``data``: ``id`` (what is shown), ``n`` steps, ``chunk`` size, ``step`` with
  ``seq`` (sent anew only when the server changed the step), ``frames`` by chunk, and on a new view
  whatever else the view needs once (``extra``: the Neuron Lab's values along the text).
- browser -> server, state ``view``: ``id``, ``seq``, ``step``, ``moved``, ``need`` (chunks), ``req``,
  ``live`` or ``failed``, and where the view offers units to pick, ``pick`` with a count ``picks``.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lstm_viz.ui import state, stepper

CHUNK = 32  # steps per chunk of frames
AHEAD = 1  # chunks sent beside the one asked for, on each side
MAX_CHUNKS_PER_SEND = 4


def chunks_around(step: int, n_steps: int) -> list[int]:
    """The chunk of ``step`` first, then those beside it (AHEAD on each side) that exist."""
    k, last = step // CHUNK, (n_steps - 1) // CHUNK
    return [k] + [j for d in range(1, AHEAD + 1) for j in (k - d, k + d) if 0 <= j <= last]


def chunk_steps(k: int, n_steps: int) -> range:
    """The steps of chunk ``k``."""
    return range(k * CHUNK, min((k + 1) * CHUNK, n_steps))


class FrameStepper:
    """One component of this kind on a page, under session key ``key``."""

    def __init__(self, key: str, component):
        self.key = key
        self.component = component
        self._sent = f"_{key}_sent"
        self._picks = f"_{key}_picks"  # the count of the last unit pick acted on

    def report(self) -> dict:
        return stepper.reported(self.key)

    def live(self) -> bool:
        """True once the component's JavaScript runs on this mount of the page (it reported, and did not fail)."""
        report = self.report()
        return stepper.enabled() and bool(report.get("live")) and not report.get("failed")

    def failed(self) -> bool:
        return bool(self.report().get("failed"))

    @staticmethod
    def _checked_step(report: dict, sent: dict) -> int | None:
        try:
            step = int(report["step"])
        except (KeyError, TypeError, ValueError, OverflowError):
            return None
        return step if 0 <= step < sent["n"] else None

    def _on_report(self) -> None:
        """A report arrived: the browser's step becomes the session's, and a unit it picked the unit of every page,
        if the report is about what this session sent."""
        ss, report, sent = st.session_state, self.report(), st.session_state.get(self._sent)
        if sent is not None and report.get("resend") and report.get("id") == sent["id"]:
            ss[self._sent] = {**sent, "id": None}  # a new copy of the component lacks what goes once with a view:
            return  # the next run sends it all, as a new view (its seq counts on)
        if sent is None or report.get("id") != sent["id"] or report.get("seq") != sent["seq"]:
            return
        if report.get("moved") and (step := self._checked_step(report, sent)) is not None:
            ss["step"] = step
        picks, pick = report.get("picks"), report.get("pick")
        if isinstance(picks, int) and picks != ss.get(self._picks) and sent.get("units"):
            ss[self._picks] = picks
            if isinstance(pick, int) and not isinstance(pick, bool) and 0 <= pick < sent["units"]:
                state.choose_unit(pick)

    def _with_frames(self, sent: dict, frames_of: Callable[[int], list[dict]], chunks: list[int]) -> dict:
        frames = {str(k): frames_of(k) for k in chunks}
        data = {key: value for key, value in sent["data"].items() if key != "extra"}  # the extra goes once
        return {**sent, "data": {**data, "frames": frames}}

    def mount(
        self,
        ident: str,
        n: int,
        frames_of: Callable[[int], list[dict]],
        extra: dict | None = None,
        units: int = 0,
    ) -> bool:
        """Draw the component at the session's step; True while its JavaScript runs.

        ``ident`` names what is shown (a new one is a new view), ``frames_of(k)`` builds chunk ``k``'s
        frames, ``extra`` goes with a new view only, and ``units`` (the layer's count) lets the browser
        pick a unit (the data then says the session's unit). The data is the same object as last time
        unless there is something new for the browser (Streamlit then sends a reference to what the
        browser has).
        """
        ss = st.session_state
        step = min(max(int(ss.get("step", 0)), 0), n - 1)
        unit = int(ss.get("unit", 0)) if units else None
        sent, report = ss.get(self._sent), self.report()
        about_this = sent is not None and report.get("id") == sent["id"]
        if (
            self.key not in ss
            or sent is None
            or sent["id"] != ident
            or (about_this and report.get("seq") == sent["seq"] and self._checked_step(report, sent) != step)
        ):  # a new mount, a new view, or the server moved the step since the browser's report
            seq = (sent or {}).get("seq", 0) + 1
            sent = {"id": ident, "seq": seq, "n": n, "units": units, "req": report.get("req")}
            frames = {str(k): frames_of(k) for k in chunks_around(step, n)}
            sent["data"] = {"id": ident, "n": n, "chunk": CHUNK, "seq": seq, "step": step, "frames": frames}
            if extra is not None:
                sent["data"]["extra"] = extra
            if units:
                sent["data"]["unit"] = unit
        elif about_this and report.get("req") not in (None, sent["req"]) and report.get("need"):
            last = (n - 1) // CHUNK
            asked = report.get("need")
            need = [k for k in asked if isinstance(k, int) and 0 <= k <= last] if isinstance(asked, list) else []
            sent = self._with_frames({**sent, "req": report["req"]}, frames_of, need[:MAX_CHUNKS_PER_SEND])
        elif units and sent["data"].get("unit") != unit:  # the unit changed elsewhere (the picker): say which it is
            sent = self._with_frames(sent, frames_of, [])
        if units and sent["data"].get("unit") != unit:
            sent = {**sent, "data": {**sent["data"], "unit": unit}}
        ss[self._sent] = sent
        self.component(key=self.key, data=sent["data"], on_view_change=self._on_report)
        return self.live()
