"""Lessons as data: a lesson is a JSON file of stops, each a scene with narration templates, checked on load.

A stop names a model, a text, a step (a number, or the first token where a piece of text starts),
a layer and a unit (a number, or found by a fact), what to draw (``view``), the facts to compute
(:mod:`lstm_viz.lessons.facts`), and three templates: ``narration``, ``question`` (to answer before
the reveal) and ``answer``. Templates hold no numbers of their own: only ``{name}`` or
``{name:spec}`` placeholders filled with the facts computed when the lesson runs. Shipped lessons
live in ``assets/lessons/``; a teacher's own lesson is the same format (exported and imported as a
small JSON file). Every fault is a ValueError naming the lesson and the field.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field

from lstm_viz import paths
from lstm_viz.messages import cut, describe

LESSONS_DIR = paths.ASSETS / "lessons"
NEEDS = {"memory": "memory", "counting": "counting", "generation": "generation"}  # view -> the fact it draws
VIEWS = ("strip", "units", "prediction", "next_words", "generation", "memory", "counting", "gates")
MAX_LESSON_BYTES = 256 * 1024
MAX_STOPS = 40
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
PLACEHOLDER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # {name} only: no attribute or index access
SPEC_RE = re.compile(r"^[+\- #0]*\d*(,)?(\.\d+)?[a-z%]?$")


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

    def templates(self) -> tuple[str, str, str]:
        return self.narration, self.question, self.answer


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    stops: list[Stop]
    sources: list[str] = field(default_factory=list)  # cited by title and author


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
        if spec and not SPEC_RE.match(spec):
            raise ValueError(f"{where}: {{{name}:{cut(spec, 20)}}} has a format I do not allow")
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
    facts = data.get("facts", [])
    if not isinstance(facts, list) or not all(isinstance(f, dict) and isinstance(f.get("kind"), str) for f in facts):
        raise ValueError(f"{where}: facts must be a list of objects, each with a 'kind'")
    if view in NEEDS and NEEDS[view] not in [f["kind"] for f in facts]:
        raise ValueError(f"{where}: the {view!r} view draws the {NEEDS[view]!r} fact; add it to facts")
    stop = Stop(
        title=_text(data, "title", where, limit=200),
        model=_text(data, "model", where, limit=64),
        text=_text(data, "text", where, limit=20_000),
        view=view,
        layer=data.get("layer", 0),
        step=data.get("step"),
        at=_text(data, "at", where, required=False, limit=200) or None,
        unit=data.get("unit"),
        quantity=_text(data, "quantity", where, required=False, limit=40) or "forget_gate",
        facts=facts,
        narration=_text(data, "narration", where),
        question=_text(data, "question", where, required=False),
        answer=_text(data, "answer", where, required=False),
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
    sources = doc.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) and len(s) < 300 for s in sources):
        raise ValueError(f"{origin}: sources must be a list of short texts (title and author)")
    return Lesson(
        id=lesson_id,
        title=_text(doc, "title", origin, limit=200),
        summary=_text(doc, "summary", origin, required=False, limit=2000),
        stops=[_stop(s, f"{origin}: stop {k + 1}") for k, s in enumerate(stops)],
        sources=list(sources),
    )


def to_json(lesson: Lesson) -> str:
    """The lesson as the JSON it is stored and exported as (``parse`` reads it back)."""
    stops = []
    for stop in lesson.stops:
        entry = {k: v for k, v in stop.__dict__.items() if v not in (None, [], "")}
        stops.append(entry)
    doc = {"id": lesson.id, "title": lesson.title, "summary": lesson.summary, "sources": lesson.sources, "stops": stops}
    return json.dumps(doc, indent=2, ensure_ascii=False)


def shipped() -> list[Lesson]:
    """The shipped lessons, in the order of their file names."""
    return [parse(path.read_bytes(), path.name) for path in sorted(LESSONS_DIR.glob("*.json"))]


def find(lesson_id: str) -> Lesson:
    for lesson in shipped():
        if lesson.id == lesson_id:
            return lesson
    raise ValueError(f"no lesson {cut(lesson_id, 40)!r}; the lessons are {', '.join(x.id for x in shipped())}")
