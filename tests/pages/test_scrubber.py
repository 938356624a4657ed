"""Gates over training on the explorer pages: the sidebar's training-step slider shows the text
through the weights the model kept at that step, on Step Through, Gate Heatmaps and Equations."""

from __future__ import annotations

import pytest

from lstm_viz.store import history, zoo
from tests.factory import open_app

TEXT = "To be, or not to be"


def shown_values(at) -> dict[str, str]:
    return {m.label.split(" · ")[0]: m.value for m in at.metric}


def expected(trace, layer: int, step: int, unit: int) -> dict[str, str]:
    lt = trace.layers[layer]
    names = {"f": "forget_gate", "i": "input_gate", "g": "candidate", "o": "output_gate", "c": "cell", "h": "hidden"}
    return {k: f"{float(getattr(lt, q)[step, unit]):.4f}" for k, q in names.items()}


@pytest.fixture(scope="module")
def model():
    return zoo.load("shakespeare-char")


def test_the_slider_offers_the_kept_steps_and_the_untrained_model_is_shown(model):
    kept = [c.training_step for c in history.checkpoints(model)]
    assert kept[0] == 0 and kept[-1] == model.card["metrics"]["measured_at_step"] and len(kept) >= 4
    at = open_app("app_pages/heatmaps.py", model="shakespeare-char", text=TEXT, step=5, unit=3)
    assert not at.exception
    slider = at.select_slider(key="checkpoint")
    assert list(slider.options) == [f"{s:,}" + (" untrained" if s == 0 else " trained" if s == kept[-1] else "")
                                    for s in kept]  # fmt: skip
    assert shown_values(at) == expected(model.trace(TEXT), 0, 5, 3)  # the trained model first
    slider.set_value(0).run()
    assert not at.exception
    untrained = history.load(model, 0).trace(TEXT)
    assert shown_values(at) == expected(untrained, 0, 5, 3)
    assert any("before any training" in i.value for i in at.info)
    assert at.query_params["checkpoint"] in ("0", ["0"])


@pytest.mark.parametrize("page", ["app_pages/equations.py", "app_pages/heatmaps.py"])
def test_a_link_to_a_training_step_shows_that_step(model, page):
    step = history.checkpoints(model)[2].training_step
    at = open_app(page, params={"model": "shakespeare-char", "text": TEXT, "step": "4", "unit": "7", "layer": "1",
                                "checkpoint": str(step)})  # fmt: skip
    assert not at.exception
    then = history.load(model, step).trace(TEXT).layers[1]
    shown = " ".join(x.value for x in at.latex) + " ".join(m.value for m in at.metric)
    assert f"{then.cell[4, 7]:.4f}" in shown and f"{then.hidden[4, 7]:.4f}" in shown
    assert f"{model.trace(TEXT).layers[1].cell[4, 7]:.4f}" not in shown


def test_a_step_the_model_did_not_keep_is_explained():
    at = open_app("app_pages/heatmaps.py", params={"model": "shakespeare-char", "text": TEXT, "checkpoint": "17"})
    assert not at.exception
    said = " ".join(w.value for w in at.warning)
    assert "kept no weights at training step 17" in said and "Showing the trained model" in said


def test_a_model_without_history_has_no_slider():
    at = open_app("app_pages/heatmaps.py", model="words-lm", text="the old man")
    assert not at.exception
    assert not at.get("select_slider") or all(s.key != "checkpoint" for s in at.get("select_slider"))


def test_the_chosen_step_survives_a_page_change(model):
    step = history.checkpoints(model)[3].training_step
    at = open_app("app_pages/step_through.py", model="shakespeare-char", text=TEXT, unit=3)
    at.select_slider(key="checkpoint").set_value(step).run()
    at.slider(key="step").set_value(6).run()
    for page in ("app_pages/heatmaps.py", "app_pages/equations.py", "app_pages/step_through.py"):
        at.switch_page(page).run()
        assert not at.exception
        assert at.session_state["checkpoint"] == step
        if page != "app_pages/equations.py":
            assert shown_values(at) == expected(history.load(model, step).trace(TEXT), 0, 6, 3), page
