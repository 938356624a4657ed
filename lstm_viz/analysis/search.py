"""Finding the units that do something: by a moment, by a selection of tokens, by a feature of the text.

Every ranking works on one layer's Trace arrays (numpy, (T, H)), so it costs a few vectorised
passes: well under 50 ms for 2,000 tokens x 256 units (``python -m benchmarks.lab``).

- :func:`by_moment`: at step t, which units changed a quantity most (the forget gate that drops
  when a new subject begins, the biggest write i·g into the cell), each with how often it reacts
  like that elsewhere in the text: a unit that drops at every word start is a word-start unit,
  not a new-subject unit.
- :func:`by_selection` and :func:`match` (after LSTMVis, Strobelt et al. 2018): units whose value
  is high (or low) inside a span of tokens and not outside, and other places where those units
  take the same pattern.
- :func:`by_feature`: units that correlate with a feature of the text (a regular expression, or a
  built-in one from :mod:`lstm_viz.analysis.features`).
- :func:`saturation`: for each gate, how often each unit is below 0.1 or above 0.9 (Karpathy,
  Johnson and Fei-Fei, "Visualizing and Understanding Recurrent Networks", 2015, Fig. 3).
- :func:`unit_order`: every unit in order of its variance, mean or :func:`saturated_share` (the
  heatmaps' and the stepper's orderings).
- :func:`opening_unit`: the unit the explorer pages open on, ranked first by the layer's kind's moment
  (:data:`OPENING`), and :func:`describe_opening`, the line that says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_viz import messages
from lstm_viz.engine import cell

# name -> (quantity, how the change at step t is scored, words for the ranking's title)
MOMENTS = {
    "forget_drop": ("forget_gate", "drop", "biggest drop of the forget gate (the unit clears its memory)"),
    "forget_rise": ("forget_gate", "rise", "biggest rise of the forget gate (the unit starts keeping)"),
    "input_open": ("input_gate", "rise", "biggest rise of the input gate (the unit starts writing)"),
    "write": ("write", "value", "biggest write into the cell, |i · g|"),
    "cell_change": ("cell", "abs", "biggest change of the cell state, |c_t − c_{t−1}|"),
    "output_open": ("output_gate", "rise", "biggest rise of the output gate (the unit starts showing its cell)"),
    "hidden_change": ("hidden", "abs", "biggest change of the hidden state, |h_t − h_{t−1}|"),
}
GRU_MOMENTS = ("hidden_change", "update_drop", "reset_drop")
MOMENTS |= {
    "update_drop": ("update_gate", "drop", "biggest drop of the update gate (the GRU unit takes in the new)"),
    "reset_drop": ("reset_gate", "drop", "biggest drop of the reset gate (the GRU unit ignores its past)"),
}
# the moments the explorer pages open on, by kind of layer, first choice first: a gate's moment has nothing to
# compare with at step 0, and one that no unit shows at this step (every forget gate rises) gives way to the next
OPENING = {"lstm": ("forget_drop", "write"), "gru": ("update_drop", "hidden_change"), "rnn": ("hidden_change",)}
REACTS = 0.5  # another step "reacts like this" when its change is at least half of this step's
ORDERINGS = ("index", "variance", "mean", "saturation", "similarity")  # what :func:`unit_order` can order by
ORDERING_HELP = (
    "Over every step of this text. similarity: units whose values rise and fall together side by side; "
    "variance, mean, saturation: the largest first; index: unit 0, 1, 2, …"
)


def moments_for(layer) -> list[str]:
    """The moment rankings a layer can answer (an RNN has no gates, a GRU no cell)."""
    if layer.kind == "lstm":
        return [m for m in MOMENTS if m not in ("update_drop", "reset_drop")]
    return list(GRU_MOMENTS) if layer.kind == "gru" else ["hidden_change"]


def series(layer, quantity: str) -> np.ndarray:
    """(T, H) a moment's quantity along the text: a quantity of the layer, or ``"write"``, the signed i_t · g_t."""
    if quantity == "write":
        return layer.input_gate.astype(np.float64) * layer.candidate  # i_t · g_t
    return np.asarray(layer.quantity(quantity) if quantity != "hidden" else layer.hidden, dtype=np.float64)


def has_step_before(how: str, step: int) -> bool:
    """Whether the moment ``how`` has something to compare with at ``step``: a gate has no value before step 0
    (the cell and hidden state do: the initial state the layer starts from)."""
    quantity, kind, _ = MOMENTS[how]
    return step > 0 or kind == "value" or not quantity.endswith("gate")


def no_step_before(how: str) -> str:
    """What a page says at step 0 for a gate's moment (:func:`has_step_before` is False)."""
    what = cell.QUANTITY[MOMENTS[how][0]].label
    return (
        f"At step 0 there is no step before: the {what} has no value before the first token, so nothing has changed "
        "yet to rank. Move to step 1 or later, or rank by a change of the cell or hidden state, which are compared "
        "with the initial state the layer starts from."
    )


def _initial(layer, quantity: str) -> np.ndarray:
    """(H,) the state the layer starts from: c_{-1} for the cell, h_{-1} for the hidden state."""
    start = layer.c_prev if quantity == "cell" else layer.h_prev
    return np.asarray(start[0], dtype=np.float64)


def _changes(layer, how: str) -> np.ndarray:
    """(T, H) the score of every step of every unit for the moment ``how``.

    The cell and hidden state at step 0 are compared with the initial state; a gate has no value
    before step 0, so its change there is 0 (and :func:`by_moment` refuses to rank it).
    """
    if how not in MOMENTS:
        raise ValueError(f"unknown moment {how!r}; choose one of {', '.join(MOMENTS)}")
    quantity, kind, _ = MOMENTS[how]
    values = series(layer, quantity)
    if kind == "value":
        return np.abs(values)
    if quantity.endswith("gate"):
        before = np.vstack([values[:1], values[:-1]])  # a gate has no value before step 0: no change there
    else:
        before = np.vstack([_initial(layer, quantity)[None], values[:-1]])
    delta = values - before
    return {"drop": -delta, "rise": delta, "abs": np.abs(delta)}[kind]


@dataclass(frozen=True)
class UnitMoment:
    unit: int
    score: float  # the change at this step (positive: in the asked direction)
    before: float  # the quantity at t-1 (or |i·g| at t for "write": before = after)
    after: float
    also: np.ndarray  # other steps where the unit changes at least REACTS x as much
    total_steps: int
    from_initial: bool = False  # step 0: ``before`` is the initial state the layer starts from

    @property
    def share_elsewhere(self) -> float:
        """The fraction of the other steps at which the unit reacts like this."""
        return len(self.also) / max(self.total_steps - 1, 1)


def by_moment(layer, step: int, how: str = "forget_drop", top: int = 10) -> list[UnitMoment]:
    """The ``top`` units whose ``how`` change is largest at ``step``, with where else each reacts.

    ValueError for a gate's moment at step 0 (:func:`no_step_before` says why); the cell and hidden
    state at step 0 are compared with the initial state.
    """
    n_steps = len(layer.hidden)
    if not 0 <= step < n_steps:
        raise ValueError(f"step must be in 0..{n_steps - 1}, got {step}")
    if how not in moments_for(layer):
        raise ValueError(
            f"a {layer.kind.upper()} layer has no {how.replace('_', ' ')}; choose {', '.join(moments_for(layer))}"
        )
    if not has_step_before(how, step):
        raise ValueError(no_step_before(how))
    changes = _changes(layer, how)
    quantity, kind, _ = MOMENTS[how]
    values = series(layer, quantity)
    start = _initial(layer, quantity) if step == 0 and kind != "value" else None
    order = np.argsort(-changes[step], kind="stable")[: max(1, top)]
    out = []
    for u in order.tolist():
        score = float(changes[step, u])
        others = np.flatnonzero(changes[:, u] >= REACTS * score) if score > 0 else np.array([], dtype=int)
        if kind == "value":
            before = float(values[step, u])
        else:
            before = float(start[u]) if start is not None else float(values[step - 1, u])
        out.append(
            UnitMoment(u, score, before, float(values[step, u]), others[others != step], n_steps, start is not None)
        )
    return out


def top_units(layer, how: str, top: int) -> np.ndarray:
    """(T, top) the first ``top`` units of :func:`by_moment`'s ranking at every step (a gate's step 0 included,
    where :func:`by_moment` ranks nothing)."""
    changes = _changes(layer, how)
    return np.argsort(-changes, axis=1, kind="stable")[:, : max(1, top)]


def opening_unit(layer, step: int) -> tuple[str, UnitMoment]:
    """The unit to open the explorer on at ``step``, and the moment that ranked it first (:func:`by_moment`).

    The first moment of ``OPENING[layer.kind]`` (then the rest of :func:`moments_for`) that has a step before
    ``step`` (:func:`has_step_before`) and some unit that changes that way there; at step 0 an LSTM opens on the
    biggest write, a GRU and an RNN on the biggest change of the hidden state from the initial state.
    """
    found = None
    for how in dict.fromkeys((*OPENING.get(layer.kind, ()), *moments_for(layer))):
        if how in moments_for(layer) and has_step_before(how, step):
            found = how, by_moment(layer, step, how, top=1)[0]
            if found[1].score > 0:
                break
    return found


def describe_opening(found: UnitMoment, how: str, step: int, token: str, units: int) -> str:
    """One line on why the page opened on ``found``'s unit, e.g. "Unit 151: of all 256 units, its forget gate
    drops most at step 12 ('e'): 0.93 → 0.12." Worded by the moment, so by the kind of layer that has it."""
    quantity, kind, _ = MOMENTS[how]
    head, where = f"Unit {found.unit}: of all {units} units,", f"at step {step} ({messages.cut(token, 20)!r})"
    if kind == "value":  # the write of an LSTM: |i · g| at this step
        return f"{head} it writes most into its cell {where}: |i · g| = {found.score:.2f}."
    moved = {"drop": "drops most", "rise": "rises most", "abs": "changes most"}[kind]
    initial = " (the initial state)" if found.from_initial else ""
    label = cell.QUANTITY[quantity].label
    return f"{head} its {label} {moved} {where}: {found.before:.2f}{initial} → {found.after:.2f}."


def _check_span(n: int, start: int, end: int) -> None:
    if not (0 <= start < end <= n):
        raise ValueError(f"select tokens A:B with 0 <= A < B <= {n} (B not included), got {start}:{end}")
    if end - start == n:
        raise ValueError("the selection covers the whole text: leave some tokens outside it to compare with")


def by_selection(values: np.ndarray, start: int, end: int, high: bool = True, top: int = 10) -> list[tuple[int, float]]:
    """Units whose value is high (``high``) or low inside tokens ``start..end-1`` and not outside.

    The score is the mean inside minus the mean outside (low: the other way round), so a unit that is
    high everywhere scores about 0. Returns [(unit, score)], best first.
    """
    values = np.asarray(values, dtype=np.float64)
    _check_span(len(values), start, end)
    inside = values[start:end].mean(axis=0)
    outside = (values.sum(axis=0) - values[start:end].sum(axis=0)) / (len(values) - (end - start))
    score = (inside - outside) if high else (outside - inside)
    order = np.argsort(-score, kind="stable")[: max(1, top)]
    return [(int(u), float(score[u])) for u in order]


@dataclass(frozen=True)
class Match:
    start: int  # first token of the matching window
    distance: float  # mean |difference| to the selection's pattern, per token and unit
    context: str  # the text around it


def match(pattern: np.ndarray, values: np.ndarray, tokens: list[str], top: int = 10, exclude=None) -> list[Match]:
    """Windows of ``values`` (T, U) where the chosen units take the same shape as ``pattern`` (W, U).

    Distance: mean absolute difference over the window's tokens and units; the ``top`` best
    windows that do not overlap, ``exclude`` (a (start, end) span) left out.
    """
    pattern, values = np.asarray(pattern, dtype=np.float64), np.asarray(values, dtype=np.float64)
    width = len(pattern)
    if width == 0 or len(values) < width:
        raise ValueError(f"the text ({len(values)} tokens) is shorter than the selection ({width} tokens)")
    windows = np.lib.stride_tricks.sliding_window_view(values, width, axis=0)  # (T-W+1, U, W)
    distance = np.abs(windows - pattern.T[None]).mean(axis=(1, 2))
    if exclude is not None:
        lo, hi = exclude
        distance[max(0, lo - width + 1) : hi] = np.inf
    found, taken = [], np.zeros(len(distance), dtype=bool)
    for start in np.argsort(distance, kind="stable").tolist():
        if len(found) >= top or not np.isfinite(distance[start]):
            break
        if taken[start]:
            continue
        taken[max(0, start - width + 1) : start + width] = True
        left = "".join(tokens[max(0, start - 20) : start])
        right = "".join(tokens[start + width : start + width + 20])
        found.append(Match(start, float(distance[start]), f"{left}[{''.join(tokens[start : start + width])}]{right}"))
    return found


def by_feature(values: np.ndarray, feature: np.ndarray, top: int = 10) -> list[tuple[int, float]]:
    """Units ranked by |Pearson r| between their values (T, H) and a feature (T,); [(unit, r)], best first."""
    values, feature = np.asarray(values, dtype=np.float64), np.asarray(feature, dtype=np.float64)
    if len(feature) != len(values):
        raise ValueError(f"the feature has {len(feature)} values for {len(values)} tokens")
    if np.std(feature) == 0:
        raise ValueError(
            "the feature is the same at every token (it matches nothing or everything): nothing to correlate"
        )
    centred = values - values.mean(axis=0)
    f = feature - feature.mean()
    denom = np.sqrt((centred**2).sum(axis=0) * (f**2).sum())
    r = np.divide(centred.T @ f, denom, out=np.zeros(values.shape[1]), where=denom > 0)
    order = np.argsort(-np.abs(r), kind="stable")[: max(1, top)]
    return [(int(u), float(r[u])) for u in order]


def saturation(layer, low: float = 0.1, high: float = 0.9) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each gate of the layer: (fraction of steps below ``low``, fraction above ``high``), each (H,)."""
    gates = [g for g in (*cell.GATES, *cell.GRU_GATES) if g != "candidate" and getattr(layer, g, None) is not None]
    return {g: ((getattr(layer, g) < low).mean(axis=0), (getattr(layer, g) > high).mean(axis=0)) for g in gates}


def describe_moment(found: UnitMoment, how: str, tokens: list[str], common=None) -> str:
    """A sentence on one unit's moment, honest about where else it reacts (``common``: features.common_feature)."""
    quantity, kind, _ = MOMENTS[how]
    what = "write i · g" if quantity == "write" else cell.QUANTITY[quantity].label
    initial = " (the initial state)" if found.from_initial else ""
    # a value (the write) is ranked by its size: it has no "before"
    move = (
        f"is {found.after:.3f} (|i · g| = {found.score:.3f})"
        if kind == "value"
        else f"goes from {found.before:.3f}{initial} to {found.after:.3f}"
    )
    sentence = f"Unit {found.unit}'s {what} {move} here"
    if found.score <= 0:
        return sentence + f": no unit's {what} changes this way at this step."
    others = len(found.also)
    alike = "writes this much" if kind == "value" else "changes like this"
    if others == 0:
        return sentence + f": it {alike} nowhere else in the text, so it reacts to this moment."
    alike = "writes at least half as much" if kind == "value" else "changes at least half as much"
    sentence += f", and {alike} at {others} other step{'s' * (others != 1)} ({found.share_elsewhere:.0%})"
    if common is not None:
        from lstm_viz.analysis.features import BINARY, FEATURES

        name, share, base = common
        sentence += (
            f"; {share:.0%} of those are at {FEATURES[name][0]} ({base:.0%} of all steps are): it reacts to "
            f"{BINARY[name]}, not only to this moment"
        )
    else:
        sample = ", ".join(repr(tokens[t]) for t in found.also[:6])
        sentence += f": at {sample}" + ("…" if others > 6 else "")
    return sentence + "."


def saturated_share(values: np.ndarray, bounded01: bool, margin: float = 0.1) -> np.ndarray:
    """Per unit, the fraction of steps within ``margin`` of the activation's limits.

    ``values`` (T, H). Gates (σ, 0..1) saturate near 0 or 1; tanh quantities near -1 or 1.
    Unbounded quantities (the cell state) use tanh(values).
    """
    values = np.asarray(values, dtype=np.float64)
    if bounded01:
        return ((values < margin) | (values > 1 - margin)).mean(axis=0)
    return (np.abs(np.tanh(values) if np.abs(values).max(initial=0) > 1 else values) > 1 - margin).mean(axis=0)


def similarity_score(values: np.ndarray) -> np.ndarray:
    """Per unit, where its trace lies along the pattern the units share most (the first principal component over
    the steps): sorted by it, units whose values rise and fall together sit side by side, as bands in a heatmap."""
    centred = values - values.mean(axis=0)  # (T, H): each unit about its own mean
    if values.shape[0] < 2 or not np.any(centred):
        return np.zeros(values.shape[1])
    _, vectors = np.linalg.eigh(centred.T @ centred)  # (H, H): 7x quicker than an SVD of 2,000 steps x 256 units
    score = vectors[:, -1]  # the units' loadings on the first component (its step pattern is centred @ score)
    return score if (centred @ score).sum() >= 0 else -score  # the sign fixed: the same order on every run


def unit_order(values: np.ndarray, by: str = "index", bounded01: bool = False) -> np.ndarray:
    """Unit indices of ``values`` (T, H) ordered by ``by`` (largest first; "index": 0..H-1; "similarity": along the
    pattern the units share most, so that units that move together are neighbours)."""
    values = np.asarray(values, dtype=np.float64)
    if by == "index":
        return np.arange(values.shape[1])
    if by == "variance":
        score = values.var(axis=0)
    elif by == "mean":
        score = values.mean(axis=0)
    elif by == "saturation":
        score = saturated_share(values, bounded01)
    elif by == "similarity":
        score = similarity_score(values)
    else:
        raise ValueError(f"unknown ordering {by!r}; expected one of {ORDERINGS}")
    return np.argsort(-score, kind="stable")
