"""The Step Through stepper: one Streamlit component that steps, plays and hovers in the browser.

The server sends the shown layer once per (model, text, layer) (:mod:`lstm_viz.plots.stepper_payload`);
from then on the browser draws every step itself (``stepper_static/stepper.js``): the token strip,
the value boxes, the cell diagram, the next-token bars and the strip of all units. No step costs
the server anything. The step, unit, token colouring and unit order go back to the server 300 ms
after the last change (``st.session_state`` keys ``step``, ``unit``, ``colour``, ``order``), only
so that the other pages, the Equations page and the share link show the same view; that reruns
the page's fragment, which does nothing heavy: the component's data is unchanged, so Streamlit
sends the browser a reference to what it already has.

The protocol, both ways through the component (``st.components.v2``):

- server -> browser, ``data``: ``payload`` (the layer, without values), ``view`` (step, unit,
  colour, order and ``seq``, the number of that view) and ``chunks`` (steps of values, encoded).
  A new ``view`` is sent only when the server changed it (a new model, text or layer, a link, a
  return to the page); the data stays byte for byte the same otherwise.
- browser -> server, state ``view``: the browser's view with the ``seq`` it started from,
  ``moved`` (the reader changed it since), ``need`` (chunks it asks for, numbered by ``req``).

If the component's JavaScript does not run (it never reports), the page shows the server-side
view instead (:func:`server_view`, the stepper of old: a server round trip per step), with a
notice; AppTest, which runs no JavaScript, sees that view. ``LSTM_VIZ_CLIENT_STEPPER=0`` switches
the component off (the benchmark measures both paths that way).
"""

from __future__ import annotations

import os
import re
import threading
import time
import weakref
from pathlib import Path

import streamlit as st

from lstm_viz import paths
from lstm_viz.analysis import equations, search
from lstm_viz.engine import cell
from lstm_viz.engine.trace import LayerTrace
from lstm_viz.plots import colours, html, stepper_payload, strips, wording
from lstm_viz.ui import controls, diagram, display, sharing, sidebar, state

FILES = Path(__file__).resolve().with_name("stepper_static")
KEY = "st_stepper"  # the component's key: its state (the browser's reports) is st.session_state[KEY]
VIEW = ("step", "unit", "colour", "order")  # the shared session keys the stepper reads and writes
FALLBACK = ("st_fallback_opts", "st_fallback_view")  # keys of the server-side view's containers (CSS hides them)
STRIP_WINDOW = 40  # tokens of the token strip around the current step: two lines at 1024 px, so the cell stays in view
_SENT = "_st_stepper_sent"  # what this session last sent the browser (see _push)


def enabled() -> bool:
    """Whether the browser-side stepper is on (``LSTM_VIZ_CLIENT_STEPPER=0`` turns it off)."""
    return os.environ.get("LSTM_VIZ_CLIENT_STEPPER", "1").strip() != "0"


def _html() -> str:
    """The component's markup: stepper.html with every kind's cell diagram (``cell.KINDS[kind].diagram``) in a
    ``<template data-diagram="KIND">``, of which the browser shows the one of the layer's kind."""
    templates = "".join(
        f'<template data-diagram="{kind}">{(paths.ASSETS / spec.diagram).read_text(encoding="utf-8")}</template>'
        for kind, spec in cell.KINDS.items()
    )
    return markup("stepper.html").replace("<!-- cell diagrams -->", templates, 1)


_IMPORT = re.compile(r"^import \{[\w\s,]+\} from '\./(\w+)\.js';\n", re.MULTILINE)


def script(name: str = "stepper.js") -> str:
    """A component's one module: ``name`` (in stepper_static) with each module it imports there (format.js, the
    pure functions node's tests load on their own; component.js, what the components share; frames.js, a view
    stepped from frames) in place of its first import line, and so on down, so that the component needs no file but
    this string."""
    source = (FILES / name).read_text(encoding="utf-8")
    if not _IMPORT.search(source):
        raise RuntimeError(f"{name} must import its helpers as one line each: import {{ ... }} from './x.js';")
    placed: set[str] = set()

    def place(found: re.Match) -> str:  # a module once, where it is first imported, with its own imports in place
        if found.group(1) in placed:
            return ""
        placed.add(found.group(1))
        return _IMPORT.sub(place, (FILES / f"{found.group(1)}.js").read_text(encoding="utf-8"))

    module = _IMPORT.sub(place, source)
    if re.search(r"^import\b", module, re.MULTILINE):
        raise RuntimeError(f"{name} imports something this function cannot put in its place")
    return module


def markup(name: str) -> str:
    """A component's HTML file (in stepper_static) with the step buttons they share (step_buttons.html) in place of
    its ``<!-- step buttons -->``."""
    buttons = (FILES / "step_buttons.html").read_text(encoding="utf-8")
    source = (FILES / name).read_text(encoding="utf-8")
    if "      <!-- step buttons -->\n" not in source:
        raise RuntimeError(f"{name} must hold the line '      <!-- step buttons -->' where its step buttons go")
    return source.replace("      <!-- step buttons -->\n", buttons, 1)


def fallback_css(root: str, view: str) -> str:
    """CSS for a component whose root is ``root`` over the server's view (``view``: a selector of its keyed
    containers): the view and the component's notice show only if its script does not run (hidden for the first
    seconds, gone once it runs, at once if it reports a failure); stepper.css holds the animation."""
    return (
        f"{view},{root} .lvs-notice{{animation:lvs-reveal 0s linear 4s both}}\n"
        f'body:has({root}[data-state="live"]) {view}{{display:none!important}}\n'
        f'{root}[data-state="live"] .lvs-notice{{display:none}}\n'
        f'body:has({root}[data-state="failed"]) {view}{{animation:none}}\n'
        f'{root}[data-state="failed"] .lvs-notice{{animation:none}}\n'
        f'{root}:not([data-state="live"]) > :not(.lvs-notice){{display:none}}\n'
    )


def css(*names: str, fallback: tuple[str, str] | None = None) -> str:
    """A component's stylesheet: the app's colours as --lv- variables, then the rules of the files ``names`` (in
    stepper_static), then, for ``fallback`` = (root, view), :func:`fallback_css`."""
    rules = "".join((FILES / name).read_text(encoding="utf-8") for name in names)
    return html.css_variables() + rules + (fallback_css(*fallback) if fallback else "")


COMPONENT = st.components.v2.component(
    "lstm_viz_stepper",
    html=_html(),
    css=css("stepper.css", fallback=(".lv-stepper", ":is(.st-key-st_fallback_opts,.st-key-st_fallback_view)")),
    js=script(),
    # In the page's own DOM, not a shadow root: the app's stylesheet (token and gate strips, bars)
    # applies, and the CSS that hides the server-side view while the stepper runs can reach it.
    isolate_styles=False,
)

# One payload per Trace and layer, shared by every session and dropped with its Trace (weakref.finalize):
# the Trace cache bounds them, and a Trace's id cannot be reused while its payload is here.
_PAYLOADS: dict[tuple[int, int], dict] = {}
_PAYLOADS_LOCK = threading.Lock()


def payload(sel: sidebar.Selection) -> dict:
    """The shown layer's payload (built once per Trace and layer; read-only)."""
    trace = sel.trace
    key = (id(trace), sel.layer)
    with _PAYLOADS_LOCK:
        found = _PAYLOADS.get(key)
    if found is not None:
        return found
    name = f"{sel.name}\0{sel.text}\0{sel.layer}\0{id(trace)}"
    built = stepper_payload.layer_payload(trace, sel.layer, name, STRIP_WINDOW)
    with _PAYLOADS_LOCK:
        if key not in _PAYLOADS:
            if not any(k[0] == key[0] for k in _PAYLOADS):
                weakref.finalize(trace, _forget, key[0])
            _PAYLOADS[key] = built
        return _PAYLOADS[key]


def _forget(trace_id: int) -> None:
    with _PAYLOADS_LOCK:
        for key in [k for k in _PAYLOADS if k[0] == trace_id]:
            del _PAYLOADS[key]


# --- the browser's reports ------------------------------------------------------------------


def reported(key: str) -> dict:
    """The last report (state ``view``) of the component with this key, or {} (none yet on this mount)."""
    found = (st.session_state.get(key) or {}).get("view")
    return found if isinstance(found, dict) else {}


def _report() -> dict:
    return reported(KEY)


def live() -> bool:
    """True once the component's JavaScript runs on this mount of the page (it reported, and did not fail)."""
    report = _report()
    return enabled() and bool(report.get("live")) and not report.get("failed")


def checked_view(report: dict, sent: dict) -> dict:
    """The view of a browser report, each value type- and range-checked against what was sent; {} if unusable."""
    try:
        step, unit = int(report["step"]), int(report["unit"])
        colour, order = str(report["colour"]), str(report["order"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return {}
    if not (0 <= step < sent["n_steps"] and 0 <= unit < sent["n_units"]):
        return {}
    if colour not in sent["quantities"] or order not in search.ORDERINGS:
        return {}
    return {"step": step, "unit": unit, "colour": colour, "order": order}


def _on_report() -> None:
    """A report arrived: the browser's view becomes the session's, if it is about what this session sent."""
    ss, report, sent = st.session_state, _report(), st.session_state.get(_SENT)
    if sent is None or report.get("id") != sent["id"] or report.get("seq") != sent["seq"]:
        return  # about data or a view this session has since replaced
    if report.get("moved"):
        view = checked_view(report, sent)
        if view and view["unit"] != ss.get("unit"):
            state.choose_unit()  # the reader chose a unit in the browser: no page ranks another over it
        ss.update(view)


# --- what the browser is sent -----------------------------------------------------------------


def _view_now() -> dict:
    ss = st.session_state
    return {key: ss[key] for key in VIEW}


def _push(found: dict, layer: LayerTrace, view: dict, previous: dict | None) -> dict:
    """New data for the browser: the payload, ``view`` as a new ``seq``, the chunks around its step."""
    sent = {
        "id": found["id"],
        "seq": (previous or {}).get("seq", 0) + 1,
        "n_steps": found["n_steps"],
        "n_units": found["hidden_size"],
        "quantities": [q["name"] for q in found["quantities"]],
        "req": None,
    }
    sent["data"] = {"payload": found, "view": {**view, "seq": sent["seq"]}, "chunks": {}}
    return _with_chunks(sent, layer, stepper_payload.initial_chunks(found, view["step"]))


def _with_chunks(sent: dict, layer: LayerTrace, chunks: list[int]) -> dict:
    """``sent`` with these chunks as the data's only ones (the browser keeps those it already has)."""
    steps = sent["data"]["payload"]["chunks"]["steps"]
    encoded = {str(k): stepper_payload.encode_chunk(layer, k, steps) for k in chunks}
    return {**sent, "data": {**sent["data"], "chunks": encoded}}


def mount(sel: sidebar.Selection) -> bool:
    """Draw the stepper for the shown layer; True while its JavaScript runs (else show :func:`server_view`).

    Call inside the page's fragment, after the step and unit were clamped to this Trace. The data
    changes only when there is something new for the browser; otherwise it is the same object as
    last time, which Streamlit sends as a reference to the browser's copy.
    """
    ss = st.session_state
    found, layer = payload(sel), sel.layer_trace
    sent, report, view = ss.get(_SENT), _report(), _view_now()
    about_this = sent is not None and report.get("id") == sent["id"]
    if KEY not in ss or sent is None or sent["id"] != found["id"]:  # a new mount, or a new layer to show
        sent = _push(found, layer, view, sent)
    elif about_this and report.get("seq") == sent["seq"] and checked_view(report, sent) != view:
        sent = _push(found, layer, view, sent)  # the server changed the view since the browser's report
    elif about_this and report.get("req") not in (None, sent["req"]):
        count = found["chunks"]["count"]
        asked = report.get("need")
        need = [k for k in asked if isinstance(k, int) and 0 <= k < count] if isinstance(asked, list) else []
        sent = _with_chunks({**sent, "req": report["req"]}, layer, need[: stepper_payload.MAX_CHUNKS_PER_SEND])
    ss[_SENT] = sent
    COMPONENT(key=KEY, data=sent["data"], on_view_change=_on_report)
    return live()


# --- the server-side view: what shows when the stepper's JavaScript does not run ---------------


def server_controls(sel: sidebar.Selection) -> tuple[int, bool]:
    """Unit, token colouring, unit order (into session state), play speed and play, returned.

    Above the page's fragment: a change reruns the page (and sets the fragment's Play timer).
    """
    quantities = sel.layer_trace.quantities()
    with st.container(key=FALLBACK[0]):
        opts = st.columns([1, 2, 2, 2, 1], vertical_alignment="bottom")
        controls.unit_picker(sel.layer_trace.hidden_size, where=opts[0])
        opts[1].selectbox("Colour tokens by", list(quantities), key="colour", format_func=cell.title, **state.KEEP)
        opts[2].selectbox(
            _order_label(sel.layer_trace),
            search.ORDERINGS,
            key="order",
            help="The gate strip's columns, left to right: by unit index, or by the variance, mean or saturation of "
            "each unit's values over every step of this text (not only the current step).",
            **state.KEEP,
        )
        speed = opts[3].slider("Play speed (tokens/s)", 1, 10, 3, key="st_speed", **state.KEEP)
        playing = opts[4].toggle("Play", key="st_play", disabled=len(sel.trace) < 2)
    return speed, playing


def _order_label(layer: LayerTrace) -> str:
    return f"Order units by (their {cell.QUANTITY[layer.spec.state].label} over the whole text)"


def tick(n_steps: int, speed: int) -> None:
    """One step of the server-side Play (called by the fragment's timer); stops at the last step."""
    last = st.session_state.get("_st_last_tick", 0.0)
    if time.monotonic() - last >= 0.8 / speed:
        st.session_state["_st_last_tick"] = time.monotonic()
        if st.session_state["step"] >= n_steps - 1:
            st.session_state["st_play"] = False
            st.rerun(scope="app")
        st.session_state["step"] += 1


def server_view(sel: sidebar.Selection) -> None:
    """The step view drawn by the server, for the session's unit, colouring and order: a fragment rerun per step."""
    trace, layer = sel.trace, sel.layer_trace
    quantities = layer.quantities()
    unit, colour_by, order_by = (st.session_state[key] for key in ("unit", "colour", "order"))
    text = wording.TEXT
    with st.container(key=FALLBACK[1]):
        # While the browser-side stepper may still start, it owns the keys (else one press could move two steps).
        step = controls.step_controls(trace, "st", shortcuts=not enabled() or bool(_report().get("failed")))
        st.markdown(controls.step_caption(trace, step))
        values = quantities[colour_by][:, unit]
        st.html(
            strips.token_strip_html(
                trace.tokens,
                current=step,
                values=values,
                scale=colours.for_quantity(colour_by),
                value_range=colours.quantity_range(colour_by, values),
                unknown={u.position for u in trace.unknown},
                window=STRIP_WINDOW,
            )
        )
        st.caption(text["strip_caption"].format(unit=unit, label=cell.QUANTITY[colour_by].label))
        display.unit_metrics(quantities, step, unit)
        left, right = st.columns([5, 4], gap="large")
        with left:
            st.subheader(text["cell_heading"].format(unit=unit, step=step))
            update = equations.step_update(layer, step, unit)
            diagram.cell_diagram(diagram.diagram_values(update, layer, step, unit, trace.tokens[step]), kind=layer.kind)
            if layer.kind == "rnn":
                st.latex(rf"h_t = \tanh({layer.preactivation[step, unit]:.4f}) = {layer.hidden[step, unit]:.4f}")
            for sentence in equations.plain_words(update):
                st.markdown(f"- {sentence}")
        with right:
            st.subheader(text["output_heading"])
            display.model_output(trace, step)
        n_units = layer.hidden_size
        st.subheader(text["units_heading"].format(units=n_units, layer=sel.layer, step=step))
        order = None if order_by == "index" else search.unit_order(quantities[layer.spec.state], order_by)
        st.html(strips.gate_strip_html({q: v[step] for q, v in quantities.items()}, order=order, unit=unit))


def step_through(sel: sidebar.Selection) -> None:
    """The Step Through page below its title and notes: the stepper, or the server-side view, the legend, the link."""
    quantities = sel.layer_trace.quantities()
    if st.session_state.get("colour") not in quantities:
        st.session_state["colour"] = next(iter(quantities))
    state.clamp("unit", sel.layer_trace.hidden_size, f"this layer has {sel.layer_trace.hidden_size} units")
    speed, playing = (1, False) if live() else server_controls(sel)
    state.show_notices()

    @st.fragment(run_every=1.0 / speed if playing else None)
    def view() -> None:
        """Everything that changes with the step: the component, and the server's view while it does not run."""
        controls.unit_note()  # why the page opened on its unit, until the reader chooses another
        if not (enabled() and mount(sel)):
            if playing:
                tick(len(sel.trace), speed)
            server_view(sel)
        st.html(strips.strip_legend_html(sel.layer_trace.kind))
        sharing.share_box("step_through")

    view()
