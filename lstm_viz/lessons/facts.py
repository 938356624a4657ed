"""The facts a lesson stop states, computed from the real model when the lesson runs.

Each kind of fact reads a trace (or trains nothing and measures something) and returns plain
values for the stop's templates, and a table of the numbers behind them (the text alternative of
the stop's chart). Where a model does not do what the textbook story says, the fact's sentence
says what it does instead: they are computed from the measurements, never written in advance.
"""

from __future__ import annotations

import numpy as np

from lstm_viz.analysis import contributions, expectation, features, memory, search
from lstm_viz.analysis.counting import counting_units
from lstm_viz.analysis.intervene import intervene
from lstm_viz.data import tasks
from lstm_viz.engine import cell
from lstm_viz.engine.trace import Clamp
from lstm_viz.lessons import fit
from lstm_viz.lessons.context import (  # noqa: F401 (BREAKS, MAX_STEPS, Context, shown_label: read by pages)
    BREAKS,
    MAX_STEPS,
    Context,
    _key,
    _memo,
    _token,
    choose,
    shown_label,
    step_of,
)
from lstm_viz.lessons.schema import Stop
from lstm_viz.messages import cut
from lstm_viz.plots.html import visible
from lstm_viz.store import examples


def moment(ctx: Context, how: str = "forget_drop", top: int = 5) -> None:
    layer = ctx.trace.layers[ctx.layer]
    found = search.by_moment(layer, ctx.step, how, top=top)
    best = next((f for f in found if f.unit == ctx.stop.unit), found[0]) if ctx.stop.unit is not None else found[0]
    ctx.unit = best.unit
    if search.MOMENTS[how][0] in layer.quantities():
        ctx.quantity = search.MOMENTS[how][0]
    spans = ctx.trace.spans or [(t, t + 1) for t in range(len(ctx.trace))]
    common = features.common_feature(ctx.stop.text, spans, best.also)
    ctx.values.update(
        unit=best.unit,
        before=best.before,
        after=best.after,
        token=_token(ctx.trace, ctx.step),
        step=ctx.step,
        others=len(best.also),
        share=best.share_elsewhere,
        reacts=search.describe_moment(best, how, ctx.trace.tokens, common),
        only_here="yes" if not len(best.also) else "no",
    )
    rows = [
        {
            "unit": f.unit,
            "change here": round(f.score, 4),
            "before": round(f.before, 4),
            "after": round(f.after, 4),
            "other steps like it": len(f.also),
        }
        for f in found
    ]
    ctx.tables.append((f"The units whose {search.MOMENTS[how][2].split(' (')[0]}", rows))


def prediction(ctx: Context, expected: str | None = None) -> None:
    """The running prediction: the final label, where it turned, the words that moved it, the unit that carried it.

    ``expected`` (the label a reader would give) adds ``verdict``: whether the model got it right.
    """
    trace, labels = ctx.trace, ctx.trace.output_labels
    predicted = trace.probs.argmax(axis=1)
    final = int(predicted[-1])
    flips = [t for t in range(1, len(trace)) if predicted[t] != predicted[t - 1]]
    weight, bias = contributions.head_parameters(ctx.model.module)
    influence = contributions.token_influence(trace.probs, final, contributions.prior_probabilities(bias))
    moved = np.argsort(-np.abs(influence), kind="stable")[:3]
    share = contributions.logit_contributions(trace, weight, bias, final)
    top_unit = int(share.top_units(1)[0])
    if flips:
        last = flips[-1]
        turn = (
            f"it changed its mind {len(flips)} time{'s' * (len(flips) != 1)}; the last time at "
            f"{_token(trace, last)!r} (step {last}), from {labels[predicted[last - 1]]} to {labels[predicted[last]]}"
        )
    else:
        turn = f"it never changed its mind: {labels[final]} from the first word to the last"
    ctx.values.update(
        label=labels[final],
        confidence=float(trace.probs[-1, final]),
        turn=turn,
        flips=len(flips),
        moved=", ".join(f"{_token(trace, t)!r} ({influence[t]:+.0%})" for t in moved),
        top_unit=top_unit,
        top_share=float(share.contributions[top_unit]),
        logit=share.logit,
    )
    ctx.unit = top_unit
    if expected is not None:
        ctx.values["verdict"] = (
            f"It gets this one right: {labels[final]}, as a reader would say."
            if labels[final] == expected
            else f"It gets this one wrong: a reader would say {expected}, the model says {labels[final]}."
        )
    rows = []
    for t in range(len(trace)):
        probs = {lab: round(float(p), 3) for lab, p in zip(labels, trace.probs[t], strict=True)}
        rows.append({"step": t, "token": _token(trace, t), **probs})
    ctx.tables.append(("The running prediction after each token", rows))


def next_tokens(ctx: Context, candidates: list | None = None, k: int = 10, contrast: str | None = None) -> None:
    """The model's next-token distribution after reading up to the step; the probability of each candidate.

    ``contrast``: another text (the same sentence with another subject); the candidates' probabilities
    after it are compared with these, in a sentence that says whether the choice follows the change.
    """
    probs = ctx.trace.probs[ctx.step].astype(np.float64)
    labels = ctx.trace.output_labels
    unknown = getattr(ctx.model.tokenizer, "unk", None)
    top = np.argsort(-probs, kind="stable")[:k]
    ctx.values["top"] = ", ".join(f"{shown_label(labels[i], unknown)} {probs[i]:.1%}" for i in top)
    ctx.values["first"] = visible(labels[top[0]])
    ctx.values["first_p"] = float(probs[top[0]])
    ctx.values["first_shown"] = shown_label(labels[top[0]], unknown)
    known = [w for w in candidates or [] if w in labels]
    for word in candidates or []:
        if word in labels:
            p, rank = float(probs[labels.index(word)]), int((probs > probs[labels.index(word)]).sum()) + 1
            said = f"{word!r} {p:.1%} (rank {rank} of {len(labels):,})"
        else:
            p, rank = 0.0, None
            said = f"{word!r} is not in its vocabulary: it would read it as {unknown!r}, so it cannot predict it"
        ctx.values[f"p_{_key(word)}"], ctx.values[f"rank_{_key(word)}"] = p, rank or len(labels)
        ctx.values[f"said_{_key(word)}"] = said
    if len(known) == 2:
        a, b = known
        pa, pb = (float(probs[labels.index(w)]) for w in (a, b))
        ctx.values["prefers"] = a if pa >= pb else b
        ctx.values["ratio"] = max(pa, pb) / max(min(pa, pb), 1e-12)
        if contrast is not None:
            other = ctx.model.trace(contrast).probs[-1].astype(np.float64)
            qa, qb = (float(other[labels.index(w)]) for w in (a, b))
            before, after = (a if pa >= pb else b), (a if qa >= qb else b)
            shift = (qb / max(qa, 1e-12)) / (pb / max(pa, 1e-12))
            if before != after:
                follows = f"the choice follows the subject: {before!r} here, {after!r} in the other sentence"
            else:
                follows = (
                    f"it prefers {before!r} in both sentences; changing the subject multiplies the odds of {b!r} "
                    f"against {a!r} by only {1 / shift:.2f}. What it follows is how common each word is in its "
                    "books more than who the sentence is about"
                )
            ctx.values["follows"] = follows
            ctx.tables.append(
                (
                    "The two words after each sentence",
                    [
                        {"sentence": "this one", a: round(pa, 4), b: round(pb, 4)},
                        {"sentence": cut(contrast, 60), a: round(qa, 4), b: round(qb, 4)},
                    ],
                )
            )
    ctx.tables.append(
        (
            f"The {k} most likely next tokens",
            [{"token": visible(labels[i]), "probability": round(float(probs[i]), 4)} for i in top],
        )
    )


def writes(ctx: Context, spans: list) -> None:
    """How much the layer writes into its cell (mean |i·g| over units) at each piece of the text."""
    layer = ctx.trace.layers[ctx.layer]
    write = np.abs(layer.input_gate.astype(np.float64) * layer.candidate).mean(axis=1)  # (T,)
    token_spans = ctx.trace.spans or [(t, t + 1) for t in range(len(ctx.trace))]
    rows, means = [], {}
    for piece in spans:
        at = ctx.stop.text.find(piece)
        if at < 0:
            raise ValueError(f"{cut(piece, 40)!r} is not in the stop's text")
        steps = [t for t, (s, e) in enumerate(token_spans) if at <= s < at + len(piece)]
        if not steps:
            raise ValueError(f"{cut(piece, 40)!r} is past the first {len(token_spans):,} tokens the stop reads")
        means[piece] = float(write[steps].mean())
        rows.append({"words": piece, "mean |i·g| over all units": round(means[piece], 4)})
    order = sorted(means, key=means.get, reverse=True)
    ratio = means[order[0]] / max(means[order[-1]], 1e-12)
    at_step = np.abs(layer.input_gate[ctx.step].astype(np.float64) * layer.candidate[ctx.step])
    choose(ctx, int(np.argmax(at_step)), "input_gate")  # the strip: the unit that writes most at the stop's step
    if ratio < 1.2:
        compare = (
            f"it writes about as much everywhere: the most, at '{order[0]}' ({means[order[0]]:.3f}), is only "
            f"{ratio:.2f} times the least, at '{order[-1]}' ({means[order[-1]]:.3f})"
        )
    else:
        compare = (
            f"it writes most at '{order[0]}' ({means[order[0]]:.3f}), {ratio:.1f} times as much as at "
            f"'{order[-1]}' ({means[order[-1]]:.3f})"
        )
    ctx.values.update(
        writer=ctx.unit,
        most=order[0],
        least=order[-1],
        most_write=means[order[0]],
        least_write=means[order[-1]],
        write_ratio=ratio,
        compare=compare,
    )
    ctx.tables.append(("How much is written into the cell at each piece of the text", rows))


def generation(
    ctx: Context, prime: str = "ROMEO:", temperature: float = 0.8, seed: int = 1, length: int = 200, against=None
) -> None:
    """Text the model writes; ``against`` (another temperature) is compared by the stop's question."""
    gen = ctx.model.generate(prime, length, temperature=temperature, seed=seed)
    probs = np.asarray(gen.chosen_probs, dtype=np.float64)
    worst = int(np.argmin(probs))
    ctx.charts["generation"] = (gen.trace.tokens, expectation.generated_probs_per_token(gen))  # drawn as written
    ctx.values.update(
        written=gen.generated,
        length=len(gen.generated),
        mean_p=float(probs.mean()),
        temperature=temperature,
        seed=seed,
        worst=visible(gen.generated[worst]),
        worst_p=float(probs[worst]),
        worst_at=worst,
        repeated=features.repeated_words(gen.generated),
    )
    rows = [
        {"written": visible(c), "probability": round(float(p), 4)}
        for c, p in zip(gen.generated[:40], probs, strict=False)
    ]
    ctx.tables.append(("The first characters it wrote and the probability it gave each", rows))


def feature_unit(
    ctx: Context,
    feature: str,
    quantity: str = "cell",
    name: str = "feature",
    chars: int = 4000,
    text: str | None = None,
) -> None:
    """The unit that follows a built-in feature best, measured on ``text``, else on text the model did not
    train on, else on the stop's."""
    text = text or examples.long_text(ctx.model.card, chars=chars) or ctx.stop.text
    tr = _memo(
        ("trace", ctx.model.name, text), (ctx.model.module,), lambda: ctx.model.trace(text, max_tokens=MAX_STEPS)
    )
    spans = tr.spans or [(t, t + 1) for t in range(len(tr))]
    values = tr.layers[ctx.layer].quantity(quantity)  # every kind of layer has "hidden"
    (unit, r), *_ = search.by_feature(values, features.feature(text, spans, name=feature), top=1)
    choose(ctx, unit, quantity)
    ctx.values.update(
        {
            f"{name}_unit": unit,
            f"{name}_r": r,
            f"{name}_what": features.FEATURES[feature][0],
            f"{name}_chars": len(text),
        }
    )
    ctx.tables.append(
        (f"The unit that follows {features.FEATURES[feature][0]}", [{"unit": unit, "correlation r": round(r, 4)}])
    )


def clamp(ctx: Context, candidates: list, like: str, quantity: str = "cell") -> None:
    """Hold the stop's unit (an earlier fact chose it) at the value it has at the end of ``like``, at every
    step of the stop's text, and compare the two ``candidates`` as the next token before and after."""
    labels = ctx.trace.output_labels
    missing = [w for w in candidates if w not in labels]
    if missing:
        raise ValueError(f"{cut(missing[0], 40)!r} is not in {ctx.model.name}'s vocabulary")
    if quantity not in ctx.trace.layers[ctx.layer].quantities():
        quantity = "hidden"  # an RNN or a GRU: the hidden state is what a clamp holds
    other = ctx.model.trace(like, max_tokens=MAX_STEPS)
    held = float(other.layers[ctx.layer].quantity(quantity)[-1, ctx.unit])
    before = float(ctx.trace.layers[ctx.layer].quantity(quantity)[ctx.step, ctx.unit])
    after = ctx.model.trace(ctx.stop.text, max_tokens=MAX_STEPS, clamp=Clamp(ctx.layer, ctx.unit, quantity, held))
    a, b = candidates
    p0 = {w: float(ctx.trace.probs[ctx.step, labels.index(w)]) for w in (a, b)}
    p1 = {w: float(after.probs[ctx.step, labels.index(w)]) for w in (a, b)}
    was, now = (a if p0[a] >= p0[b] else b), (a if p1[a] >= p1[b] else b)
    odds = (p1[a] / max(p1[b], 1e-12)) / (p0[a] / max(p0[b], 1e-12))
    if was != now:
        says = f"held there, this one unit turns the choice from {was!r} to {now!r}"
    else:
        says = (
            f"the choice stays {was!r}: holding this one unit multiplies the odds of {a!r} against {b!r} by "
            f"{odds:.2f}, not enough to turn it, so other units carry it too"
        )
    ctx.values.update(
        clamp_held=held,
        clamp_value=before,
        clamp_was=was,
        clamp_prefers=now,
        clamp_options=[a, b],
        clamp_odds=odds,
        clamp_says=says,
        **{f"clamp_before_{_key(w)}": p0[w] for w in (a, b)},
        **{f"clamp_after_{_key(w)}": p1[w] for w in (a, b)},
    )
    ctx.tables.append(
        (
            f"Unit {ctx.unit}'s {quantity.replace('_', ' ')} held at {held:+.3f}",
            [{"next token": w, "as it is": round(p0[w], 4), "held": round(p1[w], 4)} for w in (a, b)],
        )
    )


def memory_regimes(ctx: Context, seed: int = memory.SAMPLE_SEED, per_gap: int = memory.SAMPLE_PER_GAP) -> None:
    lstm = ctx.load(memory.REGIMES[0].models["lstm"])
    ctx.values["chance"] = chance = memory.chance(lstm)
    task = memory.task(lstm)
    measured, rows = {}, []
    for regime in memory.REGIMES:
        measured[regime.key] = {}
        for cell_kind, name in regime.models.items():
            model = ctx.load(name)
            measure = lambda model=model: memory.accuracy(model, seed, per_gap)  # noqa: E731
            acc = _memo(("memory", name, seed, per_gap), (model.module,), measure)
            measured[regime.key][cell_kind] = acc
            ctx.charts.setdefault("memory", {}).setdefault(regime.title, {})[cell.KINDS[cell_kind].short] = acc
            ctx.values[f"{cell_kind}_{regime.key}_1"] = acc[1]
            ctx.values[f"{cell_kind}_{regime.key}_5"] = acc[5]
            ctx.values[f"{cell_kind}_{regime.key}_100"] = acc[100]
            ctx.values[f"{cell_kind}_{regime.key}_says"] = memory.describe(cell_kind, acc, chance, regime, per_gap)
            rows.append({"model": name, **{f"N = {g}": round(a, 3) for g, a in acc.items()}})
    told = memory.lesson(measured, chance, per_gap)
    ctx.values["lesson"] = told or "The measurements do not show the two regimes differing."
    ctx.values["strings"] = per_gap
    ctx.values["gap"] = gap = max(memory.PAGE_GAPS)
    text, _ = task.example(gap, seed=0)
    start = {c: memory.start_gradient(ctx.load(n), text) for c, n in memory.REGIMES[0].models.items()}
    trained = memory.start_gradient(lstm, text, trained=True)
    ctx.values.update(memory.gradient_values(start, trained))
    ctx.tables.append(("Accuracy on fresh strings at each gap N", rows))


def counting(ctx: Context, strings: int = 20) -> None:
    found = counting_units(ctx.model, n=strings)  # the units every page names
    unit, r = found.unit, found.r
    ctx.unit = unit
    depth = np.array(tasks.bracket_depths(ctx.stop.text[: len(ctx.trace)]))
    result = intervene(ctx.model, ctx.stop.text, Clamp(0, unit, "forget_gate", 0.0))
    before = float((result.before.probs.argmax(1) == depth).mean())
    after = float((result.after.probs.argmax(1) == depth).mean())
    if after < before - BREAKS:
        broke = f"the depth it predicts is right at {after:.0%} of the steps instead of {before:.0%}: the count breaks"
    else:
        broke = (
            f"it still gets {after:.0%} of the depths right (it had {before:.0%}): on this string other units carry "
            "the count too, so closing one is not enough"
        )
    ctx.values.update(
        strings=strings, unit=unit, r=r, acc_before=before, acc_after=after, broke=broke, deepest=int(depth.max())
    )
    rows = [
        {
            "step": t,
            "char": _token(ctx.trace, t),
            "depth": int(depth[t]),
            "predicted": int(result.before.probs[t].argmax()),
            "clamped": int(result.after.probs[t].argmax()),
        }
        for t in range(len(depth))
    ]
    ctx.tables.append(
        ("The true depth, the prediction, and the prediction with the counting unit's forget gate shut", rows)
    )


FACT_KINDS = {
    "moment": moment,
    "prediction": prediction,
    "next_tokens": next_tokens,
    "writes": writes,
    "generation": generation,
    "feature_unit": feature_unit,
    "clamp": clamp,
    "memory": memory_regimes,
    "counting": counting,
}


def compute(stop: Stop, load) -> Context:
    """Every fact of ``stop`` (``load(name)`` gives a LoadedModel); ValueError for a fact that cannot be computed."""
    model = load(stop.model)
    trace = model.trace(stop.text, max_tokens=MAX_STEPS)
    if not 0 <= stop.layer < trace.num_layers:
        raise ValueError(f"{stop.model} has {trace.num_layers} layer(s); the stop asks for layer {stop.layer}")
    step = step_of(model, stop.text, stop, len(trace))
    units = trace.layers[stop.layer].hidden_size
    if stop.unit is not None and stop.unit >= units:
        raise ValueError(f"layer {stop.layer} of {stop.model} has {units} units; the stop names unit {stop.unit}")
    ctx = Context(stop, model, trace, step, stop.layer, stop.unit or 0, load)
    if stop.quantity in trace.layers[stop.layer].quantities():
        ctx.quantity = stop.quantity
    else:  # a quantity this kind of layer does not have (a vanilla RNN's forget gate): its first
        ctx.quantity = next(iter(trace.layers[stop.layer].quantities()))
    ctx.values.update(
        step=step,
        token=_token(trace, step),
        model=model.card.get("title", stop.model),
        layer=stop.layer,  # counted from 0, as steps and units are, on every page
        units=trace.layers[stop.layer].hidden_size,
    )
    for spec in stop.facts:
        params = {k: v for k, v in spec.items() if k != "kind"}
        if spec["kind"] not in FACT_KINDS:
            raise ValueError(f"unknown fact {cut(spec['kind'], 40)!r}; the facts are {', '.join(FACT_KINDS)}")
        why = fit.misfit(spec["kind"], params, ctx.model, ctx.trace.layers[ctx.layer])
        if why is not None:
            raise ValueError(f"the fact {spec['kind']!r} does not fit {cut(stop.model, 64)}: {why}")
        try:
            FACT_KINDS[spec["kind"]](ctx, **params)
        except TypeError as err:
            raise ValueError(f"the fact {spec['kind']!r} does not take these settings: {cut(err, 120)}") from None
        except (LookupError, ArithmeticError) as err:  # a combination the checks above did not foresee
            raise ValueError(f"the fact {spec['kind']!r} cannot be computed on {stop.model}: {cut(err, 120)}") from None
    ctx.values["unit"] = ctx.values.get("unit", ctx.unit)
    ctx.values.setdefault("quantity", cell.QUANTITY[ctx.quantity].label)  # what the strip colours, in words
    return ctx
