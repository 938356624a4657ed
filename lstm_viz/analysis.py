"""Analyses over Traces and models: equation terms, unit statistics, contributions, gradient flow.

Numpy and torch only (never streamlit). Sections are grouped by the question they answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# --- equations: the terms of each dot product ------------------------------------------------

GATES = ("input_gate", "forget_gate", "candidate", "output_gate")  # packed order of W_ih rows
SYMBOLS = {
    "forget_gate": "f",
    "input_gate": "i",
    "candidate": "g",
    "output_gate": "o",
    "cell": "c",
    "hidden": "h",
}
ACTIVATION = {"forget_gate": "σ", "input_gate": "σ", "candidate": "tanh", "output_gate": "σ", "hidden": "tanh"}


def layer_quantities(layer_trace) -> dict[str, np.ndarray]:
    """What a layer shows, each (T, H): f, i, g, o, c, h for an LSTM; h and its pre-activation for an RNN."""
    if layer_trace.has_gates:
        return {name: getattr(layer_trace, name) for name in SYMBOLS}
    return {"hidden": layer_trace.hidden, "preactivation": layer_trace.preactivation}


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
    get = lambda n: params[f"rnn.{n}_l{layer}"].detach().float().cpu().numpy()  # noqa: E731
    return LayerWeights(get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"))


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
        if gate not in GATES:
            raise ValueError(f"gate must be one of {GATES}, got {gate!r}")
        row = GATES.index(gate) * hidden_size + unit
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


# --- unit statistics and ordering ------------------------------------------------------------

ORDERINGS = ("index", "variance", "mean", "saturation")


def saturation(values: np.ndarray, bounded01: bool, margin: float = 0.1) -> np.ndarray:
    """Per unit, the fraction of steps within ``margin`` of the activation's limits.

    ``values`` (T, H). Gates (σ, 0..1) saturate near 0 or 1; tanh quantities near -1 or 1.
    Unbounded quantities (the cell state) use tanh(values).
    """
    values = np.asarray(values, dtype=np.float64)
    if bounded01:
        return ((values < margin) | (values > 1 - margin)).mean(axis=0)
    return (np.abs(np.tanh(values) if np.abs(values).max(initial=0) > 1 else values) > 1 - margin).mean(axis=0)


def unit_order(values: np.ndarray, by: str = "index", bounded01: bool = False) -> np.ndarray:
    """Unit indices of ``values`` (T, H) ordered by ``by`` (largest first; "index": 0..H-1)."""
    values = np.asarray(values, dtype=np.float64)
    if by == "index":
        return np.arange(values.shape[1])
    if by == "variance":
        score = values.var(axis=0)
    elif by == "mean":
        score = values.mean(axis=0)
    elif by == "saturation":
        score = saturation(values, bounded01)
    else:
        raise ValueError(f"unknown ordering {by!r}; expected one of {ORDERINGS}")
    return np.argsort(-score, kind="stable")


TRACE_COLUMNS = ("forget_gate", "input_gate", "candidate", "output_gate", "cell", "hidden")


def trace_csv(trace) -> str:
    """The whole Trace as CSV: one row per (layer, step, unit), every quantity and pre-activation a column.

    Values keep float32 precision (``repr`` of the float). An RNN layer has only ``hidden`` and
    ``hidden_pre``; the gate columns stay empty.
    """
    import csv
    import io

    pre_names = [f"{g}_pre" for g in GATES]
    header = ["layer", "step", "token", "token_id", "unit", *TRACE_COLUMNS, *pre_names, "hidden_pre"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for k, layer in enumerate(trace.layers):
        cols = [getattr(layer, q) if getattr(layer, q) is not None else None for q in TRACE_COLUMNS]
        if layer.has_gates:
            cols += [layer.gate_preactivation(g) for g in GATES] + [None]
        else:
            cols += [None] * len(GATES) + [layer.preactivation]
        # (T, H, Q) as Python floats once, then rows
        stacked = [c.tolist() if c is not None else None for c in cols]
        for t, token in enumerate(trace.tokens):
            head = [k, t, token, int(trace.token_ids[t])]
            per_step = [c[t] if c is not None else None for c in stacked]
            for j in range(layer.hidden_size):
                writer.writerow([*head, j, *("" if c is None else c[j] for c in per_step)])
    return buf.getvalue()


def trace_json(trace, model_name: str = "") -> str:
    """The whole Trace as JSON: tokens, outputs and every layer's arrays as nested lists."""
    import json

    layers = []
    for layer in trace.layers:
        arrays = {
            name: getattr(layer, name).tolist()
            for name in ("input", "h_prev", "preactivation", "c_prev", "input_gate", "forget_gate",
                         "candidate", "output_gate", "cell", "hidden")
            if getattr(layer, name) is not None
        }  # fmt: skip
        layers.append(arrays)
    doc = {
        "model": model_name,
        "task": trace.task,
        "cell_type": trace.cell_type,
        "tokens": list(trace.tokens),
        "token_ids": [int(i) for i in trace.token_ids],
        "output_labels": list(trace.output_labels),
        "probs": trace.probs.tolist(),
        "unknown": [u.to_dict() for u in trace.unknown],
        "gate_order_in_preactivation": list(GATES),
        "layers": layers,
    }
    return json.dumps(doc)


# --- generation: what the model expected -----------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """Teacher-forced view of a text: how likely the model found each actual next character.

    Entry ``t`` scores token ``t + 1`` with the distribution the model output at step ``t``
    (after reading tokens 0..t), so the first token is never scored: ``T - 1`` entries.
    """

    tokens: list[str]  # (T,) the text's pieces as typed
    next_ids: np.ndarray  # (T-1,) the ids the model was fed next (stand-ins for unknown pieces)
    probs: np.ndarray  # (T-1,) p(actual next token | text so far)
    surprise: np.ndarray  # (T-1,) -ln p, in nats

    @property
    def mean_nats(self) -> float:
        """Mean loss of the text: cross-entropy in nats per character (what training minimises)."""
        return float(self.surprise.mean())

    @property
    def bits_per_char(self) -> float:
        return self.mean_nats / float(np.log(2))

    @property
    def perplexity(self) -> float:
        return float(np.exp(self.mean_nats))

    @property
    def per_token(self) -> np.ndarray:
        """(T,) surprise aligned with ``tokens``: NaN for the first token, which nothing predicted."""
        return np.concatenate([[np.nan], self.surprise])


def expectation(trace) -> Expectation:
    """The actual next character's probability at every step of a character-model Trace."""
    if trace.task != "charlm":
        raise ValueError(f"only a character language model predicts the next character, not a {trace.task} model")
    if len(trace) < 2:
        raise ValueError("the text needs at least two characters: one to read and one to predict")
    next_ids = np.asarray(trace.token_ids[1:], dtype=np.int64)
    probs = trace.probs[np.arange(len(next_ids)), next_ids].astype(np.float64)  # (T-1,)
    surprise = -np.log(np.maximum(probs, np.finfo(np.float64).tiny))
    return Expectation(list(trace.tokens), next_ids, probs, surprise)


@dataclass(frozen=True)
class Candidates:
    """The most likely next characters at one step, and where the actual one ranked."""

    step: int
    labels: list[str]  # top-k, most likely first
    probs: np.ndarray  # (k,)
    actual: str | None  # the character that actually came next (None at the last step)
    actual_prob: float | None
    actual_rank: int | None  # 1 = the model's first choice


def top_candidates(trace, step: int, k: int = 10) -> Candidates:
    """Top-``k`` of the next-character distribution at ``step``, with the actual next character."""
    if not 0 <= step < len(trace):
        raise ValueError(f"step must be in 0..{len(trace) - 1}, got {step}")
    dist = trace.probs[step].astype(np.float64)
    top = np.argsort(-dist, kind="stable")[:k]
    actual = actual_prob = actual_rank = None
    if step + 1 < len(trace):
        actual_id = int(trace.token_ids[step + 1])
        actual, actual_prob = trace.output_labels[actual_id], float(dist[actual_id])
        actual_rank = int((dist > dist[actual_id]).sum()) + 1
    return Candidates(step, [trace.output_labels[i] for i in top], dist[top], actual, actual_prob, actual_rank)


def nats_per_char(probs: np.ndarray) -> float:
    """Mean of −ln p over the given probabilities: the loss in nats per character."""
    return float(np.mean(-np.log(np.maximum(np.asarray(probs, dtype=np.float64), np.finfo(np.float64).tiny))))


def generated_probs_per_token(generation, sampled: bool = True) -> np.ndarray:
    """(T,) aligned with ``generation.trace.tokens``: NaN over the prime, then :func:`generated_probs`."""
    return np.concatenate([np.full(generation.prime_length, np.nan), generated_probs(generation, sampled)])


def generated_probs(generation, sampled: bool = True) -> np.ndarray:
    """Probability of each generated character (N,): under the distribution it was drawn from
    (``sampled``: after temperature and top-k), or the model's own at temperature 1."""
    if sampled:
        return np.asarray(generation.chosen_probs, dtype=np.float64)
    start = generation.prime_length - 1  # the step that predicted the first generated character
    return expectation(generation.trace).probs[start:]


# --- classification: per-unit contributions to the decision ----------------------------------


@dataclass(frozen=True)
class Contributions:
    """How each unit of the last layer adds to one class logit at one step.

    ``logit = bias + contributions.sum()`` exactly (up to float rounding), because the head is
    linear: ``logit_c = b_c + sum_u W[c, u] * h_t[u]``.
    """

    class_index: int
    step: int
    contributions: np.ndarray  # (H,) W[c, u] * h_t[u]
    bias: float  # b_c
    logit: float  # the model's logit for class c at this step (from the Trace)

    def top_units(self, k: int = 8) -> np.ndarray:
        """Indices of the ``k`` units with the largest |contribution|, largest first."""
        order = np.argsort(-np.abs(self.contributions), kind="stable")
        return order[: max(0, k)]


def head_parameters(module) -> tuple[np.ndarray, np.ndarray]:
    """The head's weight (C, H) and bias (C,) as float32 numpy arrays (read-only copy)."""
    return (
        module.head.weight.detach().float().cpu().numpy().copy(),
        module.head.bias.detach().float().cpu().numpy().copy(),
    )


def logit_contributions(
    trace, head_weight: np.ndarray, head_bias: np.ndarray, class_index: int | None = None, step: int = -1
) -> Contributions:
    """Each last-layer unit's share ``W[c, u] * h_t[u]`` of class ``c``'s logit at ``step``.

    ``class_index`` defaults to the class predicted at that step. The shares plus the bias add
    up to ``trace.logits[step, c]``.
    """
    n = len(trace.tokens)
    if not -n <= step < n:
        raise ValueError(f"step {step} is outside this trace of {n} steps")
    step = step % n
    hidden = trace.layers[-1].hidden[step]  # (H,)
    if head_weight.shape != (trace.logits.shape[1], hidden.shape[0]):
        raise ValueError(
            f"head weight has shape {head_weight.shape}; expected {(trace.logits.shape[1], hidden.shape[0])}"
        )
    if class_index is None:
        class_index = int(np.argmax(trace.logits[step]))
    shares = head_weight[class_index].astype(np.float64) * hidden.astype(np.float64)
    return Contributions(
        class_index=class_index,
        step=step,
        contributions=shares,
        bias=float(head_bias[class_index]),
        logit=float(trace.logits[step, class_index]),
    )


def prior_probabilities(head_bias: np.ndarray) -> np.ndarray:
    """Class probabilities before any token is read: the head on the zero initial state."""
    z = head_bias.astype(np.float64) - np.max(head_bias)
    return np.exp(z) / np.exp(z).sum()


def token_influence(probs: np.ndarray, class_index: int, prior: np.ndarray) -> np.ndarray:
    """(T,) how much reading each token moved class ``class_index``'s probability.

    ``probs`` is the (T, C) running prediction; the first token is compared with ``prior``
    (the prediction before reading anything).
    """
    column = np.asarray(probs, dtype=np.float64)[:, class_index]
    before = np.concatenate([[float(prior[class_index])], column[:-1]])
    return column - before


# --- gradient flow: RNN versus LSTM ----------------------------------------------------------

# Seed 002: in a vanilla RNN h_k = tanh(W x_k + V h_{k-1} + b), so the error reaching h_t from
# step t + δ is multiplied by δ factors V^T diag(1 - h_k^2); it vanishes (or explodes) as δ
# grows. In an LSTM the cell path multiplies by the forget gates only: dc_k/dc_{k-1} = f_k.
# Everything here works on a private float64 copy of the weights: the LoadedModel's module is
# shared by every session and is never put in training mode or given gradients.


@dataclass(frozen=True)
class GradientFlow:
    """‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖ for an LSTM) for every step t of one input, for one layer.

    Total derivatives: ∂L/∂c_t includes the path through h_t = o_t tanh(c_t) at the same step.
    """

    loss: float  # cross-entropy at the scored step(s)
    hidden_norm: np.ndarray  # (T,) ‖∂L/∂h_t‖
    cell_norm: np.ndarray | None  # (T,) ‖∂L/∂c_t‖ (LSTM only)
    hidden_grad: np.ndarray  # (T, H) ∂L/∂h_t itself
    scored: np.ndarray  # (T,) bool: steps whose output enters the loss


def _private_weights(module) -> dict:
    import torch

    # a copy that may carry gradients; the shared module's own tensors are never touched
    return {
        name: p.detach().to("cpu", torch.float64).clone().requires_grad_(True) for name, p in module.named_parameters()
    }


def gradient_flow(module, ids, targets, layer: int = -1) -> GradientFlow:
    """Unroll ``module`` step by step on ``ids`` (T,) and backpropagate the cross-entropy of the
    steps where ``targets`` (T,) is not -100; returns the gradient norm at every step of ``layer``.

    ∂L/∂h_t is the total derivative: through the head at t (if scored) and through every later
    step. Computed in float64 on a private copy of the weights.
    """
    import torch

    ids = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    targets = torch.as_tensor(np.asarray(targets), dtype=torch.long)
    if ids.dim() != 1 or targets.shape != ids.shape:
        raise ValueError(
            f"expected 1-D ids and targets of the same length, got {tuple(ids.shape)} and {tuple(targets.shape)}"
        )
    scored = targets != -100
    if not bool(scored.any()):
        raise ValueError("no step has a target: give at least one target that is not -100")
    cfg = module.config
    layer = layer % cfg.num_layers
    params = _private_weights(module)
    x_seq = params["embedding.weight"][ids]  # (T, E)
    hiddens, cells = [], []
    for k in range(cfg.num_layers):
        w_ih, w_hh, b_ih, b_hh = (params[f"rnn.{n}_l{k}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        hidden = torch.zeros(cfg.hidden_size, dtype=torch.float64)
        cell = torch.zeros(cfg.hidden_size, dtype=torch.float64)
        outs = []
        for t in range(len(ids)):
            pre = w_ih @ x_seq[t] + b_ih + w_hh @ hidden + b_hh
            if cfg.cell == "lstm":
                pre_i, pre_f, pre_g, pre_o = pre.chunk(4)
                input_gate, forget_gate = torch.sigmoid(pre_i), torch.sigmoid(pre_f)
                candidate, output_gate = torch.tanh(pre_g), torch.sigmoid(pre_o)
                cell = forget_gate * cell + input_gate * candidate
                hidden = output_gate * torch.tanh(cell)
                if k == layer:
                    cell.retain_grad()
                    cells.append(cell)
            else:
                hidden = torch.tanh(pre)
            if k == layer:
                hidden.retain_grad()
                hiddens.append(hidden)
            outs.append(hidden)
        x_seq = torch.stack(outs)
    logits = x_seq @ params["head.weight"].T + params["head.bias"]  # (T, C)
    loss = torch.nn.functional.cross_entropy(logits[scored], targets[scored])
    loss.backward()
    grad_h = torch.stack([h.grad if h.grad is not None else torch.zeros_like(h) for h in hiddens])
    grad_c = torch.stack([c.grad if c.grad is not None else torch.zeros_like(c) for c in cells]) if cells else None
    return GradientFlow(
        loss=loss.item(),
        hidden_norm=grad_h.norm(dim=1).numpy(),
        cell_norm=None if grad_c is None else grad_c.norm(dim=1).numpy(),
        hidden_grad=grad_h.numpy(),
        scored=scored.numpy(),
    )


def rnn_jacobian_products(hidden: np.ndarray, weight_hh: np.ndarray, end: int | None = None) -> np.ndarray:
    """Seed 002's product, evaluated numerically for a vanilla RNN layer.

    ``hidden`` (T, H) are the h_k of a Trace, ``weight_hh`` the recurrent matrix V (H, H).
    Returns J (end + 1, H, H) with J[t] = ∂h_end/∂h_t = ∏_{k=t+1}^{end} diag(1 - h_k²) V, so
    an error e at h_end reaches h_t as J[t]^T e = V^T diag(1 - h_{t+1}²) ... V^T diag(1 - h_end²) e.
    """
    hidden = np.asarray(hidden, dtype=np.float64)
    v = np.asarray(weight_hh, dtype=np.float64)
    end = len(hidden) - 1 if end is None else end
    if not 0 <= end < len(hidden):
        raise ValueError(f"end must index a step in 0..{len(hidden) - 1}, got {end}")
    out = np.empty((end + 1, v.shape[0], v.shape[0]))
    out[end] = np.eye(v.shape[0])
    for t in range(end - 1, -1, -1):  # J[t] = J[t+1] · diag(1 - h_{t+1}²) V
        out[t] = out[t + 1] @ ((1.0 - hidden[t + 1] ** 2)[:, None] * v)
    return out


def propagated_error_norms(jacobians: np.ndarray, error_at_end: np.ndarray) -> np.ndarray:
    """‖J[t]^T e‖ for every t: the size of the error ``e`` = ∂L/∂h_end after travelling back to t."""
    return np.linalg.norm(np.einsum("tij,i->tj", jacobians, np.asarray(error_at_end, dtype=np.float64)), axis=1)


def spectral_radius(matrix: np.ndarray) -> float:
    """max |eigenvalue|: above 1 the RNN's products tend to explode, below 1 to vanish."""
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(matrix, dtype=np.float64)))))


def forget_products(forget_gate: np.ndarray, end: int | None = None) -> np.ndarray:
    """(end + 1, H): ∏_{k=t+1}^{end} f_k per unit, the share of c_t still in c_end along the cell path."""
    f = np.asarray(forget_gate, dtype=np.float64)
    end = len(f) - 1 if end is None else end
    out = np.ones((end + 1, f.shape[1]))
    for t in range(end - 1, -1, -1):
        out[t] = out[t + 1] * f[t + 1]
    return out


def top_memory_units(forget_gate: np.ndarray, k: int = 5) -> np.ndarray:
    """The ``k`` units whose cell keeps most of its first value to the end (largest ∏ f)."""
    survival = forget_products(forget_gate)[0]
    return np.argsort(-survival, kind="stable")[:k]


def gradient_ratio(norms: np.ndarray) -> float:
    """‖∂L/∂h_0‖ / ‖∂L/∂h_end‖: how much of the error at the end reaches the first step."""
    return float(norms[0] / max(float(norms[-1]), 1e-300))


def counting_unit(cell: np.ndarray, depth: np.ndarray) -> tuple[int, float]:
    """The unit whose cell state correlates best (|Pearson r|) with the true nesting depth."""
    cell = np.asarray(cell, dtype=np.float64)
    depth = np.asarray(depth, dtype=np.float64)
    if len(cell) != len(depth) or len(depth) < 2 or np.std(depth) == 0:
        raise ValueError("need at least two steps with varying depth, one depth per step")
    centred = cell - cell.mean(axis=0)
    d = depth - depth.mean()
    denom = np.sqrt((centred**2).sum(axis=0) * (d**2).sum())
    r = np.divide(centred.T @ d, denom, out=np.zeros(cell.shape[1]), where=denom > 0)
    unit = int(np.argmax(np.abs(r)))
    return unit, float(r[unit])
