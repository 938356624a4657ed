"""The commands behind ``python -m lstm_viz``: train, eval, compact, trace, generate, classify, list.

Each takes the parsed arguments and returns an exit code; errors a user can fix are ValueError
(printed as ``error: ...`` with exit code 2 by :func:`lstm_viz.cli.main`).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import threading
from pathlib import Path

import numpy as np

from lstm_viz.engine import cell
from lstm_viz.store import zoo

OVERRIDES = ("cell", "num_layers", "hidden_size", "embed_dim", "seq_len", "gap_low", "gap_high", "log_gaps",
             "eval_per_gap", "steps", "minutes", "batch_size", "lr", "eval_every", "seed", "threads",
             "device", "init_from")  # fmt: skip


def run_spec(args):
    """The :class:`~lstm_viz.training.runspec.RunSpec` the ``train`` arguments describe."""
    from lstm_viz.data.upload import read_corpus_file
    from lstm_viz.training.runspec import RunSpec

    overrides = {k: getattr(args, k) for k in OVERRIDES if getattr(args, k, None) not in (None, False)}
    if args.corpus:
        path = Path(args.corpus)
        return RunSpec(
            args.name or path.stem, corpus_text=read_corpus_file(path), corpus_name=path.name, overrides=overrides
        )
    return RunSpec(args.name or args.preset, preset=args.preset, overrides=overrides)


def train(args) -> int:
    from lstm_viz.training import runspec
    from lstm_viz.training.train import train as train_loop

    spec = run_spec(args)
    if args.out:  # an explicit folder (e.g. assets/models/NAME to retrain a shipped model) may be replaced
        if not zoo.NAME_RE.match(spec.name):
            raise ValueError(f"invalid model name {spec.name!r}: use letters, digits, '.', '_' or '-'")
        out = Path(args.out)
    else:
        runspec.check_new_name(spec.name)
        out = zoo.user_dir() / spec.name
    if getattr(args, "resume", False) and not args.out:
        raise ValueError("--resume needs --out, the folder of the run to continue")
    data, model_config, train_config, extra = spec.build()
    extra["command"] = "python -m lstm_viz " + " ".join(shlex.quote(a) for a in sys.argv[1:])  # exactly as typed
    stop = threading.Event()
    try:
        card = _with_stop_signals(
            stop, lambda: train_loop(data, model_config, train_config, out, name=spec.name, card_extra=extra,
                                     stop=stop, resume=getattr(args, "resume", False))
        )  # fmt: skip
    except KeyboardInterrupt:  # a second signal: no last evaluation
        print(f"stopped at once; {out} keeps its last checkpoint and resume state, if any", file=sys.stderr)
        return 130
    if os.environ.get("RANK", "0") == "0":  # under torchrun every process trains; only rank 0 reports
        shown = {k: v for k, v in card["metrics"].items() if isinstance(v, float)}
        print("metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in shown.items()))
    return 0


def _with_stop_signals(stop: threading.Event, run):
    """Run ``run()`` with SIGTERM and SIGINT asking the loop to stop after its step (and save) instead of dying.

    A second signal interrupts at once. Only in the main thread (signal handlers cannot be set elsewhere).
    """
    if threading.current_thread() is not threading.main_thread():
        return run()

    def ask(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        print(f"\n{signal.Signals(signum).name}: stopping after this step and saving", file=sys.stderr, flush=True)
        stop.set()

    before = {sig: signal.signal(sig, ask) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return run()
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def evaluate(args) -> int:
    from lstm_viz import data as data_kinds
    from lstm_viz.data.upload import read_corpus_file
    from lstm_viz.training import presets
    from lstm_viz.training.train import pick_device

    model = zoo.load_name_or_folder(args.name)
    preset_name = model.card.get("training", {}).get("preset")
    if args.corpus:
        spec = presets.get(presets.CORPUS).data
        data = data_kinds.build(spec, tokenizer=model.tokenizer, text=read_corpus_file(Path(args.corpus)))
    elif preset_name:
        data = data_kinds.build(presets.get(preset_name).data, tokenizer=model.tokenizer)
    else:
        print(f"{args.name} was not trained from a preset: pass --corpus FILE", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(1)  # the held-out stream is read step by step: one thread is fastest
    if args.held_aside and not hasattr(data, "held_aside"):
        print(f"{args.name} is not a word model: nothing is held aside for it", file=sys.stderr)
        return 2
    if args.record and not args.held_aside:
        print("--record writes the --held-aside figures: pass both", file=sys.stderr)
        return 2
    metrics = data.evaluate(model.module, pick_device("cpu"), full=True)
    if args.held_aside:
        aside = data.held_aside(model.module, pick_device("cpu"))
        metrics.update(aside)
        if args.record:
            from lstm_viz.training.compact import record_held_aside

            print(f"recorded in {record_held_aside(args.name, aside)}")
    for key, value in metrics.items():
        if isinstance(value, float):
            unit = f" {metrics['val_loss_unit']}" if key == "val_loss" and "val_loss_unit" in metrics else ""
            print(f"{key}: {value:.4f}{unit}")
        else:  # accuracy by gap, per source, confusion matrices: printed as JSON
            print(f"{key}: {value if isinstance(value, str) else json.dumps(value)}")
    return 0


def compact(args) -> int:
    from lstm_viz.training.compact import compact as run

    folder = Path(args.folder)
    if not folder.is_dir():
        raise ValueError(f"no folder {args.folder!r}")
    before = (folder / "model.safetensors").stat().st_size if (folder / "model.safetensors").is_file() else 0
    metrics = run(folder)
    after = (folder / "model.safetensors").stat().st_size
    print(f"weights: {before / 2**20:.2f} MB -> {after / 2**20:.2f} MB (float16)")
    for key, value in metrics.items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {json.dumps(value)}")
    return 0


def _unknown_notes(unknown) -> None:
    for u in unknown[:20]:
        sees = f"the model sees {u.replacement!r}"
        print(f"note: {u.piece[:40]!r} at step {u.position} is not in the vocabulary; {sees}")
    if len(unknown) > 20:
        print(f"note: and {len(unknown) - 20:,} more unknown pieces")


def trace(args) -> int:
    model = zoo.load_name_or_folder(args.name)
    tr = model.trace(args.text, max_tokens=args.max_tokens)
    if not 0 <= args.layer < tr.num_layers:
        raise ValueError(f"--layer must be between 0 and {tr.num_layers - 1}, got {args.layer}")
    layer = tr.layers[args.layer]
    if args.unit is not None and not 0 <= args.unit < layer.hidden_size:
        raise ValueError(f"--unit must be between 0 and {layer.hidden_size - 1}, got {args.unit}")
    units = list(range(min(args.units, layer.hidden_size))) if args.unit is None else [args.unit]
    _unknown_notes(tr.unknown)
    shown = layer.quantities()
    for unit in units:
        print(f"\nlayer {args.layer}, unit {unit}")
        print(f"{'step':>4}  {'token':<8}" + "".join(f"{cell.symbol(n):>8}" for n in shown))
        for t, token in enumerate(tr.tokens):
            values = "".join(f"{v[t, unit]:8.3f}" for v in shown.values())
            print(f"{t:>4}  {token!r:<8}{values}")
    return 0


def generate(args) -> int:
    model = zoo.load_name_or_folder(args.name)
    prime = "" if args.style and args.prime == "\n" else args.prime  # a style alone starts the text
    result = model.generate(
        prime, args.length, temperature=args.temperature, top_k=args.top_k, greedy=args.greedy, seed=args.seed,
        style=args.style,
    )  # fmt: skip
    for u in result.unknown[:20]:
        print(
            f"note: {u.piece[:40]!r} in the prime is not in the vocabulary; the model sees {u.replacement!r}",
            file=sys.stderr,
        )
    if args.seed is None and result.seed is not None:
        print(f"note: seed {result.seed} (pass --seed {result.seed} to get this text again)", file=sys.stderr)
    print(result.text.removeprefix(model.card.get("styles", {}).get(args.style, "")))  # not the style symbol
    return 0


def classify(args) -> int:
    model = zoo.load_name_or_folder(args.name)
    if model.task != "classify":
        print(f"{args.name} is a {model.task} model, not a classifier", file=sys.stderr)
        return 2
    tr = model.trace(args.text)
    _unknown_notes(tr.unknown)
    final = tr.probs[-1]
    best = int(np.argmax(final))
    print(f"{tr.output_labels[best]} ({final[best]:.1%})")
    header = "".join(f"{label[:10]:>11}" for label in tr.output_labels)
    print(f"{'step':>4}  {'token':<14}{header}")
    for t, token in enumerate(tr.tokens):
        print(f"{t:>4}  {token!r:<14}" + "".join(f"{p:11.3f}" for p in tr.probs[t]))
    return 0


def list_models(args) -> int:
    for info in zoo.list():
        metrics = {k: v for k, v in info.card.get("metrics", {}).items() if isinstance(v, float)}
        shown = ", ".join(f"{k} {v:.3f}" for k, v in list(metrics.items())[:2])
        print(f"{info.name:<24} {'shipped' if info.shipped else 'user':<8} {info.card.get('task', '?'):<9} {shown}")
    return 0
