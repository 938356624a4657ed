"""The RNN vs LSTM page under AppTest: its numbers against independent computations, its words
against the measurements, bad input, and a live race with a tiny budget (through the job manager,
leaving the shipped models alone)."""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.analysis import counting, memory
from lstm_viz.data import tasks
from lstm_viz.engine import cell
from lstm_viz.store import zoo
from lstm_viz.training import jobs
from lstm_viz.ui import pages
from tests.factory import open_app

PAGE = "app_pages/rnn_vs_lstm.py"
SEED = 1234


@pytest.fixture(scope="module")
def models():
    return {name: zoo.load(name) for regime in memory.REGIMES for name in regime.models.values()}


@pytest.fixture(scope="module")
def at():
    app = open_app(PAGE, timeout=180, rvl_seed=SEED)
    assert not app.exception, app.exception
    return app


def show(at: AppTest, section: int) -> AppTest:
    """Open the page's tab of section 1-5 (its tabs are lazy: only the open one runs)."""
    at.session_state["rvl_tab"] = pages.TABS["rvl_tab"][section - 1]
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def words(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_accuracy_is_measured_on_the_pages_fresh_strings(at, models):
    show(at, 1)
    data = tasks.MemoryTask(tokenizer=models["memory-lstm"].tokenizer)
    fresh = {
        n: tasks.accuracy_by_gap(m.module, data, gaps=memory.PAGE_GAPS, per_gap=memory.SAMPLE_PER_GAP, seed=SEED)
        for n, m in models.items()
    }
    assert metric(at, "LSTM at N = 100 (mostly long)") == f"{fresh['memory-lstm'][100]:.0%}"
    assert metric(at, "RNN at N = 5 (mostly long)") == f"{fresh['memory-rnn'][5]:.0%}"
    assert metric(at, "RNN at N = 5 (many short)") == f"{fresh['memory-rnn-short'][5]:.0%}"
    for regime in memory.REGIMES:  # each model's sentence is the one its measurements give
        for kind, name in regime.models.items():
            assert memory.describe(kind, fresh[name], 0.25, regime, memory.SAMPLE_PER_GAP) in words(at), name
    assert "has not learned the task" in words(at)
    assert f"same size ({models['memory-lstm'].card['hidden_size']} units)" in words(at)  # read from the cards
    shown = " ".join(c.proto.spec for c in at.get("plotly_chart")) + words(at)  # a column's chart title is page text
    assert "Does the model still know the first letter?" in shown and "held-out accuracy" in shown


def test_the_page_opens_on_the_lessons_sample_and_tells_the_lessons_story():
    """No seed of its own: the fixed sample (stated with its n), and the same sentences as the long-gaps lesson."""
    from lstm_viz.lessons import facts, schema

    app = open_app(PAGE, timeout=180)
    assert not app.exception, app.exception
    shown = " ".join(c.value for c in app.caption)
    n = memory.SAMPLE_PER_GAP
    assert f"{n} fresh strings at each gap, drawn with seed {memory.SAMPLE_SEED}" in shown, shown
    assert "(the sample the lesson states)" in shown and "binomial test" in shown, shown
    stop = schema.find("long-gaps").stops[0]
    told = facts.compute(stop, zoo.load)
    assert told.values["rnn_long_says"] in words(app) and told.values["strings"] == n
    assert "rise towards 1" not in words(app)
    assert "vanishing gradient" in words(show(app, 2))  # the gradient's tab says it with its own numbers


def test_gradient_numbers_are_those_of_the_untrained_models(at, models):
    show(at, 2)
    text, answer = tasks.MemoryTask().example(100, seed=0)
    assert metric(at, "Answer") == answer
    for kind, name in memory.REGIMES[0].models.items():
        start = memory.start_gradient(models[name], text)
        assert metric(at, cell.KINDS[kind].short) == f"{start.reach():.1e}"
    table = at.dataframe[0].value
    formula = table["formula ‖∏ Vᵀ diag(1−h²) e‖"].astype(float).to_numpy()
    measured = table["autograd ‖∂L/∂h_t‖"].astype(float).to_numpy()
    np.testing.assert_allclose(formula, measured, rtol=1e-3)  # the product formula is the gradient
    assert "is c, not h, that carries it" in words(at)
    at.toggle(key="rvl_trained").set_value(True).run()
    assert not at.exception
    trained = memory.start_gradient(models["memory-lstm"], text, trained=True)
    assert metric(at, "LSTM") == f"{trained.reach():.1e}"
    at.toggle(key="rvl_trained").set_value(False).run()


def test_typed_strings(at, models):
    show(at, 2).text_input(key="rvl_text").input("B0123456789?").run()
    assert not at.exception, at.exception
    assert metric(at, "Answer") == "B"
    probs = models["memory-lstm"].trace("B0123456789?").probs[-1]
    show(at, 3)  # the same string, kept while the tab changed
    assert at.text_input(key="rvl_text").value == "B0123456789?"
    assert metric(at, "LSTM says") == models["memory-lstm"].labels[int(np.argmax(probs))]
    show(at, 2)
    for bad in ("hello 🦜", "B12", "E12?", "B1x?", "x" * 300):
        at.text_input(key="rvl_text").input(bad).run()
        assert not at.exception, (bad, at.exception)
        warning = next(w.value for w in at.warning if "not a memory string" in w.value)
        assert len(warning) < 400, bad  # a long typed string is cut in the message
    at.text_input(key="rvl_text").input("").run()


def test_step_slider_survives_a_shorter_string(at):
    show(at, 3)
    at.slider(key="rvl_step").set_value(90).run()
    at.text_input(key="rvl_text").input("C7?").run()
    assert not at.exception, at.exception
    assert at.slider(key="rvl_step").value == 2
    at.text_input(key="rvl_text").input("").run()


def test_counting_unit_reads_as_rising_and_odd_bracket_input(at):
    show(at, 4)
    unit, r = counting.find_counting_unit(zoo.load("brackets-lstm"))
    assert metric(at, "Counting unit") == f"unit {unit}"
    assert metric(at, "Correlation with depth") == f"{r:+.3f}"
    counter = next(c for c in at.get("plotly_chart") if "The counting unit" in c.proto.spec)
    layout = json.loads(counter.proto.spec)["layout"]
    assert "autorange" not in layout["yaxis2"]  # never a flipped axis: a downward counter is drawn as −c
    assert layout["yaxis"]["title"]["text"] == (f"−c[{unit}]" if r < 0 else f"c[{unit}]")
    shut = next(m for m in at.metric if m.label == "With the forget gate shut")  # a change of a share: points, not %
    before, after = (float(metric(at, label).rstrip("%")) for label in ("Depth right as trained", shut.label))
    assert shut.proto.delta == f"{after - before:+.0f} points"
    at.text_input(key="rvl_bracket_text").input("((a[b]))🙂(((((((((x)))))))))").run()
    assert not at.exception, at.exception
    assert any("nests deeper" in w.value for w in at.warning)


def _digest(name: str) -> str:
    return hashlib.sha256((zoo.SHIPPED_DIR / name / "model.safetensors").read_bytes()).hexdigest()


def test_a_race_with_a_tiny_budget_runs_through_the_job_manager(at, monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_TRAIN_THREADS", "1")
    before = {n: _digest(n) for regime in memory.REGIMES for n in regime.models.values()}
    show(at, 5)
    at.number_input(key="rvl_race_steps").set_value(10).run()
    at.multiselect(key="rvl_race_cells").set_value(["lstm", "rnn", "gru"]).run()
    at.button(key="rvl_race").click().run()
    assert not at.exception, at.exception
    race = jobs.manager().get(at.session_state["rvl_race_session"])
    assert race is not None and [spec.overrides["cell"] for spec, _ in race.runs] == ["lstm", "rnn", "gru"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and race.snapshot().active:
        time.sleep(0.5)
    at.run()
    at.run()
    assert not at.exception, at.exception
    assert any("Trained for 10 steps each on mostly long gaps" in s.value for s in at.success)
    snap = race.snapshot()
    assert [run["name"] for run in snap.finished] == ["race-lstm", "race-rnn", "race-gru"]
    assert all(0 <= a <= 1 for run in snap.finished for a in run["card"]["metrics"]["accuracy_by_gap"].values())
    assert all(not out.exists() for _, out in race.runs)  # the race's folders are gone; its cards are kept
    assert not race.runs[0][1].parent.exists()  # and so is the temporary folder that held them
    assert before == {n: _digest(n) for n in before}


def _chart_spec(at: AppTest, key: str) -> dict:
    return json.loads(next(c.proto.spec for c in at.get("plotly_chart") if key in c.proto.id))


def test_each_step_draws_its_own_cursor_and_a_step_seen_before_is_served_as_drawn(at):
    """The heatmaps are kept per input (step included): a kept chart must never show another step's cursor."""
    specs = {}
    show(at, 3)
    for step in (3, 7, 3):
        at.slider(key="rvl_step").set_value(step).run()
        assert not at.exception, at.exception
        spec = _chart_spec(at, "rvl_lstm_gate")
        cursor = [s for s in spec["layout"].get("shapes", []) if s.get("x0") == s.get("x1")]
        assert cursor and all(s["x0"] == step for s in cursor), (step, cursor)
        specs.setdefault(step, spec)
        assert spec == specs[step]
    assert specs[3] != specs[7]
