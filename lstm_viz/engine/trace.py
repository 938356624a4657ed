"""Trace: every gate, cell and hidden value of a model over one input, as numpy arrays.

``trace(module, ids)`` is the only way values reach the screen. It computes exactly what
``torch.nn.LSTM`` computes with the same weights (the oracle test checks max |diff| of h and
c below 1e-5), at about the cost of one plain forward pass:

1. each layer's hidden sequence comes from the fused recurrent kernel (``torch.lstm``, the op
   behind ``nn.LSTM.forward``), which gives every ``h_{t-1}`` at once;
2. the pre-activations of all steps are then one matrix product per weight matrix:
   ``x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh``  -> (T, 4H), gate order i, f, g, o
   (for layer 0, ``x @ W_ih.T`` is a row lookup in a (vocabulary, 4H) table);
3. the gates are elementwise, and the cell ``c_t = f_t * c_{t-1} + i_t * g_t`` is a cheap
   elementwise scan over time.

With one torch thread and a spare core (how the app runs), steps 2-3 of each span of steps run
on a worker thread while step 1 runs the next span, so only the last span's work is not hidden
behind the fused kernel. The numbers are the same either way (tested).

Shapes: T steps, H units, D input size of the layer (embedding size for layer 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from lstm_viz.engine import cell, record
from lstm_viz.engine.network import SequenceModel
from lstm_viz.engine.tokenizers import UnknownPiece


@dataclass(frozen=True)
class LayerTrace:
    input: np.ndarray  # (T, D) x_t fed to this layer
    h_prev: np.ndarray  # (T, H) h_{t-1} used at step t (zeros at t = 0)
    preactivation: np.ndarray  # (T, G*H) packed as cell.KINDS[kind].blocks: LSTM i, f, g, o; GRU r, z, n; RNN h
    hidden: np.ndarray  # (T, H) h_t
    kind: str  # "lstm", "gru" or "rnn": the key of cell.KINDS, which says what else the layer holds
    c_prev: np.ndarray | None = None  # (T, H) C_{t-1} used at step t (LSTM only)
    input_gate: np.ndarray | None = None  # (T, H) i_t
    forget_gate: np.ndarray | None = None  # (T, H) f_t
    candidate: np.ndarray | None = None  # (T, H) g_t, the LSTM's candidate C~_t
    output_gate: np.ndarray | None = None  # (T, H) o_t
    cell: np.ndarray | None = None  # (T, H) C_t
    reset_gate: np.ndarray | None = None  # (T, H) r_t (GRU only)
    update_gate: np.ndarray | None = None  # (T, H) z_t (GRU only)
    new_gate: np.ndarray | None = None  # (T, H) n_t, the GRU's candidate (PyTorch's "new gate")

    @property
    def hidden_size(self) -> int:
        return self.hidden.shape[1]

    @property
    def spec(self) -> cell.Kind:
        """This layer's kind of cell: its name, quantities, gates, equations and diagram."""
        return cell.KINDS[self.kind]

    def quantity(self, name: str) -> np.ndarray:
        """One quantity by name (any kind's, ``cell.ALL_QUANTITIES``), (T, H); a clear error if the layer has none."""
        if name not in cell.ALL_QUANTITIES:
            raise ValueError(f"unknown quantity {name!r}; expected one of {cell.ALL_QUANTITIES}")
        value = getattr(self, name)
        if value is None:
            raise ValueError(f"a {self.spec.title} has no {name.replace('_', ' ')}")
        return value

    def gate_preactivation(self, name: str) -> np.ndarray:
        """Pre-activation (T, H) of one block of the packed rows: 'forget_gate', 'reset_gate', ... ('hidden': RNN)."""
        return self.preactivation[:, cell.gate_rows(name, self.hidden_size, self.kind)]

    def quantities(self) -> dict[str, np.ndarray]:
        """What this layer shows, each (T, H), in its kind's order: f i g o c h (LSTM), r z n h (GRU), h pre (RNN)."""
        return {name: getattr(self, name) for name in self.spec.quantities}


@dataclass(frozen=True)
class Trace:
    tokens: list[str]  # one display string per step
    token_ids: np.ndarray  # (T,) ids fed to the model
    layers: list[LayerTrace]
    logits: np.ndarray  # (T, V) or (T, C)
    probs: np.ndarray  # (T, V) next-token probabilities or (T, C) running class probs
    output_labels: list[str]  # names of the columns of probs (characters or class labels)
    task: str
    cell_type: str  # "lstm", "rnn" or "gru"
    unknown: list[UnknownPiece] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def arrays(self) -> list[np.ndarray]:
        """Every array of the trace (its layers' too)."""
        found = [self.token_ids, self.logits, self.probs]
        for layer in self.layers:
            found += [v for v in vars(layer).values() if isinstance(v, np.ndarray)]
        return found

    @property
    def nbytes(self) -> int:
        """Bytes held by the trace's arrays (views of one buffer counted once)."""
        seen, total = set(), 0
        for array in self.arrays():
            base = array.base if isinstance(array.base, np.ndarray) else array
            if id(base) not in seen:
                seen.add(id(base))
                total += base.nbytes
        return total

    def freeze(self) -> Trace:
        """Make every array read-only (a trace may be shared by many sessions); returns the trace."""
        for array in self.arrays():
            array.setflags(write=False)
        return self


MAX_CLAMP = 1000.0  # a clamp value lies within ±MAX_CLAMP: gates live in 0..1, trained cell states within tens


@dataclass(frozen=True)
class Clamp:
    """Hold one unit's quantity at ``value`` over steps ``start``..``end - 1`` of layer ``layer`` (an intervention).

    For an LSTM any of f, i, g, o (the gate's output), c or h; for an RNN or a GRU, h. Everything
    downstream (later steps, the layers above, the output) is recomputed from the clamped value.
    ``value`` lies within ±MAX_CLAMP (a float32 holds it, and the outputs stay finite).
    """

    layer: int
    unit: int
    quantity: str
    value: float
    start: int = 0
    end: int | None = None  # None: to the end of the text

    def span(self, steps: int) -> tuple[int, int]:
        return self.start, steps if self.end is None else self.end


def check_clamp(clamp: Clamp, cfg, steps: int) -> None:
    """A clear ValueError for a clamp that does not fit the model or the text."""
    if not 0 <= clamp.layer < cfg.num_layers:
        raise ValueError(f"layer must be between 0 and {cfg.num_layers - 1}, got {clamp.layer}")
    if not 0 <= clamp.unit < cfg.hidden_size:
        raise ValueError(f"unit must be between 0 and {cfg.hidden_size - 1}, got {clamp.unit}")
    allowed = cell.QUANTITIES if cfg.cell == "lstm" else ("hidden",)
    if clamp.quantity not in allowed:
        raise ValueError(f"a {cell.KINDS[cfg.cell].title} layer can clamp {', '.join(allowed)}, not {clamp.quantity!r}")
    if isinstance(clamp.value, bool) or not isinstance(clamp.value, int | float) or not math.isfinite(clamp.value):
        raise ValueError(f"the clamp value must be a finite number, got {str(clamp.value)[:20]!r}")
    if abs(clamp.value) > MAX_CLAMP:
        raise ValueError(
            f"the clamp value must lie between {-MAX_CLAMP:,g} and {MAX_CLAMP:,g}, got {float(clamp.value):.4g}"
        )
    start, end = clamp.span(steps)
    if not 0 <= start < end <= steps:
        raise ValueError(f"steps must be A:B with 0 <= A < B <= {steps} (B not included), got {start}:{end}")


@torch.no_grad()
def trace(
    module: SequenceModel,
    ids,
    tokens: list[str] | None = None,
    output_labels: list[str] | None = None,
    unknown: list[UnknownPiece] | None = None,
    spans: list[tuple[int, int]] | None = None,
    state: list[tuple[np.ndarray, np.ndarray | None]] | None = None,
    parallel: bool | None = None,
    clamp: Clamp | None = None,
) -> Trace:
    """Run ``module`` (a SequenceModel) over 1-D ``ids`` and record every step.

    ``state`` optionally gives each layer's initial ``(h0, c0)`` (c0 None for an RNN);
    zeros otherwise. ``clamp`` holds one unit's quantity at a value over a range of steps and
    recomputes everything downstream (see :class:`Clamp`). ``parallel`` records each span of steps
    on a worker thread while the fused kernel runs the next span (the same numbers, sooner); the
    default does so only when torch uses one thread and the machine has another core, so the two
    never fight for a core.
    """
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    if ids.dim() != 1:
        raise ValueError(f"expected 1-D token ids, got {ids.dim()}-D")
    if len(ids) == 0:
        raise ValueError("cannot trace an empty sequence: give at least one token")
    cfg = module.config
    if int(ids.max()) >= cfg.vocab_size or int(ids.min()) < 0:
        raise ValueError(f"token ids must lie in [0, {cfg.vocab_size}), got {int(ids.min())}..{int(ids.max())}")
    params = {name: p.detach().float().cpu() for name, p in module.named_parameters()}
    if clamp is not None:
        check_clamp(clamp, cfg, len(ids))

    def head(hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = torch.addmm(params["head.bias"], hidden, params["head.weight"].T)  # (T, V)
        return logits, torch.softmax(logits, dim=-1)

    recorded, (logits, probs) = record.layers(
        params["embedding.weight"][ids], params, cfg, ids, state=state, clamp=clamp, parallel=parallel, head=head
    )
    layer_traces = [LayerTrace(**fields) for fields in recorded]
    return Trace(
        tokens=list(tokens) if tokens is not None else [str(i) for i in ids.tolist()],
        token_ids=ids.numpy(),
        layers=layer_traces,
        logits=logits.numpy(),
        probs=probs.numpy(),
        output_labels=list(output_labels) if output_labels is not None else [str(i) for i in range(logits.shape[1])],
        task=cfg.task,
        cell_type=cfg.cell,
        unknown=list(unknown or []),
        spans=list(spans or []),
    ).freeze()
