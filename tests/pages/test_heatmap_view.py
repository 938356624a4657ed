"""Gate Heatmaps' canvas heatmap in AppTest: the data it is sent (the Trace's values, the scale the Plotly heatmap
had), the cell a click reports becomes the shared step and unit, and the Plotly stand-in where it does not run.
The drawing itself (cells, lines, hover, clicks) is tested in Chromium by tests/system/browser/test_explorer.py."""

from __future__ import annotations

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest

from lstm_viz.plots import colours
from lstm_viz.store import zoo
from lstm_viz.ui import heatmap_view
from tests.factory import HAMLET, open_app
from tests.pages.standin import components, run_as_reported

CHAR = "shakespeare-char"


def _ours(at: AppTest):
    (found,) = components(at)
    return found


def data(at: AppTest) -> dict:
    return json.loads(_ours(at).proto.json)


def report(at: AppTest, **view) -> AppTest:
    sent = data(at)
    full = {"id": sent["id"], "seq": sent["seq"], "step": sent["step"], "unit": sent["unit"], "live": True}
    full |= {"moved": True} | view
    return run_as_reported(at, _ours(at), full)


def heatmaps(at: AppTest) -> int:
    """Plotly heatmaps on the page (the line chart below is not one)."""
    return sum("hm_chart" in c.proto.id for c in at.get("plotly_chart"))


def open_heatmaps(**session) -> AppTest:
    return open_app("app_pages/heatmaps.py", **{"model": CHAR, "text": HAMLET, **session})


def test_the_data_is_the_traces_quantity_of_the_shown_units_on_its_scale():
    trace = zoo.load(CHAR).trace(HAMLET)
    shown = [5, 0, 17]
    found = heatmap_view.payload(trace.layers[1].cell, trace.tokens, "cell", shown, "x")
    values = np.frombuffer(base64.b64decode(found["values"]), dtype="<f4").reshape(len(trace), len(shown))
    assert np.array_equal(values, trace.layers[1].cell[:, shown].astype(np.float32))
    assert found["range"] == list(colours.quantity_range("cell", trace.layers[1].cell[:, shown]))
    assert found["shades"] == [bg for bg, _ in colours.palette("signed")] and found["units"] == shown
    assert found["tokens"][0] == "T" and len(found["tokens"]) == len(trace)
    gate = heatmap_view.payload(trace.layers[0].forget_gate, trace.tokens, "forget_gate", shown, "x")
    assert gate["range"] == [0.0, 1.0] and gate["shades"] == [bg for bg, _ in colours.palette("gate")]


def test_the_value_boxes_data_is_every_quantity_of_the_shown_units_within_a_bound():
    trace = zoo.load(CHAR).trace(HAMLET)
    layer, shown = trace.layers[0], [5, 0, 17]
    quantities = layer.quantities()
    found = heatmap_view.boxes(quantities, shown)
    block = np.frombuffer(base64.b64decode(found["values"]), dtype="<f4").reshape(len(trace), len(shown), -1)
    for q, name in enumerate(quantities):
        assert np.array_equal(block[:, :, q], quantities[name][:, shown].astype(np.float32)), name
    assert found["labels"][0] == "f · forget gate" and len(found["labels"]) == len(quantities) == 6
    everything = list(range(layer.hidden_size))
    assert heatmap_view.boxes(quantities, everything) is not None  # 200 tokens x every unit: in the browser
    longer = zoo.load(CHAR).trace(HAMLET * 2).layers[0].quantities()
    assert heatmap_view.boxes(longer, everything) is None  # too many: the server's boxes follow a click
    unknown = zoo.load("words-lm").trace("the zzyzx sat")
    sent = heatmap_view.payload(
        unknown.layers[0].cell, unknown.tokens, "cell", [0, 1], "x", unknown.layers[0].quantities(), unknown.unknown
    )
    assert sent["unknown"] and all(isinstance(p, int) and isinstance(r, str) for p, r in sent["unknown"])


def test_the_plotly_heatmap_stands_in_until_the_canvas_runs_and_after_a_failure():
    at = open_heatmaps(step=3, unit=7)
    assert not at.exception and heatmaps(at) == 1  # no report yet: the Plotly heatmap is there too
    sent = data(at)
    assert (sent["step"], sent["unit"], sent["seq"]) == (3, 7, 1) and len(sent["units"]) == 48
    at = report(at, moved=False)
    assert not at.exception and heatmaps(at) == 0
    at.switch_page("app_pages/step_through.py").run()
    at.switch_page("app_pages/heatmaps.py").run()
    assert not at.exception and heatmaps(at) == 0  # it ran in this session: no stand-in on a later visit
    at = report(at, live=False, failed="no canvas")
    assert not at.exception and heatmaps(at) == 1


def test_a_clicked_cell_becomes_the_step_and_unit_and_bad_reports_change_nothing():
    at = report(open_heatmaps(step=0, unit=0), moved=False)
    unit = data(at)["units"][10]
    before = _ours(at).proto.json
    at = report(at, step=42, unit=unit)
    assert not at.exception and (at.session_state["step"], at.session_state["unit"]) == (42, unit)
    assert f"step **42** of {len(zoo.load(CHAR).trace(HAMLET))}" in " ".join(m.value for m in at.markdown)
    assert _ours(at).proto.json == before  # the browser drew the click itself: nothing new is sent
    not_shown = next(u for u in range(256) if u not in data(at)["units"])
    for bad in ({"step": 10_000}, {"unit": not_shown}, {"step": "x"}, {"id": "another view"}):
        at = report(at, **{"step": 5, "unit": unit} | bad)
        assert (at.session_state["step"], at.session_state["unit"]) == (42, unit), bad
    at.slider(key="step").set_value(9).run()  # the server moves the step: the browser is sent it
    assert data(at)["step"] == 9 and data(at)["seq"] == 2
    assert "values" not in data(at) and "boxes" not in data(at)  # a move: the browser has the view's data
    at = run_as_reported(at, _ours(at), {"id": data(at)["id"], "resend": True})  # a copy that never had it
    assert data(at)["values"] and data(at)["boxes"] and data(at)["seq"] == 3 and data(at)["step"] == 9
    at.switch_page("app_pages/step_through.py").run()
    at.switch_page("app_pages/heatmaps.py").run()  # a new canvas: it is sent the view as it is now
    assert (data(at)["step"], data(at)["unit"]) == (at.session_state["step"], at.session_state["unit"]) == (9, unit)
