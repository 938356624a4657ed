"""AppTest for the Neuron Lab page: every tab on the shipped models, and a message (never a
traceback) for each bad input the issue names: an empty selection, an invalid regex, a regex that
matches nothing or everything, a text too short to select in, a vanilla RNN without gates."""

from __future__ import annotations

import pytest

from lstm_viz.analysis import features, search
from lstm_viz.store import zoo
from lstm_viz.ui import pages
from tests.factory import open_app

PAGE = "app_pages/neuron_lab.py"
BOB = "Bob is a nice person. Dan on the other hand is evil."


def lab(tab: str = "A moment", **session):
    """The page with ``tab`` open (the lab's tabs are lazy: only the open one runs)."""
    assert tab in pages.TABS["lab_tab"]
    at = open_app(PAGE, timeout=240, lab_tab=tab, **session)
    assert not at.exception, at.exception
    return at


def messages(at) -> str:
    return " ".join(m.value for kind in (at.info, at.warning, at.error) for m in kind)


def test_the_moment_caption_is_the_cores_and_names_the_word_start_trap():
    at = lab(model="shakespeare-char", text=BOB, layer=1, step=BOB.index("Dan"))
    tr = zoo.load("shakespeare-char").trace(BOB)
    best = search.by_moment(tr.layers[1], BOB.index("Dan"), at.selectbox(key="lab_moment").value, top=8)[0]
    assert f"Unit {best.unit}'s" in messages(at)
    assert not at.error


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[", "not a valid regular expression"),
        ("zzzz", "occurs nowhere"),
        (".", "holds at every token"),
    ],
)
def test_bad_regular_expressions_get_a_message(pattern, expected):
    at = lab("A feature", model="shakespeare-char", text=BOB)
    at.text_input(key="lab_regex").input(pattern).run()
    assert not at.exception
    assert expected in messages(at), messages(at)


def test_a_regex_that_works_ranks_units_by_correlation():
    at = lab("A feature", model="shakespeare-char", text=BOB)
    at.text_input(key="lab_regex").input("[A-Z]").run()
    assert not at.exception
    tr = zoo.load("shakespeare-char").trace(BOB)
    spans = tr.spans or [(t, t + 1) for t in range(len(tr))]
    feature = features.feature(BOB, spans, pattern="[A-Z]")
    top = search.by_feature(tr.layers[0].quantities()["cell"], feature, top=8)[0]
    table = next(frame.value for frame in at.dataframe if frame.key == "lab_feat_table")
    assert int(table["unit"].iloc[0]) == top[0]
    assert float(table["correlation r"].iloc[0]) == pytest.approx(top[1], abs=1e-4)


def test_an_empty_selection_and_a_too_short_text_get_a_message():
    at = lab("A selection", model="shakespeare-char", text=BOB)
    at.slider(key="lab_span").set_value((5, 5)).run()
    assert not at.exception and "select" in messages(at).lower()
    short = lab("A selection", model="shakespeare-char", text="a")
    assert "longer text" in messages(short)


def test_an_empty_clamp_range_gets_a_message_and_a_clamp_moves_the_prediction():
    at = lab("What if?", model="brackets-lstm", text="((((()))))")
    at.slider(key="lab_clamp_steps").set_value((3, 3)).run()
    assert not at.exception and "at least one step" in messages(at)
    at.slider(key="lab_clamp_steps").set_value((0, 10)).run()
    assert not at.exception and len(at.get("plotly_chart")) > 0


def test_only_the_open_tab_runs_and_a_tab_chosen_is_drawn():
    at = lab(model="shakespeare-char", text=BOB)
    assert [f for f in at.dataframe if f.key == "lab_moment_table"]
    assert "lab_regex" not in [w.key for w in at.text_input]
    for tab in pages.TABS["lab_tab"][1:]:
        other = lab(tab, model="shakespeare-char", text=BOB)
        assert not [f for f in other.dataframe if f.key == "lab_moment_table"], tab
    feature = lab("A feature", model="shakespeare-char", text=BOB)
    assert "lab_regex" in [w.key for w in feature.text_input]
    assert not [f for f in feature.dataframe if f.key == "lab_moment_table"]


def test_a_vanilla_rnn_is_told_it_has_no_gates():
    at = lab("Saturation", model="memory-rnn", text="B3141592653?")
    assert "no gates to saturate" in messages(at)


def test_at_step_0_the_lab_opens_on_a_ranking_that_has_one():
    """At step 0 a gate has no value before: the page opens on the biggest write instead of an empty ranking."""
    at = lab(model="shakespeare-char", text=BOB, step=0)
    assert at.selectbox(key="lab_moment").value == "write"
    assert [f for f in at.dataframe if f.key == "lab_moment_table"]


def test_at_step_0_a_gate_has_no_step_before_and_the_page_says_so():
    at = lab(model="shakespeare-char", text=BOB, step=0)
    at.selectbox(key="lab_moment").set_value("forget_drop").run()
    said = messages(at)
    assert "no step before" in said, said
    assert "reacts to this moment" not in said and "0.200 to 0.200" not in said
    assert not [f for f in at.dataframe if f.key == "lab_moment_table"]  # no table of zero changes


def test_at_step_0_the_cell_is_compared_with_the_initial_state():
    at = lab(model="shakespeare-char", text=BOB, step=0)
    at.selectbox(key="lab_moment").set_value("cell_change").run()
    assert not at.exception, at.exception
    tr = zoo.load("shakespeare-char").trace(BOB)
    best = search.by_moment(tr.layers[0], 0, "cell_change", top=8)[0]
    assert best.before == pytest.approx(float(tr.layers[0].c_prev[0, best.unit]))
    assert best.score == pytest.approx(abs(best.after - best.before), abs=1e-6) and best.score > 0
    said = messages(at)
    assert "initial state" in said and f"{best.before:.3f} (the initial state) to {best.after:.3f}" in said, said


def _chart_titles(at, key: str) -> list[str]:
    import json

    chart = next(c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id or key in str(c.proto))
    spec = json.loads(chart.proto.spec)
    return [a.get("text", "") for a in spec["layout"].get("annotations", [])]


def test_the_feature_charts_are_titled_with_the_unit_the_caption_names():
    text = "((()))"
    at = lab("A feature", model="brackets-lstm", text=text)
    at.selectbox(key="lab_feature").set_value("bracket_depth").run()
    assert not at.exception, at.exception
    tr = zoo.load("brackets-lstm").trace(text)
    u, _ = search.by_feature(tr.layers[0].cell, features.feature(text, tr.spans, name="bracket_depth"), top=1)[0]
    titles = _chart_titles(at, "lab_feat_traces")
    assert any(f"unit {u}" in t for t in titles), titles
    assert not any(t.startswith("unit 1") for t in titles) or u == 1, titles
    assert any("feature" in t or "depth" in t for t in titles), titles


def test_the_feature_tab_names_the_counting_units_every_page_names():
    from lstm_viz.analysis import counting

    found = counting.counting_units(zoo.load("brackets-lstm"))
    at = lab("A feature", model="brackets-lstm", text="((()))")
    at.selectbox(key="lab_feature").set_value("bracket_depth").run()
    assert not at.exception, at.exception
    shown = " ".join(m.value for m in at.markdown) + messages(at)
    assert f"unit {found.unit}" in shown and f"{found.r:+.3f}" in shown, shown
    assert "6 tokens" in shown or "six" in shown


def test_a_clamp_the_short_string_survives_says_why_and_where_it_breaks():
    from lstm_viz.analysis import counting

    found = counting.counting_units(zoo.load("brackets-lstm"))
    at = lab("What if?", model="brackets-lstm", text="((()))", unit=found.unit)
    at.selectbox(key="lab_clamp_quantity").set_value("forget_gate").run()
    assert not at.exception, at.exception
    said = " ".join(c.value for c in at.caption)
    assert f"{len(found.counting)} units follow the depth" in said and "RNN vs LSTM" in said, said


GENDERS = (
    "The king rode home, and at the gate he dropped his sword. The queen rode home, and at the gate she dropped "
    "her fan. My father stood up and shook his head. My mother stood up and shook her head."
)


def test_the_female_subject_feature_finds_the_word_models_gender_unit():
    at = lab("A feature", model="words-lm", text=GENDERS)
    at.selectbox(key="lab_feature").set_value("female_subject").run()
    assert not at.exception, at.exception
    tr = zoo.load("words-lm").trace(GENDERS)
    unit, r = search.by_feature(tr.layers[0].cell, features.feature(GENDERS, tr.spans, name="female_subject"), top=1)[0]
    assert f"the best unit is **{unit}**" in " ".join(m.value for m in at.markdown)
    assert f"r = {r:+.3f}" in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("name", ["female_subject", "inside_quotes", "speaker_line"])
def test_a_built_in_feature_the_text_never_shows_gets_a_message(name):
    at = lab("A feature", model="words-lm", text="Nobody came, and nothing was said.")
    at.selectbox(key="lab_feature").set_value(name).run()
    assert not at.exception, at.exception
    assert "occurs nowhere in this text" in messages(at)
