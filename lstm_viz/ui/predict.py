"""A lesson stop as predict-then-reveal: the setting, the question the student answers, the reveal.

Before Reveal the page shows only the setting (the stop's title, narration and text) and the
question with its answer widget; the reveal adds whether the answer was right and by how much
(:func:`lstm_viz.lessons.questions.grade`), the answer, and the stop's charts and numbers. A stop
without a question shows everything at once. In presentation mode one part is shown at a time:
→ goes from the setting to the question (and on to the next stop), space reveals, 1-4 pick.
"""

from __future__ import annotations

import streamlit as st

from lstm_viz.lessons import questions
from lstm_viz.lessons.render import NarratedStop
from lstm_viz.plots import strips

SETTING, QUESTION = 0, 1  # presentation mode's parts of a stop before the reveal
PHASE = "lesson_phase"  # session key: which part of the stop presentation mode shows
REVEALED = "lesson_revealed"  # session key: the (lesson, stop) pairs revealed
PICKS = "lesson_picks"  # session key: (lesson, stop) -> the student's answer
LONG_OPTION = 12  # characters: longer options are listed one under another


def revealed(at: tuple) -> bool:
    return at in st.session_state.get(REVEALED, set())


def reveal(at: tuple) -> None:
    st.session_state.setdefault(REVEALED, set()).add(at)


def phase() -> int:
    return st.session_state.get(PHASE, SETTING)


def forward(has_question: bool, presenting: bool, at: tuple) -> bool:
    """→ in presentation mode: from the setting to the question (True), else to the next stop (False)."""
    if presenting and has_question and phase() == SETTING and not revealed(at):
        st.session_state[PHASE] = QUESTION
        return True
    st.session_state[PHASE] = SETTING
    return False


def parts(has_question: bool, presenting: bool, at: tuple) -> tuple[bool, bool, bool]:
    """What the stop shows now: the setting, the question, the reveal."""
    done = revealed(at) or not has_question
    if not presenting:
        return True, has_question, done
    if done:
        return not has_question, has_question, True
    return phase() == SETTING, phase() == QUESTION, False


def pick(at: tuple, value) -> None:
    st.session_state.setdefault(PICKS, {})[at] = value


def picked(at: tuple):
    return st.session_state.get(PICKS, {}).get(at)


DRAWS_TEXT = ("strip", "units", "counting", "generation")  # views whose reveal draws the text again, coloured


def setting(told: NarratedStop, revealed_now: bool) -> None:
    """The stop's text as the model reads it, one box per token, uncoloured: nothing in it answers the question
    (left out once the reveal draws the same text coloured)."""
    ctx = told.context
    written = ctx.values.get("written")
    if revealed_now and told.stop.view in DRAWS_TEXT:
        return
    st.html(strips.token_strip_html(ctx.trace.tokens, current=ctx.step, font_px=24))
    if written is None:
        st.caption(
            f"The text the model reads, one box per token; the outlined box is step {ctx.step}, "
            f"{ctx.values['token']!r}."
        )
    else:
        st.caption("The start the model is given; below, what it wrote from there.")
        st.code(written, language=None, wrap_lines=True)


def _choice(q: questions.Question, at: tuple, key: str, done: bool) -> None:
    chosen = picked(at)
    long = max(map(len, q.options)) > LONG_OPTION  # one under another, whole: a projector's font would cut them
    cols = [st.container() for _ in q.options] if long else st.columns(len(q.options))
    for k, (col, option) in enumerate(zip(cols, q.options, strict=True)):
        col.button(
            f"{k + 1} · {option}",
            key=f"{key}_option_{k}",
            on_click=pick,
            args=(at, option),
            shortcut=str(k + 1),
            type="primary" if option == chosen else "secondary",
            disabled=done,
            help=f"keyboard: {k + 1}",
            width="stretch",
        )


def _token(q: questions.Question, at: tuple, key: str, done: bool) -> None:
    widget = f"{key}_token"
    if widget not in st.session_state and picked(at) is not None:
        st.session_state[widget] = picked(at)
    st.pills(
        "Click the token",
        list(range(len(q.options))),
        format_func=lambda t: q.options[t],
        key=widget,
        on_change=lambda: pick(at, st.session_state.get(widget)),
        disabled=done,
    )


def _number(q: questions.Question, at: tuple, key: str, done: bool) -> None:
    percent = q.spec.endswith("%")
    scale = 100 if percent else 1
    widget = f"{key}_number"
    if widget not in st.session_state:
        given = picked(at)
        st.session_state[widget] = (given if given is not None else (q.lo + q.hi) / 2) * scale
        if q.spec == "d" or percent:
            st.session_state[widget] = int(round(st.session_state[widget]))
    whole = q.spec == "d" or percent
    st.slider(
        "Your answer (move the slider: arrow keys move it once it has the focus)",
        int(q.lo * scale) if whole else q.lo * scale,
        int(q.hi * scale) if whole else q.hi * scale,
        step=1 if whole else q.step,
        format="%d%%" if percent else None,
        key=widget,
        on_change=lambda: pick(at, st.session_state[widget] / scale),
        disabled=done,
    )


def ask(told: NarratedStop, at: tuple, key: str, presenting: bool = False) -> None:
    """The question, and the widget the student answers it with (locked once revealed; on a slide the
    reveal takes its place)."""
    st.markdown(f"**Predict first:** {told.question}")
    q, done = told.ask, revealed(at)
    if q is None or done and presenting:
        return
    {"choice": _choice, "token": _token, "number": _number}[q.kind](q, at, key, done)


def verdict(told: NarratedStop, at: tuple) -> None:
    """Whether the student's answer was right, and by how much; then the answer."""
    if told.ask is not None:
        right, said = questions.grade(told.ask, picked(at))
        box = st.success if right else st.info if right is None else st.warning
        box(said, icon=":material/check_circle:" if right else ":material/lightbulb:")
    st.markdown(told.answer)
