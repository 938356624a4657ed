"""The words of the step views, once: the token strip, the strip of all units, the probability bars,
the running class columns and the headings of Step Through.

Each entry is a sentence or label with ``{name}`` fields. The server's views (:mod:`.strips`, through
``templates/``, which hold no words of their own) fill them with ``str.format``; the browser-side
stepper gets this table in its payload (:mod:`.stepper_payload`) and fills them with ``fill`` of
``lstm_viz/ui/stepper_static/format.js``, which does what ``str.format`` does with named fields
(tests/js holds it to that). Nothing here is markup: both sides show these as text.
"""

from __future__ import annotations

TEXT = {
    # the token strip
    "earlier": "… {count} earlier",
    "later": "{count} later …",
    "token_title": "step {step}: {token}",
    "token_value": " = {value}",
    "token_unknown": " (unknown to the model)",
    # the strip of all units
    "axis_index": "unit index, left to right",
    "axis_order": "units, in the order chosen",
    "axis_chosen": " (the outlined column is the chosen unit)",
    "unit_title": "unit {unit}: {symbol} = {value}",
    # next-token bars
    "next_title": "Next {what}, top {k}",
    "next_actual": "orange: the actual next {token}, rank {rank}, p = {p}",
    "next_unknown": "orange: the actual next {token} (not in the vocabulary)",
    "next_length": "bar length: probability, relative to the most likely",
    "next_hover": "next {token}: p = {p}",
    # a classifier's bars
    "class_title": "Prediction after step {step} ({token})",
    "class_best": "{label} ◀",
    "class_predicted": "◀ the class the model predicts now",
    "class_length": "bar length: probability (the full width is 1)",
    "class_hover": "{label}: p = {p}",
    # the running class probabilities, one column per token
    "columns_title": "Running prediction after each token",
    "columns_note": "One column per token, from the first (left) to the last; the height of each colour is that "
    "class's probability; the outlined column is the current step. Hover a column for its numbers.",
    "columns_note_whole": "One column per token, from the first (left) to the last; the height of each colour is "
    "that class's probability. Hover a column for its numbers.",
    "column_hover": "step {step} {token}: {parts}",
    "column_part": "{label} {p}",
    "column_join": " · ",
    # Step Through's headings and captions
    "strip_caption": "Tokens coloured by unit {unit}'s {label}; the outlined token is the current step.",
    "cell_heading": "Unit {unit} inside the cell at step {step}",
    "output_heading": "Model output",
    "units_heading": "All {units} units of layer {layer} at step {step}",
    "last_token": "This is the last token of the text, so there is no actual next token to mark.",
    "rnn_line": "h_t = tanh({pre}) = {h}",
    "loading": "loading…",
}


def say(name: str, **fields) -> str:
    """The entry ``name`` with its fields filled in."""
    return TEXT[name].format(**fields)


def sentences() -> list[str]:
    """Every entry, in order (the node tests fill each as Python does)."""
    return list(TEXT.values())
