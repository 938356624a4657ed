"""The LSTM equations of one unit at one step, with the numbers: each gate's dot products split
into their terms, the cell update, and the step in plain words (the Equations page, the diagram)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_viz import cell


@dataclass(frozen=True)
class LayerWeights:
    """One layer's weights as numpy: W_ih (G*H, D), W_hh (G*H, H), b_ih and b_hh (G*H,); G = 4 or 1."""

    w_ih: np.ndarray
    w_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray


def layer_weights(module, layer: int) -> LayerWeights:
    """Read layer ``layer``'s weights from a SequenceModel (nn.LSTM / nn.RNN naming)."""
    params = dict(module.named_parameters())
    return LayerWeights(*(w.detach().float().cpu().numpy() for w in cell.layer_weights(params, layer)))


@dataclass(frozen=True)
class GateTerms:
    """One gate of one unit at one step, split into the parts of its dot products.

    pre-activation = input_part (W_x · x_t) + recurrent_part (W_h · h_{t-1}) + bias;
    value = activation(pre-activation). ``input_terms[d] = W_x[row, d] * x_t[d]`` and
    ``recurrent_terms[j] = W_h[row, j] * h_{t-1}[j]`` sum to the two parts.
    """

    gate: str  # "input_gate", "forget_gate", "candidate", "output_gate" or "hidden" (RNN)
    input_part: float
    recurrent_part: float
    bias: float
    preactivation: float  # the Trace's value
    value: float  # the Trace's value after σ or tanh
    input_terms: np.ndarray  # (D,)
    recurrent_terms: np.ndarray  # (H,)

    def top_terms(self, k: int = 5) -> list[tuple[str, int, float]]:
        """The ``k`` largest terms by magnitude: ("x", d, term) or ("h", j, term)."""
        terms = [("x", d, float(v)) for d, v in enumerate(self.input_terms)]
        terms += [("h", j, float(v)) for j, v in enumerate(self.recurrent_terms)]
        return sorted(terms, key=lambda t: -abs(t[2]))[:k]


def gate_terms(layer_trace, weights: LayerWeights, step: int, unit: int, gate: str) -> GateTerms:
    """Split gate ``gate`` of ``unit`` at ``step`` into input, recurrent and bias parts.

    For an RNN pass ``gate="hidden"``: h_t = tanh(W_x x_t + W_h h_{t-1} + b). The
    pre-activation and value are the Trace's; the parts are recomputed from the weights and sum
    to the pre-activation within float32 rounding (tests check 1e-4).
    """
    hidden_size = layer_trace.hidden_size
    if layer_trace.has_gates:
        if gate not in cell.GATES:
            raise ValueError(f"gate must be one of {cell.GATES}, got {gate!r}")
        row = cell.gate_rows(gate, hidden_size).start + unit
        preactivation = float(layer_trace.gate_preactivation(gate)[step, unit])
        value = float(layer_trace.quantity(gate)[step, unit])
    else:
        if gate != "hidden":
            raise ValueError(f"a vanilla RNN has no {gate.replace('_', ' ')}; use gate='hidden'")
        row = unit
        preactivation = float(layer_trace.preactivation[step, unit])
        value = float(layer_trace.hidden[step, unit])
    x = layer_trace.input[step].astype(np.float64)
    h_prev = layer_trace.h_prev[step].astype(np.float64)
    input_terms = weights.w_ih[row].astype(np.float64) * x
    recurrent_terms = weights.w_hh[row].astype(np.float64) * h_prev
    return GateTerms(
        gate=gate,
        input_part=float(input_terms.sum()),
        recurrent_part=float(recurrent_terms.sum()),
        bias=float(weights.b_ih[row]) + float(weights.b_hh[row]),
        preactivation=preactivation,
        value=value,
        input_terms=input_terms,
        recurrent_terms=recurrent_terms,
    )


@dataclass(frozen=True)
class CellUpdate:
    """c_t = f·c_{t-1} + i·g and h_t = o·tanh(c_t) for one unit at one step, from the Trace."""

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


def cell_update(layer_trace, step: int, unit: int) -> CellUpdate:
    if not layer_trace.has_gates:
        raise ValueError("a vanilla RNN has no cell state: h_t = tanh(W_x x_t + W_h h_{t-1} + b)")
    q = lambda name: float(getattr(layer_trace, name)[step, unit])  # noqa: E731
    c_prev, f, i, g, o = q("c_prev"), q("forget_gate"), q("input_gate"), q("candidate"), q("output_gate")
    cell = q("cell")
    return CellUpdate(c_prev, f, i, g, o, f * c_prev, i * g, cell, float(np.tanh(cell)), q("hidden"))


def plain_words(update: CellUpdate) -> list[str]:
    """A reading of one step of one unit in plain words, one sentence per gate."""
    f, i, g, o = update.forget_gate, update.input_gate, update.candidate, update.output_gate
    sign = "positive" if g >= 0 else "negative"
    return [
        f"Forget gate {f:.2f}: the unit keeps {f:.0%} of what it held ({update.c_prev:+.3f} → {update.kept:+.3f}).",
        f"Input gate {i:.2f} with candidate {g:+.2f}: it writes {i:.0%} of a {sign} candidate, "
        f"adding {update.written:+.3f}.",
        f"Cell state: {update.kept:+.3f} + {update.written:+.3f} = {update.cell:+.3f}"
        + (" (it changed little)." if abs(update.cell - update.c_prev) < 0.05 else "."),
        f"Output gate {o:.2f}: it shows {o:.0%} of tanh(c) = {update.tanh_cell:+.3f}, "
        f"so the hidden state is {update.hidden:+.3f}.",
    ]
