"""A student's answer, checked against the question it answers, graded, and counted with the class's.

The questions are the lessons' own (:class:`lstm_viz.lessons.questions.Question`): one of the options, a
token of the text (its step), or a number on the question's range. :func:`check` turns what a student's
device sent into that kind's value or says why it cannot be one; :func:`right` grades it as the lesson
does; :func:`tally` counts a class's answers for the reveal (the options, the tokens, or the range in bins);
:func:`scores` sums a quiz per question and per nickname.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from lstm_viz.lessons.questions import Question, grade

NUMBER_BINS = 10


class AnswerError(ValueError):
    """An answer that the question cannot take (the message says why)."""


def check(q: Question, value) -> str | int | float:
    """``value`` as the question's kind has it: an option's text, a step, or a finite number in range."""
    if q.kind == "choice":
        if not isinstance(value, str) or value not in q.options:
            raise AnswerError("Pick one of the options.")
        return value
    if q.kind == "token":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(q.options):
            raise AnswerError(f"Pick a token of the text (steps 0 to {len(q.options) - 1}).")
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AnswerError("Give a number.")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or not q.lo <= number <= q.hi:
        raise AnswerError(f"Give a number from {q.show(q.lo)} to {q.show(q.hi)}.")
    return number


def right(q: Question, value) -> bool:
    return bool(grade(q, value)[0])


def dump(value) -> str:
    return json.dumps(value)


def load(text: str):
    return json.loads(text)


@dataclass(frozen=True)
class Tally:
    """The class's answers to one question: a label and a count per bar, which bar is the model's answer."""

    labels: tuple[str, ...]
    counts: tuple[int, ...]
    model_bar: int
    answered: int
    right: int


def bar_of(q: Question, value) -> int:
    """The bar an answer falls in."""
    if q.kind == "choice":
        return q.options.index(value)
    if q.kind == "token":
        return int(value)
    width = (q.hi - q.lo) / NUMBER_BINS or 1.0
    return min(max(math.floor((float(value) - q.lo) / width + 1e-9), 0), NUMBER_BINS - 1)


def labels(q: Question) -> tuple[str, ...]:
    if q.kind == "choice":
        return q.options
    if q.kind == "token":
        return tuple(f"{k}: {t}" for k, t in enumerate(q.options))
    width = (q.hi - q.lo) / NUMBER_BINS
    return tuple(f"{q.show(q.lo + k * width)}–{q.show(q.lo + (k + 1) * width)}" for k in range(NUMBER_BINS))


def tally(q: Question, values: list) -> Tally:
    """Count ``values`` (each already :func:`check`-ed) into the question's bars."""
    names = labels(q)
    counts = [0] * len(names)
    for value in values:
        counts[bar_of(q, value)] += 1
    return Tally(names, tuple(counts), bar_of(q, q.right), len(values), sum(right(q, v) for v in values))


def scores(titles: list[str], items: list[str], rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """A quiz's results from the class's answers (``rows`` as the store's ``results``): per question (its title,
    how many answered, how many right, in order) and per nickname (right of answered, best first)."""
    per_question = []
    for number, (title, item) in enumerate(zip(titles, items, strict=True), 1):
        given = [r for r in rows if r["item"] == item]
        per_question.append({"question": f"{number}. {title}", "answered": len(given),
                             "right": sum(bool(r["right"]) for r in given)})  # fmt: skip
    per_name: dict[str, dict] = {}
    for r in rows:
        if r["item"] in items:
            mark = per_name.setdefault(r["nickname"], {"nickname": r["nickname"], "right": 0, "answered": 0})
            mark["answered"] += 1
            mark["right"] += bool(r["right"])
    return per_question, sorted(per_name.values(), key=lambda m: (-m["right"], m["nickname"].casefold()))
