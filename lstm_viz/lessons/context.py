"""What every fact of a lesson stop shares: the stop's context (model, trace, step, unit), the chosen unit,
a small memo of measurements, and how a token or a label is written in a sentence."""

from __future__ import annotations

from dataclasses import dataclass, field

from lstm_viz.lessons.schema import Stop
from lstm_viz.messages import cut
from lstm_viz.plots.html import visible
from lstm_viz.store.zoo import LoadedModel


@dataclass
class Context:
    """What the facts of one stop share: the model, its trace of the stop's text, the step, layer and unit.

    ``unit`` and ``quantity`` are what the stop draws and what "Open in Step Through" opens: the
    stop's own, or the first a fact finds (:func:`choose`), so the narration and the chart agree.
    """

    stop: Stop
    model: LoadedModel
    trace: object
    step: int
    layer: int
    unit: int
    load: object  # name -> LoadedModel, for facts that need another model
    values: dict = field(default_factory=dict)
    quantity: str = "forget_gate"  # what the strip colours
    chosen: bool = False  # a fact has chosen the unit (the first one wins; a unit the stop names wins over all)
    tables: list = field(default_factory=list)  # (title, rows)
    charts: dict = field(default_factory=dict)  # what a stop's chart draws, measured once with its facts


def step_of(model: LoadedModel, text: str, stop: Stop, n_steps: int) -> int:
    """The stop's step: given, or the token where ``stop.at`` first starts in the text (else the last step)."""
    if stop.step is not None:
        return min(stop.step, n_steps - 1)
    if stop.at is None:
        return n_steps - 1
    where = text.find(stop.at)
    if where < 0:
        raise ValueError(f"{cut(stop.at, 40)!r} is not in the stop's text")
    spans = model.encode(text).spans
    for k, (start, end) in enumerate(spans[:n_steps]):
        if start <= where < max(end, start + 1):
            return k
    return n_steps - 1


BREAKS = 0.05  # the count "breaks" when shutting the unit costs more than this share of the depths
MAX_STEPS = 2000  # a stop reads at most this many tokens of its text, as the explorer pages do
_MEMO: dict = {}  # (what, params) -> (the modules it was measured on, the result); a few entries
_MEMO_ENTRIES = 8


def _memo(key: tuple, modules: tuple, compute):
    """``compute()``, remembered while the same model objects are loaded (stops of a lesson share
    their slow measurements: a long text's trace, the memory task's accuracies)."""
    hit = _MEMO.get(key)
    if hit is not None and len(hit[0]) == len(modules) and all(a is b for a, b in zip(hit[0], modules, strict=True)):
        return hit[1]
    result = compute()
    if len(_MEMO) >= _MEMO_ENTRIES:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = (modules, result)
    return result


def choose(ctx: Context, unit: int, quantity: str | None = None) -> None:
    """A fact found the unit (and the quantity) to draw: it is the stop's, unless the stop named its
    own unit or an earlier fact chose one."""
    if ctx.stop.unit is not None or ctx.chosen:
        return
    ctx.unit, ctx.chosen = int(unit), True
    if quantity in ctx.trace.layers[ctx.layer].quantities():
        ctx.quantity = quantity


def _token(trace, step: int) -> str:
    return visible(trace.tokens[step])


def _key(word: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in word)


def shown_label(label: str, unknown: str | None) -> str:
    return f"{visible(label)!r} (a word it does not know)" if label == unknown else repr(visible(label))
