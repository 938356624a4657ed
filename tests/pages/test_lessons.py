"""Lessons: every shipped lesson runs end to end (its words filled from the real models), the
words change when the model does, the page steps and reveals, a teacher's lesson round-trips,
and the handout and PNG come out."""

from __future__ import annotations

import copy
import io
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from lstm_viz.engine import cell
from lstm_viz.engine.trace import Clamp
from lstm_viz.lessons import facts, questions, render, schema
from lstm_viz.store import zoo
from lstm_viz.ui import lessons as ui_lessons
from lstm_viz.ui import state as ui_state
from tests.factory import lesson_stops, load_shipped

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "reading-reviews",
    "change-of-subject",
    "his-or-her",
    "worth-keeping",
    "brave",
    "writing-shakespeare",
    "long-gaps",
    "counting-brackets",
}
load, all_stops = load_shipped, lesson_stops


def test_the_eight_lessons_ship_and_parse():
    found = {lesson.id for lesson in schema.shipped()}
    assert found >= EXPECTED
    for lesson in schema.shipped():
        assert lesson.sources, f"{lesson.id} cites no source"
        assert schema.parse(schema.to_json(lesson)) == lesson  # export and import round-trip


@pytest.mark.parametrize("lesson_id,index", all_stops())
def test_every_stop_fills_every_placeholder_from_its_model(lesson_id, index):
    stop = schema.find(lesson_id).stops[index]
    told = render.tell(stop, load)
    assert render.missing(told) == []
    for words in (told.narration, told.question, told.answer):
        assert "?]" not in words and "{" not in words
    assert told.narration.strip()
    assert 0 <= told.context.step < len(told.context.trace)
    assert told.context.tables, "every stop has its numbers as a table (the chart's text alternative)"


DRAWS_A_UNIT = ("strip", "units", "counting", "gates")  # the views that colour one unit of one layer


@pytest.mark.parametrize("lesson_id,index", all_stops())
def test_every_stop_names_the_unit_layer_and_quantity_it_draws_and_opens(lesson_id, index):
    """The words beside the chart (the narration, and the answer the reveal adds with the chart), the strip (or
    chart) and "Open in Step Through" are about the same unit, layer and quantity."""
    stop = schema.find(lesson_id).stops[index]
    told = render.tell(stop, load)
    ctx, words = told.context, f"{told.narration} {told.answer}".lower()
    layer = ctx.trace.layers[ctx.layer]
    for named in re.findall(r"\blayer (\d+)", words):
        assert int(named) == ctx.layer, f"the narration names layer {named}, the stop draws layer {ctx.layer}"
    if stop.view in DRAWS_A_UNIT:
        assert re.search(rf"\bunit {ctx.unit}\b", words), f"the stop draws unit {ctx.unit}: {told.narration}"
        if stop.view != "gates":  # the gates view draws every quantity of the layer at the step
            label = cell.QUANTITY[ctx.quantity].label
            assert label in words, f"the strip colours the {label}: {told.narration}"
        values, name = ui_lessons.strip_values(told)
        assert name == ctx.quantity
        assert np.array_equal(values, layer.quantities()[ctx.quantity][:, ctx.unit])
    opened = ui_lessons.step_through_view(told)
    assert opened == {
        "model": stop.model,
        "text": stop.text,
        "step": ctx.step,
        "unit": ctx.unit,
        "layer": ctx.layer,
        "colour": ctx.quantity,
    }


def _random_like(model, seed: int):
    """The same architecture and tokenizer as ``model`` with fresh random weights."""
    module = copy.deepcopy(model.module)
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-0.3, 0.3)
    return zoo.LoadedModel(model.name, module, model.tokenizer, model.card)


@pytest.mark.parametrize("lesson_id", ["change-of-subject", "reading-reviews", "counting-brackets"])
def test_the_words_are_computed_so_another_model_changes_the_numbers(lesson_id):
    stop = schema.find(lesson_id).stops[0]
    real = render.tell(stop, load)
    other = render.tell(stop, lambda name: _random_like(load(name), seed=3))
    assert real.answer != other.answer
    assert real.context.values != other.context.values
    # and the numbers said are the numbers measured, formatted by the template
    assert render.fill(stop.narration, other.context.values) == other.narration


def test_change_of_subject_says_where_else_the_gate_drops():
    told = render.tell(schema.find("change-of-subject").stops[0], load)
    unit, step = told.context.unit, told.context.step
    forget = told.context.trace.layers[1].forget_gate[:, unit]
    assert forget[step] == pytest.approx(told.context.values["after"], abs=1e-6)
    others = told.context.values["others"]
    assert (others == 0) == (told.context.values["only_here"] == "yes")
    assert told.answer == told.context.values["reacts"]


def test_counting_lesson_measures_the_intervention():
    told = render.tell(schema.find("counting-brackets").stops[0], load)
    v = told.context.values
    assert abs(v["r"]) > 0.8
    assert 0 <= v["acc_after"] <= v["acc_before"] <= 1
    assert ("breaks" in v["broke"]) == (v["acc_after"] < v["acc_before"] - 0.05)


def test_schema_refuses_bad_lessons_with_the_field_named():
    good = json.loads(schema.to_json(schema.find("counting-brackets")))
    cases = {
        "not json": ("{", "not valid JSON"),
        "list": ("[]", "must hold a JSON object"),
        "bad id": ({**good, "id": "../etc"}, "id must be"),
        "no stops": ({**good, "stops": []}, "stops must be a list"),
        "unknown field": ({**good, "stops": [{**good["stops"][0], "colour": 1}]}, "unknown fields"),
        "attribute access": (
            {**good, "stops": [{**good["stops"][0], "narration": "{unit.__class__}"}]},
            "placeholders are plain names",
        ),
        "bad view": ({**good, "stops": [{**good["stops"][0], "view": "3d"}]}, "view must be one of"),
        "view without its fact": (
            {**good, "stops": [{**good["stops"][0], "facts": []}]},
            "draws the 'counting' fact",
        ),
        "negative step": ({**good, "stops": [{**good["stops"][0], "step": -1}]}, "step must be a whole number"),
        "huge": ("x" * (schema.MAX_LESSON_BYTES + 1), "at most"),
    }
    for name, (doc, message) in cases.items():
        data = doc if isinstance(doc, str) else json.dumps(doc)
        with pytest.raises(ValueError, match=message):
            schema.parse(data, "upload.json")
        try:
            schema.parse(data, "upload.json")
        except ValueError as err:
            assert "upload.json" in str(err), name


def test_a_fact_that_cannot_run_is_a_clear_error():
    stop = schema.find("counting-brackets").stops[0]
    wrong = schema.Stop(**{**stop.__dict__, "facts": [{"kind": "counting", "colour": 1}]})
    with pytest.raises(ValueError, match="does not take these settings"):
        facts.compute(wrong, load)
    wrong = schema.Stop(**{**stop.__dict__, "facts": [{"kind": "astrology"}]})
    with pytest.raises(ValueError, match="unknown fact"):
        facts.compute(wrong, load)
    wrong = schema.Stop(**{**stop.__dict__, "at": "not in the text"})
    with pytest.raises(ValueError, match="is not in the stop's text"):
        facts.compute(wrong, load)


def test_a_clamp_fact_says_what_holding_the_unit_does_and_refuses_what_it_cannot_measure():
    stop = schema.find("his-or-her").stops[3]
    told = render.tell(stop, load)
    values, labels = told.context.values, told.context.trace.output_labels
    after = load(stop.model).trace(stop.text, clamp=Clamp(0, told.context.unit, "cell", values["clamp_held"]))
    p = {w: float(after.probs[-1, labels.index(w)]) for w in ("his", "her")}
    assert abs(values["clamp_after_his"] - p["his"]) < 1e-6 and abs(values["clamp_after_her"] - p["her"]) < 1e-6
    turned = values["clamp_was"] != values["clamp_prefers"]
    assert ("turns the choice" in values["clamp_says"]) == turned and ("stays" in values["clamp_says"]) == (not turned)
    # held at the value it has at the end of its own sentence (a female one), the choice stays 'her'
    same = schema.Stop(**{**stop.__dict__, "facts": [stop.facts[0], {**stop.facts[1], "like": stop.text}]})
    kept = render.tell(same, load).context.values
    assert kept["clamp_was"] == kept["clamp_prefers"] == "her"
    assert f"by {kept['clamp_odds']:.2f}, not enough to turn it" in kept["clamp_says"]
    for bad, words in [
        ({**stop.facts[1], "candidates": ["his", "zzzqx"]}, "is not in words-lm's vocabulary"),
        ({**stop.facts[1], "candidates": ["his"]}, "candidates must be"),
        ({**stop.facts[1], "like": "x" * 2001}, "like must be"),
    ]:
        doc = json.loads(schema.to_json(schema.find("his-or-her")))
        doc["stops"][3]["facts"][1] = bad
        with pytest.raises(ValueError, match=words):
            render.tell(schema.parse(json.dumps(doc)).stops[3], load)
    on_a_classifier = schema.Stop(**{**stop.__dict__, "model": "reviews-sentiment", "facts": [stop.facts[1]]})
    with pytest.raises(ValueError, match="next-token probabilities"):
        facts.compute(on_a_classifier, load)


def test_a_generation_stop_shows_the_text_as_written_not_escaped():
    lesson = schema.find("writing-shakespeare")
    told = render.tell(lesson.stops[0], load)
    written = told.context.values["written"]
    assert "\n" in written  # the sample has line breaks, which a repr would show as backslash-n
    assert "\\n" not in told.narration and written not in told.narration
    assert f"writes {len(written)} characters" in told.narration
    handout = render.handout(lesson, load)
    assert "````text\n" + lesson.stops[0].text + written + "\n````" in handout


def test_scene_png_is_a_picture_of_the_stop():
    told = render.tell(schema.find("change-of-subject").stops[0], load)
    data = ui_lessons.scene_png(told)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    assert image.width >= 800 and image.height >= 300


# --- the page --------------------------------------------------------------------------------


def open_lessons(**session) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    for key, value in session.items():
        at.session_state[key] = value
    at.switch_page("app_pages/lessons.py")
    return at.run()


def shown(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_revealing_without_an_answer_gives_the_models_answer_in_a_neutral_box():
    """A teacher who reveals before anyone answered: no verdict, the model's answer and the reveal's words."""
    lesson = schema.find("change-of-subject")
    at = open_lessons(lesson_id=lesson.id)
    told = render.tell(lesson.stops[0], load)
    assert told.answer not in shown(at)
    at.button(key="lesson_reveal").click().run()
    assert told.answer in shown(at)
    assert questions.grade(told.ask, None)[1] in [i.value for i in at.info]
    assert not at.success and not at.warning


def test_presentation_mode_from_the_link_hides_the_chrome():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.query_params["present"] = "1"
    at.switch_page("app_pages/lessons.py")
    at.run()
    assert not at.exception
    assert at.toggle(key="lesson_present").value is True
    assert any("stSidebar" in h.proto.body for h in at.get("html"))
    assert not [s for s in at.subheader if s.value == "Your own lesson"]  # the editor hides when presenting


def test_a_scene_saved_on_step_through_becomes_a_lesson_and_exports():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state["model"] = "shakespeare-char"
    at.session_state["text"] = "To be, or not to be"
    at.session_state["step"] = 4
    at.session_state["unit"] = 9
    at.switch_page("app_pages/step_through.py")
    at.run()
    at.text_input(key="step_through_scene_title").input("The comma").run()
    at.button(key="step_through_scene_add").click().run()
    assert not at.exception
    assert len(at.session_state[ui_lessons.MY_LESSON]) == 1
    at.switch_page("app_pages/lessons.py").run()
    at.selectbox(key="lesson_id").select("my-lesson").run()
    assert not at.exception and at.header[0].value == "The comma"
    assert "Step 4, token 'e': unit 9's forget gate in layer 0, at every token of the text." in shown(at)
    scene = at.session_state[ui_lessons.MY_LESSON][0]
    lesson = schema.parse(json.dumps({"id": "my-lesson", "title": "My lesson", "stops": [scene]}))
    again = schema.parse(schema.to_json(lesson))
    assert again.stops[0].step == 4 and again.stops[0].unit == 9 and again.stops[0].text == "To be, or not to be"


# --- the teacher's own lesson: import, export, link, scenes ---------------------------------


def _scene(title: str = "The comma", **changes) -> dict:
    """A stop as "Add to my lesson" saves it."""
    return {
        "title": title,
        "model": "shakespeare-char",
        "text": "To be, or not to be",
        "view": "strip",
        "layer": 0,
        "step": 5,
        "unit": 9,
        "quantity": "forget_gate",
        "narration": "Step {step}, token {token!r}: unit {unit} of layer {layer}.",
        **changes,
    }


def _exported(*scenes: dict, title: str = "Commas and speakers") -> bytes:
    lesson = schema.parse(json.dumps({"id": "my-lesson", "title": title, "stops": list(scenes)}))
    return schema.to_json(lesson).encode("utf-8")


def _raw(*scenes: dict) -> bytes:
    """A lesson file as written by hand (not checked here)."""
    return json.dumps({"id": "my-lesson", "title": "Hand-written", "stops": list(scenes)}).encode("utf-8")


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    return at.file_uploader(key="my_import").set_value((name, data, "application/json")).run()


def test_an_exported_lesson_imports_in_a_fresh_session_and_plays_at_once():
    data = _exported(_scene(), _scene("Where the line ends", step=2, unit=3))
    at = _upload(open_lessons(), "my-lesson.json", data)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="lesson_id").value == "my-lesson"  # the imported lesson is on screen, no page change
    assert at.header[0].value == "The comma"
    assert at.text_input(key="my_lesson_title").value == "Commas and speakers"
    assert "Step 5, token ',': unit 9 of layer 0." in shown(at)  # an exported lesson's own words
    at.button(key="lesson_next").click().run()
    assert not at.exception and at.header[0].value == "Where the line ends"
    assert schema.to_json(ui_lessons.my_lesson_from(at.session_state[ui_lessons.MY_LESSON], "Commas and speakers"))


HOSTILE_FILES = {
    "not json": (b"{", "not valid JSON"),
    "empty spans": (_raw(_scene(facts=[{"kind": "writes", "spans": []}])), "spans must be"),
    "a path for a model": (_raw(_scene(model="../../elsewhere/pm")), "model must be"),
    "a gigabyte placeholder": (_raw(_scene(narration="{unit:999999999}")), "width is at most"),
    "a huge count": (
        _raw(_scene(view="counting", facts=[{"kind": "counting", "strings": 5_000_000}])),
        "strings must be",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_a_hostile_lesson_file_gets_a_message_not_a_traceback(name):
    data, message = HOSTILE_FILES[name]
    at = _upload(open_lessons(), f"{name}.json", data)
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("was not imported" in e and message in e for e in errors), errors
    assert ui_lessons.MY_LESSON not in at.session_state or not at.session_state[ui_lessons.MY_LESSON]


def test_an_imported_fact_that_does_not_fit_its_model_says_so_on_the_stop():
    scene = _scene(model="memory-rnn", text="A0123?", view="counting", facts=[{"kind": "counting"}], unit=None)
    at = _upload(open_lessons(), "misfit.json", _raw({k: v for k, v in scene.items() if v is not None}))
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("cannot be shown" in e and "does not fit memory-rnn" in e for e in errors), errors


def test_add_to_my_lesson_refuses_a_text_too_long_and_a_41st_scene_and_lessons_still_open():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state["model"] = "shakespeare-char"
    at.session_state["text"] = "To be, or not to be. " * 1200  # 25,200 characters
    at.switch_page("app_pages/step_through.py").run()
    at.button(key="step_through_scene_add").click().run()
    assert not at.exception, at.exception
    assert any("20,000" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.session_state[ui_lessons.MY_LESSON]
    at.session_state["text"] = "To be, or not to be"
    at.session_state[ui_lessons.MY_LESSON] = [_scene(f"scene {k}") for k in range(schema.MAX_STOPS)]
    at.run()
    at.button(key="step_through_scene_add").click().run()
    assert not at.exception, at.exception
    assert any(f"{schema.MAX_STOPS} scenes" in e.value for e in at.error), [e.value for e in at.error]
    assert len(at.session_state[ui_lessons.MY_LESSON]) == schema.MAX_STOPS
    at.switch_page("app_pages/lessons.py").run()
    assert not at.exception, at.exception
    at.session_state[ui_lessons.MY_LESSON] = [*at.session_state[ui_lessons.MY_LESSON], _scene("one too many")]
    at.run()  # a session that holds a lesson the schema refuses: a message, and the rest of the page works
    assert not at.exception, at.exception
    assert any("your lesson" in w.value.lower() for w in at.warning), [w.value for w in at.warning]


def test_your_lesson_travels_in_a_link_when_it_fits():
    data = _exported(_scene(), _scene("Where the line ends", step=2, unit=3))
    lesson = schema.parse(data)
    packed = schema.to_link(lesson)
    assert schema.from_link(packed) == lesson
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.query_params.update({"lesson": "my-lesson", "stop": "2", ui_lessons.LINK_PARAM: packed})
    at.switch_page("app_pages/lessons.py").run()
    assert not at.exception, at.exception
    assert at.header[0].value == "Where the line ends"
    assert at.text_input(key="my_lesson_title").value == "Commas and speakers"
    link = ui_lessons.my_lesson_link(lesson, "http://host/lessons")
    assert link is not None and link.startswith("http://host/lessons?") and len(link) < 6_100
    rng = random.Random(0)  # text that does not compress: forty scenes of it are far longer than a link
    texts = ["".join(rng.choice("abcdefghij klmnopqrstuvwxyz") for _ in range(900)) for _ in range(schema.MAX_STOPS)]
    huge = schema.parse(_exported(*[_scene(f"s{k}", text=t) for k, t in enumerate(texts)]))
    assert ui_lessons.my_lesson_link(huge, "http://host/lessons") is None  # too long: export and import instead


@pytest.mark.parametrize(
    "packed",
    ["not base64 at all!", "eJzLSM3JyVcozy_KSQEAGgQEXQ", "A" * 9000],
    ids=["not-base64", "not-a-lesson", "huge"],
)
def test_a_damaged_lesson_link_gets_a_warning(packed):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.query_params.update({"lesson": "my-lesson", ui_lessons.LINK_PARAM: packed})
    at.switch_page("app_pages/lessons.py").run()
    assert not at.exception, at.exception
    assert any("link" in w.value for w in at.warning), [w.value for w in at.warning]


def test_open_in_step_through_opens_the_unit_layer_and_colouring_the_stop_draws():
    lesson = schema.find("writing-shakespeare")
    at = open_lessons(lesson_id=lesson.id, lesson_for=lesson.id, lesson_stop=2)
    told = render.tell(lesson.stops[2], load)
    at.button(key="lesson_reveal").click().run()  # the button opens the unit the reveal names
    at.button(key="lesson_open").click().run()
    assert not at.exception, at.exception
    ss = at.session_state
    assert (ss["unit"], ss["layer"], ss["step"], ss["colour"]) == (
        told.context.unit,
        told.context.layer,
        told.context.step,
        "cell",
    )
    assert told.context.unit == told.context.values["speaker_unit"]


def test_a_stop_reads_at_most_as_many_tokens_as_the_pages():
    """A scene or an imported stop may carry 20,000 characters: it is read as the explorer reads it, and a
    piece of text past what is read is a clear error, not a mean of nothing."""
    text = "To be, or not to be. " * 950 + "the navy"
    stop = schema.parse(_raw(_scene(text=text))).stops[0]
    assert len(facts.compute(stop, load).trace) == facts.MAX_STEPS
    past = schema.parse(_raw(_scene(text=text, facts=[{"kind": "writes", "spans": ["To be", "the navy"]}])))
    with pytest.raises(ValueError, match="'the navy' is past the first 2,000 tokens"):
        facts.compute(past.stops[0], load)


def test_back_from_step_through_the_lesson_its_stop_and_your_title_are_kept():
    lesson = schema.find("writing-shakespeare")
    at = open_lessons(lesson_id=lesson.id, lesson_for=lesson.id, lesson_stop=2)
    at.text_input(key="my_lesson_title").input("Speakers and new lines").run()
    at.button(key="lesson_reveal").click().run()
    at.button(key="lesson_open").click().run()
    assert not at.exception, at.exception
    at.switch_page("app_pages/lessons.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="lesson_id").value == lesson.id
    assert at.header[0].value == lesson.stops[2].title
    assert at.text_input(key="my_lesson_title").value == "Speakers and new lines"
    assert render.tell(lesson.stops[2], load).answer in shown(at), "the reveal is kept too"


def _path_to(node, key: str, path=()) -> tuple | None:
    """Where the widget with this key sits in the page's tree (the indices the browser keys its elements by)."""
    if getattr(node, "key", None) == key:
        return path
    for index, child in getattr(node, "children", {}).items():
        found = _path_to(child, key, (*path, index))
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("page", ["heatmaps", "neuron_lab"])
def test_add_to_my_lesson_stays_where_it_is_when_a_notice_goes_away(page):
    """A notice shown once (a unit the new model lacks) must not move the share box on the next run: the
    browser would close the popover, and with it the confirmation that the scene was added."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state["model"] = "shakespeare-char"
    at.session_state["text"] = "To be, or not to be"
    at.session_state["unit"] = 9999  # as after a switch to a model with fewer units:
    at.session_state[ui_state._LAST_MODEL] = "memory-lstm"  # the model the teacher switched from
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    assert any("unit 9999" in w.value for w in at.warning), [w.value for w in at.warning]
    before = _path_to(at._tree, f"{page}_scene_add")
    at.button(key=f"{page}_scene_add").click().run()
    assert not at.exception, at.exception
    assert _path_to(at._tree, f"{page}_scene_add") == before
    assert any("Added: your lesson has 1 scene" in s.value for s in at.success), [s.value for s in at.success]
