"""Explorer analysis: equation terms, cell update, unit orderings, trace export.

Gate values are recomputed independently from the model's weights with torch and compared
with what the analysis functions report.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import torch

from lstm_viz.analysis import equations, export, search
from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.engine.trace import trace
from lstm_viz.store import zoo

TEXT = "Now is the winter of our discontent"


@pytest.fixture(scope="module")
def shipped():
    model = zoo.load("shakespeare-char")
    return model, model.trace(TEXT)


def test_gate_terms_add_up_and_match_torch(shipped):
    model, tr = shipped
    step, unit = 7, 13
    for layer in range(tr.num_layers):
        lt, w = tr.layers[layer], equations.layer_weights(model.module, layer)
        rnn = model.module.rnn
        w_ih, w_hh = getattr(rnn, f"weight_ih_l{layer}"), getattr(rnn, f"weight_hh_l{layer}")
        b = getattr(rnn, f"bias_ih_l{layer}") + getattr(rnn, f"bias_hh_l{layer}")
        x, h = torch.tensor(lt.input[step]), torch.tensor(lt.h_prev[step])
        pre_all = (w_ih @ x + w_hh @ h + b).double()  # (4H,), packed i, f, g, o
        H = lt.hidden_size
        for k, gate in enumerate(("input_gate", "forget_gate", "candidate", "output_gate")):  # torch packs i, f, g, o
            terms = equations.gate_terms(lt, w, step, unit, gate)
            assert terms.input_part + terms.recurrent_part + terms.bias == pytest.approx(terms.preactivation, abs=1e-4)
            assert terms.preactivation == pytest.approx(float(pre_all[k * H + unit]), abs=1e-4)
            act = torch.tanh if gate == "candidate" else torch.sigmoid
            assert terms.value == pytest.approx(float(act(pre_all[k * H + unit])), abs=1e-5)
            assert terms.input_terms.sum() == pytest.approx(terms.input_part)
            top = terms.top_terms(3)
            assert len(top) == 3 and abs(top[0][2]) >= abs(top[1][2]) >= abs(top[2][2])
            every = np.abs(np.concatenate([terms.input_terms, terms.recurrent_terms]))
            assert abs(top[0][2]) == pytest.approx(every.max())


def test_cell_update_and_plain_words(shipped):
    _, tr = shipped
    lt = tr.layers[1]
    u = equations.cell_update(lt, 10, 5)
    assert u.kept + u.written == pytest.approx(u.cell, abs=1e-5)
    assert u.output_gate * np.tanh(u.cell) == pytest.approx(u.hidden, abs=1e-5)
    assert u.c_prev == pytest.approx(float(lt.cell[9, 5]))
    words = equations.plain_words(u)
    assert words[0].startswith(f"Forget gate {u.forget_gate:.2f}: the unit keeps {u.forget_gate:.0%}")
    assert f"{u.hidden:+.3f}" in words[3]


def test_rnn_terms_and_no_cell():
    torch.manual_seed(1)
    module = SequenceModel(ModelConfig(5, 5, cell="rnn", embed_dim=3, hidden_size=4, num_layers=1)).eval()
    tr = trace(module, [0, 3, 1, 4])
    lt, w = tr.layers[0], equations.layer_weights(module, 0)
    terms = equations.gate_terms(lt, w, 2, 1, "hidden")
    assert terms.input_part + terms.recurrent_part + terms.bias == pytest.approx(terms.preactivation, abs=1e-5)
    assert terms.value == pytest.approx(np.tanh(terms.preactivation), abs=1e-6)
    with pytest.raises(ValueError, match="no forget gate"):
        equations.gate_terms(lt, w, 2, 1, "forget_gate")
    with pytest.raises(ValueError, match="no cell state"):
        equations.cell_update(lt, 0, 0)
    assert list(lt.quantities()) == ["hidden", "preactivation"]


def test_unit_orderings():
    values = np.array([[0.5, 0.0, 0.95], [0.5, 1.0, 0.99], [0.5, 0.0, 0.02]])  # (T=3, H=3)
    assert search.unit_order(values, "index").tolist() == [0, 1, 2]
    assert search.unit_order(values, "variance")[0] == 1
    assert search.unit_order(values, "mean").tolist() == [2, 0, 1]
    sat = search.saturated_share(values, bounded01=True)
    assert sat.tolist() == pytest.approx([0.0, 1.0, 1.0])
    assert search.unit_order(values, "saturation")[-1] == 0
    assert search.saturated_share(np.array([[-0.95, 0.2]]), bounded01=False).tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="unknown ordering"):
        search.unit_order(values, "random")


def test_similarity_puts_units_that_move_together_side_by_side():
    """Two patterns over 40 steps, each carried by three units mixed among the others: ordered by similarity, each
    pattern's units are neighbours (the order is the same on every run: the sign of the component is fixed)."""
    rng = np.random.default_rng(0)
    steps = np.arange(40)
    up, down = np.sin(steps / 3.0), -np.sin(steps / 3.0)
    columns = [up, down, up, down, up, down]
    values = np.stack(columns, axis=1) + 0.05 * rng.standard_normal((40, 6))
    order = search.unit_order(values, "similarity").tolist()
    assert {frozenset(order[:3]), frozenset(order[3:])} == {frozenset({0, 2, 4}), frozenset({1, 3, 5})}, order
    assert search.unit_order(values, "similarity").tolist() == order
    assert search.unit_order(np.ones((5, 3)), "similarity").tolist() == [0, 1, 2]  # nothing moves: index order
    assert search.unit_order(np.ones((1, 3)), "similarity").tolist() == [0, 1, 2]


def test_trace_csv_and_json_hold_every_value(shipped):
    model, _ = shipped
    tr = model.trace("a,b")
    rows = list(csv.DictReader(io.StringIO(export.trace_csv(tr))))
    H = tr.layers[0].hidden_size
    assert len(rows) == tr.num_layers * len(tr) * H
    row = next(r for r in rows if r["layer"] == "1" and r["step"] == "1" and r["unit"] == "17")
    assert row["token"] == ","
    assert float(row["cell"]) == tr.layers[1].cell[1, 17]
    assert float(row["forget_gate_pre"]) == tr.layers[1].gate_preactivation("forget_gate")[1, 17]
    doc = json.loads(export.trace_json(tr, "shakespeare-char"))
    assert doc["tokens"] == ["a", ",", "b"]
    assert np.array_equal(np.array(doc["layers"][0]["hidden"], dtype=np.float32), tr.layers[0].hidden)
    assert np.array_equal(np.array(doc["probs"], dtype=np.float32), tr.probs)
