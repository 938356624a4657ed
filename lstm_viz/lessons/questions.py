"""A stop's question as something the student answers, and the app checks against the model.

A stop's ``ask`` names the kind of answer and the computed value that is the right one:

- ``{"kind": "choice", "answer": "label", "options": "labels"}``: one of 2 to 4 options (a value
  that is a list, or a list written in the lesson); 1-4 on the keyboard pick one.
- ``{"kind": "token", "answer": "turn_step"}``: click a token of the stop's text (the answer is a step).
- ``{"kind": "number", "answer": "drops", "lo": 0, "hi": 40, "spec": "d"}``: a number on a slider;
  within a twentieth of the slider's range counts as right.

The right answers come from the stop's facts (:mod:`lstm_viz.lessons.facts`) and from
:func:`derive`, which adds the values questions need (the options, the step where a classifier
last turned, how many units moved) from the same trace. :func:`grade` says whether an answer was
right and by how much; :func:`spoilers` finds what the screen before Reveal must not show.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

import numpy as np

from lstm_viz.analysis import contributions, search
from lstm_viz.lessons.facts import BREAKS, Context, shown_label
from lstm_viz.lessons.schema import fill
from lstm_viz.messages import cut
from lstm_viz.plots.html import visible

KINDS = ("choice", "token", "number")
CLOSE = 0.05  # a number within this share of the slider's range counts as right
DROP_BY = 0.2  # a unit "moves" at a step when its moment's change there is larger than this
SPREAD = ("one unit", "a few units (2 to 10)", "many units (more than 10)")
WHERE_ELSE = ("only here", "here and at 1 to 5 other places", "here and at more than 5 other places")
BREAK_OPTIONS = ("the count breaks", "it still counts")


@dataclass(frozen=True)
class Question:
    """What the student answers: ``right`` is an option's text, a step, or a number."""

    kind: str
    right: object
    options: tuple = ()  # choice: the options in the order shown; token: the tokens of the text
    lo: float = 0.0
    hi: float = 1.0
    spec: str = ""

    def show(self, value) -> str:
        """An answer as the page writes it."""
        if self.kind == "token":
            return f"{self.options[int(value)]!r} (step {int(value)})"
        if self.kind == "number":
            return format(int(round(value)) if self.spec == "d" else float(value), self.spec)
        return str(value)

    @property
    def step(self) -> float:
        """The slider's step: whole numbers for "d", else a hundredth of the range."""
        return 1 if self.spec == "d" else (self.hi - self.lo) / 100


def _last_flip(trace) -> int | None:
    predicted = trace.probs.argmax(axis=1)
    flips = [t for t in range(1, len(trace)) if predicted[t] != predicted[t - 1]]
    return flips[-1] if flips else None


def _prediction(ctx: Context) -> None:
    trace = ctx.trace
    final = int(trace.probs[-1].argmax())
    weight, bias = contributions.head_parameters(ctx.model.module)
    shares = np.abs(contributions.logit_contributions(trace, weight, bias, final).contributions)
    cumulative = np.cumsum(np.sort(shares)[::-1]) / max(float(shares.sum()), 1e-12)
    half = int(np.searchsorted(cumulative, 0.5) + 1)  # units it takes to make half the logit's |shares|
    ctx.values.update(
        labels=list(trace.output_labels),
        turn_step=_last_flip(trace),
        half_units=half,
        spread=SPREAD[0] if half == 1 else SPREAD[1] if half <= 10 else SPREAD[2],
        spread_options=list(SPREAD),
    )


def _next_tokens(ctx: Context, spec: dict) -> None:
    labels = ctx.trace.output_labels
    probs = ctx.trace.probs[ctx.step]
    ctx.values["pair"] = [w for w in spec.get("candidates", []) if w in labels]
    unknown = getattr(ctx.model.tokenizer, "unk", None)
    top = [shown_label(labels[i], unknown) for i in np.argsort(-probs, kind="stable")[:4]]
    ctx.values["first_options"] = sorted(
        top
    )  # the model's own four likeliest: plausible, in an order that tells nothing


def _moment(ctx: Context, spec: dict) -> None:
    how = spec.get("how", "forget_drop")
    changes = search._changes(ctx.trace.layers[ctx.layer], how)[ctx.step]
    others = int(ctx.values.get("others", 0))
    ctx.values.update(
        drops=int((changes > DROP_BY).sum()),
        drop_by=DROP_BY,
        where_else=WHERE_ELSE[0] if others == 0 else WHERE_ELSE[1] if others <= 5 else WHERE_ELSE[2],
        where_else_options=list(WHERE_ELSE),
    )


def _generation(ctx: Context, spec: dict) -> None:
    against = spec.get("against")
    if against is None:
        return
    gen = ctx.model.generate(
        spec.get("prime", "ROMEO:"), spec.get("length", 200), temperature=against, seed=spec.get("seed", 1)
    )
    other = float(np.mean(gen.chosen_probs))
    ctx.values.update(
        against=against,
        mean_p_against=other,
        safer="higher" if ctx.values["mean_p"] > other else "lower",
        safer_options=["higher", "lower"],
    )


def _memory(ctx: Context) -> None:
    rnn, lstm = ctx.values.get("rnn_reach"), ctx.values.get("lstm_reach")
    if rnn is not None and lstm is not None:
        ctx.values["reaches_more"] = "the LSTM" if lstm > rnn else "the RNN"
        ctx.values["reaches_options"] = ["the RNN", "the LSTM"]


def derive(ctx: Context) -> None:
    """Add the values the stop's questions need, measured on the stop's trace and facts."""
    for spec in ctx.stop.facts:
        kind = spec["kind"]
        if kind == "prediction":
            _prediction(ctx)
        elif kind == "next_tokens":
            _next_tokens(ctx, spec)
        elif kind == "moment":
            _moment(ctx, spec)
        elif kind == "writes":
            ctx.values["pieces"] = list(spec["spans"])
        elif kind == "generation":
            _generation(ctx, spec)
        elif kind == "feature_unit":
            name = spec.get("name", "feature")
            ctx.values[f"{name}_abs_r"] = abs(float(ctx.values[f"{name}_r"]))
        elif kind == "memory":
            _memory(ctx)
        elif kind == "counting":
            broke = ctx.values["acc_after"] < ctx.values["acc_before"] - BREAKS
            ctx.values["count_breaks"] = BREAK_OPTIONS[0] if broke else BREAK_OPTIONS[1]
            ctx.values["break_options"] = list(BREAK_OPTIONS)


def question(ask: dict | None, ctx: Context) -> Question | None:
    """The stop's question with its right answer; ValueError when the facts did not compute what it names."""
    if not ask:
        return None
    kind, values = ask["kind"], ctx.values
    if ask["answer"] not in values or values[ask["answer"]] is None:
        raise ValueError(f"the question's answer {cut(ask['answer'], 40)!r} is not measured by this stop's facts")
    right = values[ask["answer"]]
    if kind == "token":
        if not isinstance(right, int | np.integer) or not 0 <= right < len(ctx.trace):
            raise ValueError(f"the question asks for a token, but {cut(ask['answer'], 40)!r} is not a step of the text")
        return Question(kind, int(right), tuple(visible(t) for t in ctx.trace.tokens))
    if kind == "number":
        if not isinstance(right, int | float | np.number) or isinstance(right, bool) or not np.isfinite(right):
            raise ValueError(f"the question asks for a number, but {cut(ask['answer'], 40)!r} is not one")
        return Question(kind, float(right), lo=float(ask["lo"]), hi=float(ask["hi"]), spec=ask.get("spec", "g"))
    options = ask["options"] if isinstance(ask["options"], list) else values.get(ask["options"])
    if not isinstance(options, list) or not 2 <= len(options) <= 4 or str(right) not in map(str, options):
        raise ValueError(f"the question's options do not hold its answer {cut(right, 40)!r}")
    return Question(kind, str(right), tuple(map(str, options)))


def grade(q: Question, given) -> tuple[bool | None, str]:
    """Whether ``given`` is right (None: nothing was given) and a sentence saying so, by how much."""
    if given is None:
        return None, f"You did not answer. The model's answer: {q.show(q.right)}."
    if q.kind == "choice":
        if given == q.right:
            return True, f"Right: {q.right}."
        return False, f"Not this time: you said {given}; the model's answer is {q.right}."
    if q.kind == "token":
        given, right = int(given), int(q.right)
        if given == right:
            return True, f"Right: {q.show(right)}."
        off = abs(given - right)
        side = "later" if right > given else "earlier"
        return False, (
            f"Not this time: you picked {q.show(given)}; the model's answer is {q.show(right)}, "
            f"{off} token{'s' * (off != 1)} {side}."
        )
    given, off = float(given), abs(float(given) - float(q.right))
    if off <= CLOSE * (q.hi - q.lo):
        return True, f"Right: you said {q.show(given)}; the model's answer is {q.show(q.right)}."
    side = "more" if q.right > given else "less"
    return False, (
        f"Not this time: you said {q.show(given)}; the model's answer is {q.show(q.right)}, "
        f"{q.show(off) if q.spec != 'd' else int(round(off))} {side}."
    )


NUMBER_RE = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?%?")


def _forms(q: Question) -> list[str]:
    """The ways a page could write the right answer."""
    if q.kind == "token":
        return [f"step {q.right}"]
    if q.kind == "choice":
        return [q.right]
    value = float(q.right)
    forms = {q.show(value), f"{value:.2f}", f"{value:.3f}"}
    if 0 <= value <= 1:
        forms |= {f"{value:.0%}", f"{value:.1%}"}
    if value == round(value):
        forms.add(str(int(value)))
    return sorted(forms)


def key_numbers(stop, values: dict) -> set[str]:
    """The numbers only the reveal states: those in the values of the answer's own placeholders (the ones
    the narration and the question do not use), less the numbers the setting states and the stop's text holds."""
    setting = {
        n for t in (stop.narration, stop.question, stop.title) for _, n, _, _ in string.Formatter().parse(t) if n
    }
    setting_text = fill(stop.narration, values) + fill(stop.question, values) + stop.text
    numbers = set()
    for _, name, spec, conversion in string.Formatter().parse(stop.answer):
        if name and name not in setting:
            filled = fill(
                "{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}", values
            )
            numbers |= {n for n in NUMBER_RE.findall(filled) if len(n) >= 2}
    return numbers - set(NUMBER_RE.findall(setting_text))


def spoilers(q: Question | None, numbers: set[str], shown: str, drawn: str = "") -> list[str]:
    """What the screen before Reveal (``shown``) gives away: the right answer in any of its forms (a choice
    where it is named more often than another option), and any of the reveal's own ``numbers`` there or in
    what is ``drawn`` (the text as boxes, whose letters are the stop's own text, not a hint)."""

    def count(form: str) -> int:
        return len(re.findall(rf"(?<![\w.]){re.escape(form.lower())}(?![\w%])", shown.lower()))

    found = []
    if q is not None:
        for form in _forms(q):
            if q.kind == "choice":  # named as often as every other option ("positive or negative"): no hint
                if count(form) > min(count(o) for o in q.options if o != form):
                    found.append(form)
            elif count(form):
                found.append(form)
    for number in numbers:
        if re.search(rf"(?<![\w.]){re.escape(number)}(?![\d%])", f"{shown} {drawn}"):
            found.append(number)
    return sorted(set(found))
