"""A lesson stop's words, filled in from its facts, and a whole lesson as a Markdown handout.

Templates are the stop's ``narration``, ``question`` and ``answer``; placeholders are plain names
(``{unit}``, ``{before:.3f}``, ``{token!r}``), filled from the facts computed for the stop. A name
the facts did not produce is shown as ``[name?]``, so a broken lesson is visible, never silent.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from lstm_viz.lessons import facts, questions
from lstm_viz.lessons.schema import Lesson, Stop, fill


@dataclass(frozen=True)
class NarratedStop:
    """One stop as a student meets it: the words, and the context its chart and tables are drawn from."""

    stop: Stop
    narration: str
    question: str
    answer: str
    context: facts.Context
    ask: questions.Question | None = None  # how the student answers, and the model's answer


def _sentence(words: str) -> str:
    """Words that begin with a computed phrase ("it writes about as much...") begin with a capital."""
    return words[:1].upper() + words[1:]


def tell(stop: Stop, load) -> NarratedStop:
    """Compute ``stop``'s facts and fill in its words."""
    ctx = facts.compute(stop, load)
    questions.derive(ctx)
    return NarratedStop(
        stop,
        _sentence(fill(stop.narration, ctx.values)),
        _sentence(fill(stop.question, ctx.values)),
        _sentence(fill(stop.answer, ctx.values)),
        ctx,
        questions.question(stop.ask, ctx),
    )


def missing(told: NarratedStop) -> list[str]:
    """Placeholders of a told stop that its facts did not fill (a lesson test asserts none)."""
    names = []
    for template in told.stop.templates():
        names += [n for _, n, _, _ in string.Formatter().parse(template) if n and n not in told.context.values]
    return names


def handout(lesson: Lesson, load) -> str:
    """The lesson as Markdown: every stop's narration, question and answer, and the numbers behind them."""
    lines = [f"# {lesson.title}", "", lesson.summary, ""]
    for k, stop in enumerate(lesson.stops, 1):
        told = tell(stop, load)
        lines += [
            f"## {k}. {stop.title}",
            "",
            f"*{told.context.values['model']}, text:* {stop.text!r}",
            "",
            told.narration,
            "",
        ]
        if "written" in told.context.values:  # a generation stop: the text itself, as written
            lines += ["````text", stop.text + told.context.values["written"], "````", ""]
        if told.question:
            lines += [f"**Predict first:** {told.question}", ""]
            if told.ask is not None and told.ask.kind == "choice":
                lines += ["Options: " + " / ".join(told.ask.options), ""]
            if told.ask is not None:
                lines += [f"**The model's answer:** {told.ask.show(told.ask.right)}", ""]
            lines += [f"**Answer:** {told.answer}", ""]
        for title, rows in told.context.tables:
            if not rows:
                continue
            lines += [f"*{title}*", "", "| " + " | ".join(map(str, rows[0])) + " |", "|" + " --- |" * len(rows[0])]
            lines += ["| " + " | ".join(str(v) for v in row.values()) + " |" for row in rows[:12]]
            lines.append("")
    if lesson.sources:
        lines += ["## Sources", "", *(f"- {s}" for s in lesson.sources), ""]
    return "\n".join(lines)
