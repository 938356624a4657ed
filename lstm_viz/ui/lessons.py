"""The Lessons page's parts: a told stop's scene on screen, presentation mode, and the teacher's own lesson.

A scene is drawn from the stop's computed context (:mod:`lstm_viz.lessons.facts`): the same
builders as every other page, and every chart followed by its numbers as a table (its text
alternative). A teacher's own lesson lives in the session (``my_lesson``) until exported as JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import urllib.parse

import numpy as np
import streamlit as st

from lstm_viz.data import tasks
from lstm_viz.engine import cell
from lstm_viz.lessons import render, schema
from lstm_viz.lessons.render import NarratedStop
from lstm_viz.plots import colours, comparison, generation, png, strips
from lstm_viz.ui import cache, pages, state

MY_LESSON = "my_lesson"  # session key: the teacher's own lesson (a list of stop dicts)
PRESENT_PARAM = "present"  # ?present=1: presentation mode from a link
KEEP = {"persist_state": "session"}  # the lesson, the stop, presentation mode and your title survive a page change

PRESENTATION_CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], footer { display: none !important; }
[data-testid="stMain"] .block-container { padding-top: 1rem; max-width: 100%; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.45rem; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 2.6rem; } [data-testid="stMain"] h2 { font-size: 2rem; }
.lv { font-size: 22px; } .lv .tok { font-size: 30px; }
"""


# Told stops, shared read-only by every session. The shipped lessons' stops read short texts; a teacher's own
# stop may read 2,000 tokens (about 56 MB), so only a few of those are kept: forty long scenes cannot fill
# the server's memory.
SHIPPED_STOPS = 64
OWN_STOPS = 4


@st.cache_resource(show_spinner=False)
def _told_stops() -> dict[bool, cache.ByteCache]:
    return {own: cache.ByteCache(OWN_STOPS if own else SHIPPED_STOPS, size=lambda _: 1) for own in (False, True)}


def told(lesson: schema.Lesson, index: int, own: bool) -> NarratedStop:
    """Stop ``index`` of ``lesson`` computed on its model, once per lesson text and stop (ValueError if it cannot
    be); a stop being computed ahead (:func:`compute_ahead`) is waited for, not computed twice."""
    key = (schema.to_json(lesson), index)
    return _told_stops()[own].get(key, lambda: render.tell(lesson.stops[index], cache.load_model))


def is_told(lesson: schema.Lesson, index: int, own: bool) -> bool:
    return (schema.to_json(lesson), index) in _told_stops()[own]


def _ahead(lesson: schema.Lesson, index: int, own: bool) -> None:
    with contextlib.suppress(ValueError):  # the page says why when the class gets there
        told(lesson, index, own)


def compute_ahead(lesson: schema.Lesson, index: int, own: bool) -> None:
    """Compute the next stop in the background while the class looks at this one (the models it needs are
    loaded by then, or load without a spinner: this thread draws nothing)."""
    if os.environ.get("LSTM_VIZ_LESSON_AHEAD") == "0":  # off: benchmarks.page_switch measures the difference
        return
    if index + 1 < len(lesson.stops) and not is_told(lesson, index + 1, own):
        threading.Thread(target=_ahead, args=(lesson, index + 1, own), daemon=True, name="lesson-ahead").start()


def presentation() -> bool:
    """The presentation-mode toggle (also on from ``?present=1``); hides the app's chrome and enlarges everything."""
    if st.query_params.get(PRESENT_PARAM) == "1" and "lesson_present" not in st.session_state:
        st.session_state["lesson_present"] = True
    on = st.toggle(
        "Presentation mode", key="lesson_present", help="Hides the sidebar and enlarges text for a projector.", **KEEP
    )
    if on:
        st.html(f"<style>{PRESENTATION_CSS}</style>")
        st.query_params[PRESENT_PARAM] = "1"
    else:
        st.query_params.pop(PRESENT_PARAM, None)
    return on


_RELEASE = "_lesson_release_keyboard"  # a lesson was just picked: hand the keyboard back to the page
_RELEASE_JS = """<script>/* pick {n} */ (() => {{
  const active = window.document.activeElement;
  if (active && active.closest && active.closest('[data-testid="stSelectbox"]')) active.blur();
}})();</script>"""


def picked() -> None:
    """on_change of the lesson box (mouse or keyboard)."""
    st.session_state[_RELEASE] = st.session_state.get(f"{_RELEASE}_n", 0) + 1
    st.session_state[f"{_RELEASE}_n"] = st.session_state[_RELEASE]


def release_keyboard() -> None:
    """After a lesson is picked, take the focus out of the box: a box keeps the keys it has the focus for, so
    → and space would open its list instead of moving through the lesson until the teacher pressed Tab."""
    n = st.session_state.pop(_RELEASE, None)
    if n is not None:
        st.sidebar.html(_RELEASE_JS.format(n=n), unsafe_allow_javascript=True)  # nothing to see: not in the slide


def _numbers(told: NarratedStop) -> None:
    """Every table behind the stop: the text alternative of its chart."""
    for title, rows in told.context.tables:
        with st.expander(f"The numbers: {title.lower()}", expanded=False):
            st.dataframe(rows, hide_index=True)


def strip_values(told: NarratedStop) -> tuple[np.ndarray, str]:
    """The values the stop's strip colours (its unit's quantity at every step) and the quantity's name."""
    ctx = told.context
    return ctx.trace.layers[ctx.layer].quantities()[ctx.quantity][:, ctx.unit], ctx.quantity


def step_through_view(told: NarratedStop) -> dict:
    """What "Open in Step Through" opens: the stop's model and text at the step, layer, unit and colouring it draws."""
    ctx = told.context
    return {
        "model": told.stop.model,
        "text": told.stop.text,
        "step": ctx.step,
        "unit": ctx.unit,
        "layer": ctx.layer,
        "colour": ctx.quantity,
    }


def open_in_step_through(told: NarratedStop) -> None:
    """Open the stop on Step Through, coloured by the quantity its strip draws."""
    view = step_through_view(told)
    st.session_state["colour"] = view.pop("colour")  # not a widget of this page: set before the switch
    state.open_in(pages.STEP_THROUGH, **view)


def scene(told: NarratedStop, key: str) -> None:
    """Draw the stop's view, then its numbers."""
    ctx, view = told.context, told.stop.view
    tr = ctx.trace
    if view in ("strip", "units", "counting"):
        values, name = strip_values(told)
        st.html(
            strips.token_strip_html(
                tr.tokens,
                current=ctx.step,
                values=values,
                scale=colours.for_quantity(name),
                value_range=colours.quantity_range(name, values),
                font_px=24,
            )
        )
        st.caption(
            f"Each token coloured by unit {ctx.unit}'s {cell.QUANTITY[name].label} (layer {ctx.layer}); "
            f"the outlined token is step {ctx.step}."
        )
    if view == "gates":
        layer = tr.layers[ctx.layer]
        st.html(strips.gate_strip_html({q: v[ctx.step] for q, v in layer.quantities().items()}, unit=ctx.unit))
        st.html(strips.strip_legend_html(layer.kind))
    if view in ("prediction", "units"):
        st.html(strips.class_prob_columns_html(tr.probs, tr.output_labels, tr.tokens, ctx.step))
    if view == "next_words":
        actual = None
        st.html(strips.next_token_bars_html(tr.probs[ctx.step], tr.output_labels, actual=actual))
    if view == "generation":
        tokens, probs = ctx.charts["generation"]  # the text the stop's facts wrote, not a second run
        st.html(generation.colour_legend_html("probability"))
        st.html(generation.coloured_text_html(tokens, probs, font_px=22))
    if view == "memory":
        for column, (title, by_model) in zip(st.columns(2), ctx.charts["memory"].items(), strict=True):
            column.caption(title.capitalize())
            figure = comparison.accuracy_vs_gap(by_model, chance=ctx.values["chance"])
            column.plotly_chart(figure, key=f"{key}_memory_{title[:12]}")
    if view == "counting":
        depth = np.array(tasks.bracket_depths(told.stop.text[: len(tr)]))
        st.plotly_chart(
            comparison.counter_vs_depth(tr.layers[0].cell[:, ctx.unit], depth, tr.tokens, ctx.unit, ctx.values["r"]),
            key=f"{key}_counter",
        )
    _numbers(told)


def scene_png(told: NarratedStop) -> bytes:
    """The stop as a picture (title, the coloured text, the narration) for a slide or a handout."""
    values, name = strip_values(told)
    span = colours.quantity_range(name, values)
    return png.scene_png(
        told.stop.title,
        told.narration,
        told.context.trace.tokens,
        values,
        colours.for_quantity(name),
        span,
        told.context.step,
    )


# --- the teacher's own lesson -------------------------------------------------------------------

MY_ID = "my-lesson"
LINK_PARAM = "my"  # ?lesson=my-lesson&my=...: the teacher's lesson packed in the link itself
_IMPORT_ERROR = "_my_import_error"


SCENE_WORDS = {  # a saved scene's narration: what its view draws, filled in when the lesson runs
    "strip": "Step {step}, token {token!r}: unit {unit}'s {quantity} in layer {layer}, at every token of the text.",
    "gates": "Step {step}, token {token!r}: every gate of layer {layer} at this token; unit {unit} is outlined.",
}


def my_stops() -> list[dict]:
    return st.session_state.setdefault(MY_LESSON, [])


def _as_dicts(lesson: schema.Lesson) -> list[dict]:
    return [{k: v for k, v in s.__dict__.items() if v not in (None, [], "")} for s in lesson.stops]


def add_scene(page: str, title: str) -> None:
    """The current explorer view (model, text, layer, step, unit) as a new stop of the teacher's lesson,
    or a message saying why it cannot be one (the lesson is full, the text too long for a scene)."""
    ss, stops = st.session_state, my_stops()
    text = ss.get("text") or ""
    if len(stops) >= schema.MAX_STOPS:
        st.error(
            f"Your lesson has {schema.MAX_STOPS} scenes, the most a lesson holds. Remove one on the Lessons page, "
            "or export this lesson and start another, to add this view."
        )
        return
    if len(text) > schema.MAX_TEXT:
        st.error(
            f"This text has {len(text):,} characters; a scene holds at most {schema.MAX_TEXT:,}. "
            "Shorten the text to save this view as a scene."
        )
        return
    stop = {
        "title": state.short(title.strip() or f"{ss.get('model')} at step {ss.get('step')}", 200),
        "model": ss.get("model"),
        "text": text,
        "view": "gates" if page == "heatmaps" else "strip",
        "layer": int(ss.get("layer", 0)),
        "step": int(ss.get("step", 0)),
        "unit": int(ss.get("unit", 0)),
        "quantity": ss.get("colour", "forget_gate") if ss.get("colour") in cell.QUANTITY else "forget_gate",
        "narration": SCENE_WORDS["gates" if page == "heatmaps" else "strip"],
    }
    try:
        my_lesson_from([stop], "check")
    except ValueError as err:
        st.error(f"This view cannot be a scene: {err}")
        return
    stops.append(stop)
    st.success(
        f"Added: your lesson has {len(stops)} scene(s); see the Lessons page. It lives in this tab: move between "
        "pages with the sidebar (a reload or a typed address starts afresh), and export it or copy its link to keep it."
    )


def my_lesson_from(stops: list[dict], title: str) -> schema.Lesson:
    """The teacher's scenes as a lesson; ValueError naming the scene and field for anything wrong."""
    return schema.parse(json.dumps({"id": MY_ID, "title": title or "My lesson", "stops": stops}), "your lesson")


def my_lesson() -> schema.Lesson | None:
    """The teacher's scenes as a lesson (None when there are none yet, or when they do not make a lesson:
    then a warning says why, and the editor below still lists them to remove the one at fault)."""
    stops = my_stops()
    if not stops:
        return None
    try:
        return my_lesson_from(stops, st.session_state.get("my_lesson_title") or "My lesson")
    except ValueError as err:
        st.warning(f"Your lesson cannot be shown: {err}. Remove that scene below.", icon="⚠️")
        return None


def _play(lesson: schema.Lesson) -> None:
    """Make ``lesson`` the teacher's lesson and show it from its first stop (before any widget is drawn)."""
    ss = st.session_state
    ss[MY_LESSON] = _as_dicts(lesson)
    ss["my_lesson_title"] = lesson.title
    ss["lesson_id"] = ss["lesson_for"] = MY_ID
    ss["lesson_stop"] = 0


def _import() -> None:
    """on_change of the import box: runs before the page, so the imported lesson is on screen at once."""
    upload = st.session_state.get("my_import")
    if upload is None:
        st.session_state.pop(_IMPORT_ERROR, None)
        return
    try:
        imported = schema.parse(upload.getvalue(), state.short(upload.name, 60))
    except ValueError as err:
        st.session_state[_IMPORT_ERROR] = f"The lesson was not imported: {err}"
        return
    st.session_state.pop(_IMPORT_ERROR, None)
    _play(imported)


def open_linked(first_run: bool) -> None:
    """On the page's first run, a link carrying a lesson (``?lesson=my-lesson&my=...``) opens it as your lesson."""
    packed = st.query_params.get(LINK_PARAM)
    if not first_run or packed is None or st.query_params.get("lesson") != MY_ID:
        return
    try:
        lesson = schema.from_link(packed)
    except ValueError as err:
        st.warning(f"The lesson in this link cannot be opened: {err}", icon="⚠️")
        return
    _play(lesson)


def my_lesson_link(lesson: schema.Lesson, base: str) -> str | None:
    """A link that carries ``lesson`` itself (nothing is kept on the server); None when it is too long for a link."""
    query = urllib.parse.urlencode({"lesson": MY_ID, LINK_PARAM: schema.to_link(lesson)})
    return f"{base}?{query}" if len(query) <= state.MAX_LINK_CHARS else None


def show_in_address_bar(lesson: schema.Lesson, stop: int) -> None:
    """The address bar names the lesson and stop (and carries your own lesson when it fits), so a reload opens it."""
    wanted = {"lesson": lesson.id, "stop": str(stop + 1)}
    if lesson.id == MY_ID:
        link = my_lesson_link(lesson, "")
        wanted = {**wanted, LINK_PARAM: schema.to_link(lesson)} if link else {}
    for key in ("lesson", "stop", LINK_PARAM):
        if key not in wanted:
            st.query_params.pop(key, None)
        elif st.query_params.get(key) != wanted[key]:
            st.query_params[key] = wanted[key]


def _share(lesson: schema.Lesson) -> None:
    base = (st.context.url or "").split("?", 1)[0].split("#", 1)[0]
    link = my_lesson_link(lesson, base)
    if link is None:
        st.info(
            f"Your lesson is too long to travel in a link (a link holds {state.MAX_LINK_CHARS:,} characters). "
            "To share it, export it as a file and send the file: the other person opens Lessons and imports it "
            "with **Import a lesson**.",
            icon=":material/link_off:",
        )
        return
    with st.popover("Share your lesson", icon=":material/link:"):
        st.caption(
            "Anyone who opens this link gets your lesson: its scenes travel in the link itself, nothing is kept "
            "on the server. A longer lesson is shared as a file (export, then import)."
        )
        st.code(link, language=None, wrap_lines=True)


def edit_my_lesson(lesson: schema.Lesson | None) -> None:
    """Reorder, remove, export, share and import the teacher's scenes (``lesson``: them as a lesson, or None)."""
    stops = my_stops()
    st.session_state.setdefault("my_lesson_title", "My lesson")
    st.text_input("Title of your lesson", key="my_lesson_title", max_chars=200, **KEEP)
    for k, stop in enumerate(stops):
        cols = st.columns([6, 1, 1, 1])
        cols[0].markdown(
            f"**{k + 1}. {state.short(str(stop.get('title')), 200)}** · {state.short(str(stop.get('model')), 64)} · "
            f"step {stop.get('step', 0)}, unit {stop.get('unit', 0)}"
        )
        if cols[1].button("↑", key=f"my_up_{k}", disabled=k == 0, help="Earlier"):
            stops[k - 1], stops[k] = stops[k], stops[k - 1]
            st.rerun()
        if cols[2].button("↓", key=f"my_down_{k}", disabled=k == len(stops) - 1, help="Later"):
            stops[k + 1], stops[k] = stops[k], stops[k + 1]
            st.rerun()
        if cols[3].button("✕", key=f"my_del_{k}", help="Remove this scene"):
            del stops[k]
            st.rerun()
    if lesson is not None:
        cols = st.columns(2, vertical_alignment="center")
        with cols[0]:
            st.download_button(
                "Export your lesson (JSON)",
                schema.to_json(lesson),
                file_name="my-lesson.json",
                mime="application/json",
                key="my_export",
                icon=":material/download:",
            )
        with cols[1]:
            _share(lesson)
    st.file_uploader("Import a lesson (JSON)", type=["json"], key="my_import", on_change=_import)
    if st.session_state.get(_IMPORT_ERROR) and st.session_state.get("my_import") is not None:
        st.error(st.session_state[_IMPORT_ERROR], icon="🚫")
