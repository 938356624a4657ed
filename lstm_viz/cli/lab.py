"""``units`` and ``intervene``: the neuron lab on the command line (layers and units 0-based, as in a Trace).

    python -m lstm_viz units shakespeare-char "To be, or not to be" --like 3:5 --layer 1 --quantity cell --top 5
    python -m lstm_viz units brackets-lstm "a(b(c)d)e" --feature-name bracket_depth --json
    python -m lstm_viz intervene brackets-lstm "a((b))c" --layer 0 --unit 0 --set forget_gate=0 --json

Both print a table, or with ``--json`` a stable document: ``units`` a list of ``{"unit", "score"}``
(best first; the score is inside-minus-outside for ``--like``, Pearson r for a feature), and
``intervene`` ``{"tokens", "before", "after"}`` with the next-token (or class) probabilities of each step.
"""

from __future__ import annotations

import json
import math

from lstm_viz.analysis import features, search
from lstm_viz.analysis.intervene import intervene as run_intervention
from lstm_viz.engine import cell
from lstm_viz.engine.trace import Clamp
from lstm_viz.store import zoo


def _span(text: str, flag: str) -> tuple[int, int]:
    try:
        start, end = (int(part) for part in text.split(":"))
    except ValueError:
        raise ValueError(f"{flag} takes A:B, two whole numbers (tokens A to B-1), got {text[:40]!r}") from None
    return start, end


def _layer(tr, layer: int):
    if not 0 <= layer < tr.num_layers:
        raise ValueError(f"--layer must be between 0 and {tr.num_layers - 1}, got {layer}")
    return tr.layers[layer]


def add_parsers(sub) -> None:
    p = sub.add_parser("units", help="rank the units of a layer by a selection of tokens or a feature of the text")
    p.add_argument("name")
    p.add_argument("text")
    found = p.add_mutually_exclusive_group(required=True)
    found.add_argument("--like", help="A:B: units high inside tokens A..B-1 and not outside")
    found.add_argument("--feature", help="a regular expression: units that correlate with its matches")
    found.add_argument(
        "--feature-name", dest="feature_name", choices=list(features.FEATURES), help="a built-in feature"
    )
    p.add_argument("--low", action="store_true", help="with --like: units low inside instead of high")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--quantity", default="cell", choices=list(cell.ALL_QUANTITIES))
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--json", action="store_true", help="print [{unit, score}, ...]")
    p.set_defaults(func=units)

    p = sub.add_parser("intervene", help="clamp one unit's quantity and compare the outputs before and after")
    p.add_argument("name")
    p.add_argument("text")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--unit", type=int, required=True)
    p.add_argument("--set", dest="setting", required=True, help="QUANTITY=VALUE, e.g. forget_gate=0")
    p.add_argument("--steps", help="A:B: clamp steps A..B-1 (default: all)")
    p.add_argument("--json", action="store_true", help='print {"tokens", "before", "after"}')
    p.set_defaults(func=intervene)


def units(args) -> int:
    model = zoo.load_name_or_folder(args.name)
    tr = model.trace(args.text)
    layer = _layer(tr, args.layer)
    values = layer.hidden if args.quantity == "hidden" else layer.quantity(args.quantity)
    if args.like:
        start, end = _span(args.like, "--like")
        ranked = search.by_selection(values, start, end, high=not args.low, top=args.top)
    else:
        spans = tr.spans or [(t, t + 1) for t in range(len(tr))]
        feature = features.feature(args.text, spans, name=args.feature_name, pattern=args.feature)
        ranked = search.by_feature(values, feature, top=args.top)
    if args.json:
        print(json.dumps([{"unit": u, "score": round(s, 6)} for u, s in ranked]))
        return 0
    what = "inside minus outside" if args.like else "Pearson r"
    print(f"layer {args.layer}, {cell.title(args.quantity)}: top {len(ranked)} units ({what})")
    for u, s in ranked:
        print(f"  unit {u:>4}  {s:+.4f}")
    return 0


def intervene(args) -> int:
    name, _, raw = args.setting.partition("=")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"--set takes QUANTITY=VALUE with a number, got {args.setting[:40]!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"the clamp value must be a finite number, got {raw[:20]!r}")
    start, end = _span(args.steps, "--steps") if args.steps else (0, None)
    model = zoo.load_name_or_folder(args.name)
    result = run_intervention(model, args.text, Clamp(args.layer, args.unit, name.strip(), value, start, end))
    if args.json:
        doc = {
            "tokens": result.before.tokens,
            "before": result.before.probs.tolist(),
            "after": result.after.probs.tolist(),
        }
        print(json.dumps(doc))
        return 0
    labels = result.before.output_labels
    steps = f"{start}:{end or len(result.before)}"
    print(f"clamp: layer {args.layer}, unit {args.unit}, {name.strip()} = {value:g}, steps {steps}")
    print(f"{'step':>4}  {'token':<10}{'before':>18}{'after':>18}  change")
    for t, token in enumerate(result.before.tokens):
        b, a = result.before.probs[t], result.after.probs[t]
        best_b, best_a = int(b.argmax()), int(a.argmax())
        print(
            f"{t:>4}  {token!r:<10}{labels[best_b]!r:>10} {b[best_b]:6.1%}{labels[best_a]!r:>10} {a[best_a]:6.1%}"
            f"  {result.changed()[t]:.3f}"
        )
    return 0
