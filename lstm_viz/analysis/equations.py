"""One unit at one step of any kind of cell, with the numbers: each block's dot products split into
their terms, the state update (an LSTM's cell, a GRU's mix, an RNN's tanh), and the step in plain
words (the Equations page, the cell diagrams). What each kind has comes from ``cell.KINDS``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lstm_viz.engine import cell

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel


@dataclass(frozen=True)
class LayerWeights:
    """One layer's weights as numpy: W_ih (G*H, D), W_hh (G*H, H), b_ih and b_hh (G*H,); G = 4, 3 or 1."""

    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray


def layer_weights(module: SequenceModel, layer: int) -> LayerWeights:
    """Read layer ``layer``'s weights from a SequenceModel (nn.LSTM / nn.GRU / nn.RNN naming)."""
    params = dict(module.named_parameters())
    return LayerWeights(*(w.detach().float().cpu().numpy() for w in cell.layer_weights(params, layer)))


@dataclass(frozen=True)
class GateTerms:
    """One block of one unit at one step (a gate, a candidate, an RNN's h), split into its dot products' parts.

    pre-activation = input_part (W_x · x_t) + bias_ih + recurrent_part (W_h · h_{t-1}) + bias_hh, except for
    a GRU's candidate n, where r_t scales the recurrent side: input_part + bias_ih + reset * (recurrent_part +
    bias_hh). value = activation(pre-activation). ``input_terms[d] = W_x[row, d] * x_t[d]`` and
    ``recurrent_terms[j] = W_h[row, j] * h_{t-1}[j]`` sum to the two parts.
    """

    gate: str  # a block of the layer's kind (cell.KINDS[kind].blocks): "forget_gate", "new_gate", "hidden" (RNN)...
    input_part: float
    recurrent_part: float
    bias_ih: float
    bias_hh: float
    preactivation: float  # the Trace's value
    value: float  # the Trace's value after σ or tanh
    input_terms: np.ndarray  # (D,)
    recurrent_terms: np.ndarray  # (H,)
    reset: float | None = None  # r_t of the same unit, for a GRU's candidate n only

    @property
    def bias(self) -> float:
        """b_ih + b_hh of this row."""
        return self.bias_ih + self.bias_hh

    def top_terms(self, k: int = 5) -> list[tuple[str, int, float]]:
        """The ``k`` largest terms by magnitude: ("x", d, term) or ("h", j, term)."""
        terms = [("x", d, float(v)) for d, v in enumerate(self.input_terms)]
        terms += [("h", j, float(v)) for j, v in enumerate(self.recurrent_terms)]
        return sorted(terms, key=lambda t: -abs(t[2]))[:k]


def gate_terms(layer_trace, weights: LayerWeights, step: int, unit: int, gate: str) -> GateTerms:
    """Split block ``gate`` of ``unit`` at ``step`` into input, recurrent and bias parts.

    ``gate`` is one of the layer's kind's blocks: i, f, g, o of an LSTM, r, z, n of a GRU, or "hidden"
    for a vanilla RNN (h_t = tanh(W_x x_t + W_h h_{t-1} + b)). The pre-activation and value are the
    Trace's; the parts are recomputed from the weights and add up to the pre-activation within
    float32 rounding (tests check 1e-4).
    """
    spec = layer_trace.spec
    if gate not in spec.blocks:
        raise ValueError(
            f"a {spec.title} has no {gate.replace('_', ' ')}; use one of {', '.join(spec.blocks)}"
        )
    row = cell.gate_rows(gate, layer_trace.hidden_size, spec.name).start + unit
    preactivation = float(layer_trace.gate_preactivation(gate)[step, unit])
    value = float(layer_trace.quantity(gate)[step, unit])
    x = layer_trace.input[step].astype(np.float64)
    h_prev = layer_trace.h_prev[step].astype(np.float64)
    input_terms = weights.w_ih[row].astype(np.float64) * x
    recurrent_terms = weights.w_hh[row].astype(np.float64) * h_prev
    return GateTerms(
        gate=gate,
        input_part=float(input_terms.sum()),
        recurrent_part=float(recurrent_terms.sum()),
        bias_ih=float(weights.b_ih[row]),
        bias_hh=float(weights.b_hh[row]),
        preactivation=preactivation,
        value=value,
        input_terms=input_terms,
        recurrent_terms=recurrent_terms,
        reset=float(layer_trace.reset_gate[step, unit]) if gate == "new_gate" else None,
    )


@dataclass(frozen=True)
class CellUpdate:
    """c_t = f·c_{t-1} + i·g and h_t = o·tanh(c_t) for one unit at one step, from the Trace (an LSTM)."""

    c_prev: float
    forget_gate: float
    input_gate: float
    candidate: float
    output_gate: float
    kept: float  # f·c_{t-1}
    written: float  # i·g
    cell: float  # the Trace's c_t
    tanh_cell: float
    hidden: float  # the Trace's h_t
    h_prev: float  # the Trace's h_{t-1}


@dataclass(frozen=True)
class GRUUpdate:
    """h_t = (1 - z)·n + z·h_{t-1} for one unit at one step, from the Trace (a GRU)."""

    h_prev: float
    reset_gate: float
    update_gate: float
    new_gate: float
    kept: float  # z·h_{t-1}
    written: float  # (1 - z)·n
    hidden: float  # the Trace's h_t


@dataclass(frozen=True)
class RNNUpdate:
    """h_t = tanh(pre-activation) for one unit at one step, from the Trace (a vanilla RNN)."""

    h_prev: float
    preactivation: float
    hidden: float  # the Trace's h_t


def _value(layer_trace, name: str, step: int, unit: int) -> float:
    return float(getattr(layer_trace, name)[step, unit])


def cell_update(layer_trace, step: int, unit: int) -> CellUpdate:
    """An LSTM's cell update of one unit at one step (a clear error for a layer with no cell state)."""
    if layer_trace.kind != "lstm":
        raise ValueError(f"a {layer_trace.spec.title} has no cell state: {layer_trace.spec.summary}")
    q = lambda name: _value(layer_trace, name, step, unit)  # noqa: E731
    c_prev, f, i, g, o = q("c_prev"), q("forget_gate"), q("input_gate"), q("candidate"), q("output_gate")
    c = q("cell")
    return CellUpdate(c_prev, f, i, g, o, f * c_prev, i * g, c, float(np.tanh(c)), q("hidden"), q("h_prev"))


def step_update(layer_trace, step: int, unit: int) -> CellUpdate | GRUUpdate | RNNUpdate:
    """The state update of one unit at one step, as the layer's kind computes it."""
    q = lambda name: _value(layer_trace, name, step, unit)  # noqa: E731
    if layer_trace.kind == "lstm":
        return cell_update(layer_trace, step, unit)
    if layer_trace.kind == "gru":
        h_prev, r, z, n = q("h_prev"), q("reset_gate"), q("update_gate"), q("new_gate")
        return GRUUpdate(h_prev, r, z, n, z * h_prev, (1 - z) * n, q("hidden"))
    return RNNUpdate(q("h_prev"), q("preactivation"), q("hidden"))


def _changed(before: float, after: float) -> str:
    return " (it changed little)." if abs(after - before) < 0.05 else "."


def plain_words(update: CellUpdate | GRUUpdate | RNNUpdate) -> list[str]:
    """A reading of one step of one unit in plain words, one sentence per gate (or per part of the step)."""
    if isinstance(update, GRUUpdate):
        r, z, n = update.reset_gate, update.update_gate, update.new_gate
        return [
            f"Reset gate {r:.2f}: the candidate sees {r:.0%} of what the old state proposes.",
            f"Update gate {z:.2f}: the unit keeps {z:.0%} of its old state "
            f"({update.h_prev:+.3f} → {update.kept:+.3f}).",
            f"Candidate n {n:+.2f}: the unit takes {1 - z:.0%} of it, adding {update.written:+.3f}.",
            f"Hidden state: {update.kept:+.3f} + {update.written:+.3f} = {update.hidden:+.3f}"
            + _changed(update.h_prev, update.hidden),
        ]
    if isinstance(update, RNNUpdate):
        return [
            f"Pre-activation {update.preactivation:+.3f}: the input and the previous hidden state "
            f"({update.h_prev:+.3f}) weighed and summed with the biases.",
            f"tanh squashes it into −1..1: the hidden state is {update.hidden:+.3f}"
            + _changed(update.h_prev, update.hidden),
        ]
    f, i, g, o = update.forget_gate, update.input_gate, update.candidate, update.output_gate
    sign = "positive" if g >= 0 else "negative"
    return [
        f"Forget gate {f:.2f}: the unit keeps {f:.0%} of what it held ({update.c_prev:+.3f} → {update.kept:+.3f}).",
        f"Input gate {i:.2f} with candidate {g:+.2f}: it writes {i:.0%} of a {sign} candidate, "
        f"adding {update.written:+.3f}.",
        f"Cell state: {update.kept:+.3f} + {update.written:+.3f} = {update.cell:+.3f}"
        + _changed(update.c_prev, update.cell),
        f"Output gate {o:.2f}: it shows {o:.0%} of tanh(c) = {update.tanh_cell:+.3f}, "
        f"so the hidden state is {update.hidden:+.3f}.",
    ]
