"""The Equations page's numbers in the browser: the frames the server writes, and the protocol, in AppTest.

The browser's side (KaTeX typesetting, keys, the painted step) is tested in Chromium by
tests/system/browser/test_equations_browser.py.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.analysis import equations
from lstm_viz.engine import cell
from lstm_viz.store import zoo
from lstm_viz.ui import equation_stepper as es
from lstm_viz.ui import frame_stepper, latex
from tests.factory import HAMLET, open_app
from tests.pages.standin import components, run_as_reported

KINDS = {"lstm": "shakespeare-char", "gru": "memory-gru", "rnn": "memory-rnn"}
LONG = HAMLET * 3


def _numbers(tex: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d{4}", tex)]


@pytest.mark.parametrize("kind", KINDS)
def test_each_frame_carries_the_traces_own_numbers(kind):
    """Every block's equation ends in the Trace's pre-activation and value; the update ends in its h_t."""
    model = zoo.load(KINDS[kind])
    text = "D5230001869569765592?" if kind != "lstm" else HAMLET
    trace = model.trace(text)
    for layer_index, layer in enumerate(trace.layers):
        weights = equations.layer_weights(model.module, layer_index)
        for step in (0, len(trace) // 2, len(trace) - 1):
            for unit in (0, layer.hidden_size - 1):
                f = es.frame(trace, layer_index, weights, step, unit)
                assert f"step **{step}** of {len(trace)}" in f["caption"] and f"unit **{unit}**" in f["caption"]
                assert [b["title"] for b in f["blocks"]] == [
                    f"Largest terms of the {cell.QUANTITY[b].label}'s dot products" for b in layer.spec.blocks
                ]
                for block, shown in zip(layer.spec.blocks, f["blocks"], strict=True):
                    *_, pre, value = _numbers(shown["latex"])
                    assert value == pytest.approx(float(layer.quantity(block)[step, unit]), abs=5e-5)
                    terms = equations.gate_terms(layer, weights, step, unit, block)
                    assert shown["latex"] == latex.gate_latex(terms, unit)
                    assert pre == pytest.approx(terms.preactivation, abs=5e-5)
                    parts = (
                        terms.input_part
                        + terms.bias_ih
                        + (terms.reset if terms.reset is not None else 1.0) * (terms.recurrent_part + terms.bias_hh)
                    )
                    assert parts == pytest.approx(terms.preactivation, abs=1e-4)  # the equation adds up
                    assert len(shown["lines"]) == 5
                hidden = float(layer.quantity("hidden")[step, unit])
                if kind == "rnn":
                    assert f["update"] is None and _numbers(f["blocks"][0]["latex"])[-1] == pytest.approx(
                        hidden, abs=5e-5
                    )
                else:
                    assert _numbers(f["update"])[-1] == pytest.approx(hidden, abs=5e-5)
                assert f["words"] == equations.plain_words(equations.step_update(layer, step, unit))


def test_chunks_cover_the_text_in_order_and_are_built_once():
    model = zoo.load(KINDS["lstm"])
    trace = model.trace(LONG)
    weights = equations.layer_weights(model.module, 0)
    n, last = len(trace), (len(trace) - 1) // es.CHUNK
    assert frame_stepper.chunks_around(0, n) == [0, 1]
    assert frame_stepper.chunks_around(n - 1, n) == [last, last - 1]
    assert frame_stepper.chunks_around(es.CHUNK * 2 + 5, n) == [2, 1, 3]
    frames = es.chunk(trace, 0, weights, 4, last)
    assert len(frames) == n - last * es.CHUNK
    assert frames[-1]["heading"] == f"With the numbers: unit 4, step {n - 1}"
    sel = SimpleNamespace(name=KINDS["lstm"], text=LONG, at_step=None, layer=0, trace=trace, model=model)
    kept = es.chunk_frames(sel, 4, last)
    assert kept == frames and es.chunk_frames(sel, 4, last) is kept  # built once, then the same object


# --- the page, in AppTest -------------------------------------------------------------------------


def _ours(at: AppTest):
    """The page's equations component (the other one loads KaTeX and has no data)."""
    (found,) = [e for e in components(at) if "frames" in e.proto.json]
    return found


def data(at: AppTest) -> dict:
    return json.loads(_ours(at).proto.json)


def report(at: AppTest, **view) -> AppTest:
    """Run the page as if the browser reported ``view`` (merged into what it was last sent)."""
    sent = data(at)
    full = {"id": sent["id"], "seq": sent["seq"], "step": sent["step"], "live": True, "moved": True}
    full |= {"need": [], "req": 0} | view
    return run_as_reported(at, _ours(at), full)


def open_equations(text: str = LONG, **session) -> AppTest:
    return open_app("app_pages/equations.py", **{"model": KINDS["lstm"], "text": text, **session})


def test_the_page_sends_frames_and_draws_its_own_view_until_the_browser_reports():
    at = open_equations(step=40, unit=7)
    assert not at.exception
    sent = data(at)
    assert sent["step"] == 40 and sent["seq"] == 1 and set(sent["frames"]) == {"0", "1", "2"}
    assert sent["frames"]["1"][40 - es.CHUNK]["heading"] == "With the numbers: unit 7, step 40"
    assert at.button(key="eq_right") and len(at.latex) == 1 + 4 + 1  # the server's view is there too
    at = report(at, moved=False)  # the browser's view started
    assert not at.exception
    assert not [b for b in at.button if (b.key or "").startswith("eq_")] and len(at.latex) == 1  # only the kind's


def test_a_report_sets_the_step_and_the_link_and_chunks_are_sent_when_asked():
    at = report(open_equations(step=0, unit=3), step=70, need=[2, 99, -1, "x"], req=1)
    assert not at.exception and at.session_state["step"] == 70
    step = at.query_params["step"]
    assert (step[0] if isinstance(step, list) else step) == "70"
    assert set(data(at)["frames"]) == {"2"} and data(at)["seq"] == 1  # the browser's own step is not sent back
    before = _ours(at).proto.json
    at = report(at, step=71, need=[2], req=1)  # a later report of the same request: nothing new
    assert _ours(at).proto.json == before and at.session_state["step"] == 71


def test_stale_or_invalid_reports_do_not_move_the_step_and_a_new_unit_sends_new_frames():
    at = report(open_equations(step=5, unit=0), moved=False)
    at = report(at, step=50, seq=0)  # about a step the server has since replaced
    assert at.session_state["step"] == 5
    at = report(at, step=10_000)  # out of range: the server's step is sent again
    assert at.session_state["step"] == 5 and data(at)["seq"] == 2 and data(at)["step"] == 5
    at.number_input(key="unit").set_value(9).run()
    sent = data(at)
    assert "\x009\x00" in sent["id"] and sent["frames"]["0"][5]["heading"] == "With the numbers: unit 9, step 5"


def test_a_failed_view_brings_the_servers_back():
    at = report(open_equations(step=2), moved=False)
    at = report(at, live=False, failed="KaTeX did not load")
    assert not at.exception and at.button(key="eq_right")
    at.button(key="eq_right").click().run()
    assert at.session_state["step"] == 3 and not at.exception
