"""The LSTM equations as LaTeX for ``st.latex``, in PyTorch's notation (:mod:`lstm_viz.cell`), with numbers."""

from __future__ import annotations

from lstm_viz import cell
from lstm_viz.plots.html import visible


def equations_latex() -> str:
    """The six equations, aligned, each with its name."""
    rows = []
    for name in (*cell.GATES, "cell", "hidden"):
        lhs, rhs = cell.equation_latex(name).split(" = ", 1)
        rows.append(rf"{lhs} &= {rhs} && \text{{{cell.QUANTITY[name].label}}}")
    return r"\begin{aligned}" + r"\\".join(rows) + r"\end{aligned}"


def _n(value: float) -> str:
    return f"{value:.4f}" if value >= 0 else f"({value:.4f})"


def gate_latex(terms, unit: int) -> str:
    """One gate of one unit with its numbers: input part + recurrent part + biases = pre-activation -> value.

    ``terms`` is an :class:`lstm_viz.analysis.equations.GateTerms`; for a vanilla RNN its gate is "hidden".
    """
    if terms.gate == "hidden":
        symbol, act, s_in, s_h = "h_t", r"\tanh", "W_{ih} x_t", "W_{hh} h_{t-1}"
        bias = "b_{ih} + b_{hh}"
    else:
        s = cell.GATE_SUFFIX[terms.gate]
        symbol, act = cell.QUANTITY[terms.gate].latex, cell.ACTIVATION_LATEX[cell.activation(terms.gate)]
        s_in, s_h, bias = f"W_{{i{s}}} x_t", f"W_{{h{s}}} h_{{t-1}}", f"b_{{i{s}}} + b_{{h{s}}}"
    return (  # two lines, so that it fits a projector's width
        r"\begin{aligned}"
        rf"{symbol}[{unit}] &= {act}\big(\underbrace{{{_n(terms.input_part)}}}_{{{s_in}}}"
        rf" + \underbrace{{{_n(terms.recurrent_part)}}}_{{{s_h}}}"
        rf" + \underbrace{{{_n(terms.bias)}}}_{{{bias}}}\big)\\"
        rf"&= {act}({terms.preactivation:.4f}) = {terms.value:.4f}"
        r"\end{aligned}"
    )


def cell_latex(update, unit: int) -> str:
    """c_t and h_t of one unit with the numbers plugged in (``update``: an ``equations.CellUpdate``)."""
    return (
        r"\begin{aligned}"
        rf"c_t[{unit}] &= f_t\, c_{{t-1}} + i_t\, g_t = {_n(update.forget_gate)} \times {_n(update.c_prev)}"
        rf" + {_n(update.input_gate)} \times {_n(update.candidate)}\\&= {update.cell:.4f}\\"
        rf"h_t[{unit}] &= o_t \tanh(c_t) = {_n(update.output_gate)} \times \tanh({_n(update.cell)})\\"
        rf"&= {_n(update.output_gate)} \times {_n(update.tanh_cell)} = {update.hidden:.4f}"
        r"\end{aligned}"
    )


def term_lines(terms, layer_index: int, token: str, k: int = 5) -> list[str]:
    """The largest terms of the two dot products, in words (which inputs pushed the gate up or down)."""
    lines = []
    for kind, index, value in terms.top_terms(k):
        if kind == "x":
            source = (
                f"embedding dimension {index} of {visible(token)!r}"
                if layer_index == 0
                else f"unit {index} of layer {layer_index} (this layer's input)"
            )
        else:
            source = f"previous hidden state of unit {index}"
        push = "up (towards open / positive)" if value > 0 else "down (towards shut / negative)"
        lines.append(f"`{value:+.4f}` from {source}: pushes {push}")
    return lines
