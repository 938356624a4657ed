"""The browser-side stepper without a browser: its data is exact, small and plain text, and the page
logic around it (reports from the browser, chunk requests, the server-side view when it does not
run) works in AppTest, with a stand-in for the component's JavaScript."""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.analysis import search
from lstm_viz.plots import colours, strips, wording
from lstm_viz.plots import stepper_payload as sp
from lstm_viz.plots.html import visible
from lstm_viz.store import zoo
from lstm_viz.ui import stepper
from tests.factory import HAMLET, open_app
from tests.pages.standin import _blocks, run_as_reported

ROOT = Path(__file__).resolve().parents[2]
CHAR = "shakespeare-char"
INJECTION = "<img src=x onerror=alert(1)> and </script><b>bold</b> & co"
WINDOW = stepper.STRIP_WINDOW


@pytest.fixture(scope="module")
def model():
    return zoo.load(CHAR)


@pytest.fixture(scope="module")
def long_trace(model):
    text = (ROOT / "assets" / "data" / "tinyshakespeare.txt").read_text(encoding="utf-8")[5000:7000]
    return model.trace(text)


def initial_data(trace, layer: int, step: int = 0) -> dict:
    """What the page sends the browser first, as the component's data (see stepper.mount)."""
    payload = sp.layer_payload(trace, layer, "test", WINDOW)
    chunks = {
        str(k): sp.encode_chunk(trace.layers[layer], k, payload["chunks"]["steps"])
        for k in sp.initial_chunks(payload, step)
    }
    return {
        "payload": payload,
        "view": {"step": step, "unit": 0, "colour": "cell", "order": "index", "seq": 1},
        "chunks": chunks,
    }


def chunk_values(trace, layer: int, k: int, steps: int) -> list[np.ndarray]:
    """What chunk k must hold: each quantity's rows of its steps, then the entry rows (c_prev, h_prev)."""
    lt = trace.layers[layer]
    start, end = k * steps, min(len(trace), (k + 1) * steps)
    return [q[start:end] for q in lt.quantities().values()] + [
        getattr(lt, n)[start : start + 1] for n in sp.entry_rows(lt)
    ]


# --- the data -----------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", [0, 1])
def test_every_chunk_holds_the_traces_float32_bits(model, layer):
    trace = model.trace(HAMLET)
    payload = sp.layer_payload(trace, layer, "x", WINDOW)
    steps, count = payload["chunks"]["steps"], payload["chunks"]["count"]
    assert count * steps >= len(trace) > (count - 1) * steps
    for k in range(count):
        decoded = sp.decode_chunk(sp.encode_chunk(trace.layers[layer], k, steps))
        expected = np.concatenate(
            [np.ascontiguousarray(v, "<f4").ravel() for v in chunk_values(trace, layer, k, steps)]
        )
        assert decoded.dtype == np.dtype("<f4")
        assert np.array_equal(decoded.view("<u4"), expected.view("<u4")), k  # bit for bit: no rounding anywhere


def test_payload_sizes(model, long_trace):
    """The 2x256 model: a 200-token text's first data is under 1 MB; a 2,000-token text is sent in
    chunks of 32 steps (about 210 KB each) around the current step, never all at once."""
    short = initial_data(model.trace(HAMLET), 0)
    assert len(json.dumps(short)) < 1_000_000
    middle = initial_data(model.trace(HAMLET), 0, step=100)  # the most chunks a first view needs
    assert len(json.dumps(middle)) < 1_000_000
    data = initial_data(long_trace, 1, step=1000)
    assert data["payload"]["chunks"] == {
        "steps": 32,
        "count": 63,
        "margin": list(sp.MARGIN),
        "entry": ["c_prev", "h_prev"],
    }
    assert len(json.dumps(data)) < 1_250_000 and len(data["chunks"]) <= 4
    assert max(len(c) for c in data["chunks"].values()) < 240_000
    assert len(json.dumps(data["payload"])) < 300_000  # everything but the values, for 2,000 steps


def test_small_layers_go_in_one_chunk(model):
    trace = zoo.load("memory-lstm").trace("a123456789")
    payload = sp.layer_payload(trace, 0, "x", WINDOW)
    assert payload["chunks"]["count"] == 1 and sp.initial_chunks(payload, 0) == [0]


def test_chunks_around_cover_the_token_strip_and_the_text():
    assert sp.chunks_around(0, 200, 32) == [0, 1, 2]
    assert sp.chunks_around(100, 200, 32) == [2, 3, 4, 5]
    assert sp.chunks_around(199, 200, 32) == [5, 6]
    for step in [*range(0, 2000, 37), 1999]:  # the token strip's window of tokens always has its values
        got = set(sp.chunks_around(step, 2000, 32, window=WINDOW))
        lo = max(0, min(step - WINDOW // 2, 2000 - WINDOW))
        assert {t // 32 for t in range(lo, lo + WINDOW)} <= got, step
    with pytest.raises(ValueError, match="needs chunks"):
        sp.layer_payload(zoo.load("memory-lstm").trace("a1"), 0, "x", window=200)


def test_payload_matches_the_server_side_views(model):
    """The numbers the browser derives its colours and bars from are the server views' own."""
    trace = model.trace(HAMLET)
    payload = sp.layer_payload(trace, 0, "x", WINDOW)
    quantities = trace.layers[0].quantities()
    assert [q["name"] for q in payload["quantities"]] == list(quantities)
    strip = np.frombuffer(base64.b64decode(payload["strip_range"]["cell"]), "<f4")
    rows = np.frombuffer(base64.b64decode(payload["row_range"]["cell"]), "<f4")
    for u in (0, 7, 255):
        assert strip[u] == colours.quantity_range("cell", quantities["cell"][:, u])[1]
    for t in (0, 50, 199):
        assert rows[t] == colours.quantity_range("cell", quantities["cell"][t])[1]
    for by in search.ORDERINGS[1:]:
        order = np.frombuffer(base64.b64decode(payload["orders"][by]), "<u2")
        assert order.tolist() == search.unit_order(quantities["cell"], by).tolist()
    out = payload["output"]
    k = out["k"]
    top = np.frombuffer(base64.b64decode(out["top"]), "<u2").reshape(-1, k)
    top_probs = np.frombuffer(base64.b64decode(out["top_probs"]), "<f4").reshape(-1, k)
    for t in (0, 3, 42, 198, 199):
        bars = strips.next_token_bars_html(
            trace.probs[t], trace.output_labels, trace.tokens[t + 1] if t < 199 else None
        )
        labels = re.findall(r'<div class="nb-tok">(.*?)</div>', bars)
        assert [out["labels"][i] for i in top[t]] == [html.unescape(s) for s in labels]
        assert np.array_equal(top_probs[t], np.sort(trace.probs[t])[::-1][:k])
        ranked = re.search(r"rank (\d+)", bars)
        assert out["rank"][t] == (int(ranked.group(1)) if ranked else 0)
        highlighted = [i for i, c in enumerate(re.findall(r"background:(#\w+)", bars)) if c == colours.HIGHLIGHT]
        assert highlighted == [j for j in range(k) if top[t, j] == out["actual"][t]]


def test_payload_strings_are_plain_text(model):
    """User text travels as data: no markup of ours, nothing escaped (the browser sets it as text)."""
    trace = zoo.load("reviews-sentiment").trace(INJECTION)
    payload = sp.layer_payload(trace, 0, "x", WINDOW)
    assert payload["tokens"] == [visible(t) for t in trace.tokens]
    assert payload["reprs"] == [repr(t) for t in trace.tokens]
    # the user's text, and the model's own names for what it does not know ("<unk>")
    token_strings = {*payload["tokens"], *payload["quoted"], *payload["reprs"], *(r for _, r in payload["unknown"])}

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    for s in strings(payload):
        if any(c in s for c in "<>&"):
            assert s in token_strings, s  # only text from the user or the model has these characters
        assert "&lt;" not in s and "&amp;" not in s
    assert {"<", ">", "&", "script"} <= set(payload["tokens"])  # the word model reads the markup as words
    char = sp.layer_payload(model.trace(INJECTION), 0, "x", WINDOW)
    assert "".join(char["tokens"]) == visible(INJECTION)


def test_every_colour_comes_from_the_colour_module(model):
    payload = sp.layer_payload(model.trace(HAMLET), 0, "x", WINDOW)
    assert payload["colours"]["palettes"]["gate"] == [list(p) for p in colours.palette("gate")]
    assert payload["colours"]["palettes"]["signed"] == [list(p) for p in colours.palette("signed")]
    assert payload["colours"]["shades"] == colours.SHADES
    outside = json.dumps({k: v for k, v in payload.items() if k != "colours"})
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b", outside)
    files = ROOT / "lstm_viz" / "ui" / "stepper_static"
    for script in ("stepper.js", "format.js"):
        js = (files / script).read_text(encoding="utf-8")
        assert not re.search(r"#[0-9a-fA-F]{3,6}\b|rgba?\(|hsla?\(", js), script  # no colour of its own
    css = (files / "stepper.css").read_text(encoding="utf-8")
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b", css)  # the stylesheet's colours are colours.PAGE's variables


def test_the_views_words_are_the_server_views_own(model):
    """The browser fills the words of plots/wording.py, as the server's templates do: none of its own."""
    payload = sp.layer_payload(model.trace(HAMLET), 0, "x", WINDOW)
    assert payload["text"] == wording.TEXT
    assert payload["output"]["title"] == "Next character, top 10"
    assert payload["output"]["notes"] == {
        "actual": wording.TEXT["next_actual"],
        "unknown": wording.TEXT["next_unknown"],
        "length": wording.TEXT["next_length"],
    }
    out = sp.layer_payload(zoo.load("reviews-sentiment").trace("so good"), 0, "x", WINDOW)["output"]
    assert out["title"] == wording.TEXT["class_title"]
    assert out["notes"] == [wording.TEXT["class_predicted"], wording.TEXT["class_length"]]
    js = (ROOT / "lstm_viz" / "ui" / "stepper_static" / "stepper.js").read_text(encoding="utf-8")
    for words in wording.TEXT.values():  # the script writes none of these sentences itself
        for piece in re.split(r"\{\w+\}", words):
            if len(piece.strip()) > 8:
                assert piece not in js, piece


def test_the_component_script_carries_its_pure_functions():
    """One module for the browser: stepper.js with format.js in place of its import (node imports format.js)."""
    from lstm_viz.ui import stepper

    files = ROOT / "lstm_viz" / "ui" / "stepper_static"
    script = stepper.script()
    assert not re.search(r"^\s*import\b", script, re.MULTILINE)  # a module that needs no other file
    assert (files / "format.js").read_text(encoding="utf-8") in script
    assert script.index("export function fixed") < script.index("export default function stepper")


def test_classifier_payload_sends_every_class_probability():
    trace = zoo.load("reviews-sentiment").trace("The staff were lovely, but the food was cold.")
    out = sp.layer_payload(trace, 0, "x", WINDOW)["output"]
    assert out["kind"] == "classes" and out["labels"] == list(trace.output_labels) and out["columns"]
    probs = np.frombuffer(base64.b64decode(out["probs"]), "<f4").reshape(len(trace), -1)
    assert np.array_equal(probs, trace.probs.astype("<f4"))


# --- the page, in AppTest ---------------------------------------------------------------------


def component(at: AppTest):
    (found,) = [e for e in _blocks(at.main) if getattr(e, "type", None) == "bidi_component"]
    return found


def data(at: AppTest) -> dict:
    return json.loads(component(at).proto.json)


def report(at: AppTest, **view) -> AppTest:
    """Run the page as if the browser reported ``view`` (merged into what it was last sent)."""
    sent = data(at)
    full = {
        "id": sent["payload"]["id"],
        "seq": sent["view"]["seq"],
        **{k: sent["view"][k] for k in ("step", "unit", "colour", "order")},
    }
    full |= {"live": True, "moved": True, "need": [], "req": 0} | view
    return run_as_reported(at, component(at), full)


def open_step_through(text: str = HAMLET, **session) -> AppTest:
    return open_app("app_pages/step_through.py", timeout=90, **{"model": CHAR, "text": text, **session})


def test_page_sends_the_view_and_draws_the_server_view_until_the_browser_reports():
    at = open_step_through(step=5, unit=7)
    assert not at.exception
    sent = data(at)
    assert sent["view"] == {"step": 5, "unit": 7, "colour": "forget_gate", "order": "similarity", "seq": 1}
    assert set(sent["chunks"]) == {"0", "1", "2"}
    assert len(at.metric) == 6 and at.button(key="st_right")  # no report yet: the server-side view is there too
    at = report(at, moved=False)  # the stepper started
    assert not at.exception
    steppers = [b.key for b in at.get("button") if b.key and b.key.startswith("st_")]
    assert len(at.metric) == 0 and not steppers and not at.get("slider")  # it alone draws the step now
    assert at.get("number_input") == [] or all(n.key != "unit" for n in at.number_input)


def test_a_report_sets_the_shared_view_and_the_link():
    at = report(open_step_through(), step=42, unit=9, colour="cell", order="variance")
    assert not at.exception
    assert [at.session_state[k] for k in ("step", "unit", "colour", "order")] == [42, 9, "cell", "variance"]
    params = {
        k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
        for k in ("step", "unit", "colour", "order")
    }
    assert params == {"step": "42", "unit": "9", "colour": "cell", "order": "variance"}
    assert data(at)["view"]["seq"] == 1  # the browser's own view is not sent back to it
    at.switch_page("app_pages/equations.py").run()
    assert not at.exception and "step **42**" in " ".join(m.value for m in at.markdown)


def test_the_data_stays_the_same_unless_there_is_something_new():
    """Streamlit sends an element the browser has as a reference: the data must not change for a mere report."""
    at = report(open_step_through(), moved=False)
    before = component(at).proto.json
    at = report(at, step=3)
    at = report(at, step=4)
    assert component(at).proto.json == before


def test_chunks_asked_for_are_sent_once():
    at = report(open_step_through(), step=120, need=[5, 6], req=1)
    assert set(data(at)["chunks"]) == {"5", "6"}
    assert at.session_state["step"] == 120
    before = component(at).proto.json
    at = report(at, step=121, need=[5, 6], req=1)  # the same request again (a later report): nothing new
    assert component(at).proto.json == before
    at = report(at, need=[99, -1, "x", 6], req=2)  # out of range or malformed chunk numbers are dropped
    assert set(data(at)["chunks"]) == {"6"}


def test_stale_or_invalid_reports_do_not_change_the_view():
    at = report(open_step_through(step=5, unit=0), moved=False)
    at = report(at, step=50, seq=0)  # about a view the server has since replaced
    assert at.session_state["step"] == 5
    at = report(at, step=10_000, unit=3)  # out of range: the server's view is sent again
    assert at.session_state["step"] == 5 and at.session_state["unit"] == 0
    sent = data(at)
    assert sent["view"]["seq"] == 2 and sent["view"]["step"] == 5
    at = report(at, step=6, colour="nope", seq=2)
    assert at.session_state["step"] == 5


def test_a_failed_stepper_brings_the_server_view_back():
    at = report(open_step_through(), moved=False)
    assert len(at.metric) == 0
    at = report(at, live=False, failed="this browser has no DecompressionStream")
    assert not at.exception
    assert len(at.metric) == 6
    at.button(key="st_right").click().run()
    assert at.session_state["step"] == 1 and not at.exception


def test_a_new_text_sends_a_new_payload_with_the_clamped_step():
    at = report(open_step_through(step=150), moved=False)
    first = data(at)["payload"]["id"]
    at.session_state["text"] = "To be"
    at.run()
    sent = data(at)
    assert sent["payload"]["id"] != first and sent["payload"]["n_steps"] == 5
    assert sent["view"]["step"] == 4 and sent["view"]["seq"] == 2


def test_the_stepper_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_CLIENT_STEPPER", "0")
    at = open_step_through(step=3)
    assert not at.exception
    assert not [e for e in _blocks(at.main) if getattr(e, "type", None) == "bidi_component"]
    assert len(at.metric) == 6
    at.button(key="st_right").click().run()
    assert at.session_state["step"] == 4


def test_the_actual_next_word_is_written_with_its_rank_and_probability_when_no_bar_shows_it():
    """'way' after "on the" is no bar of the top 10: its rank and probability are written beside them."""
    model = zoo.load("words-lm")
    text = "Ms. Mary left early, and on the way she lost her keys."
    trace = model.trace(text)
    step = trace.tokens.index("the")
    probs, labels = trace.probs[step].astype(np.float64), trace.output_labels
    p = probs[labels.index("way")]
    rank = int((probs > p).sum()) + 1
    assert rank > 10, "the example is about a word past the bars"
    said = f"actual next &#39;way&#39;, rank {rank}, p = {p:.1%}"
    assert said in strips.next_token_bars_html(probs, labels, actual="way")  # the server's view
    out = sp.layer_payload(trace, 0, "x", WINDOW)["output"]  # the browser's: the same numbers to fill in
    assert (out["rank"][step], f"{out['actual_p'][step]:.1%}") == (rank, f"{p:.1%}")
