"""Widgets shared by several pages: the model picker, the explorer sidebar, step and unit controls, the diagram.

Widgets here only read and write session state (:mod:`.state`) and call :mod:`.cache`; what
they draw comes from :mod:`lstm_viz.plots`. Every widget that edits a shared value keeps it across
page changes (``persist_state="session"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from lstm_viz import paths
from lstm_viz.data import styles
from lstm_viz.engine import cell
from lstm_viz.engine.tokenizers import describe_unknown
from lstm_viz.engine.trace import Trace
from lstm_viz.plots import diagram, html, strips
from lstm_viz.plots.html import visible
from lstm_viz.ui import cache, cards, lessons, state

PREFERRED_MODEL = "shakespeare-char"
METRIC_PX = 150  # a value box: room for "−0.0063" at the metric's font size, and its label
KEEP = {"persist_state": "session"}  # a widget whose value survives every page change


def stylesheet() -> None:
    """Put the app's one stylesheet on the page (app.py calls this once per run)."""
    st.html(f"<style>{html.stylesheet()}</style>")


def _title(name: str) -> str:
    info = cache.model_info(name)
    return name if info is None else f"{info.title} · {cards.task_name(info.card)}"


def model_picker(tasks=None, key: str = "model", label: str = "Model", where=st) -> str | None:
    """A selectbox over the models whose task is in ``tasks`` (all when None); returns the name.

    With ``key="model"`` it edits the shared model; other keys start from the shared model
    when it fits. Returns None (with a hint) when no model fits.
    """
    state.apply_pending()  # "Step through this" from another page: its model and text win
    names = [m.name for m in cards.sort_models(cache.list_models()) if tasks is None or m.card.get("task") in tasks]
    if not names:
        where.info("No model for this page yet: train one on the Train page or with `python -m lstm_viz train`.")
        return None
    shared = st.session_state.get("model")
    default = shared if shared in names else (PREFERRED_MODEL if PREFERRED_MODEL in names else names[0])
    if key != "model" and st.session_state.get(key) not in names:
        st.session_state[key] = default
    state.check_model(names, default, key=key)
    return where.selectbox(label, names, key=key, format_func=_title, **KEEP)


MIMES = {".csv": "text/csv", ".json": "application/json", ".md": "text/markdown", ".png": "image/png"}


def download(where, label: str, data, file_name: str, key: str, tip: str | None = None, icon: str = "download"):
    """A download button (``tip`` on hover); ``data`` may be a function, built only when pressed; the type
    follows the file's ending."""
    suffix = file_name[file_name.rfind(".") :]
    where.download_button(
        label, data, file_name=file_name, mime=MIMES[suffix], key=key, icon=f":material/{icon}:", help=tip
    )


def model_page(title: str, caption: str, tasks: list[str], key: str, label: str):
    """A model page's opening: its title, what it does, and its model picker; (name, loaded model).

    Stops the page (after the picker's hint) when no model fits.
    """
    st.title(title)
    st.caption(caption)
    name = model_picker(tasks=tasks, key=key, label=label)
    if name is None:
        st.stop()
    return name, cache.load_model(name)


@dataclass(frozen=True)
class Selection:
    """What the explorer sidebar selected: a loaded model's name and its trace."""

    model: str
    text: str
    layer: int
    trace: Trace
    at_step: int | None = None  # a training step of the model's history; None: the trained model

    @property
    def layer_trace(self):
        """The selected layer's LayerTrace."""
        return self.trace.layers[self.layer]

    @property
    def loaded(self):
        """The model the trace came from (at ``at_step`` of its training when one is chosen); shared, read-only."""
        return cache.model_at(self.model, self.at_step)


def training_scrubber(name: str) -> int | None:
    """Gates over training: pick one of the steps the model's history kept (its final weights last).

    Returns the chosen step, or None for the trained model (and for a model that kept no history).
    The choice is the shared key ``checkpoint``; a step the model did not keep, a link's step for a
    model that kept no history, and a kept file that fails its checks (changed since, or a pickle)
    are explained and replaced by the trained model.
    """
    kept = cache.checkpoints(name)
    ss = st.session_state
    linked = state.from_link("checkpoint")
    if not kept:
        if linked and ss.get("checkpoint") is not None:
            state.notice(
                f"{name} kept no weights along its training, so there is no step {ss['checkpoint']:,} to show; "
                "showing the trained model."
            )
        ss["checkpoint"] = None
        return None
    steps, final = [c.step for c in kept], kept[-1].step
    chosen = ss.get("checkpoint")
    if chosen not in steps:
        if chosen is not None and not state.model_changed(name):  # another model's step: its trained weights
            state.notice(
                f"{name} kept no weights at training step {chosen}; its kept steps are "
                f"{', '.join(f'{s:,}' for s in steps)}. Showing the trained model (step {final:,})."
            )
        chosen = final
    if chosen != final:
        try:
            cache.model_at(name, chosen)  # checked once here: a damaged file is a message, not a traceback later
        except ValueError as err:
            state.notice(f"The weights of training step {chosen:,} cannot be used: {err}. Showing the trained model.")
            chosen = final
    ss["checkpoint"] = chosen  # set before the widget on every run: a select slider new to a page starts here
    step = st.select_slider(
        "Training step (gates over training)",
        steps,
        key="checkpoint",
        format_func=lambda s: f"{s:,}" + (" untrained" if s == 0 else " trained" if s == final else ""),
        help="The same text through the weights the model had after this many training steps, from its random "
        "start to the end of training.",
        **KEEP,
    )
    loss, trained = next(c.val_loss for c in kept if c.step == step), kept[-1].val_loss
    per = (cache.load_model(name).card.get("metrics") or {}).get("val_loss_unit", "")
    if loss is not None:
        after = "" if step == final or trained is None else f"; trained: {trained:.4g}"
        st.caption(f"Held-out loss at this step: {loss:.4g} {per}{after}.")
    return None if step == final else int(step)


def explorer_sidebar() -> Selection | None:
    """Model, text and layer in the sidebar, shared by the explorer pages; returns the trace.

    Shows the input problems on the page: empty text (a prompt), text cut to
    ``cache.MAX_TOKENS`` tokens (a notice), pieces the model does not know (a note of what it
    sees instead). Returns None when there is nothing to show.
    """
    with st.sidebar:
        name = model_picker()
        if name is None:
            return None
        state.fit_text_to_model(name, cache.load_model(name))
        st.text_area(
            "Text", key="text", height=140, help="Type any sentence; the model reads it token by token.", **KEEP
        )
        at_step = training_scrubber(name)
    state.remember_model_fit(name)
    state.show_notices()
    text = st.session_state.get("text") or ""
    if not text.strip():
        st.info("Type a sentence in the **Text** box on the left to see the model read it.", icon=":material/edit:")
        return None
    trace = cache.get_trace(name, text, at_step=at_step)
    layers = trace.num_layers
    state.clamp("layer", layers, f"this model has {layers} layer{'s' * (layers != 1)}")
    if layers > 1:
        st.sidebar.selectbox("Layer", list(range(layers)), key="layer", format_func=lambda k: f"layer {k + 1}", **KEEP)
    n_tokens = len(cache.load_model(name).encode(text))
    if n_tokens > cache.MAX_TOKENS:
        st.warning(
            f"The text has {n_tokens:,} tokens; only the first {cache.MAX_TOKENS:,} are shown.",
            icon=":material/content_cut:",
        )
    unknown_note(trace)
    return Selection(name, text, int(st.session_state["layer"]), trace, at_step)


def explorer_page(title: str) -> Selection:
    """The opening every explorer page shares: title, sidebar, the step clamped to the text.

    Stops the page (after the sidebar's prompt or notice) when there is nothing to show.
    """
    st.title(title)
    sel = explorer_sidebar()
    if sel is None:
        st.stop()
    if sel.at_step is not None:
        final = cache.checkpoints(sel.model)[-1].step
        st.info(
            f"Gates over training: this is {sel.model} after {sel.at_step:,} of its {final:,} training steps"
            + (", before any training: its weights are still random" if sel.at_step == 0 else "")
            + ". Move the **Training step** slider in the sidebar to watch the gates change.",
            icon=":material/history:",
        )
    n_steps = len(sel.trace)
    state.clamp("step", n_steps, f"this text has {n_steps} steps")
    state.show_notices()
    return sel


def unknown_note(trace: Trace) -> None:
    """Say which pieces the model does not know and what it is fed in their place (a count and the first few)."""
    if trace.unknown:
        st.info(
            "The model does not know some pieces of this text (underlined in the token strip) and reads a stand-in "
            f"for each: {describe_unknown(trace.unknown)}.",
            icon=":material/search:",
        )


# --- the cell diagram ------------------------------------------------------------------------

CELL_SVG = paths.ASSETS / cell.KINDS["lstm"].diagram  # the LSTM's; each kind's is cell.KINDS[kind].diagram


@st.cache_data(show_spinner=False)
def cell_svg(kind: str = "lstm") -> str:
    """The diagram of a kind of cell (assets/lstm_cell.svg, gru_cell.svg, rnn_cell.svg), as text."""
    return (paths.ASSETS / cell.KINDS[kind].diagram).read_text(encoding="utf-8")


def cell_diagram(values: dict | None = None, width: int | str = "stretch", kind: str = "lstm") -> None:
    """Draw a kind's cell diagram, with the live values of one unit when given (the column's width by default)."""
    svg = diagram.annotated_cell_svg(cell_svg(kind), values, kind)
    alt = f"The {cell.KINDS[kind].title} cell" + (" with this unit's numbers: " if values else ": ")
    st.image(svg, width=width, alt=alt + diagram.describe(values, kind))


def diagram_values(update, layer, step: int, unit: int, token: str) -> dict:
    """Slots of the cell diagram for one unit at one step (``update``: ``equations.step_update``'s)."""
    return diagram.values_of(update, token)


# --- step and unit controls -----------------------------------------------------------------


def _go_to(n_steps: int, delta: int = 0, to: int | None = None) -> None:
    current = int(st.session_state.get("step", 0))
    st.session_state["step"] = min(max((current + delta) if to is None else to, 0), n_steps - 1)


def step_controls(trace: Trace, prefix: str, shortcuts: bool = True) -> int:
    """First / previous / next / last buttons (Home ← → End) and the ``step`` slider; returns the step.

    Call inside the page's fragment so a step change only redraws that fragment. ``shortcuts=False``
    leaves the keys to a browser-side stepper that handles them itself (one key, one step).
    """
    n = len(trace)
    if n == 1:
        st.session_state["step"] = 0
        st.caption("The text has a single token: step 0.")
        return 0
    cols = st.columns(4)  # a row of their own: each label shows its keyboard shortcut too
    buttons = (
        ("First", ":material/first_page:", "Home", {"to": 0}),
        ("Prev", ":material/chevron_left:", "Left", {"delta": -1}),
        ("Next", ":material/chevron_right:", "Right", {"delta": 1}),
        ("Last", ":material/last_page:", "End", {"to": n - 1}),
    )
    for col, (label, icon, key, kwargs) in zip(cols, buttons, strict=True):
        col.button(
            label,
            icon=icon,
            key=f"{prefix}_{key.lower()}",
            on_click=_go_to,
            args=(n,),
            kwargs=kwargs,
            shortcut=key if shortcuts else None,
            width="stretch",
            help=f"keyboard: {key}" if shortcuts else None,
        )
    step = st.slider("Step (token index)", 0, n - 1, key="step", **KEEP)
    return int(step)


def unit_picker(hidden_size: int, where=st, label: str = "Unit") -> int:
    """The shared unit (0..H-1) as a number input with key ``unit``."""
    state.clamp("unit", hidden_size, f"this layer has {hidden_size} units")
    return int(where.number_input(label, 0, hidden_size - 1, step=1, key="unit", **KEEP))


def step_caption(trace: Trace, step: int) -> str:
    """ "step 3 of 42: 'b'", plus what the model reads there if the piece is unknown."""
    token = trace.tokens[step]
    text = f"step **{step}** of {len(trace)} (0-based): token `{state.short(visible(token), 40)}`"
    for u in trace.unknown:
        if u.position == step:
            text += f" — unknown to the model, which reads `{visible(u.replacement)}` instead"
    return text


def model_output(trace: Trace, step: int) -> None:
    """What the model outputs at ``step``: next-token bars (language models) or class probabilities."""
    if trace.task == "charlm":
        actual = trace.tokens[step + 1] if step + 1 < len(trace) else None
        st.html(strips.next_token_bars_html(trace.probs[step], trace.output_labels, actual=actual))
        if actual is None:
            st.caption("This is the last token of the text, so there is no actual next token to mark.")
    else:
        title = f"Prediction after step {step} ({state.short(visible(trace.tokens[step]), 24)!r})"
        st.html(strips.output_bars_html(trace.probs[step], trace.output_labels, title))
    if trace.task == "classify" and len(trace) > 1:
        st.html(strips.class_prob_columns_html(trace.probs, trace.output_labels, trace.tokens, step))


def chart(fig, key: str, where=st) -> None:
    """A chart whose title is page text above it (it wraps on a narrow column, where a chart title is cut)."""
    title = fig.layout.title.text
    if title:
        where.markdown(f"**{title}**")
        fig.update_layout(title=None, margin=dict(t=50 if fig.layout.legend.orientation == "h" else 20))
    where.plotly_chart(fig, key=key)


def unit_metrics(quantities: dict[str, np.ndarray], step: int, unit: int) -> None:
    """The chosen unit's values at ``step`` as value boxes (exact Trace values, 4 decimals), wrapping onto a
    second row on a narrow screen rather than cutting a number."""
    with st.container(horizontal=True, wrap=True, gap="medium"):
        for name, values in quantities.items():
            st.metric(
                f"{cell.symbol(name)} · {cell.QUANTITY[name].label}",
                f"{float(values[step, unit]):.4f}",
                width=METRIC_PX,
            )


# --- heatmap clicks -------------------------------------------------------------------------


def parse_heatmap_point(point: dict) -> tuple[int, int] | None:
    """(step, unit) from a clicked heatmap cell: x is the step, y is "u<unit>"; None if unreadable."""
    try:
        step = int(float(str(point["x"]).split(":", 1)[0]))
        unit = int(str(point["y"]).lstrip("u"))
    except (KeyError, ValueError, TypeError):
        return None
    return step, unit


def select_from_chart(chart_key: str) -> None:
    """on_select callback of a heatmap: the clicked cell becomes the shared step and unit."""
    event = st.session_state.get(chart_key)
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else []
    if not points and event is not None and hasattr(event, "selection"):
        points = event.selection.get("points", [])
    for point in points[:1]:
        picked = parse_heatmap_point(point)
        if picked is not None:
            st.session_state["step"], st.session_state["unit"] = picked


# --- links ----------------------------------------------------------------------------------

STRIP_WINDOW = 60  # tokens of the token strip around the current step: two lines, so what follows stays in view


def share_box(page: str, where=st) -> None:
    """Write the view into the address bar, and offer the link to copy (or say why the text is not in it)."""
    fits = state.sync_query_params(page)
    link, _ = state.share_link(page)
    with where.popover("Share this view", icon=":material/link:"):
        if fits:
            st.caption("Anyone who opens this link sees this view: the same model, text and settings.")
        else:
            st.warning(
                f"This text is too long to share in a link: a link holds up to {state.MAX_LINK_CHARS:,} characters "
                "once encoded (about 2,000 plain letters, fewer with accents or emoji). The link below has "
                "everything except the text.",
                icon=":material/link_off:",
            )
        st.code(link, language=None, wrap_lines=True)
        if page in ("step_through", "heatmaps", "equations", "neuron_lab"):
            title = st.text_input("Save this view as a scene of your lesson", key=f"{page}_scene_title",
                                  placeholder="a name for the scene")  # fmt: skip
            if st.button("Add to my lesson", key=f"{page}_scene_add", icon=":material/playlist_add:"):
                lessons.add_scene(page, title)  # says whether it was added, or why not


def style_check(card: dict) -> None:
    """The check its training run printed for a model with styles: does the classifier recognise each style?"""
    check = (card.get("metrics") or {}).get("style_check")
    if not isinstance(check, dict) or "agree" not in check:
        return
    with st.expander(
        f"Does it write like them? The authors classifier agrees with {check['agree']} of {check['total']} passages",
        icon=":material/fact_check:",
    ):
        st.caption(
            "The check of Leroux, Laliberté and Frédéric Boileau (Applying LSTM to Text Generation): passages written "
            "in each style, read by the shipped authors classifier. Measured when the model was trained."
        )
        st.markdown(styles.describe_check(check))
        st.dataframe(check.get("passages", []), hide_index=True, key="gen_style_check")
