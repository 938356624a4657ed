"""The Neuron Lab's ranking at a step, stepped in the browser: the frames are the core's ranking and sentence at
every step, the values sent once are the Trace's, and the protocol in AppTest (a report moves the step, a row
picked in the browser becomes the unit of every page once, malformed and stale reports change nothing)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from lstm_viz.analysis import features, search
from lstm_viz.store import zoo
from lstm_viz.ui import frame_stepper
from lstm_viz.ui import moment_stepper as ms
from tests.factory import HAMLET, open_app
from tests.pages.standin import components, run_as_reported

PAGE = "app_pages/neuron_lab.py"
KINDS = {"lstm": "shakespeare-char", "gru": "memory-gru", "rnn": "memory-rnn"}
MEMORY = "D5230001869569765592?"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_frame_is_the_cores_ranking_and_sentence(kind):
    name = KINDS[kind]
    text = HAMLET[:60] if kind == "lstm" else MEMORY
    trace = zoo.load(name).trace(text)
    layer = trace.layers[0]
    spans = trace.spans or [(t, t + 1) for t in range(len(trace))]
    for how in search.moments_for(layer):
        top = search.top_units(layer, how, ms.CHARTED)
        for step in range(len(trace)):
            f = ms.frame(trace, 0, text, how, step)
            if not search.has_step_before(how, step):
                assert f["notice"] == search.no_step_before(how) and "rows" not in f
                continue
            found = search.by_moment(layer, step, how, top=ms.TOP)
            assert [row[0] for row in f["rows"]] == [m.unit for m in found]
            assert [row[1] for row in f["rows"]] == [round(m.score, 4) for m in found]
            assert f["units"] == [m.unit for m in found[: ms.CHARTED]] == top[step].tolist()
            common = features.common_feature(text, spans, found[0].also)
            assert f["info"] == search.describe_moment(found[0], how, trace.tokens, common)
            if search.MOMENTS[how][1] == "value":  # the write: its size and its sign, no before or after
                assert f["columns"] == ["unit", "|i · g| here", "i · g", "writes this much elsewhere"]
                assert [row[2] for row in f["rows"]] == [round(m.after, 4) for m in found]
                assert all(abs(row[2]) == row[1] for row in f["rows"]) and "|i · g| = " in f["info"]
            else:
                assert f["columns"][2] == "before" + (" (initial state)" if step == 0 else "")


def test_the_values_sent_once_are_the_traces_of_every_charted_unit():
    trace = zoo.load("shakespeare-char").trace(HAMLET[:80])
    layer = trace.layers[0]
    write = layer.input_gate.astype(np.float64) * layer.candidate  # the write i · g is what its chart shows
    for how, want in (("forget_drop", layer.forget_gate), ("write", write), ("hidden_change", layer.hidden)):
        sent = ms.series(layer, trace.tokens, how)
        values = np.frombuffer(base64.b64decode(sent["values"]), dtype="<f4").reshape(len(trace), -1)
        np.testing.assert_array_equal(values, want[:, sent["units"]].astype(np.float32))
        frames = [ms.frame(trace, 0, HAMLET[:80], how, step) for step in range(len(trace))]
        charted = {u for f in frames if "units" in f for u in f["units"]}
        assert charted and charted <= set(sent["units"])


# --- the page, in AppTest -------------------------------------------------------------------------


def _ours(at):
    (found,) = [e for e in components(at) if "frames" in e.proto.json]
    return found


def data(at) -> dict:
    return json.loads(_ours(at).proto.json)


def report(at, **view):
    """Run the page as if the browser reported ``view`` (merged into what it was last sent)."""
    sent = data(at)
    full = {"id": sent["id"], "seq": sent["seq"], "step": sent["step"], "live": True, "moved": True}
    full |= {"need": [], "req": 0, "pick": None, "picks": 0} | view
    return run_as_reported(at, _ours(at), full)


def open_lab(text: str = HAMLET, **session):
    return open_app(PAGE, timeout=240, lab_tab="A moment", model="shakespeare-char", text=text, **session)


def test_the_page_sends_frames_and_the_values_and_draws_its_own_view_until_the_browser_reports():
    at = open_lab(step=40, lab_moment="forget_drop")
    assert not at.exception
    sent = data(at)
    assert sent["step"] == 40 and sent["seq"] == 1 and set(sent["frames"]) == {"0", "1", "2"}
    assert "extra" in sent and sent["extra"]["units"]
    f = sent["frames"]["1"][40 - frame_stepper.CHUNK]
    found = search.by_moment(zoo.load("shakespeare-char").trace(HAMLET).layers[0], 40, "forget_drop", top=ms.TOP)
    assert [row[0] for row in f["rows"]] == [m.unit for m in found] and f["caption"].startswith("step **40** of")
    assert [d for d in at.dataframe if d.key == "lab_moment_table"] and at.slider(key="step").value == 40
    at = report(at, moved=False)  # the browser's view started
    assert not at.exception
    assert not [d for d in at.dataframe if d.key == "lab_moment_table"] and not [
        s for s in at.slider if s.key == "step"
    ]


def test_a_report_moves_the_step_and_chunks_go_once_without_the_values_again():
    at = report(open_lab(step=0, lab_moment="cell_change"), step=70, need=[2, 99, -1, "x"], req=1)
    assert not at.exception and at.session_state["step"] == 70
    sent = data(at)
    assert set(sent["frames"]) == {"2"} and sent["seq"] == 1 and "extra" not in sent
    step = at.query_params["step"]
    assert (step[0] if isinstance(step, list) else step) == "70"


def test_a_row_picked_in_the_browser_becomes_the_unit_once():
    at = report(open_lab(step=12, unit=0, lab_moment="forget_drop"), moved=False)
    row = data(at)["frames"]["0"][12]["rows"][1]
    at = report(at, moved=False, pick=row[0], picks=1)
    assert at.session_state["unit"] == row[0]
    unit = at.query_params["unit"]
    assert (unit[0] if isinstance(unit, list) else unit) == str(row[0])
    at.number_input(key="unit").set_value(3).run()
    at = report(at, step=13, pick=row[0], picks=1)  # a later report still carries the old pick: not again
    assert at.session_state["unit"] == 3 and at.session_state["step"] == 13


@pytest.mark.parametrize("pick", [-1, 10_000, "7", 2.5, None, True])
def test_a_malformed_pick_changes_nothing(pick):
    at = report(open_lab(step=12, unit=4, lab_moment="forget_drop"), moved=False)
    at = report(at, moved=False, pick=pick, picks=1)
    assert not at.exception and at.session_state["unit"] == 4


def test_stale_or_foreign_reports_change_nothing():
    at = report(open_lab(step=5, unit=4, lab_moment="forget_drop"), moved=False)
    row = data(at)["frames"]["0"][5]["rows"][0]
    at = report(at, step=50, seq=0, pick=row[0], picks=1)  # about a view the server has since replaced
    assert at.session_state["step"] == 5 and at.session_state["unit"] == 4
    at = report(at, step=50, id="another view", pick=row[0], picks=2)
    assert at.session_state["step"] == 5 and at.session_state["unit"] == 4
    at = report(at, step=10_000)  # out of range: the server's step is sent again
    assert at.session_state["step"] == 5 and data(at)["seq"] == 2


def test_another_ranking_is_a_new_view_and_a_failure_brings_the_servers_back():
    at = report(open_lab(step=5, lab_moment="forget_drop"), moved=False)
    first = data(at)["id"]
    at.selectbox(key="lab_moment").set_value("cell_change").run()
    assert data(at)["id"] != first and "extra" in data(at)
    at = report(at, live=False, failed="a canvas without a 2-D context")
    assert not at.exception and [d for d in at.dataframe if d.key == "lab_moment_table"]


def test_the_data_says_the_sessions_unit_and_a_copy_without_the_values_gets_them_all_again():
    at = report(open_lab(step=12, unit=4, lab_moment="forget_drop"), moved=False)
    assert data(at)["unit"] == 4
    at.number_input(key="unit").set_value(9).run()
    sent = data(at)
    assert sent["unit"] == 9 and sent["frames"] == {} and "extra" not in sent and sent["seq"] == 1
    at = run_as_reported(at, _ours(at), {"id": sent["id"], "resend": True})
    assert "extra" in data(at) and data(at)["frames"] and data(at)["seq"] == 2


@pytest.mark.parametrize("view", [{"need": 5, "req": 3}, {"step": 1e400}, {"step": float("nan")}, {"need": None}])
def test_malformed_reports_get_no_traceback(view):
    at = report(open_lab(step=12, lab_moment="forget_drop"), moved=False)
    at = report(at, **view)
    assert not at.exception and at.session_state["step"] == 12
