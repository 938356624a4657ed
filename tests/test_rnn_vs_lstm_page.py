"""The RNN vs LSTM page under AppTest: its numbers against independent computations, bad input,
and the train-both race with a tiny budget (which must leave the shipped models alone)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz import zoo
from lstm_viz.analysis import gradients, units
from lstm_viz.data import tasks

ROOT = Path(__file__).resolve().parents[1]
PAGE = "app_pages/rnn_vs_lstm.py"
SEED = 1234


@pytest.fixture(scope="module")
def models():
    return {name: zoo.load(name) for name in ("memory-lstm", "memory-rnn")}


@pytest.fixture(scope="module")
def at():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.session_state["rvl_seed"] = SEED
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_accuracy_is_measured_on_the_pages_fresh_strings(at, models):
    data = tasks.MemoryTask(tokenizer=models["memory-lstm"].tokenizer)
    for name, short in (("memory-lstm", "LSTM"), ("memory-rnn", "RNN")):
        expected = tasks.accuracy_by_gap(models[name].module, data, per_gap=200, seed=SEED)
        assert metric(at, f"{short} at N = 100") == f"{expected[100]:.0%}"
        assert metric(at, f"{short} at N = 5") == f"{expected[5]:.0%}"
    spec = at.get("plotly_chart")[0].proto.spec
    assert "Does the model still know the first symbol?" in spec


def test_gradient_numbers_match_the_analysis(at, models):
    text, answer = tasks.MemoryTask().example(100, seed=0)
    assert metric(at, "Answer") == answer
    ratios = {}
    for name in ("memory-lstm", "memory-rnn"):
        model = models[name]
        ids = np.asarray(model.encode(text).ids)
        targets = np.full(len(ids), -100)
        targets[-1] = model.labels.index(answer)
        ratios[name] = gradients.gradient_ratio(gradients.gradient_flow(model.module, ids, targets).hidden_norm)
    assert metric(at, "LSTM ‖∂L/∂h₀‖ / ‖∂L/∂h_101‖") == f"{ratios['memory-lstm']:.2e}"
    assert metric(at, "RNN ‖∂L/∂h₀‖ / ‖∂L/∂h_101‖") == f"{ratios['memory-rnn']:.2e}"
    v = models["memory-rnn"].module.rnn.weight_hh_l0.detach().numpy()
    assert metric(at, "Spectral radius of the RNN's V") == f"{np.max(np.abs(np.linalg.eigvals(v))):.3f}"
    table = at.dataframe[0].value
    formula = table["formula ‖∏ Vᵀ diag(1−h²) e‖"].astype(float).to_numpy()
    measured = table["autograd ‖∂L/∂h_t‖"].astype(float).to_numpy()
    np.testing.assert_allclose(formula, measured, rtol=1e-3)  # the product formula is the gradient


def test_typed_strings(at, models):
    at.text_input(key="rvl_text").input("B0123456789?").run()
    assert not at.exception, at.exception
    assert metric(at, "Answer") == "B"
    probs = models["memory-lstm"].trace("B0123456789?").probs[-1]
    assert metric(at, "LSTM says") == models["memory-lstm"].labels[int(np.argmax(probs))]
    for bad in ("hello 🦜", "B12", "E12?", "B1x?"):
        at.text_input(key="rvl_text").input(bad).run()
        assert not at.exception, (bad, at.exception)
        assert any("not a memory string" in w.value for w in at.warning), bad
    at.text_input(key="rvl_text").input("").run()


def test_step_slider_survives_a_shorter_string(at):
    at.slider(key="rvl_step").set_value(90).run()
    at.text_input(key="rvl_text").input("C7?").run()
    assert not at.exception, at.exception
    assert at.slider(key="rvl_step").value == 2
    at.text_input(key="rvl_text").input("").run()


def test_counting_unit_and_odd_bracket_input(at):
    unit, r = units.find_counting_unit(zoo.load("brackets-lstm"))
    assert metric(at, "Counting unit (found automatically)") == f"unit {unit}"
    assert metric(at, "Correlation with depth (20 strings)") == f"{r:+.3f}"
    at.text_input(key="rvl_bracket_text").input("((a[b]))🙂(((((((((x)))))))))").run()
    assert not at.exception, at.exception
    assert any("nests deeper" in w.value for w in at.warning)


def _digest(name: str) -> str:
    return hashlib.sha256((zoo.SHIPPED_DIR / name / "model.safetensors").read_bytes()).hexdigest()


def test_train_both_with_a_tiny_budget(at):
    before = {n: _digest(n) for n in ("memory-lstm", "memory-rnn")}
    at.number_input(key="rvl_race_steps").set_value(10).run()
    at.button(key="rvl_race").click().run()
    assert not at.exception, at.exception
    assert any("Trained for 10 steps each" in s.value for s in at.success)
    race = at.session_state["rvl_race_result"]
    assert set(race["accuracy"]) == {"new LSTM", "new RNN"}
    assert all(0 <= a <= 1 for acc in race["accuracy"].values() for a in acc.values())
    assert race["loss"]["new LSTM"][0][-1] == 10  # the last logged step
    assert {n: _digest(n) for n in before} == before
