"""Command line: ``python -m lstm_viz train|eval|compact|trace|generate|classify|units|intervene|lesson|list|app ...``.

The same commands run as ``lstm-viz ...`` once the package is installed.

Examples::

    python -m lstm_viz train --preset shakespeare-char --out assets/models/shakespeare-char
    python -m lstm_viz train --corpus my_lyrics.txt --minutes 5
    python -m lstm_viz eval shakespeare-char
    python -m lstm_viz trace shakespeare-char "To be, or not to be" --units 4
    lstm-viz app                      # start the Streamlit app

Layers and units are 0-based, as in a Trace.

- :mod:`.commands`: train, eval, trace, generate, classify, list;
- :mod:`.lab`: ``units`` and ``intervene``, the neuron lab on the command line;
- :mod:`.lessons`: ``lesson``, the shipped lessons as a list or a Markdown handout.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from lstm_viz import paths
from lstm_viz.cli import commands, lab, lessons

APP = paths.APP


def _app(args) -> int:
    """Start the Streamlit app (the same as ``streamlit run app.py`` from the project folder).

    It runs in the app's folder, so its ``.streamlit/config.toml`` is read; user models stay where
    they would be from here (``$LSTM_VIZ_HOME``, default ``runs/`` in this folder, made absolute).
    Everything after ``app`` (a leading ``--`` dropped) goes to ``streamlit run``.
    """
    if not APP.is_file():
        print(f"error: the app is not in the package or beside it ({APP} is missing)", file=sys.stderr)
        return 2
    extra = args.streamlit_args[1:] if args.streamlit_args[:1] == ["--"] else args.streamlit_args
    env = {**os.environ, "LSTM_VIZ_HOME": str(Path(os.environ.get("LSTM_VIZ_HOME") or "runs").resolve())}
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(APP), *extra], cwd=APP.parent, env=env)


def _train_parser(sub) -> None:
    p = sub.add_parser("train", help="train a model from a preset or your own text")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", help="a named recipe (see lstm_viz/training/presets.toml)")
    source.add_argument("--corpus", help="a plain-text file: train a character model on it")
    p.add_argument("--name", help="model name (default: the preset's or the file's)")
    p.add_argument("--out", help="output folder (default: $LSTM_VIZ_HOME/NAME, i.e. runs/NAME); replaced if it exists")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--steps", type=int)
    p.add_argument("--minutes", type=float)
    p.add_argument("--hidden-size", dest="hidden_size", type=int)
    p.add_argument("--num-layers", dest="num_layers", type=int)
    p.add_argument("--embed-dim", dest="embed_dim", type=int)
    p.add_argument("--cell", choices=["lstm", "rnn", "gru"])
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--seq-len", dest="seq_len", type=int)
    p.add_argument("--gap-low", dest="gap_low", type=int, help="memory task: the shortest gap")
    p.add_argument("--gap-high", dest="gap_high", type=int, help="memory task: the longest gap")
    p.add_argument("--log-gaps", dest="log_gaps", action="store_true", help="memory task: gaps log-uniform")
    p.add_argument("--eval-per-gap", dest="eval_per_gap", type=int, help="memory task: test strings per gap")
    p.add_argument("--lr", type=float)
    p.add_argument("--eval-every", dest="eval_every", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--init-from", dest="init_from",
                   help="a trained model's folder: start from its weights (the same model and vocabulary)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its resume state (if it has none, start it)")
    p.set_defaults(func=commands.train)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lstm_viz", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _train_parser(sub)

    p = sub.add_parser("eval", help="print a model's held-out metrics from a fresh evaluation")
    p.add_argument("name")
    p.add_argument("--corpus", help="for a model trained with --corpus: the same file")
    p.add_argument("--held-aside", dest="held_aside", action="store_true",
                   help="word models: also measure his/her agreement on the set held aside from training and "
                   "model choice (measure it once, at the very end)")
    p.add_argument("--record", action="store_true",
                   help="with --held-aside: write those figures into the model folder's card")
    p.set_defaults(func=commands.evaluate)

    p = sub.add_parser("compact", help="store a trained model's weights as float16 and measure its card again")
    p.add_argument("folder", help="the model's folder (model.safetensors + card.json)")
    p.set_defaults(func=commands.compact)

    p = sub.add_parser("trace", help="print gates, cell and hidden values for a few units")
    p.add_argument("name")
    p.add_argument("text")
    p.add_argument("--layer", type=int, default=0)
    p.add_argument("--units", type=int, default=3, help="show the first N units")
    p.add_argument("--unit", type=int, help="show only this unit")
    p.add_argument("--max-tokens", dest="max_tokens", type=int, default=2000)
    p.set_defaults(func=commands.trace)

    p = sub.add_parser("generate", help="write text with a language model")
    p.add_argument("name")
    p.add_argument("--prime", default="\n", help="text the model reads first (default: a newline)")
    p.add_argument("--length", type=int, default=300, help="tokens to write (1 to 2000)")
    p.add_argument("--temperature", type=float, default=1.0, help="below 1: safer; above 1: wilder")
    p.add_argument("--top-k", dest="top_k", type=int, help="sample only among the k most likely tokens")
    p.add_argument("--greedy", action="store_true", help="always take the most likely token (argmax)")
    p.add_argument("--seed", type=int, help="same seed, same text (default: a random seed, printed)")
    p.add_argument("--style", help="for a model with styles (authors-lm): whose manner to write in")
    p.set_defaults(func=commands.generate)

    p = sub.add_parser("classify", help="classify a text and show the running prediction")
    p.add_argument("name")
    p.add_argument("text")
    p.set_defaults(func=commands.classify)

    lab.add_parsers(sub)
    lessons.add_parser(sub)

    p = sub.add_parser("list", help="list shipped and user models")
    p.set_defaults(func=commands.list_models)

    p = sub.add_parser("app", help="start the app in a browser (streamlit run app.py)")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="passed on to streamlit run")
    p.set_defaults(func=_app)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["app"] and argv[1:] not in (["-h"], ["--help"]):
        # argparse's REMAINDER refuses options first (``app --server.port 8502``): pass them on as they are
        args = parser().parse_args(["app"])
        args.streamlit_args = argv[1:]
    else:
        args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `lstm-viz lesson ... | head`: the reader stopped early, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
