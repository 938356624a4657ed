"""Model cards on the page: title, task, size and held-out figures in plain words; a styled model's style check."""

from __future__ import annotations

import math
import re

import streamlit as st

from lstm_viz.analysis import memory
from lstm_viz.data import styles
from lstm_viz.engine import cell
from lstm_viz.plots.html import as_text
from lstm_viz.store import examples
from lstm_viz.store.zoo import ModelInfo
from lstm_viz.ui import state

TASK_NAMES = {"charlm": "language model", "classify": "classifier", "sequence": "sequence task"}
# Home lists the Shakespeare model first, then the other shipped models in this order, then the rest.
ORDER = ("shakespeare-char", "reviews-sentiment", "authors", "brackets-lstm", *memory.PAIR)


def sort_models(infos) -> list[ModelInfo]:
    """Shipped models in the teaching order of ORDER, then the others by name, user models last."""
    rank = {name: k for k, name in enumerate(ORDER)}
    return sorted(infos, key=lambda m: (not m.shipped, rank.get(m.name, len(ORDER)), m.name))


def cell_name(kind) -> str:
    """A card's cell in words ("vanilla RNN" for "rnn"); anything else as it is."""
    return cell.KINDS[kind].title if kind in cell.KINDS else str(kind)


def task_name(card: dict) -> str:
    task = TASK_NAMES.get(card.get("task"), str(card.get("task")))
    if card.get("task") == "charlm":
        kind = (card.get("tokenizer") or {}).get("kind")
        return f"{'word' if kind == 'word' else 'character'} {task}"
    return task


def _loss_words(value: float, unit: str) -> str:
    """A held-out loss in plain words: its mean −ln p as the typical probability of the right answer."""
    per = unit.split(" per ")[-1] if " per " in unit else "token"
    return (
        f"on text it never trained on, it gives the actual next {per} a probability of about "
        f"**{math.exp(-value):.0%}** on average (a loss of {value:.3f})"
    )


def metric_lines(card: dict) -> list[str]:
    """The held-out numbers the training run printed, as short lines in plain words (nothing is invented)."""
    metrics = card.get("metrics") or {}
    lines = []
    for key, value in metrics.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or key in ("measured_at_step", "val_count"):
            continue
        if "accuracy" in key and 0 <= value <= 1:
            what = key.removeprefix("val_accuracy").lstrip("_").replace("_", " ")
            what = f" after {what} characters" if what.isdigit() else (f" ({what})" if what else "")
            lines.append(f"held-out accuracy{what}: **{value:.1%}**")
        elif key == "val_loss" and metrics.get("val_loss_unit"):
            lines.append(_loss_words(value, str(metrics["val_loss_unit"])))
        else:
            lines.append(f"{key.replace('_', ' ')}: **{value:.4g}**")
    if metrics.get("split"):  # the split in words; its random seed stays in the card
        lines.append(f"measured on {re.sub(r' ?[(]seed [0-9]+[)]', '', str(metrics['split']))}")
    return lines


def model_card(info: ModelInfo, page_path: str | None = None) -> None:
    """One model as a bordered card: title, task, size, held-out figures, a button to explore it."""
    card = info.card
    with st.container(border=True):
        st.markdown(f"#### {info.title}")
        st.caption(f"`{info.name}` · {'ships with the app' if info.shipped else 'your model'}")
        size = card.get("num_parameters")
        st.markdown(
            f"{task_name(card)}, {cell_name(card.get('cell'))}, "
            f"{card.get('num_layers')} layer(s) × {card.get('hidden_size')} units"
            + (f", {size:,} parameters" if isinstance(size, int) else "")
        )
        if card.get("description"):
            st.markdown(card["description"])
        for line in metric_lines(card) or ["no held-out figure recorded"]:
            st.markdown(f"- {line}")
        if page_path and st.button("Step through it", key=f"home_open_{info.name}", icon=":material/footprint:"):
            state.open_in(page_path, info.name, examples.first_text(card))


def accuracy_table(metrics: dict) -> list[dict]:
    """Rows {"measured on", "accuracy"} for every ``val_accuracy*`` number of a card's metrics."""
    rows = []
    keys = sorted(metrics, key=lambda k: k != "val_accuracy")  # the overall figure first
    for key in keys:
        value = metrics[key]
        if not key.startswith("val_accuracy") or not isinstance(value, int | float):
            continue
        what = key.removeprefix("val_accuracy").lstrip("_") or "all held-out texts"
        if what.isdigit():
            what = f"first {what} characters"
        rows.append({"measured on": what, "accuracy": float(value)})
    return rows


def accuracy_markdown(rows: list[dict]) -> str:
    """:func:`accuracy_table`'s rows as a Markdown table (no data frame: its code is a second to load in a browser)."""
    lines = ["| measured on | accuracy |", "| --- | ---: |"]
    for row in rows:
        lines.append(f"| {as_text(row['measured on'])} | {row['accuracy']:.3f} |")
    return "\n".join(lines)


def style_check(card: dict) -> None:
    """The check its training run measured: does the classifier recognise each style (a model with styles), or
    its one author's manner (a generator of one author's book)?"""
    metrics = card.get("metrics") or {}
    check, author = metrics.get("style_check"), None
    if not isinstance(check, dict):
        check, author = metrics.get("author_check"), metrics.get("author")
    if not isinstance(check, dict) or "agree" not in check:
        return
    whom = f"like {author}" if isinstance(author, str) else "like them"
    with st.expander(
        f"Does it write {whom}? The authors classifier agrees with {check['agree']} of {check['total']} passages",
        icon=":material/fact_check:",
    ):
        st.caption(
            "The check of Leroux, Laliberté and Frédéric Boileau (Applying LSTM to Text Generation): passages written "
            + ("in each style" if author is None else f"by this model of {author}'s book alone")
            + f", {styles.CHECK_LENGTH} characters at temperature {styles.CHECK_TEMPERATURE:g}, read by the shipped "
            "authors classifier. Measured on the weights shipped."
        )
        st.markdown(styles.describe_check(check) if author is None else styles.describe_author_check(check, author))
        st.dataframe(check.get("passages", []), hide_index=True, key="gen_style_check")
