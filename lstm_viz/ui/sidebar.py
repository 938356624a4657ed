"""The explorer pages' sidebar: model, text, layer and training step, and the Selection they make."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lstm_viz.engine.trace import LayerTrace, Trace
from lstm_viz.store.zoo import LoadedModel
from lstm_viz.ui import cache, controls, display, picker, state


@dataclass(frozen=True)
class Selection:
    """What the explorer sidebar selected: a loaded model's name and its trace."""

    name: str  # the model's name
    text: str
    layer: int
    trace: Trace
    at_step: int | None = None  # a training step of the model's history; None: the trained model

    @property
    def layer_trace(self) -> LayerTrace:
        """The selected layer's LayerTrace."""
        return self.trace.layers[self.layer]

    @property
    def model(self) -> LoadedModel:
        """The model the trace came from (at ``at_step`` of its training when one is chosen); shared, read-only."""
        return cache.model_at(self.name, self.at_step)


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
    steps, final = [c.training_step for c in kept], kept[-1].training_step
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
        **state.KEEP,
    )
    loss, trained = next(c.val_loss for c in kept if c.training_step == step), kept[-1].val_loss
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
        name = picker.model_picker()
        if name is None:
            return None
        state.fit_text_to_model(name, cache.load_model(name))
        st.text_area(
            "Text", key="text", height=140, help="Type any sentence; the model reads it token by token.", **state.KEEP
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
        st.sidebar.selectbox(
            "Layer",
            list(range(layers)),
            key="layer",
            format_func=lambda k: f"layer {k}",
            help=state.COUNTED,
            **state.KEEP,
        )
    n_tokens = len(cache.load_model(name).encode(text))
    if n_tokens > cache.MAX_TOKENS:
        st.warning(
            f"The text has {n_tokens:,} tokens; only the first {cache.MAX_TOKENS:,} are shown.",
            icon=":material/content_cut:",
        )
    display.unknown_note(trace)
    return Selection(name, text, int(st.session_state["layer"]), trace, at_step)


def explorer_page(title: str) -> Selection:
    """The opening every explorer page shares: title, sidebar, the step clamped to the text, the unit the app
    opens on while the user has not chosen one (:func:`controls.open_on_ranked_unit`).

    Stops the page (after the sidebar's prompt or notice) when there is nothing to show.
    """
    st.title(title)
    sel = explorer_sidebar()
    if sel is None:
        st.stop()
    if sel.at_step is not None:
        final = cache.checkpoints(sel.name)[-1].training_step
        st.info(
            f"Gates over training: this is {sel.name} after {sel.at_step:,} of its {final:,} training steps"
            + (", before any training: its weights are still random" if sel.at_step == 0 else "")
            + ". Move the **Training step** slider in the sidebar to watch the gates change.",
            icon=":material/history:",
        )
    n_steps = len(sel.trace)
    step = state.clamp("step", n_steps, f"this text has {n_steps} steps")
    controls.open_on_ranked_unit(sel.layer_trace, sel.trace.tokens, step, (sel.name, sel.text, sel.layer, sel.at_step))
    state.show_notices()
    return sel
