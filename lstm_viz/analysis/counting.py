"""The counting units of a brackets model, found once, the same way for every page and lesson.

A unit "counts" when its cell state follows the true nesting depth. One short string says little
(six characters give six points to correlate, and several units fit them almost equally well), so
the units are ranked over ``n`` fixed-seed strings of the task read one after another: the
RNN vs LSTM page, the Neuron Lab's feature tab and the counting lesson all call
:func:`counting_units`, and so name the same units.

:func:`clamp_effect` measures what the first of them does: its forget gate held at 0 on every step
of the same strings (its cell then holds only what it writes at the current character), the share
of depths the model still gets right at each true depth, and the string of the set where the count
breaks most, as the example a page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lstm_viz.store.zoo import LoadedModel

COUNTING_R = 0.9  # |r| with the depth over the strings from which a unit is said to count
STRINGS = 20  # fixed-seed strings the units are ranked over


@dataclass(frozen=True)
class CountingUnits:
    ranked: list[tuple[int, float]]  # (unit, r with the depth), by |r|, every unit of the layer
    strings: int  # how many strings of the task they were measured over
    steps: int  # characters in those strings together

    @property
    def unit(self) -> int:
        """The unit whose cell state follows the depth best."""
        return self.ranked[0][0]

    @property
    def r(self) -> float:
        return self.ranked[0][1]

    @property
    def counting(self) -> list[tuple[int, float]]:
        """The units with |r| >= COUNTING_R (at least the best one): the count is spread over these."""
        return [(u, r) for u, r in self.ranked if abs(r) >= COUNTING_R] or self.ranked[:1]

    def r_of(self, unit: int) -> float:
        return dict(self.ranked)[unit]


def _strings(model: LoadedModel, n: int, seed: int) -> tuple[list[str], list[np.ndarray]]:
    from lstm_viz.data.tasks import BracketsTask

    data = BracketsTask(tokenizer=model.tokenizer)
    ids, depths = data.sample(n, np.random.default_rng(seed))
    return [data.tokenizer.decode(row.tolist()) for row in ids], [d.numpy() for d in depths]


def counting_unit(cell_state: np.ndarray, depth: np.ndarray) -> tuple[int, float]:
    """The unit whose cell state (T, H) correlates best (|Pearson r|) with the true nesting depth (T,)."""
    cell_state = np.asarray(cell_state, dtype=np.float64)
    depth = np.asarray(depth, dtype=np.float64)
    if len(cell_state) != len(depth) or len(depth) < 2 or np.std(depth) == 0:
        raise ValueError("need at least two steps with varying depth, one depth per step")
    centred = cell_state - cell_state.mean(axis=0)
    d = depth - depth.mean()
    denom = np.sqrt((centred**2).sum(axis=0) * (d**2).sum())
    r = np.divide(centred.T @ d, denom, out=np.zeros(cell_state.shape[1]), where=denom > 0)
    unit = int(np.argmax(np.abs(r)))
    return unit, float(r[unit])


def find_counting_unit(model: LoadedModel, n: int = STRINGS, seed: int = 0, layer: int = 0) -> tuple[int, float]:
    """(unit, r) of :func:`counting_units`' first: the unit whose cell state follows the depth best."""
    found = counting_units(model, n=n, seed=seed, layer=layer)
    return found.unit, found.r


def counting_units(model: LoadedModel, n: int = STRINGS, seed: int = 0, layer: int = 0) -> CountingUnits:
    """Every unit of ``layer`` of a brackets model (a LoadedModel) ranked by |r| of its cell state with the
    true depth, over ``n`` fixed-seed strings of the task read one after another."""
    from lstm_viz.analysis.search import by_feature

    texts, depths = _strings(model, n, seed)
    cells = np.concatenate([model.trace(text).layers[layer].cell for text in texts])
    depth = np.concatenate(depths)
    ranked = by_feature(cells, depth, top=cells.shape[1])
    return CountingUnits(ranked, n, len(depth))


@dataclass(frozen=True)
class ClampEffect:
    unit: int
    right_by_depth: dict[int, tuple[float, float]]  # true depth -> (share right as trained, with the gate shut)
    steps_by_depth: dict[int, int]  # true depth -> steps of the strings at that depth
    example: str  # the string of the set where the count breaks most
    example_before: float  # share of its depths right as trained
    example_after: float  # and with the forget gate held at 0
    example_deepest: int

    def shallow_and_deep(self, split: int = 3) -> tuple[float, float]:
        """The share of depths still right with the gate shut, at depth <= ``split`` and deeper (by steps)."""

        def share(keep) -> float:
            steps = [(self.steps_by_depth[d], self.right_by_depth[d][1]) for d in self.steps_by_depth if keep(d)]
            total = sum(s for s, _ in steps)
            return sum(s * a for s, a in steps) / total if total else float("nan")

        return share(lambda d: d <= split), share(lambda d: d > split)


def clamp_effect(model: LoadedModel, unit: int, n: int = STRINGS, seed: int = 0, layer: int = 0) -> ClampEffect:
    """Unit ``unit``'s forget gate held at 0 on every step of the ``n`` strings :func:`counting_units` reads."""
    from lstm_viz.analysis.intervene import intervene
    from lstm_viz.engine.trace import Clamp

    texts, depths = _strings(model, n, seed)
    right: dict[int, list[int]] = {}
    worst = None
    for text, depth in zip(texts, depths, strict=True):
        result = intervene(model, text, Clamp(layer, unit, "forget_gate", 0.0))
        before = result.before.probs.argmax(1) == depth
        after = result.after.probs.argmax(1) == depth
        for d, b, a in zip(depth.tolist(), before.tolist(), after.tolist(), strict=True):
            counts = right.setdefault(int(d), [0, 0, 0])
            counts[0] += 1
            counts[1] += b
            counts[2] += a
        drop = float(before.mean() - after.mean())
        if worst is None or drop > worst[0]:
            worst = (drop, text, float(before.mean()), float(after.mean()), int(depth.max()))
    _, text, before_share, after_share, deepest = worst
    by_depth = {d: (c[1] / c[0], c[2] / c[0]) for d, c in sorted(right.items())}
    return ClampEffect(
        unit, by_depth, {d: c[0] for d, c in sorted(right.items())}, text, before_share, after_share, deepest
    )


def describe_clamp(effect: ClampEffect, found: CountingUnits, split: int = 3) -> str:
    """Why a short string survives the clamp and a deep one does not, in the measured numbers."""
    shallow, deep = effect.shallow_and_deep(split)
    others = len(found.counting) - 1
    return (
        f"With unit {effect.unit}'s forget gate held at 0, its cell keeps only what it writes at the current "
        f"character, so it can no longer carry the count. Over the {found.strings} strings the model still gets "
        f"{shallow:.0%} of the depths up to {split} right, but only {deep:.0%} of the deeper ones. The count is "
        f"spread: {others} other unit{'s' * (others != 1)} follow the depth with |r| ≥ {COUNTING_R}, and without "
        f"unit {effect.unit} they still tell the shallow depths apart, so a short, shallow string such as ((())) "
        "survives the clamp; deep nesting needs this unit's memory."
    )
