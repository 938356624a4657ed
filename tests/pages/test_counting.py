"""The counting units of brackets-lstm: one computation, checked against an independent correlation
and an independent clamp, and named the same on the RNN vs LSTM page and in the Neuron Lab."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_viz.analysis import counting
from lstm_viz.analysis.intervene import intervene
from lstm_viz.data import tasks
from lstm_viz.engine.trace import Clamp
from lstm_viz.store import zoo
from lstm_viz.ui import pages
from tests.factory import open_app


@pytest.fixture(scope="module")
def model():
    return zoo.load("brackets-lstm")


@pytest.fixture(scope="module")
def found(model):
    return counting.counting_units(model)


def test_the_units_are_ranked_by_their_correlation_with_the_depth_over_fixed_strings(model, found):
    task = tasks.BracketsTask(tokenizer=model.tokenizer)
    ids, depths = task.sample(20, np.random.default_rng(0))
    cells = np.concatenate([model.trace(task.tokenizer.decode(row.tolist())).layers[0].cell for row in ids])
    depth = depths.flatten().numpy()
    r = np.array([np.corrcoef(cells[:, u], depth)[0, 1] for u in range(cells.shape[1])])
    assert found.unit == int(np.argmax(np.abs(r)))
    assert found.r == pytest.approx(r[found.unit], abs=1e-6)
    assert [u for u, _ in found.ranked] == np.argsort(-np.abs(r), kind="stable").tolist()
    assert len(found.counting) >= 2 and all(abs(r_) >= counting.COUNTING_R for _, r_ in found.counting)


def test_the_clamp_example_breaks_the_count_and_short_shallow_strings_survive(model, found):
    effect = counting.clamp_effect(model, found.unit)
    depth = np.array(tasks.bracket_depths(effect.example))
    result = intervene(model, effect.example, Clamp(0, found.unit, "forget_gate", 0.0))
    assert effect.example_after == pytest.approx((result.after.probs.argmax(1) == depth).mean())
    assert effect.example_before - effect.example_after >= 0.25  # visibly broken
    shallow, deep = effect.shallow_and_deep()
    assert shallow > deep + 0.2
    short = "((()))"
    held = intervene(model, short, Clamp(0, found.unit, "forget_gate", 0.0))
    assert (held.after.probs.argmax(1) == np.array(tasks.bracket_depths(short))).all()
    said = counting.describe_clamp(effect, found)
    assert f"{shallow:.0%}" in said and f"{deep:.0%}" in said and "((()))" in said


def test_the_rnn_vs_lstm_page_names_the_counting_unit_and_shows_the_clamp_breaking_the_count(model, found):
    at = open_app("app_pages/rnn_vs_lstm.py", timeout=300, rvl_tab=pages.TABS["rvl_tab"][3])
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Counting unit"] == f"unit {found.unit}"
    effect = counting.clamp_effect(model, found.unit)
    shown = " ".join(m.value for m in at.markdown)
    assert counting.describe_clamp(effect, found) in shown
    assert effect.example in " ".join(c.value for c in at.code) + shown
