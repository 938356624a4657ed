"""Statistics over units: orderings, saturation, and the unit that tracks a known feature."""

from __future__ import annotations

import numpy as np

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


def find_counting_unit(model, n: int = 20, seed: int = 0, layer: int = 0) -> tuple[int, float]:
    """The unit of a trained brackets model whose cell state correlates best with the true depth,
    measured over ``n`` fixed-seed strings read one after another: ``counting.counting_units``'s first."""
    from lstm_viz.analysis.counting import counting_units

    found = counting_units(model, n=n, seed=seed, layer=layer)
    return found.unit, found.r
