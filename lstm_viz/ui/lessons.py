"""The Lessons page's parts: a told stop's scene on screen, presentation mode, and the teacher's own lesson.

A scene is drawn from the stop's computed context (:mod:`lstm_viz.lessons.facts`): the same
builders as every other page, and every chart followed by its numbers as a table (its text
alternative). A teacher's own lesson lives in the session (``my_lesson``) until exported as JSON.
"""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from lstm_viz import cell
from lstm_viz.data import tasks
from lstm_viz.lessons import schema
from lstm_viz.lessons.render import Told
from lstm_viz.plots import colours, comparison, generation, png, strips
from lstm_viz.ui import pages, state

MY_LESSON = "my_lesson"  # session key: the teacher's own lesson (a list of stop dicts)
PRESENT_PARAM = "present"  # ?present=1: presentation mode from a link

PRESENTATION_CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], footer { display: none !important; }
[data-testid="stMain"] .block-container { padding-top: 1rem; max-width: 100%; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.45rem; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 2.6rem; } [data-testid="stMain"] h2 { font-size: 2rem; }
.lv { font-size: 22px; } .lv .tok { font-size: 30px; }
"""


def presentation() -> bool:
    """The presentation-mode toggle (also on from ``?present=1``); hides the app's chrome and enlarges everything."""
    if st.query_params.get(PRESENT_PARAM) == "1" and "lesson_present" not in st.session_state:
        st.session_state["lesson_present"] = True
    on = st.toggle(
        "Presentation mode", key="lesson_present", help="Hides the sidebar and enlarges text for a projector."
    )
    if on:
        st.html(f"<style>{PRESENTATION_CSS}</style>")
        st.query_params[PRESENT_PARAM] = "1"
    else:
        st.query_params.pop(PRESENT_PARAM, None)
    return on


def _numbers(told: Told) -> None:
    """Every table behind the stop: the text alternative of its chart."""
    for title, rows in told.context.tables:
        with st.expander(f"The numbers: {title.lower()}", expanded=False):
            st.dataframe(rows, hide_index=True)


def strip_values(told: Told) -> tuple[np.ndarray, str]:
    """The values the stop's strip colours (its unit's quantity at every step) and the quantity's name."""
    ctx = told.context
    return ctx.trace.layers[ctx.layer].quantities()[ctx.quantity][:, ctx.unit], ctx.quantity


def step_through_view(told: Told) -> dict:
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


def open_in_step_through(told: Told) -> None:
    """Open the stop on Step Through, coloured by the quantity its strip draws."""
    view = step_through_view(told)
    st.session_state["colour"] = view.pop("colour")  # not a widget of this page: set before the switch
    state.open_in(pages.STEP_THROUGH, **view)


def scene(told: Told, key: str) -> None:
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
            f"Each token coloured by unit {ctx.unit}'s {cell.QUANTITY[name].label} (layer {ctx.layer + 1}); "
            f"the outlined token is step {ctx.step}."
        )
    if view == "gates":
        layer = tr.layers[ctx.layer]
        st.html(strips.gate_strip_html({q: v[ctx.step] for q, v in layer.quantities().items()}, unit=ctx.unit))
        st.html(strips.strip_legend_html())
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


def scene_png(told: Told) -> bytes:
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


def my_stops() -> list[dict]:
    return st.session_state.setdefault(MY_LESSON, [])


def add_scene(page: str, title: str) -> None:
    """The current explorer view (model, text, layer, step, unit) as a new stop of the teacher's lesson."""
    ss = st.session_state
    view = "gates" if page == "heatmaps" else "strip"
    my_stops().append(
        {
            "title": state.short(title.strip() or f"{ss.get('model')} at step {ss.get('step')}", 200),
            "model": ss.get("model"),
            "text": ss.get("text") or "",
            "view": view,
            "layer": int(ss.get("layer", 0)),
            "step": int(ss.get("step", 0)),
            "unit": int(ss.get("unit", 0)),
            "quantity": ss.get("colour", "forget_gate") if ss.get("colour") in cell.QUANTITY else "forget_gate",
            "narration": "Step {step}, token {token!r}: unit {unit} of layer {layer}.",
        }
    )


def my_lesson() -> schema.Lesson | None:
    """The teacher's scenes as a lesson (None when there are none yet)."""
    stops = my_stops()
    if not stops:
        return None
    doc = {"id": "my-lesson", "title": st.session_state.get("my_lesson_title") or "My lesson", "stops": stops}
    return schema.parse(json.dumps(doc), "your lesson")


def edit_my_lesson() -> None:
    """Reorder, remove, export and import the teacher's scenes."""
    stops = my_stops()
    st.session_state.setdefault("my_lesson_title", "My lesson")
    st.text_input("Title of your lesson", key="my_lesson_title", max_chars=200)
    for k, stop in enumerate(stops):
        cols = st.columns([6, 1, 1, 1])
        cols[0].markdown(
            f"**{k + 1}. {stop['title']}** · {stop['model']} · step {stop.get('step', 0)}, unit {stop.get('unit', 0)}"
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
    lesson = my_lesson()
    if lesson is not None:
        st.download_button(
            "Export your lesson (JSON)",
            schema.to_json(lesson),
            file_name="my-lesson.json",
            mime="application/json",
            key="my_export",
            icon=":material/download:",
        )
    upload = st.file_uploader("Import a lesson (JSON)", type=["json"], key="my_import")
    if upload is not None and st.session_state.get("my_imported") != upload.file_id:
        try:
            imported = schema.parse(upload.getvalue(), upload.name)
        except ValueError as err:
            st.error(f"The lesson was not imported: {err}", icon="🚫")
        else:
            st.session_state["my_imported"] = upload.file_id
            st.session_state[MY_LESSON] = [
                {k: v for k, v in s.__dict__.items() if v not in (None, [], "")} for s in imported.stops
            ]
            st.session_state["my_lesson_title"] = imported.title
            st.rerun()
