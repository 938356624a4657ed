"""Every kind of cell (LSTM, GRU, vanilla RNN) described as itself on every explorer page.

The Equations page's filled-in numbers are checked against ``torch.nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``
built here from the saved weights (not through the app's model or Trace), layer by layer; the
gates, which torch does not expose, are computed by hand in float64 from the same weights.
Gate Heatmaps, the links, the trace export and the Step Through payload are checked per kind too.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re

import numpy as np
import pytest
import streamlit as st
import torch
from safetensors.torch import load_file
from torch import nn

from lstm_viz.analysis import export
from lstm_viz.engine import cell
from lstm_viz.plots import stepper_payload
from lstm_viz.store import zoo
from tests.factory import open_app, write_every_kind

MODELS = {"lstm": ("tiny-seq", "(ab)(a(b)"), "gru": ("tiny-gru", "hello world"), "rnn": ("tiny-rnn", "hello world")}
TORCH = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
LAYER, STEP, UNIT = 1, 4, 3


@pytest.fixture(scope="module", autouse=True)
def user_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("kinds_home")
    write_every_kind(home)
    old = os.environ.get("LSTM_VIZ_HOME")
    os.environ["LSTM_VIZ_HOME"] = str(home)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield home
    if old is None:
        os.environ.pop("LSTM_VIZ_HOME", None)
    else:
        os.environ["LSTM_VIZ_HOME"] = old
    st.cache_data.clear()


@torch.no_grad()
def reference(home, kind: str, name: str, text: str) -> dict[str, float]:
    """Unit UNIT of layer LAYER at step STEP, from torch's own modules over the saved weights (float64 gates)."""
    weights = load_file(str(home / name / "model.safetensors"))
    vocab = json.loads((home / name / "card.json").read_text())["tokenizer"]["vocab"]
    x = weights["embedding.weight"][[vocab.index(ch) for ch in text]].double()
    for k in range(LAYER + 1):
        w = {n: weights[f"rnn.{n}_l{k}"].double() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        module = TORCH[kind](x.shape[1], w["weight_hh"].shape[1], batch_first=True).double()
        module.load_state_dict({f"{n}_l0": v for n, v in w.items()})
        out = module(x[None])[0][0]
        if k < LAYER:
            x = out
    H = w["weight_hh"].shape[1]
    xt, hp = x[STEP], (out[STEP - 1] if STEP else torch.zeros(H, dtype=torch.float64))
    pre_in, pre_h = w["weight_ih"] @ xt + w["bias_ih"], w["weight_hh"] @ hp + w["bias_hh"]
    row = lambda pre, block: pre[block * H + UNIT]  # noqa: E731
    got = {"h": float(out[STEP, UNIT])}
    if kind == "rnn":
        got["pre"] = float(pre_in[UNIT] + pre_h[UNIT])
        assert np.tanh(got["pre"]) == pytest.approx(got["h"], abs=1e-9)
    elif kind == "gru":
        r = torch.sigmoid(row(pre_in, 0) + row(pre_h, 0))
        z = torch.sigmoid(row(pre_in, 1) + row(pre_h, 1))
        n = torch.tanh(row(pre_in, 2) + r * row(pre_h, 2))
        got |= {"r": float(r), "z": float(z), "n": float(n)}
        assert float((1 - z) * n + z * hp[UNIT]) == pytest.approx(got["h"], abs=1e-9)
    else:
        i, f, g, o = (row(pre_in, b) + row(pre_h, b) for b in range(4))
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        _, (_, c_n) = module(x[None, : STEP + 1])
        got |= {"i": float(i), "f": float(f), "g": float(g), "o": float(o), "c": float(c_n[0, 0, UNIT])}
        assert float(o * torch.tanh(c_n[0, 0, UNIT])) == pytest.approx(got["h"], abs=1e-9)
    return got


def shown_values(latex: list[str]) -> dict[str, float]:
    """symbol -> the last number of its rows in the page's aligned LaTeX (``X_t[unit] &= ... = VALUE``)."""
    found, current = {}, None
    for body in latex:
        for row in body.split(r"\\"):
            start = re.match(r"[\s$]*(?:\\begin\{aligned\})?\s*([a-z])_t\[" + str(UNIT) + r"\]\s*&=", row)
            if start:
                current = start.group(1)
            numbers = re.findall(r"= *\(?(-?\d+\.\d+)\)?", row)
            if current and numbers:
                found[current] = float(numbers[-1])
    return found


@pytest.mark.parametrize("kind", list(MODELS))
def test_equations_page_shows_the_kinds_equations_with_torchs_numbers(kind, user_home):
    name, text = MODELS[kind]
    at = open_app("app_pages/equations.py", model=name, text=text, layer=LAYER, step=STEP, unit=UNIT)
    assert not at.exception, at.exception
    latex = [x.value for x in at.latex]
    want = reference(user_home, kind, name, text)
    shown = shown_values(latex)
    assert set(shown) == set(want) - {"pre"}, (shown, latex)
    for symbol, value in shown.items():
        assert value == pytest.approx(want[symbol], abs=2e-4), (symbol, latex)
    page = " ".join(latex) + " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
    equations = latex[0]
    if kind == "gru":
        assert all(s in equations for s in ("r_t", "z_t", "n_t", r"(1 - z_t)", r"r_t \odot")), equations
        assert "vanilla RNN" not in page and "c_t" not in page and "forget" not in page
    elif kind == "rnn":
        assert r"\tanh(W_{ih}" in equations and "r_t" not in page and "f_t" not in page
        assert f"{want['pre']:.4f}" in page
    else:
        assert all(s in equations for s in ("f_t", "i_t", "g_t", "o_t", "c_t")) and "GRU" not in page
        assert "vanilla RNN" not in page


def test_gru_heatmaps_name_the_grus_quantities_not_an_rnns():
    at = open_app("app_pages/heatmaps.py", model="tiny-gru", text="hello world")
    assert not at.exception, at.exception
    options = at.selectbox(key="quantity").options
    assert options == ["r  reset gate", "z  update gate", "n  new gate", "h  hidden state"], options
    notes = " ".join(i.value for i in at.info)
    assert "vanilla RNN" not in notes and "GRU" in notes
    page = " ".join(h.value for h in at.subheader)
    assert "Cell state" not in page and "Hidden state" in page
    legend = " ".join(x.body for x in at.get("html"))
    assert "gates r, z" in legend and "f, i, o" not in legend
    chart = at.get("plotly_chart")[-1].proto.spec
    assert "Cell state" not in chart and "Hidden state" in chart


@pytest.mark.parametrize("page", ["step_through", "heatmaps"])
def test_a_link_with_a_gru_gate_opens_on_a_gru(page):
    key = "colour" if page == "step_through" else "quantity"
    at = open_app(f"app_pages/{page}.py", params={"model": "tiny-gru", "text": "hello", key: "reset_gate"})
    assert not at.exception, at.exception
    assert at.session_state[key] == "reset_gate"
    assert "reset_gate" not in " ".join(w.value for w in at.warning)


@pytest.mark.parametrize("kind", list(MODELS))
def test_export_has_the_kinds_own_columns(kind):
    name, text = MODELS[kind]
    tr = zoo.load(name).trace(text)
    rows = list(csv.DictReader(io.StringIO(export.trace_csv(tr))))
    spec = cell.KINDS[kind]
    values = [q for q in spec.quantities if q != "preactivation"]
    expected_pre = [f"{b}_pre" for b in spec.blocks]
    assert spec.export_columns == (*values, *expected_pre)
    assert list(rows[0]) == ["layer", "step", "token", "token_id", "unit", *values, *expected_pre]
    if kind == "gru":
        assert "reset_gate" in rows[0] and "update_gate" in rows[0] and "hidden_pre" not in rows[0]
    layer = tr.layers[LAYER]
    row = next(r for r in rows if (int(r["layer"]), int(r["step"]), int(r["unit"])) == (LAYER, STEP, UNIT))
    for q in values:
        assert float(row[q]) == float(getattr(layer, q)[STEP, UNIT])
    for b, column in zip(spec.blocks, expected_pre, strict=True):
        assert float(row[column]) == float(layer.gate_preactivation(b)[STEP, UNIT])
    doc = json.loads(export.trace_json(tr, name))
    assert doc["cell_type"] == kind and doc["gate_order_in_preactivation"] == list(spec.blocks)
    assert set(spec.quantities) - {"preactivation"} <= set(doc["layers"][LAYER])


@pytest.mark.parametrize("kind", list(MODELS))
def test_step_through_payload_carries_the_kinds_diagram(kind):
    from lstm_viz.ui import stepper

    name, text = MODELS[kind]
    tr = zoo.load(name).trace(text)
    payload = stepper_payload.layer_payload(tr, LAYER, "key", 30)
    diagram = payload["diagram"]
    assert diagram["kind"] == kind and diagram["slots"], diagram
    markup = stepper._html()
    template = re.search(rf'<template data-diagram="{kind}">(.*?)</template>', markup, re.S)
    assert template, f"no {kind} diagram in the stepper"
    svg = template.group(1)
    for slot in diagram["slots"]:
        assert f'id="val-{slot}"' in svg, slot
    for box in diagram["boxes"]:
        assert f'id="box-{box}"' in svg, box
    symbols = {q["symbol"] for q in payload["quantities"]}
    if kind == "gru":
        assert {"r", "z", "n"} <= set(diagram["boxes"]) and {"r", "z", "n", "h"} == symbols
        assert "c_prev" not in payload["chunks"]["entry"] and "h_prev" in payload["chunks"]["entry"]
