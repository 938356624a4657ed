"""What several pages draw alike: the stylesheet, a titled chart, value boxes, the model's output, unknown pieces."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lstm_viz.engine import cell
from lstm_viz.engine.tokenizers import describe_unknown
from lstm_viz.engine.trace import Trace
from lstm_viz.plots import html, strips
from lstm_viz.plots.html import as_text, visible
from lstm_viz.ui import state

METRIC_PX = 150  # a value box: room for "−0.0063" at the metric's font size, and its label


def stylesheet() -> None:
    """Put the app's one stylesheet on the page (app.py calls this once per run)."""
    st.html(f"<style>{html.stylesheet()}</style>")


def unknown_note(trace: Trace) -> None:
    """Say which pieces the model does not know and what it is fed in their place (a count and the first few)."""
    if trace.unknown:
        st.info(
            "The model does not know some pieces of this text (underlined in the token strip) and reads a stand-in "
            f"for each: {as_text(describe_unknown(trace.unknown))}.",  # a piece such as '**' or '~' is no Markdown
            icon=":material/search:",
        )


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
    """A chart whose title is page text above it (it wraps on a narrow column, where a chart title is cut).

    ``fig`` is a figure just built (its title is taken out here) or a pair from
    :func:`lstm_viz.ui.cache.titled_figure` (a shared figure, already without it).
    """
    if isinstance(fig, tuple):
        title, fig = fig
    else:
        title = fig.layout.title.text
        if title:
            fig.update_layout(title=None, margin=dict(t=50 if fig.layout.legend.orientation == "h" else 20))
    if title:
        where.markdown(f"**{title}**")
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
