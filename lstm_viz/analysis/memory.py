"""RNN, LSTM and GRU on the memory task: which models learn it, how training went, and the gradient at the start.

The shipped memory models come in two regimes of training gaps (uniform 1..100, "mostly long",
and log-uniform 1..100, "many short"), three cells each, with the same size, optimiser and
budget. Everything a page or a lesson says about them is computed here from measurements:
accuracy on fresh strings, the held-out accuracy the training run logged at each evaluation, and
gradient norms of the untrained models (rebuilt exactly from the seed their card records).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lstm_viz.analysis import gradients
from lstm_viz.data import tasks
from lstm_viz.engine.cell import KINDS

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel
    from lstm_viz.engine.trace import Trace
    from lstm_viz.store.zoo import LoadedModel


@dataclass(frozen=True)
class Regime:
    key: str
    title: str  # how the training gaps were drawn, in words
    log_gaps: bool
    models: dict  # cell kind -> shipped model name, in the pages' order of cells
    label: str  # the training gaps in two words ("mostly long")


REGIMES = (
    Regime("long", "trained on mostly long gaps (uniform over 1-100)", False,
           {"lstm": "memory-lstm", "rnn": "memory-rnn", "gru": "memory-gru"}, "mostly long"),
    Regime("short", "trained with many short gaps (log-uniform over 1-100)", True,
           {"lstm": "memory-lstm-short", "rnn": "memory-rnn-short", "gru": "memory-gru-short"}, "many short"),
)  # fmt: skip
MODELS = tuple(name for regime in REGIMES for name in regime.models.values())  # every shipped memory model
PAIR = (REGIMES[0].models["lstm"], REGIMES[0].models["rnn"])  # the LSTM and the vanilla RNN shown side by side
PAGE_GAPS = (1, 2, 3, 5, 10, 20, 50, 100)  # the gaps the page measures (the cards report tasks.EVAL_GAPS)
LEARNED = 0.9  # accuracy at which a model "knows" the letter at a gap
SAMPLE_SEED = 7  # the fixed sample of strings the page opens on and the lesson states: the same at every visit
SAMPLE_PER_GAP = 500  # strings per gap in it: enough that guessing stays within a few points of chance
SIGNIFICANCE = 0.01  # a gap is above chance when guessing would score as well with a probability under this


def regime(key: str) -> Regime:
    """The regime called ``key`` ("long" or "short")."""
    return next(r for r in REGIMES if r.key == key)


def legend(by_kind: dict) -> dict:
    """``{cell kind: value}`` keyed by each kind's legend name instead ("LSTM", "RNN", "GRU": the colours know them)."""
    return {KINDS[kind].short: value for kind, value in by_kind.items()}


def chance(model: LoadedModel) -> float:
    """The accuracy of guessing among the possible first letters."""
    return 1 / len(model.labels)


def chance_loss(chance: float) -> float:
    """The cross-entropy of guessing: −ln(chance)."""
    return float(-np.log(chance))


def task(model: LoadedModel) -> tasks.MemoryTask:
    """The memory task in a model's own vocabulary."""
    return tasks.MemoryTask(tokenizer=model.tokenizer)


def accuracy(model: LoadedModel, seed: int, per_gap: int, gaps=PAGE_GAPS) -> dict[int, float]:
    """Accuracy at each gap on ``per_gap`` fresh strings drawn with ``seed``: the same strings for every model."""
    return tasks.accuracy_by_gap(model.module, task(model), gaps=gaps, per_gap=per_gap, seed=seed)


def final_accuracy(card: dict) -> dict[int, float]:
    """A training run's final test, from its card: the accuracy at each gap."""
    return {int(g): float(a) for g, a in card["metrics"]["accuracy_by_gap"].items()}


def shared_size(cards: list[dict]) -> int | None:
    """The hidden size all the cards give, or None when they differ."""
    sizes = {card.get("hidden_size") for card in cards}
    return sizes.pop() if len(sizes) == 1 else None


def verdict(trace: Trace) -> tuple[str, float]:
    """What a model answers after the last step, and the probability it gives that answer."""
    last = trace.probs[-1]
    return trace.output_labels[int(np.argmax(last))], float(last.max())


def _log_binomial(n: int, chance: float) -> list[float]:
    """log P(X = k) for k = 0..n, X ~ Binomial(n, chance): the number of right answers of a guesser."""
    return [
        math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(chance)
        + (n - k) * math.log1p(-chance)
        for k in range(n + 1)
    ]  # fmt: skip


def p_guessing(accuracy: float, n: int, chance: float) -> float:
    """The probability that guessing (right with probability ``chance``) scores at least ``accuracy`` on ``n`` strings.

    The one-sided exact binomial test of "the model is at chance": a small value says it is above chance.
    """
    logs = _log_binomial(n, chance)[max(round(accuracy * n), 0) :]
    if not logs:
        return 0.0
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(x - top) for x in logs))


def guessing_range(n: int, chance: float, level: float = 1 - SIGNIFICANCE) -> tuple[float, float]:
    """The accuracies guessing scores on ``n`` strings ``level`` of the time (the central range of the binomial)."""
    cumulative, low, high = 0.0, None, n
    for k, log_p in enumerate(_log_binomial(n, chance)):
        cumulative += math.exp(log_p)
        if low is None and cumulative >= (1 - level) / 2:
            low = k
        if cumulative >= 1 - (1 - level) / 2:
            high = k
            break
    return (low or 0) / n, high / n


def above_chance(by_gap: dict[int, float], n: int, chance: float) -> list[int]:
    """The gaps whose accuracy on ``n`` strings is above chance by the binomial test (p < SIGNIFICANCE)."""
    return [g for g in sorted(by_gap) if p_guessing(by_gap[g], n, chance) < SIGNIFICANCE]


def _gaps(gaps: list[int]) -> str:
    return ", ".join(map(str, gaps[:-1])) + f" and {gaps[-1]}" if len(gaps) > 1 else str(gaps[0])


def chance_pattern(by_gap: dict[int, float], n: int, chance: float) -> tuple[str, list[int]]:
    """Where a model is above chance (:func:`above_chance`) and the shape of it: "none", "all", "fades" (the first
    gaps, then at chance) or "scattered"; with the gaps above chance."""
    gaps, above = sorted(by_gap), above_chance(by_gap, n, chance)
    if not above or above == gaps:
        return ("all" if above else "none"), above
    return ("fades" if above == gaps[: len(above)] else "scattered"), above


def _not_learned(name: str, by_gap: dict[int, float], chance: float, n: int) -> str:
    """What a model that has not learned the task does instead, judged against chance with the binomial test."""
    gaps = sorted(by_gap)
    shape, above = chance_pattern(by_gap, n, chance)
    low, high = guessing_range(n, chance)
    test = f"with {n} strings per gap, guessing scores {low:.0%}-{high:.0%} {1 - SIGNIFICANCE:.0%} of the time"
    never = "(a model that had would be near 100% at the short gaps)"
    if shape == "none":
        return (
            f"{name} is at chance at every gap ({min(by_gap.values()):.0%}-{max(by_gap.values()):.0%}; {test}): it "
            f"has not learned the task {never}, a memory that never formed."
        )
    values = ", ".join(f"{by_gap[g]:.0%} at N = {g}" for g in above)
    if shape == "all":
        return f"{name} has not learned the task {never}, but it is above chance at every gap: {values} ({test})."
    if shape == "fades":
        after = gaps[len(above)]
        return (
            f"{name} has not learned the task {never}, but it keeps a short memory that fades: {values}, above "
            f"chance, and at chance from N = {after} on ({by_gap[after]:.0%} there; {test})."
        )
    rest = [g for g in gaps if g not in above]
    return (
        f"{name} has not learned the task {never}: above chance at N = {_gaps(above)} ({values}), at chance at "
        f"N = {_gaps(rest)} ({test})."
    )


def describe(kind: str, by_gap: dict[int, float], chance: float, regime: Regime, n: int) -> str:
    """One sentence on what a model's accuracy by gap shows (computed from the numbers, not assumed)."""
    name = f"The {KINDS[kind].title} {regime.title}"
    gaps = sorted(by_gap)
    low, high = min(by_gap.values()), max(by_gap.values())
    learned = [g for g in gaps if by_gap[g] >= LEARNED]
    if not learned:
        return _not_learned(name, by_gap, chance, n)
    if len(learned) == len(gaps):
        worst = "100% at every one" if low >= 0.995 else f"at least {low:.0%}"
        return f"{name} knows the letter at every gap up to N = {gaps[-1]} ({worst})."
    if learned == gaps[: len(learned)]:
        after = gaps[len(learned)]
        last = f", {by_gap[gaps[-1]]:.0%} at N = {gaps[-1]}" if after != gaps[-1] else ""
        return (
            f"{name} knows the letter up to N = {learned[-1]} ({by_gap[learned[-1]]:.0%}) and then loses it: "
            f"{by_gap[after]:.0%} at N = {after}{last}."
        )
    return f"{name} is between {low:.0%} and {high:.0%}: " + ", ".join(f"N = {g}: {by_gap[g]:.0%}" for g in gaps) + "."


def _at_least(value: float) -> str:
    return "100% at every gap" if value >= 0.995 else f"at least {value:.0%} at every gap"


def lesson(measured: dict, chance: float, n: int) -> str | None:
    """What the two regimes show together, when the measurements show it (``measured[regime key][cell kind]``,
    each on ``n`` strings per gap)."""
    long_rnn, short_rnn, long_lstm = measured["long"]["rnn"], measured["short"]["rnn"], measured["long"]["lstm"]
    never = max(long_rnn.values()) < LEARNED
    learns = min(short_rnn.values()) >= LEARNED
    if not (never and learns and min(long_lstm.values()) >= LEARNED):
        return None
    shape, above = chance_pattern(long_rnn, n, chance)
    best = f"at best {max(long_rnn.values()):.0%}"
    if shape == "none":
        held = "it does not hold the letter even over one digit (at chance at every gap)"
    elif shape == "all":
        held = f"it is above chance at every gap, but far from knowing the letter ({best})"
    elif shape == "fades":
        held = f"it holds the letter only a few digits (above chance up to N = {above[-1]}, {best}, at chance beyond)"
    else:
        held = f"it is above chance only at N = {_gaps(above)} ({best})"
    top = max(short_rnn)
    return (
        "What the textbook story leaves out: trained on mostly long gaps, the vanilla RNN never learns the task: "
        f"{held}, where the LSTM gets {_at_least(min(long_lstm.values()))}. Trained with many short gaps, the same "
        f"RNN learns it and holds the letter over {top} digits ({short_rnn[top]:.0%}). So a vanilla RNN can hold "
        "the letter that long; what fails on the long gaps is *learning* to, as Bengio, Simard and Frasconi put it "
        "in 1994: the error that would teach it shrinks at every step back to the letter (the vanishing gradient)."
    )


def reach_words(reach: dict[str, float], lost: float = 1e-3) -> str:
    """What the shares of the error reaching the first letter say (``reach``: display name -> share)."""
    vanished = [name for name, share in reach.items() if share < lost]
    if len(vanished) == len(reach):
        both = "both vanish" if len(reach) == 2 else "each vanishes"
        return f"{both} on the way back, shrinking at every step: this is the vanishing gradient"
    if vanished:
        return f"{_gaps(vanished)} vanishes on the way back (the vanishing gradient), the others do not"
    return "none of them vanishes on the way back"


def gradient_values(start: dict[str, StartGradient], trained: StartGradient) -> dict:
    """What a lesson states about the gradient at the start (``start``: cell kind -> the untrained model's, with
    "rnn" and "lstm"; ``trained``: the trained LSTM's): the shares that reach the letter and the cell path."""
    before, after = float(start["lstm"].forget_product[0]), float(trained.forget_product[0])
    reach = {"rnn": start["rnn"].reach(), "lstm": start["lstm"].reach()}
    return {
        "rnn_reach": reach["rnn"],
        "lstm_reach": reach["lstm"],
        "reach_says": reach_words({"the RNN's": reach["rnn"], "the LSTM's": reach["lstm"]}),
        "lstm_path_start": before,
        "lstm_path_trained": after,
        "path_says": path_words(before, after),
    }


def path_words(start: float, trained: float) -> str:
    """What the LSTM's best cell path (the share of c kept along the forget gates) did over training."""
    if trained >= 0.5 > 100 * start:
        return "the path that carries the letter opened as the LSTM learned"
    if trained > start:
        return "the path kept more of c after training, though not most of it"
    return "the path did not open over training"


def training_curve(card: dict) -> tuple[list[int], list[float]]:
    """(steps, held-out accuracy) at each evaluation of the training run, from the card's history."""
    history = (card.get("training") or {}).get("history") or []
    points = [(int(h["step"]), float(h["val_accuracy"])) for h in history if "val_accuracy" in h and "step" in h]
    return [s for s, _ in points], [a for _, a in points]


def first_learned(steps: list[int], accuracy: list[float], chance: float) -> int | None:
    """The first evaluation step at which the held-out accuracy was well above chance (halfway to 1)."""
    for step, acc in zip(steps, accuracy, strict=True):
        if acc >= (1 + chance) / 2:
            return step
    return None


def initial_module(model: LoadedModel) -> SequenceModel:
    """The model as it was before its first training step: same config, weights drawn from its card's seed.

    ``lstm_viz.training.train.train`` seeds every generator and builds the model before anything else draws,
    so this is exactly the start of the run the card describes.
    """
    from lstm_viz.engine.network import SequenceModel
    from lstm_viz.training.train import seed_everything

    seed = int(
        (model.card.get("training") or {}).get("seed")
        or (model.card.get("training") or {}).get("config", {}).get("seed", 1337)
    )
    seed_everything(seed)
    return SequenceModel(model.module.config).eval().requires_grad_(False)


@dataclass(frozen=True)
class StartGradient:
    """Gradient norms of one model at the start of training on one string, against the distance back."""

    cell: str
    hidden: np.ndarray  # (T,) ‖∂L/∂h_t‖
    cell_state: np.ndarray | None  # (T,) ‖∂L/∂c_t‖ (LSTM)
    forget_product: np.ndarray | None  # (T,) max over units of ∏_{k>t} f_k (LSTM)

    def reach(self) -> float:
        """‖∂L/∂h_0‖ / ‖∂L/∂h_T‖: how much of the error at the query gets back to the first letter."""
        return gradients.gradient_ratio(self.hidden)


def start_gradient(model: LoadedModel, text: str, trained: bool = False) -> StartGradient:
    """Gradient norms for ``text`` (a memory string) of the untrained model (or the trained one)."""
    from lstm_viz.engine.trace import trace

    module = _module(model, trained)
    ids, targets = _query_targets(model, text)
    flow = gradients.gradient_flow(module, ids, targets)
    products = None
    if module.config.cell == "lstm":
        products = gradients.forget_products(trace(module, ids).layers[0].forget_gate).max(axis=1)
    return StartGradient(module.config.cell, flow.hidden_norm, flow.cell_norm, products)


def _module(model: LoadedModel, trained: bool) -> SequenceModel:
    return model.module if trained else initial_module(model)


def _query_targets(model: LoadedModel, text: str) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(model.encode(text).ids)
    targets = np.full(len(ids), -100)
    targets[-1] = model.labels.index(text[0])
    return ids, targets


def rnn_formula_check(model: LoadedModel, text: str, trained: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(the product formula's ‖∏ Vᵀ diag(1 − h²) e‖, autograd's ‖∂L/∂h_t‖) for a vanilla RNN on ``text``."""
    from lstm_viz.analysis.equations import layer_weights
    from lstm_viz.engine.trace import trace

    module = _module(model, trained)
    ids, targets = _query_targets(model, text)
    flow = gradients.gradient_flow(module, ids, targets)
    products = gradients.rnn_jacobian_products(trace(module, ids).layers[0].hidden, layer_weights(module, 0).w_hh)
    return gradients.propagated_error_norms(products, flow.hidden_grad[-1]), flow.hidden_norm


def forget_survival(
    model: LoadedModel, text: str, trained: bool = False, k: int = 5
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(∏ f per step and unit, the ``k`` units that keep most of c₀, the tokens) for an LSTM on ``text``."""
    from lstm_viz.engine.trace import trace

    tr = trace(_module(model, trained), np.asarray(model.encode(text).ids), tokens=list(text))
    forget = tr.layers[0].forget_gate
    return gradients.forget_products(forget), gradients.top_memory_units(forget, k=k), tr.tokens


def race_runs(kinds, log_gaps: bool, steps: int, root: Path, seed: int = 1337) -> list:
    """(RunSpec, out folder) of each cell for a live race: the shipped recipe, fewer steps, a quick final test."""
    from lstm_viz.training.runspec import RunSpec

    runs = []
    for kind in kinds:
        overrides = {"cell": kind, "steps": int(steps), "eval_every": int(steps), "eval_per_gap": 100, "seed": seed}
        if log_gaps:
            overrides["log_gaps"] = True
        runs.append((RunSpec(f"race-{kind}", preset="memory-lstm", overrides=overrides), Path(root) / f"race-{kind}"))
    return runs
