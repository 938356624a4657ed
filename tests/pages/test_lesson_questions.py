"""Lessons as predict-then-reveal: nothing on screen before Reveal gives the answer away, each question's
right answer is what the model gives (measured here again, independently of the lesson's facts), and the
page checks a student's answer and says by how much it was off."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.analysis import agreement, contributions, memory
from lstm_viz.analysis.intervene import intervene
from lstm_viz.data import tasks
from lstm_viz.engine.trace import Clamp
from lstm_viz.lessons import questions, render, schema
from lstm_viz.plots.html import visible
from tests.factory import lesson_stops, load_shipped

ROOT = Path(__file__).resolve().parents[2]
load, all_stops = load_shipped, lesson_stops


def _fact(stop, kind: str) -> dict:
    return next(f for f in stop.facts if f["kind"] == kind)


def _gender_unit(model, text, layer):
    """The unit whose cell correlates best with "the last he/she-like word was female", measured word by word."""
    female = {f for _, f in agreement.GENDER_PAIRS} | {"her", "hers", "herself"}
    male = {m for m, _ in agreement.GENDER_PAIRS} | {"his", "him", "himself"}
    trace, state, feature = model.trace(text), 0.0, []
    for start, end in trace.spans:
        word = text[start:end].lower()
        state = 1.0 if word in female else 0.0 if word in male else state
        feature.append(state)
    cells = trace.layers[layer].cell
    rs = [np.corrcoef(cells[:, k], feature)[0, 1] if cells[:, k].std() > 0 else 0.0 for k in range(cells.shape[1])]
    unit = int(np.argmax(np.abs(rs)))
    return unit, float(rs[unit])


def _oracle(stop, told):
    """The right answer, measured on the model again from the stop's text (not read from the facts)."""
    name, model = stop.ask["answer"], load(stop.model)
    trace = model.trace(stop.text)
    step, layer = told.context.step, trace.layers[stop.layer]
    probs = trace.probs
    if name == "label":
        return trace.output_labels[int(probs[-1].argmax())]
    if name == "turn_step":
        predicted = probs.argmax(axis=1)
        return max(t for t in range(1, len(trace)) if predicted[t] != predicted[t - 1])
    if name == "prefers":
        a, b = (w for w in _fact(stop, "next_tokens")["candidates"] if w in trace.output_labels)
        return a if probs[step, trace.output_labels.index(a)] >= probs[step, trace.output_labels.index(b)] else b
    if name == "first_shown":
        label = trace.output_labels[int(probs[step].argmax())]
        return f"'{label}' (a word it does not know)" if label == model.tokenizer.unk else repr(visible(label))
    if name == "spread":
        final = int(probs[-1].argmax())
        weight, bias = contributions.head_parameters(model.module)
        share = np.sort(np.abs(contributions.logit_contributions(trace, weight, bias, final).contributions))[::-1]
        half = int(np.argmax(np.cumsum(share) >= 0.5 * share.sum())) + 1
        return questions.SPREAD[0 if half == 1 else 1 if half <= 10 else 2]
    if name in ("others", "where_else"):
        forget = layer.quantities()[told.context.quantity]  # the gate the moment ranks
        rise = "open" in _fact(stop, "moment").get("how", "")
        change = np.diff(forget, axis=0, prepend=forget[:1]) * (1 if rise else -1)
        unit = int(np.argmax(change[step]))
        others = int((change[:, unit] >= 0.5 * change[step, unit]).sum()) - 1
        if name == "others":
            return others
        return questions.WHERE_ELSE[0 if others == 0 else 1 if others <= 5 else 2]
    if name == "drops":
        forget = layer.forget_gate
        return int((forget[step - 1] - forget[step] > questions.DROP_BY).sum())
    if name in ("most", "least"):
        write = np.abs(layer.input_gate * layer.candidate).mean(axis=1)
        means = {}
        for piece in _fact(stop, "writes")["spans"]:
            at = stop.text.find(piece)
            means[piece] = write[[t for t, (s, _) in enumerate(trace.spans) if at <= s < at + len(piece)]].mean()
        return (max if name == "most" else min)(means, key=means.get)
    if name in ("mean_p", "safer"):
        spec = _fact(stop, "generation")

        def mean(temperature):
            written = model.generate(spec["prime"], spec["length"], temperature=temperature, seed=spec["seed"])
            return float(np.mean(written.chosen_probs))

        if name == "mean_p":
            return mean(spec["temperature"])
        return "higher" if mean(spec["temperature"]) > mean(spec["against"]) else "lower"
    if re.fullmatch(r"(rnn|gru|lstm)_(long|short)_\d+", name):  # a cell kind, its training regime, a gap
        kind, regime, gap = name.split("_")
        trained = next(r for r in memory.REGIMES if r.key == regime).models[kind]
        return memory.accuracy(load(trained), memory.SAMPLE_SEED, memory.SAMPLE_PER_GAP)[int(gap)]
    if name == "reaches_more":
        text, _ = memory.task(model).example(max(memory.PAGE_GAPS), seed=0)
        reach = {k: memory.start_gradient(load(n), text) for k, n in memory.REGIMES[0].models.items()}
        return "the LSTM" if reach["lstm"].reach() > reach["rnn"].reach() else "the RNN"
    if name in ("count_breaks", "acc_before", "acc_after"):
        depth = np.array(tasks.bracket_depths(stop.text[: len(trace)]))
        result = intervene(model, stop.text, Clamp(0, told.context.unit, "forget_gate", 0.0))
        before = (result.before.probs.argmax(1) == depth).mean()
        after = (result.after.probs.argmax(1) == depth).mean()
        if name != "count_breaks":
            return before if name == "acc_before" else after
        return questions.BREAK_OPTIONS[0 if after < before - 0.05 else 1]
    if name in ("gender_abs_r", "clamp_prefers"):
        fact = _fact(stop, "feature_unit")
        unit, r = _gender_unit(model, fact.get("text", stop.text), stop.layer)
        if name == "gender_abs_r":
            return abs(r)
        a, b = _fact(stop, "clamp")["candidates"]
        held = model.trace(_fact(stop, "clamp")["like"]).layers[stop.layer].cell[-1, unit]
        after = model.trace(stop.text, clamp=Clamp(stop.layer, unit, "cell", float(held))).probs[step]
        labels = trace.output_labels
        return a if after[labels.index(a)] >= after[labels.index(b)] else b
    if name == "speaker_abs_r":
        return abs(told.context.values["speaker_r"])  # the correlation itself is checked in test_lessons
    raise AssertionError(f"no independent measurement for the answer {name!r}: add one here")


@pytest.mark.parametrize("lesson_id,index", all_stops())
def test_every_question_is_answered_and_its_answer_is_what_the_model_gives(lesson_id, index):
    stop = schema.find(lesson_id).stops[index]
    told = render.tell(stop, load)
    assert told.question and told.ask is not None, "every shipped stop asks something the student answers"
    right = _oracle(stop, told)
    if told.ask.kind == "number":
        assert told.ask.right == pytest.approx(right, abs=1e-6)
        assert told.ask.lo <= told.ask.right <= told.ask.hi, "the slider reaches the model's answer"
    else:
        assert told.ask.right == right
    if told.ask.kind == "choice":
        assert 2 <= len(told.ask.options) <= 4 and told.ask.right in told.ask.options
    # the reveal states the model's answer
    assert questions.grade(told.ask, told.ask.right)[0] is True
    assert told.ask.show(told.ask.right).strip("'").split(" (")[0] in told.answer + questions.grade(told.ask, None)[1]


def _before_reveal(at: AppTest, lesson) -> tuple[str, str]:
    """Every word of the stop before Reveal: not the answer buttons (they list every option alike), nor the
    lesson's summary and sources (the same at every stop: a source's year is no answer)."""
    captions = [c.value for c in at.caption if c.value != lesson.summary and not c.value.startswith("Sources:")]
    words = [h.value for h in at.header] + [m.value for m in at.markdown] + captions
    drawn = [c.value for c in at.code]  # the written text of a generation stop, and the text's boxes:
    for h in at.get("html"):  # what a reader sees, without stylesheet, script or tag
        body = re.sub(r"<(style|script)\b.*?</\1>", " ", h.proto.body, flags=re.S | re.I)
        drawn.append(re.sub(r"<[^>]+>", " ", body))
    return " ".join(words), " ".join(drawn)


def open_stop(lesson_id: str, index: int) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state["lesson_id"] = at.session_state["lesson_for"] = lesson_id
    at.session_state["lesson_stop"] = index
    at.switch_page("app_pages/lessons.py")
    return at.run()


def _answer_wrongly(at: AppTest, told, key: str):
    """Give a wrong answer through the stop's widget, as a student would; return it."""
    q = told.ask
    if q.kind == "choice":
        k = next(k for k, o in enumerate(q.options) if o != q.right)
        at.button(key=f"{key}_option_{k}").click().run()
        return q.options[k]
    if q.kind == "token":
        wrong = 0 if q.right != 0 else 1
        at.pills(key=f"{key}_token").set_value(wrong).run()
        return wrong
    scale = 100 if q.spec.endswith("%") else 1
    wrong = q.lo if q.right - q.lo > (q.hi - q.lo) / 2 else q.hi
    whole = q.spec == "d" or scale == 100
    at.slider(key=f"{key}_number").set_value(int(round(wrong * scale)) if whole else wrong).run()
    return wrong


@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in schema.shipped()])
def test_a_student_plays_each_lesson_nothing_before_reveal_gives_the_answer_away(lesson_id):
    """Stop after stop, as a student who does not know the answers: the stop before Reveal states nothing the
    reveal says, a wrong answer given through the stop's own widget is called wrong and by how much, the answer
    follows, and → goes on (a stop once revealed stays revealed when the student comes back)."""
    lesson = schema.find(lesson_id)
    at = open_stop(lesson_id, 0)
    for index, stop in enumerate(lesson.stops):
        told = render.tell(stop, load)
        assert not at.exception, at.exception
        assert at.header[0].value == stop.title
        shown, drawn = _before_reveal(at, lesson)
        assert lesson.place(index) in shown
        assert told.narration in shown and told.question in shown
        numbers = questions.key_numbers(stop, told.context.values)
        assert not questions.spoilers(told.ask, numbers, shown, drawn), (shown, drawn)
        assert told.answer not in shown
        assert not at.success and not at.warning and not at.get("plotly_chart") and not at.dataframe
        assert not [b for b in at.button if b.key == "lesson_open"], "Open in Step Through would show the unit"
        given = _answer_wrongly(at, told, f"lesson_{lesson_id}_{index}")
        at.button(key="lesson_reveal").click().run()
        assert not at.exception, at.exception
        right, said = questions.grade(told.ask, given)
        assert right is False
        assert said in [w.value for w in at.warning]
        assert told.answer in [m.value for m in at.markdown]
        if index < len(lesson.stops) - 1:
            at.button(key="lesson_next").click().run()
    assert at.button(key="lesson_next").disabled
    if len(lesson.stops) > 1:
        at.button(key="lesson_prev").click().run()
        assert at.header[0].value == lesson.stops[-2].title
        assert render.tell(lesson.stops[-2], load).answer in [m.value for m in at.markdown]


def test_grading_says_right_wrong_and_by_how_much():
    q = questions.Question("number", 0.52, lo=0, hi=1, spec=".0%")
    assert questions.grade(q, 0.5) == (True, "Right: you said 50%; the model's answer is 52%.")
    assert questions.grade(q, 0.2) == (False, "Not this time: you said 20%; the model's answer is 52%, 32% more.")
    t = questions.Question("token", 3, options=("a", "b", "c", "d", "e"))
    assert questions.grade(t, 1)[1].endswith("'d' (step 3), 2 tokens later.")
    c = questions.Question("choice", "his", options=("his", "her"))
    assert questions.grade(c, "his") == (True, "Right: his.")
    assert questions.grade(c, None) == (None, "You did not answer. The model's answer: his.")


def test_the_spoiler_check_catches_a_narration_that_states_the_answer():
    stop = schema.find("reading-reviews").stops[0]
    told = render.tell(stop, load)
    numbers = questions.key_numbers(stop, told.context.values)
    leaky = f"{told.narration} It ends {told.context.values['label']} ({told.context.values['confidence']:.0%})."
    found = questions.spoilers(told.ask, numbers, leaky)
    assert told.ask.right in found and f"{told.context.values['confidence']:.0%}" in found


def test_schema_checks_the_ask():
    doc = json.loads(schema.to_json(schema.find("his-or-her")))
    for bad, words in [
        ({"kind": "guess", "answer": "x"}, "kind is one of"),
        ({"kind": "choice", "answer": "prefers", "options": ["only one"]}, "options must"),
        ({"kind": "number", "answer": "p", "lo": 1, "hi": 0}, "lo < hi"),
        ({"kind": "number", "answer": "p", "lo": 0, "hi": 1, "spec": "{x}"}, "spec must"),
        ({"kind": "token", "answer": "a.b"}, "answer must name"),
        ({"kind": "token", "answer": "x", "options": "y"}, "unknown settings"),
    ]:
        doc["stops"][0]["ask"] = bad
        with pytest.raises(ValueError, match=words):
            schema.parse(json.dumps(doc))
    for ask, words in [
        ({"kind": "choice", "answer": "nothing_computes_this", "options": "pair"}, "is not measured by this stop"),
        ({"kind": "token", "answer": "prefers"}, "is not a step of the text"),
        ({"kind": "number", "answer": "top", "lo": 0, "hi": 1}, "is not one"),
        ({"kind": "choice", "answer": "prefers", "options": ["a", "b"]}, "options do not hold its answer"),
    ]:  # a teacher's lesson that names the wrong value: a sentence, not a crash
        doc["stops"][0]["ask"] = ask
        with pytest.raises(ValueError, match=words):
            render.tell(schema.parse(json.dumps(doc)).stops[0], load)
    doc["stops"][0]["facts"][0]["candidates"] = ["whale"]  # its rank (in the hundreds) is a number past the text
    doc["stops"][0]["ask"] = {"kind": "token", "answer": "rank_whale"}
    with pytest.raises(ValueError, match="is not a step of the text"):
        render.tell(schema.parse(json.dumps(doc)).stops[0], load)
