"""Each kind's equations as LaTeX for ``st.latex``, in PyTorch's notation (:mod:`lstm_viz.engine.cell`)."""

from __future__ import annotations

from lstm_viz.analysis import equations
from lstm_viz.engine import cell
from lstm_viz.plots.html import visible

_SQUASH = "σ squashes to 0..1 (a gate: 0 shut, 1 open); tanh squashes to −1..1; ⊙ multiplies unit by unit."
NOTATION = {  # under each kind's equations: where each name lives in PyTorch's weights
    "lstm": "The names are PyTorch's: W_if is the slice of weight_ih that feeds the forget gate from the input x_t, "
    "W_hf the slice of weight_hh that feeds it from h_{t-1}, and each gate has two biases (b_if in bias_ih, b_hf in "
    "bias_hh). " + _SQUASH,
    "gru": "The names are PyTorch's (nn.GRU): W_ir is the slice of weight_ih that feeds the reset gate from the input "
    "x_t, W_hr the slice of weight_hh that feeds it from h_{t-1}, and each block has two biases (b_ir in bias_ih, b_hr "
    "in bias_hh); the rows are packed r, z, n. The reset gate scales the old state's part of the candidate n, the "
    "update gate chooses between the old state and n. " + _SQUASH,
    "rnn": "The names are PyTorch's (nn.RNN): W_ih is weight_ih (from the input x_t), W_hh is weight_hh (from "
    "h_{t-1}), b_ih and b_hh the two biases. tanh squashes to −1..1.",
}


def equations_latex(kind: str = "lstm") -> str:
    """The equations of one kind of cell (``cell.KINDS``), aligned, each with its name."""
    rows = []
    for name, line in cell.KINDS[kind].equations:
        lhs, rhs = line.split(" = ", 1)
        rows.append(rf"{lhs} &= {rhs} && \text{{{cell.QUANTITY[name].label}}}")
    return r"\begin{aligned}" + r"\\".join(rows) + r"\end{aligned}"


def _n(value: float) -> str:
    return f"{value:.4f}" if value >= 0 else f"({value:.4f})"


def gate_latex(terms, unit: int) -> str:
    """One block of one unit with its numbers: input part + recurrent part + biases = pre-activation -> value.

    ``terms`` is an :class:`lstm_viz.analysis.equations.GateTerms`; for a vanilla RNN its gate is "hidden",
    for a GRU's candidate n the reset gate scales the recurrent side.
    """
    if terms.gate == "hidden":
        symbol, act, s_in, s_h = "h_t", r"\tanh", "W_{ih} x_t", "W_{hh} h_{t-1}"
        b_i, b_h = "b_{ih}", "b_{hh}"
    else:
        s = cell.QUANTITY[terms.gate].symbol
        symbol, act = cell.QUANTITY[terms.gate].latex, cell.ACTIVATION_LATEX[cell.activation(terms.gate)]
        s_in, s_h, b_i, b_h = f"W_{{i{s}}} x_t", f"W_{{h{s}}} h_{{t-1}}", f"b_{{i{s}}}", f"b_{{h{s}}}"
    x_part = rf"\underbrace{{{_n(terms.input_part)}}}_{{{s_in}}}"
    h_part = rf"\underbrace{{{_n(terms.recurrent_part)}}}_{{{s_h}}}"
    if terms.reset is not None:  # a GRU's n: tanh(W_in x + b_in + r * (W_hn h + b_hn)), on two lines
        inside = (
            rf"{x_part} + \underbrace{{{_n(terms.bias_ih)}}}_{{{b_i}}}\\&\qquad"
            rf" + \underbrace{{{_n(terms.reset)}}}_{{r_t}} \times \big({h_part}"
            rf" + \underbrace{{{_n(terms.bias_hh)}}}_{{{b_h}}}\big)"
        )
    else:
        inside = rf"{x_part} + {h_part} + \underbrace{{{_n(terms.bias)}}}_{{{b_i} + {b_h}}}"
    return (  # two lines, so that it fits a projector's width
        r"\begin{aligned}"
        rf"{symbol}[{unit}] &= {act}\big({inside}\big)\\"
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


def gru_latex(update, unit: int) -> str:
    """A GRU's h_t of one unit with the numbers plugged in (``update``: an ``equations.GRUUpdate``)."""
    z = update.update_gate
    return (
        r"\begin{aligned}"
        rf"h_t[{unit}] &= (1 - z_t)\, n_t + z_t\, h_{{t-1}}\\"
        rf"&= (1 - {z:.4f}) \times {_n(update.new_gate)} + {z:.4f} \times {_n(update.h_prev)}\\"
        rf"&= {_n(update.written)} + {_n(update.kept)} = {update.hidden:.4f}"
        r"\end{aligned}"
    )


def update_latex(update, unit: int) -> str | None:
    """The state update of the layer's kind with its numbers; None for a vanilla RNN (its one line is the block's)."""
    if isinstance(update, equations.CellUpdate):
        return cell_latex(update, unit)
    if isinstance(update, equations.GRUUpdate):
        return gru_latex(update, unit)
    return None


def term_lines(terms, layer_index: int, token: str, k: int = 5) -> list[str]:
    """The largest terms of the two dot products, in words (which inputs pushed the gate up or down)."""
    lines = []
    for kind, index, value in terms.top_terms(k):
        if kind == "x":
            source = (
                f"embedding dimension {index} of {visible(token)!r}"
                if layer_index == 0
                else f"unit {index} of layer {layer_index - 1} (this layer's input)"
            )
        else:
            source = f"previous hidden state of unit {index}"
        push = "up (towards open / positive)" if value > 0 else "down (towards shut / negative)"
        lines.append(f"`{value:+.4f}` from {source}: pushes {push}")
    return lines
