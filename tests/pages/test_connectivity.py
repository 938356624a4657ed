"""Memory connectivity on the memory task: the measure is checked against an independent autograd computation
in float64, and where it says the first letter barely moves the prediction, the page says where the influence
went and shows, by swapping the letter, that the answer follows it."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from lstm_viz.analysis import connectivity
from lstm_viz.data import tasks
from lstm_viz.store import zoo
from tests.factory import open_app

TEXT, ANSWER = tasks.MemoryTask().example(40, seed=0)


def _independent(model, text: str) -> np.ndarray:
    module = copy.deepcopy(model.module).double()
    x = module.embedding(torch.tensor(model.encode(text).ids)).detach().requires_grad_(True)
    out, _ = module.rnn(x[None])
    logits = module.head(out[0, -1])
    (grad,) = torch.autograd.grad(torch.log_softmax(logits, -1)[int(logits.argmax())], x)
    return grad.norm(dim=1).numpy()


@pytest.mark.parametrize("name", ["memory-lstm", "memory-rnn"])
def test_the_influence_is_the_float64_autograd_gradient(name):
    model = zoo.load(name)
    got = connectivity.connectivity(model.module, model.encode(TEXT).ids, len(TEXT) - 1)
    want = _independent(model, TEXT)
    np.testing.assert_allclose(got / got.sum(), want / want.sum(), rtol=1e-3, atol=1e-9)


def test_the_lstm_answers_right_though_the_letter_gets_almost_no_gradient():
    model = zoo.load("memory-lstm")
    found = connectivity.influence_at_query(model, TEXT)
    assert found.first_share < 0.001  # true, measured: a nudge of the letter barely moves log p
    assert found.query_share > 0.5 and found.last_share > 0.9
    assert [s.answer for s in found.swaps] == list("ABCD")  # yet the answer follows the letter
    assert all(s.answer == s.letter for s in found.swaps)
    said = connectivity.describe_influence(found)
    assert f"{found.query_share:.0%}" in said and "A, B, C, D" in said


def test_the_page_says_where_the_influence_goes_and_that_the_answer_follows_the_letter():
    at = open_app(
        "app_pages/neuron_lab.py", timeout=240, model="memory-lstm", text=TEXT, lab_tab="Memory connectivity"
    )
    assert not at.exception, at.exception
    found = connectivity.influence_at_query(zoo.load("memory-lstm"), TEXT)
    shown = " ".join(m.value for m in at.markdown)
    assert connectivity.describe_influence(found) in shown, shown
