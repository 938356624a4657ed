r"""The recurrent cells, written as their equations, and every name the app uses for them.

This module is the one source of each cell's facts: the gate order in PyTorch's packed weights,
the quantity names, their symbols and labels, the weight names of the checkpoint format, and the
step itself. ``KINDS`` holds one table per kind of cell (LSTM, GRU, vanilla RNN): its name, the
quantities it shows, its gates, its equations and its diagram. Everything else (the trace, the
pages and their links, the export, the cards, the cell diagrams, the command line, the gradient
analysis) takes them from here and never asks "is this an LSTM?" any other way.

The notation is PyTorch's (``torch.nn.LSTM``), so each term names the tensor that stores it:

.. math::

    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi})   \quad\text{input gate}\\
    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf})   \quad\text{forget gate}\\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg})    \quad\text{candidate}\\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho})   \quad\text{output gate}\\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t                       \quad\text{cell state}\\
    h_t &= o_t \odot \tanh(c_t)                                    \quad\text{hidden state}

Symbols: ``x_t`` the input at step t (an embedding vector, or the hidden state of the layer
below), ``h_{t-1}`` and ``c_{t-1}`` the previous hidden and cell state, ``σ`` the logistic
sigmoid, ``⊙`` the elementwise product. Shapes: ``x_t`` is (D,), every other vector is (H,).

Packed layout: ``weight_ih_l{k}`` is ``W_ii|W_if|W_ig|W_io`` stacked row-wise, (4H, D);
``weight_hh_l{k}`` is ``W_hi|W_hf|W_hg|W_ho``, (4H, H); the biases likewise, (4H,)::

    gate  rows of weight_ih / weight_hh / bias_ih / bias_hh
    i     [0H, 1H)
    f     [1H, 2H)
    g     [2H, 3H)
    o     [3H, 4H)

The vanilla (Elman) RNN is the same with one "gate": ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

The GRU (``torch.nn.GRU``, packed ``W_ir|W_iz|W_in``) has no cell state:

.. math::

    r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr})             \quad\text{reset gate}\\
    z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})             \quad\text{update gate}\\
    n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))   \quad\text{new gate (the candidate)}\\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}                          \quad\text{hidden state}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np
import torch

GATES = ("input_gate", "forget_gate", "candidate", "output_gate")  # packed row order: i, f, g, o
QUANTITIES = ("forget_gate", "input_gate", "candidate", "output_gate", "cell", "hidden")  # as shown
RNN_QUANTITIES = ("hidden", "preactivation")  # what a vanilla RNN layer has to show
GRU_BLOCKS = ("reset_gate", "update_gate", "new_gate")  # packed row order of torch.nn.GRU: r, z, n
GRU_GATES = ("reset_gate", "update_gate")  # the GRU's σ gates
GRU_QUANTITIES = ("reset_gate", "update_gate", "new_gate", "hidden")  # as shown
CELLS = ("lstm", "rnn", "gru")  # the kinds of layer a model can have
WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # torch's names, per layer


@dataclass(frozen=True)
class Quantity:
    """How the app names and draws one quantity of a layer."""

    name: str  # the Trace attribute, e.g. "forget_gate"
    symbol: str  # one letter, as in PyTorch's docstring: "f"
    label: str  # plain words: "forget gate"
    latex: str  # at step t: r"f_t"
    kind: str  # "gate" (σ, 0..1), "tanh" (-1..1) or "unbounded" (the cell state, a pre-activation)
    meaning: str  # one sentence for a student

    @property
    def title(self) -> str:
        """ "f  forget gate": the symbol, two spaces, the label (legends, selectboxes)."""
        return f"{self.symbol}  {self.label}"


QUANTITY = {
    q.name: q
    for q in (
        Quantity("input_gate", "i", "input gate", "i_t", "gate", "how much of the candidate to write (0 none, 1 all)"),
        Quantity("forget_gate", "f", "forget gate", "f_t", "gate", "how much of the old cell to keep (0 none, 1 all)"),
        Quantity("candidate", "g", "candidate", "g_t", "tanh", "the new content on offer, from -1 to 1"),
        Quantity("output_gate", "o", "output gate", "o_t", "gate", "how much of tanh(c) to expose (0 none, 1 all)"),
        Quantity("cell", "c", "cell state", "c_t", "unbounded", "the memory carried to the next step"),
        Quantity("hidden", "h", "hidden state", "h_t", "tanh", "what the layer outputs and passes on"),
        Quantity("preactivation", "pre", "pre-activation", r"W x_t + b + W h_{t-1}", "unbounded", "before tanh"),
        Quantity("reset_gate", "r", "reset gate", "r_t", "gate", "how much of h_{t-1} the candidate sees (GRU)"),
        Quantity("update_gate", "z", "update gate", "z_t", "gate", "how much of h_{t-1} to keep (GRU)"),
        Quantity("new_gate", "n", "new gate", "n_t", "tanh", "the candidate new state, from -1 to 1 (GRU)"),
    )
}
GATE_SUFFIX = {"input_gate": "i", "forget_gate": "f", "candidate": "g", "output_gate": "o"}  # W_i?, W_h?
ACTIVATION = {"gate": "σ", "tanh": "tanh"}  # the squashing function of a gate kind
ACTIVATION_LATEX = {"σ": r"\sigma", "tanh": r"\tanh"}


def symbol(name: str) -> str:
    """The one-letter symbol of a quantity ("f" for "forget_gate"); the name itself if unknown."""
    return QUANTITY[name].symbol if name in QUANTITY else name


def title(name: str) -> str:
    """ "f  forget gate" for "forget_gate"; the name itself if unknown."""
    return QUANTITY[name].title if name in QUANTITY else name


def activation(name: str) -> str:
    """ "σ" for the gates, "tanh" for a candidate (g, n) and a vanilla RNN's hidden state."""
    return ACTIVATION["tanh" if name in QUANTITY and QUANTITY[name].kind == "tanh" else "gate"]


def _gate_line(name: str) -> str:
    r"""``f_t = \sigma(W_{if}\,x_t + b_{if} + W_{hf}\,h_{t-1} + b_{hf})``: a gate over x_t and h_{t-1}."""
    s, act = QUANTITY[name].symbol, ACTIVATION_LATEX[activation(name)]
    return rf"{QUANTITY[name].latex} = {act}(W_{{i{s}}}\,x_t + b_{{i{s}}} + W_{{h{s}}}\,h_{{t-1}} + b_{{h{s}}})"


RNN_EQUATION_LATEX = r"h_t = \tanh(W_{ih}\,x_t + b_{ih} + W_{hh}\,h_{t-1} + b_{hh})"


@dataclass(frozen=True)
class Kind:
    """One kind of recurrent cell, and everything the app says about it: the pages, the links, the export,
    the cards and the diagrams are all derived from this table (``KINDS``)."""

    name: str  # the card's "cell": "lstm", "gru" or "rnn"
    title: str  # in sentences: "LSTM", "GRU", "vanilla RNN"
    short: str  # in legends: "LSTM", "GRU", "RNN"
    blocks: tuple[str, ...]  # what each block of H rows of weight_ih / weight_hh feeds, in torch's packed order
    gates: tuple[str, ...]  # the σ gates (0 shut .. 1 open)
    quantities: tuple[str, ...]  # what a layer of this kind shows, in this order (Trace attributes)
    state: str  # the quantity carried from step to step that the pages follow along the text
    entry: tuple[str, ...]  # the state entering a step (Trace attributes): what the cell diagram needs
    equations: tuple[tuple[str, str], ...]  # (quantity, LaTeX) of one step in PyTorch's notation, in order
    diagram: str  # the SVG (in assets/) the pages fill with one unit's numbers
    summary: str  # the cell in one sentence for a student (Markdown)

    @property
    def packed(self) -> int:
        """Blocks of H rows in weight_ih / weight_hh (4 LSTM, 3 GRU, 1 RNN)."""
        return len(self.blocks)

    @property
    def export_columns(self) -> tuple[str, ...]:
        """Columns of one unit at one step in the trace export: the values, then each block's pre-activation."""
        return (*(q for q in self.quantities if q != "preactivation"), *(f"{b}_pre" for b in self.blocks))


KINDS = {
    k.name: k
    for k in (
        Kind(
            "lstm", "LSTM", "LSTM", GATES, ("forget_gate", "input_gate", "output_gate"), QUANTITIES, "cell",
            ("c_prev", "h_prev"),
            (*((g, _gate_line(g)) for g in GATES),
             ("cell", r"c_t = f_t \odot c_{t-1} + i_t \odot g_t"), ("hidden", r"h_t = o_t \odot \tanh(c_t)")),
            "lstm_cell.svg",
            "An **LSTM** has three gates (forget f, input i, output o), a candidate g and a cell state c that carries "
            "its memory from step to step; the hidden state is h = o ⊙ tanh(c).",
        ),
        Kind(
            "gru", "GRU", "GRU", GRU_BLOCKS, GRU_GATES, GRU_QUANTITIES, "hidden", ("h_prev",),
            (("reset_gate", _gate_line("reset_gate")), ("update_gate", _gate_line("update_gate")),
             ("new_gate", r"n_t = \tanh(W_{in}\,x_t + b_{in} + r_t \odot (W_{hn}\,h_{t-1} + b_{hn}))"),
             ("hidden", r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}")),
            "gru_cell.svg",
            "A **GRU** has two gates, reset r and update z, and a candidate n (PyTorch's *new gate*), but no cell "
            "state: each step mixes the old hidden state with the candidate, h = (1 − z) ⊙ n + z ⊙ h_prev.",
        ),
        Kind(
            "rnn", "vanilla RNN", "RNN", ("hidden",), (), RNN_QUANTITIES, "hidden", ("h_prev",),
            (("hidden", RNN_EQUATION_LATEX),),
            "rnn_cell.svg",
            "A **vanilla RNN** has no gates and no cell state: one equation makes the whole step, "
            "h = tanh(W_ih x + b_ih + W_hh h_prev + b_hh); shown are h and its pre-activation.",
        ),
    )
}  # fmt: skip
PACKED = {name: kind.packed for name, kind in KINDS.items()}  # blocks of H rows in weight_ih / weight_hh
ALL_QUANTITIES = tuple(dict.fromkeys(q for kind in KINDS.values() for q in kind.quantities))  # of any kind


def equation_latex(name: str, kind: str = "lstm") -> str:
    r"""One line of a kind's equations in PyTorch's notation, e.g. ``f_t = \sigma(W_{if} x_t + b_{if} + ...)``."""
    found = dict(KINDS[kind].equations)
    if name not in found:
        raise ValueError(f"no equation for {name!r} in a {KINDS[kind].title}")
    return found[name]


def weight_key(kind: str, layer: int) -> str:
    """The state_dict key of one layer's weight: ``rnn.weight_ih_l0`` (the public checkpoint format)."""
    if kind not in WEIGHTS:
        raise ValueError(f"weight kind must be one of {WEIGHTS}, got {kind!r}")
    return f"rnn.{kind}_l{layer}"


def layer_weights(params: dict, layer: int) -> list:
    """``[weight_ih, weight_hh, bias_ih, bias_hh]`` of one layer from a name -> tensor mapping."""
    return [params[weight_key(kind, layer)] for kind in WEIGHTS]


def gate_rows(gate: str, hidden_size: int, kind: str = "lstm") -> slice:
    """The rows of ``gate`` in a kind's packed (G*H, ...) weights and (..., G*H) pre-activations."""
    blocks = KINDS[kind].blocks
    if gate not in blocks:
        raise ValueError(f"a {KINDS[kind].title} packs {', '.join(blocks)}, not {gate!r}")
    k = blocks.index(gate)
    return slice(k * hidden_size, (k + 1) * hidden_size)


class Hold(Protocol):
    """One quantity of one unit held at a value during a step (:class:`lstm_viz.engine.trace.Clamp` is one).

    The hold is applied where the equations produce the quantity: a gate right after its activation
    (so c_t and h_t see the held gate), the cell state before h_t = o_t * tanh(c_t), h_t last.
    """

    @property
    def quantity(self) -> str: ...  # a quantity of the layer's kind: "forget_gate", "cell", "hidden", ...

    @property
    def unit(self) -> int: ...

    @property
    def value(self) -> float: ...


def _held(values: torch.Tensor, name: str, hold: Hold | None) -> torch.Tensor:
    """``values`` (the quantity ``name``, (..., H)) with ``hold`` written in place if it holds that quantity."""
    if hold is not None and hold.quantity == name:
        values[..., hold.unit] = hold.value
    return values


class LSTMStep(NamedTuple):
    """Everything one step computes; each field is (H,) or (B, H)."""

    input_gate: torch.Tensor
    forget_gate: torch.Tensor
    candidate: torch.Tensor
    output_gate: torch.Tensor
    cell: torch.Tensor
    hidden: torch.Tensor


def lstm_activations(preactivation: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """The gates of packed pre-activations (..., 4H), packed alike: σ of i, f, o and tanh of the candidate g.

    Written into ``out`` when given (the trace's (T, 4H) buffer); this form is not differentiable.
    """
    candidate = gate_rows("candidate", preactivation.shape[-1] // 4)
    gates = torch.sigmoid(preactivation, out=out)
    torch.tanh(preactivation[..., candidate], out=gates[..., candidate])
    return gates


def lstm_update(
    preactivation: torch.Tensor,
    c_prev: torch.Tensor,
    hold: Hold | None = None,
    out: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> LSTMStep:
    """The rest of a step from its pre-activations (..., 4H), packed i, f, g, o, and c_{t-1}: gates, c_t, h_t.

    ``hold`` holds one quantity of one unit (see :class:`Hold`). ``out`` is ``(gates (..., 4H), c_t, h_t)``
    buffers written in place, as the trace steps a clamped span; without it every value is a new tensor
    (autograd follows them). In place, ``f * c_prev + i * g`` is one multiply-add (``addcmul_``), as the
    trace has always stepped it.
    """
    size = preactivation.shape[-1] // 4
    rows = {name: gate_rows(name, size) for name in GATES}
    if out is None:
        squashed = torch.sigmoid(preactivation)
        gates = {name: squashed[..., rows[name]] for name in GATES}
        gates["candidate"] = torch.tanh(preactivation[..., rows["candidate"]])
    else:
        packed, c_out, h_out = out
        lstm_activations(preactivation, out=packed)
        gates = {name: packed[..., rows[name]] for name in GATES}
    for name in GATES:
        _held(gates[name], name, hold)
    input_gate, forget_gate, candidate, output_gate = (gates[name] for name in GATES)
    if out is None:
        c = forget_gate * c_prev + input_gate * candidate
    else:
        c = torch.mul(forget_gate, c_prev, out=c_out).addcmul_(input_gate, candidate)
    _held(c, "cell", hold)
    h = output_gate * torch.tanh(c) if out is None else torch.tanh(c, out=h_out).mul_(output_gate)
    return LSTMStep(input_gate, forget_gate, candidate, output_gate, c, _held(h, "hidden", hold))


def lstm_step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, hold: Hold | None = None) -> LSTMStep:
    """One step of the equations above. ``x`` is (D,) or (B, D); states are (H,) or (B, H)."""
    preactivation = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh  # (.., 4H)
    return lstm_update(preactivation, c_prev, hold)


def lstm_cell_scan(gates: np.ndarray, cells: np.ndarray) -> None:
    """``c_t = f_t * c_{t-1} + i_t * g_t`` along a sequence, in place: ``gates`` (T, 4H) packed i, f, g, o (numpy),
    ``cells`` (T + 1, H) whose row 0 holds the cell state before the first step."""
    size = gates.shape[1] // 4
    input_gate, forget_gate, candidate = (gates[:, gate_rows(n, size)] for n in GATES[:3])  # i, f, g
    np.multiply(input_gate, candidate, out=cells[1:])  # i_t * g_t
    for f_t, c_t, c_prev in zip(forget_gate, cells[1:], cells[:-1], strict=True):  # sequential
        c_t += f_t * c_prev


def rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, hold: Hold | None = None) -> torch.Tensor:
    """One step of a vanilla (Elman) RNN: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``."""
    return _held(torch.tanh(x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh), "hidden", hold)


class GRUStep(NamedTuple):
    """Everything one GRU step computes; each field is (H,) or (B, H), the pre-activations (3H,) or (B, 3H)."""

    reset_gate: torch.Tensor
    update_gate: torch.Tensor
    new_gate: torch.Tensor  # n_t, the candidate
    hidden: torch.Tensor
    preactivation: torch.Tensor  # packed r, z, n; n's is W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn)


def gru_update(
    input_part: torch.Tensor, hidden_part: torch.Tensor, h_prev: torch.Tensor, hold: Hold | None = None
) -> GRUStep:
    """A GRU step from ``W_ih x_t + b_ih`` and ``W_hh h_{t-1} + b_hh`` (each (..., 3H), packed r, z, n) and h_{t-1}."""
    in_r, in_z, in_n = input_part.chunk(3, dim=-1)
    h_r, h_z, h_n = hidden_part.chunk(3, dim=-1)
    pre_r, pre_z = in_r + h_r, in_z + h_z
    reset_gate = torch.sigmoid(pre_r)  # how much of the old state the candidate may use
    update_gate = torch.sigmoid(pre_z)  # how much of the old state to keep
    pre_n = in_n + reset_gate * h_n
    new_gate = torch.tanh(pre_n)  # the candidate n_t
    hidden = _held((1 - update_gate) * new_gate + update_gate * h_prev, "hidden", hold)
    return GRUStep(reset_gate, update_gate, new_gate, hidden, torch.cat([pre_r, pre_z, pre_n], dim=-1))


def gru_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, hold: Hold | None = None) -> GRUStep:
    """One step of the GRU equations above (torch's packing r, z, n)."""
    return gru_update(x @ weight_ih.T + bias_ih, h_prev @ weight_hh.T + bias_hh, h_prev, hold)


def next_state(kind: str, x, state, weights, hold: Hold | None = None):
    """One step of a layer of any kind from ``state`` ((h, c) for an LSTM, h otherwise): ``(new state, h_t)``."""
    if kind == "lstm":
        stepped = lstm_step(x, *state, *weights, hold=hold)
        return (stepped.hidden, stepped.cell), stepped.hidden
    h = rnn_step(x, state, *weights, hold=hold) if kind == "rnn" else gru_step(x, state, *weights, hold=hold).hidden
    return h, h
