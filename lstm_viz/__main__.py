"""Command line: ``python -m lstm_viz train|eval|trace|generate|classify|list ...``.

Examples::

    python -m lstm_viz train --preset shakespeare-char --out assets/models/shakespeare-char
    python -m lstm_viz train --corpus my_lyrics.txt --minutes 5
    python -m lstm_viz eval shakespeare-char
    python -m lstm_viz trace shakespeare-char "To be, or not to be" --units 4
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np


def _train(args) -> int:
    from lstm_viz import presets, zoo
    from lstm_viz.model import ModelConfig
    from lstm_viz.train import TrainConfig, train

    if args.corpus:
        from lstm_viz.data.corpus import CharCorpus
        from lstm_viz.data.upload import read_corpus_file

        text = read_corpus_file(Path(args.corpus))
        name = args.name or Path(args.corpus).stem
        data = CharCorpus(text, seq_len=args.seq_len or presets.CORPUS_SEQ_LEN, name=Path(args.corpus).name)
        model_fields, train_fields = dict(presets.CORPUS_MODEL), dict(presets.CORPUS_TRAIN)
        title, description, preset_name = name, f"Character model of {Path(args.corpus).name}", None
    else:
        preset = presets.get(args.preset)
        data = preset.make_data()
        name, title, description, preset_name = args.name or preset.name, preset.title, preset.description, preset.name
        model_fields, train_fields = dict(preset.model), dict(preset.train)
    for field in ("hidden_size", "num_layers", "embed_dim"):
        if getattr(args, field) is not None:
            model_fields[field] = getattr(args, field)
    if args.cell:
        model_fields["cell"] = args.cell
    if args.steps is not None or args.minutes is not None:
        train_fields["steps"], train_fields["minutes"] = args.steps, args.minutes
    for field in ("batch_size", "lr", "eval_every", "seed", "threads"):
        if getattr(args, field) is not None:
            train_fields[field] = getattr(args, field)
    train_fields["device"] = args.device
    model_config = ModelConfig(
        vocab_size=len(data.tokenizer), num_outputs=data.num_outputs, task=data.task, **model_fields
    )
    if not zoo.NAME_RE.match(name):
        raise ValueError(f"invalid model name {name!r}: use letters, digits, '.', '_' or '-'")
    out = Path(args.out) if args.out else zoo.user_dir() / name
    command = "python -m lstm_viz " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    card = train(
        data,
        model_config,
        TrainConfig(**train_fields),
        out,
        name=name,
        card_extra={"title": title, "description": description, "preset": preset_name, "command": command},
    )
    shown = {k: v for k, v in card["metrics"].items() if isinstance(v, float)}
    print("metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in shown.items()))
    return 0


def _eval(args) -> int:
    from lstm_viz import presets, zoo
    from lstm_viz.train import pick_device

    model = zoo.load(args.name)
    preset_name = model.card.get("training", {}).get("preset")
    if args.corpus:
        from lstm_viz.data.corpus import CharCorpus
        from lstm_viz.data.upload import read_corpus_file

        data = CharCorpus(read_corpus_file(Path(args.corpus)), tokenizer=model.tokenizer)
    elif preset_name:
        data = presets.get(preset_name).make_data(tokenizer=model.tokenizer)
    else:
        print(f"{args.name} was not trained from a preset: pass --corpus FILE", file=sys.stderr)
        return 2
    metrics = data.evaluate(model.module, pick_device("cpu"), full=True)
    for key, value in metrics.items():
        if isinstance(value, float):
            unit = f" {metrics['val_loss_unit']}" if key == "val_loss" and "val_loss_unit" in metrics else ""
            print(f"{key}: {value:.4f}{unit}")
        else:  # accuracy by gap, per source, confusion matrices: printed as JSON
            print(f"{key}: {value if isinstance(value, str) else json.dumps(value)}")
    return 0


def _trace(args) -> int:
    from lstm_viz import zoo

    model = zoo.load(args.name)
    tr = model.trace(args.text, max_tokens=args.max_tokens)
    if not 0 <= args.layer < tr.num_layers:
        raise ValueError(f"--layer must be between 0 and {tr.num_layers - 1}, got {args.layer}")
    layer = tr.layers[args.layer]
    if args.unit is not None and not 0 <= args.unit < layer.hidden_size:
        raise ValueError(f"--unit must be between 0 and {layer.hidden_size - 1}, got {args.unit}")
    units = list(range(min(args.units, layer.hidden_size))) if args.unit is None else [args.unit]
    for u in tr.unknown:
        print(f"note: {u.piece!r} at step {u.position} is not in the vocabulary; the model sees {u.replacement!r}")
    names = ("forget_gate", "input_gate", "candidate", "output_gate", "cell", "hidden")
    short = {"forget_gate": "f", "input_gate": "i", "candidate": "g", "output_gate": "o", "cell": "c", "hidden": "h"}
    for unit in units:
        print(f"\nlayer {args.layer}, unit {unit}")
        shown = [n for n in names if getattr(layer, n) is not None]
        print(f"{'step':>4}  {'token':<8}" + "".join(f"{short[n]:>8}" for n in shown))
        for t, token in enumerate(tr.tokens):
            values = "".join(f"{getattr(layer, n)[t, unit]:8.3f}" for n in shown)
            print(f"{t:>4}  {token!r:<8}{values}")
    return 0


def _generate(args) -> int:
    from lstm_viz import zoo

    model = zoo.load(args.name)
    result = model.generate(
        args.prime, args.length, temperature=args.temperature, top_k=args.top_k, greedy=args.greedy, seed=args.seed
    )
    for u in result.unknown:
        print(
            f"note: {u.piece!r} in the prime is not in the vocabulary; the model sees {u.replacement!r}",
            file=sys.stderr,
        )
    if args.seed is None and result.seed is not None:
        print(f"note: seed {result.seed} (pass --seed {result.seed} to get this text again)", file=sys.stderr)
    print(result.text)
    return 0


def _classify(args) -> int:
    from lstm_viz import zoo

    model = zoo.load(args.name)
    if model.task != "classify":
        print(f"{args.name} is a {model.task} model, not a classifier", file=sys.stderr)
        return 2
    tr = model.trace(args.text)
    for u in tr.unknown:
        print(f"note: {u.piece!r} at step {u.position} is not in the vocabulary; the model sees {u.replacement!r}")
    final = tr.probs[-1]
    best = int(np.argmax(final))
    print(f"{tr.output_labels[best]} ({final[best]:.1%})")
    header = "".join(f"{label[:10]:>11}" for label in tr.output_labels)
    print(f"{'step':>4}  {'token':<14}{header}")
    for t, token in enumerate(tr.tokens):
        print(f"{t:>4}  {token!r:<14}" + "".join(f"{p:11.3f}" for p in tr.probs[t]))
    return 0


def _list(args) -> int:
    from lstm_viz import zoo

    for info in zoo.list():
        metrics = {k: v for k, v in info.card.get("metrics", {}).items() if isinstance(v, float)}
        shown = ", ".join(f"{k} {v:.3f}" for k, v in list(metrics.items())[:2])
        print(f"{info.name:<24} {'shipped' if info.shipped else 'user':<8} {info.card.get('task', '?'):<9} {shown}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_viz", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model from a preset or your own text")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", help="a named recipe (see lstm_viz/presets.py)")
    source.add_argument("--corpus", help="a plain-text file: train a character model on it")
    p.add_argument("--name", help="model name (default: the preset's or the file's)")
    p.add_argument("--out", help="output folder (default: $LSTM_VIZ_HOME/NAME, i.e. runs/NAME)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--steps", type=int)
    p.add_argument("--minutes", type=float)
    p.add_argument("--hidden-size", dest="hidden_size", type=int)
    p.add_argument("--num-layers", dest="num_layers", type=int)
    p.add_argument("--embed-dim", dest="embed_dim", type=int)
    p.add_argument("--cell", choices=["lstm", "rnn"])
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--seq-len", dest="seq_len", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--eval-every", dest="eval_every", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int)
    p.set_defaults(func=_train)

    p = sub.add_parser("eval", help="print a model's held-out metrics from a fresh evaluation")
    p.add_argument("name")
    p.add_argument("--corpus", help="for a model trained with --corpus: the same file")
    p.set_defaults(func=_eval)

    p = sub.add_parser("trace", help="print gates, cell and hidden values for a few units")
    p.add_argument("name")
    p.add_argument("text")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--units", type=int, default=3, help="show the first N units")
    p.add_argument("--unit", type=int, help="show only this unit")
    p.add_argument("--max-tokens", dest="max_tokens", type=int, default=2000)
    p.set_defaults(func=_trace)

    p = sub.add_parser("generate", help="write text with a character model")
    p.add_argument("name")
    p.add_argument("--prime", default="\n", help="text the model reads first (default: a newline)")
    p.add_argument("--length", type=int, default=300, help="characters to write (1 to 2000)")
    p.add_argument("--temperature", type=float, default=1.0, help="below 1: safer; above 1: wilder")
    p.add_argument("--top-k", dest="top_k", type=int, help="sample only among the k most likely characters")
    p.add_argument("--greedy", action="store_true", help="always take the most likely character (argmax)")
    p.add_argument("--seed", type=int, help="same seed, same text (default: a random seed, printed)")
    p.set_defaults(func=_generate)

    p = sub.add_parser("classify", help="classify a text and show the running prediction")
    p.add_argument("name")
    p.add_argument("text")
    p.set_defaults(func=_classify)

    p = sub.add_parser("list", help="list shipped and user models")
    p.set_defaults(func=_list)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
