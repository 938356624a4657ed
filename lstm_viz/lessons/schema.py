"""Lessons as data: a lesson is a JSON file of stops, each a scene with narration templates, checked on load;
an optional quiz of 3 to 5 more stops, each with a question, closes it.

A stop names a model, a text, a step (a number, or the first token where a piece of text starts),
a layer and a unit (a number, or found by a fact), what to draw (``view``), the facts to compute
(:mod:`lstm_viz.lessons.facts`), three templates: ``narration`` (the setting, shown before the
reveal), ``question`` and ``answer``, and ``ask``: how the student answers and which computed value is
right (:mod:`lstm_viz.lessons.questions`). Templates hold no numbers of their own: only ``{name}`` or
``{name:spec}`` placeholders filled with the facts computed when the lesson runs. Shipped lessons
live in ``assets/lessons/``; a teacher's own lesson is the same format (exported and imported as a
small JSON file). Every fault is a ValueError naming the lesson and the field.

A lesson file is hostile input (imported, or opened from a link): every number, text, list and
format spec in it is bounded here, before anything is computed, and a model is named only by its
listed name (never a path). Each fact's settings are declared in ``FACTS`` with their bounds.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import string
import zlib
from dataclasses import dataclass, field

from lstm_viz import paths
from lstm_viz.analysis import features, search
from lstm_viz.engine import cell
from lstm_viz.messages import cut, describe
from lstm_viz.store import zoo

LESSONS_DIR = paths.ASSETS / "lessons"
NEEDS = {"memory": "memory", "counting": "counting", "generation": "generation"}  # view -> the fact it draws
VIEWS = ("strip", "units", "prediction", "next_words", "generation", "memory", "counting", "gates")
MAX_LESSON_BYTES = 256 * 1024
MAX_STOPS = 40
QUIZ_QUESTIONS = (3, 4, 5)  # a lesson's quiz: none, or three to five questions
MAX_TEXT = 20_000  # characters of a stop's text
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
PLACEHOLDER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # {name} only: no attribute or index access
SPEC_RE = re.compile(r"^[+\- #0]*(?P<width>\d*),?(?:\.(?P<precision>\d+))?[a-z%]?$")
MAX_WIDTH, MAX_PRECISION = 40, 12  # a filled placeholder stays short: {unit:999999999} would be a gigabyte


@dataclass(frozen=True)
class Setting:
    """One setting of a fact: its type and bounds (numbers: range; texts: length; lists: items and their length)."""

    kind: str  # "int", "float", "text", "texts" or "choice"
    lo: float = 0
    hi: float = 0
    choices: tuple = ()
    chars: int = 200  # "texts": the longest item

    def admits(self, value) -> bool:
        if self.kind == "choice":
            return isinstance(value, str) and value in self.choices
        if self.kind in ("int", "float"):
            number = isinstance(value, int | float) if self.kind == "float" else isinstance(value, int)
            return number and not isinstance(value, bool) and math.isfinite(value) and self.lo <= value <= self.hi
        if self.kind == "text":
            return isinstance(value, str) and self.lo <= len(value) <= self.hi
        return (
            isinstance(value, list)
            and self.lo <= len(value) <= self.hi
            and all(isinstance(v, str) and 1 <= len(v) <= self.chars for v in value)
        )

    def describe(self) -> str:
        if self.kind == "choice":
            return f"one of {', '.join(self.choices)}"
        if self.kind in ("int", "float"):
            return f"a {'whole ' * (self.kind == 'int')}number from {self.lo:,g} to {self.hi:,g}"
        if self.kind == "text":
            return f"a text of {self.lo:,g} to {self.hi:,g} characters"
        return f"a list of {self.lo:,g} to {self.hi:,g} texts of 1 to {self.chars} characters"


def _int(lo: int, hi: int) -> Setting:
    return Setting("int", lo, hi)


SEED = _int(0, 2**31 - 1)
FACTS = {  # fact kind -> its settings and their bounds (each computed by lstm_viz.lessons.facts)
    "moment": {"how": Setting("choice", choices=tuple(search.MOMENTS)), "top": _int(1, 50)},
    "prediction": {"expected": Setting("text", 1, 200)},
    "next_tokens": {
        "candidates": Setting("texts", 1, 20, chars=100),
        "k": _int(1, 50),
        "contrast": Setting("text", 1, 2000),
    },
    "writes": {"spans": Setting("texts", 1, 20)},
    "generation": {
        "prime": Setting("text", 1, 200),
        "temperature": Setting("float", 0.1, 2.0),
        "seed": SEED,
        "length": _int(1, 2000),
        "against": Setting("float", 0.1, 2.0),  # another temperature, for a question comparing the two
    },
    "feature_unit": {
        "feature": Setting("choice", choices=tuple(features.FEATURES)),
        "quantity": Setting("choice", choices=tuple(cell.QUANTITY)),
        "name": Setting("text", 1, 30),
        "chars": _int(100, 8_000),  # traced at once: 8,000 characters of the 2x256 model are about 160 MB
        "text": Setting("text", 1, 8_000),  # search this text (else a long held-out text, else the stop's)
    },
    "clamp": {  # hold the stop's unit at the value it has after another text; two next words before and after
        "candidates": Setting("texts", 2, 2, chars=100),
        "like": Setting("text", 1, 2000),
        "quantity": Setting("choice", choices=tuple(cell.QUANTITY)),
    },
    "memory": {"seed": SEED, "per_gap": _int(1, 1000)},  # strings per gap and model: 500 for all six take < 1 s
    "counting": {"strings": _int(1, 50)},  # 20 strings take a few seconds; 200 took 70 s
}


@dataclass(frozen=True)
class Stop:
    title: str
    model: str
    text: str
    view: str = "strip"
    layer: int = 0
    step: int | None = None  # a step, or:
    at: str | None = None  # the first token where this piece of the text starts
    unit: int | None = None  # a unit, or the one a fact finds
    quantity: str = "forget_gate"  # what the strip colours
    facts: list = field(default_factory=list)  # [{"kind": ..., params}]
    narration: str = ""
    question: str = ""
    answer: str = ""
    ask: dict | None = None  # how the student answers the question (lstm_viz.lessons.questions)

    def templates(self) -> tuple[str, str, str]:
        return self.narration, self.question, self.answer


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    stops: list[Stop]  # the lesson's stops, then its quiz's questions (from quiz_start on)
    sources: list[str] = field(default_factory=list)  # cited by title and author
    quiz_start: int | None = None  # the index of the quiz's first question; None: no quiz

    def in_quiz(self, index: int) -> bool:
        return self.quiz_start is not None and index >= self.quiz_start

    def place(self, index: int) -> str:
        """Where ``index`` is, as the page says it: "Stop 2 of 4" or "Quiz: question 1 of 3"."""
        if self.in_quiz(index):
            return f"Quiz: question {index - self.quiz_start + 1} of {len(self.stops) - self.quiz_start}"
        lesson_stops = self.quiz_start if self.quiz_start is not None else len(self.stops)
        return f"Stop {index + 1} of {lesson_stops}" + (" (a quiz follows)" if self.quiz_start is not None else "")


class _Filler(string.Formatter):
    def get_value(self, key, args, kwargs):
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        return _Missing(str(key))

    def format_field(self, value, format_spec):
        if isinstance(value, _Missing):
            return f"[{value.name}?]"
        return super().format_field(value, format_spec)

    def convert_field(self, value, conversion):
        if isinstance(value, _Missing):
            return value
        return super().convert_field(value, conversion)


@dataclass(frozen=True)
class _Missing:
    name: str


def fill(template: str, values: dict) -> str:
    """``template`` with its placeholders filled from ``values`` (see the module docstring)."""
    return _Filler().vformat(template, (), values)


def _check_template(where: str, template: str) -> None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as err:
        raise ValueError(f"{where}: not a valid template ({err})") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not PLACEHOLDER_RE.match(name):
            raise ValueError(f"{where}: placeholders are plain names such as {{unit}}, got {{{cut(name, 40)}}}")
        found = SPEC_RE.match(spec or "")
        if spec and not found:
            raise ValueError(f"{where}: {{{name}:{cut(spec, 20)}}} has a format I do not allow")
        width, precision = (found.group("width"), found.group("precision")) if found else ("", "")
        if width and (len(width) > 3 or int(width) > MAX_WIDTH):
            raise ValueError(f"{where}: {{{name}:{cut(spec, 20)}}}: the width is at most {MAX_WIDTH}")
        if precision and (len(precision) > 3 or int(precision) > MAX_PRECISION):
            raise ValueError(f"{where}: {{{name}:{cut(spec, 20)}}}: the precision is at most {MAX_PRECISION}")
        if conversion not in (None, "r"):
            raise ValueError(f"{where}: {{{name}!{conversion}}}: only !r is allowed")


def _text(data: dict, key: str, where: str, required: bool = True, limit: int = 4000) -> str:
    value = data.get(key, "")
    if required and not value:
        raise ValueError(f"{where}: {key!r} is missing")
    if not isinstance(value, str):
        raise ValueError(f"{where}: {key!r} must be text, got {describe(value)}")
    if len(value) > limit:
        raise ValueError(f"{where}: {key!r} has {len(value):,} characters; at most {limit:,}")
    return value


def _facts(facts, where: str) -> list[dict]:
    """The stop's facts, each a known kind with known settings within their bounds."""
    if not isinstance(facts, list) or not all(isinstance(f, dict) and isinstance(f.get("kind"), str) for f in facts):
        raise ValueError(f"{where}: facts must be a list of objects, each with a 'kind'")
    if len(facts) > 8:
        raise ValueError(f"{where}: a stop has at most 8 facts, got {len(facts)}")
    for k, fact in enumerate(facts, 1):
        kind = fact["kind"]
        if kind not in FACTS:
            raise ValueError(f"{where}: fact {k}: unknown kind {cut(kind, 40)!r}; the facts are {', '.join(FACTS)}")
        for key, value in fact.items():
            if key == "kind":
                continue
            setting = FACTS[kind].get(key)
            if setting is None:
                known = ", ".join(FACTS[kind]) or "none"
                raise ValueError(f"{where}: fact {k} ({kind}): unknown setting {cut(key, 40)!r}; it takes {known}")
            if not setting.admits(value):
                raise ValueError(
                    f"{where}: fact {k} ({kind}): {key} must be {setting.describe()}, got {describe(value)}"
                )
        if kind == "feature_unit" and not PLACEHOLDER_RE.match(fact.get("name", "feature")):
            raise ValueError(f"{where}: fact {k} (feature_unit): name must be a plain name such as speaker")
    return facts


ASK_KINDS = ("choice", "token", "number")


def _ask(ask, where: str, question: str) -> dict | None:
    """How the student answers: a kind, the computed value that is right, and the kind's own settings."""
    if ask is None:
        return None
    where = f"{where}.ask"
    if not question:
        raise ValueError(f"{where}: a stop with an ask needs a question")
    if not isinstance(ask, dict) or ask.get("kind") not in ASK_KINDS:
        raise ValueError(f"{where}: must be an object whose kind is one of {', '.join(ASK_KINDS)}")
    allowed = {"choice": {"options"}, "token": set(), "number": {"lo", "hi", "spec"}}[ask["kind"]]
    unknown = set(ask) - allowed - {"kind", "answer"}
    if unknown:
        raise ValueError(f"{where}: unknown settings {sorted(map(str, unknown))[:5]} for a {ask['kind']} question")
    if not isinstance(ask.get("answer"), str) or not PLACEHOLDER_RE.match(ask["answer"]):
        raise ValueError(
            f"{where}: answer must name a computed value, such as label, got {describe(ask.get('answer'))}"
        )
    if ask["kind"] == "choice":
        options = ask.get("options")
        named = isinstance(options, str) and PLACEHOLDER_RE.match(options)
        listed = isinstance(options, list) and 2 <= len(options) <= 4
        if not (named or listed and all(isinstance(o, str) and 1 <= len(o) <= 100 for o in options)):
            raise ValueError(f"{where}: options must name a computed list, or list 2 to 4 short texts")
    if ask["kind"] == "number":
        lo, hi = ask.get("lo"), ask.get("hi")
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lo, hi))
        if not numbers or not -1e9 <= lo < hi <= 1e9:
            raise ValueError(f"{where}: lo and hi must be numbers with lo < hi, got {describe(lo)} and {describe(hi)}")
        spec = ask.get("spec", "g")
        if not isinstance(spec, str) or not SPEC_RE.match(spec) or len(spec) > 8:
            raise ValueError(f"{where}: spec must be a number format such as .0% or d, got {describe(spec)}")
    return dict(ask)


def _stop(data, where: str) -> Stop:
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be an object, got {describe(data)}")
    known = {f for f in Stop.__dataclass_fields__}
    unknown = set(data) - known
    if unknown:
        raise ValueError(
            f"{where}: unknown fields {sorted(map(str, unknown))[:5]}; a stop has {', '.join(sorted(known))}"
        )
    view = data.get("view", "strip")
    if view not in VIEWS:
        raise ValueError(f"{where}: view must be one of {', '.join(VIEWS)}, got {describe(view)}")
    for key in ("layer", "step", "unit"):
        value = data.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 100_000):
            raise ValueError(f"{where}: {key} must be a whole number from 0, got {describe(value)}")
    facts = _facts(data.get("facts", []), where)
    model = data.get("model")
    if isinstance(model, str) and model and not zoo.NAME_RE.match(model):
        raise ValueError(
            f"{where}: model must be a listed model's name such as 'shakespeare-char' (no path), got {describe(model)}"
        )
    quantity = data.get("quantity", "forget_gate")
    if quantity not in cell.QUANTITY:
        raise ValueError(f"{where}: quantity must be one of {', '.join(cell.QUANTITY)}, got {describe(quantity)}")
    if view in NEEDS and NEEDS[view] not in [f["kind"] for f in facts]:
        raise ValueError(f"{where}: the {view!r} view draws the {NEEDS[view]!r} fact; add it to facts")
    stop = Stop(
        title=_text(data, "title", where, limit=200),
        model=_text(data, "model", where, limit=64),
        text=_text(data, "text", where, limit=MAX_TEXT),
        view=view,
        layer=data.get("layer", 0),
        step=data.get("step"),
        at=_text(data, "at", where, required=False, limit=200) or None,
        unit=data.get("unit"),
        quantity=quantity,
        facts=facts,
        narration=_text(data, "narration", where),
        question=_text(data, "question", where, required=False),
        answer=_text(data, "answer", where, required=False),
        ask=_ask(data.get("ask"), where, data.get("question")),
    )
    for name, template in zip(("narration", "question", "answer"), stop.templates(), strict=True):
        _check_template(f"{where}.{name}", template)
    return stop


def parse(data: bytes | str, origin: str = "the lesson") -> Lesson:
    """A lesson from its JSON; ValueError naming the field for anything wrong."""
    if len(data) > MAX_LESSON_BYTES:
        raise ValueError(f"{origin} has {len(data):,} bytes; a lesson file holds at most {MAX_LESSON_BYTES:,}")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise ValueError(f"{origin} is not valid JSON: {cut(err, 120)}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{origin} must hold a JSON object, got {describe(doc)}")
    lesson_id = doc.get("id")
    if not isinstance(lesson_id, str) or not ID_RE.match(lesson_id):
        raise ValueError(f"{origin}: id must be lower-case letters, digits and '-', got {describe(lesson_id)}")
    stops = doc.get("stops")
    if not isinstance(stops, list) or not 1 <= len(stops) <= MAX_STOPS:
        raise ValueError(f"{origin}: stops must be a list of 1 to {MAX_STOPS} stops")
    quiz = doc.get("quiz", [])
    if not isinstance(quiz, list) or len(quiz) not in (0, *QUIZ_QUESTIONS):
        raise ValueError(f"{origin}: quiz must be a list of {QUIZ_QUESTIONS[0]} to {QUIZ_QUESTIONS[-1]} questions")
    sources = doc.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) and len(s) < 300 for s in sources):
        raise ValueError(f"{origin}: sources must be a list of short texts (title and author)")
    return Lesson(
        id=lesson_id,
        title=_text(doc, "title", origin, limit=200),
        summary=_text(doc, "summary", origin, required=False, limit=2000),
        stops=[_stop(s, f"{origin}: stop {k + 1}") for k, s in enumerate(stops)]
        + [_quiz(q, f"{origin}: quiz question {k + 1}") for k, q in enumerate(quiz)],
        sources=list(sources),
        quiz_start=len(stops) if quiz else None,
    )


def _quiz(data, where: str) -> Stop:
    stop = _stop(data, where)
    if stop.ask is None:
        raise ValueError(f"{where}: a quiz question needs its ask (how the student answers it)")
    return stop


def to_json(lesson: Lesson) -> str:
    """The lesson as the JSON it is stored and exported as (``parse`` reads it back)."""
    stops = [{k: v for k, v in stop.__dict__.items() if v not in (None, [], "")} for stop in lesson.stops]
    cut_at = lesson.quiz_start if lesson.quiz_start is not None else len(stops)
    doc = {"id": lesson.id, "title": lesson.title, "summary": lesson.summary, "sources": lesson.sources,
           "stops": stops[:cut_at]}  # fmt: skip
    if cut_at < len(stops):
        doc["quiz"] = stops[cut_at:]
    return json.dumps(doc, indent=2, ensure_ascii=False)


def to_link(lesson: Lesson) -> str:
    """The lesson packed for a link's query (compressed JSON, URL-safe base64); ``from_link`` reads it back."""
    packed = json.dumps(json.loads(to_json(lesson)), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(zlib.compress(packed, 9)).decode("ascii").rstrip("=")


def from_link(value: str, max_chars: int = 8_000) -> Lesson:
    """The lesson a link carries; ValueError for a damaged, oversized or invalid one (never unpacked past the limit)."""
    origin = "the link's lesson"
    if not isinstance(value, str) or len(value) > max_chars:
        raise ValueError(f"{origin} is longer than a link can hold ({max_chars:,} characters)")
    try:
        packed = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        unpacker = zlib.decompressobj()
        data = unpacker.decompress(packed, MAX_LESSON_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise ValueError(f"{origin} is damaged (the link was cut or changed); ask for the link again") from None
    if len(data) > MAX_LESSON_BYTES or unpacker.unconsumed_tail:
        raise ValueError(f"{origin} unpacks to more than {MAX_LESSON_BYTES:,} bytes")
    return parse(data, origin)


def shipped() -> list[Lesson]:
    """The shipped lessons, in the order of their file names."""
    return [parse(path.read_bytes(), path.name) for path in sorted(LESSONS_DIR.glob("*.json"))]


def find(lesson_id: str) -> Lesson:
    for lesson in shipped():
        if lesson.id == lesson_id:
            return lesson
    raise ValueError(f"no lesson {cut(lesson_id, 40)!r}; the lessons are {', '.join(x.id for x in shipped())}")
