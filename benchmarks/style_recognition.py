"""Does the authors classifier recognise whose manner a generator writes in? One model per author against authors-lm.

``python -m benchmarks.style_recognition [--runs DIR] [--json FILE]``

DIR holds the seven per-author generators, each in ``DIR/author-NAME`` as
``python -m lstm_viz train --preset author-NAME --out DIR/author-NAME`` leaves it (the design of
"Applying LSTM to Text Generation": one character model per author); by default the shipped ones in
assets/models. Side by side, in one run:

(a) each per-author generator writes CHECK_SEEDS passages of CHECK_LENGTH characters at
    CHECK_TEMPERATURE (after a space) and the shipped ``authors`` classifier says whose they are;
(b) the shipped ``authors-lm`` writes the same number in each style (its style symbol first), judged
    the same way (the check its card records, run again).

Prints the 21 verdicts of each, the counts, each generator's held-out loss (from its card: the last 10% of
its book read as one stream, state carried) next to authors-lm's card figure for that author (read in
windows opened by the style symbol, so a little higher) and, with ``--compare-loss``, authors-lm's loss
measured the generators' way (the same tail as one stream after the style symbol); and the size the seven
folders' weights take.

With ``--judge``, what the classifier's "Shakespeare" is: its verdicts on 300-character passages of held-out
Shakespeare in modern spelling (tiny shakespeare, with and without its speaker lines) against its own held-out
Macbeth as printed (First Folio spelling, "vpon", "euer", speaker tags such as "Macb.") and with u/v modernised
and the speaker tags dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import torch

from lstm_viz.data.authors import BOOKS, LABELS, encode_fast, read_book
from lstm_viz.data.corpus import SHAKESPEARE, asset_path, split_by_position, stream_loss
from lstm_viz.data.one_author import per_author_check
from lstm_viz.data.styles import CHECK_LENGTH, CHECK_SEEDS, CHECK_TEMPERATURE, style_check, style_symbols
from lstm_viz.store import zoo
from lstm_viz.store.checkpoint import WEIGHTS


def folder_of(runs: Path, label: str) -> Path:
    return runs / f"author-{label.lower()}"


def weights_mb(folder: Path) -> tuple[float, float]:
    """(the weights file, the weights with the history/ checkpoints) in MB."""
    main = (folder / WEIGHTS).stat().st_size
    history = sum(p.stat().st_size for p in (folder / "history").glob("*.safetensors"))
    return main / 2**20, (main + history) / 2**20


def stream_losses(shipped) -> dict[str, float]:
    """authors-lm's loss on each author's held-out tail read as one stream after the style symbol (state carried)."""
    losses = {}
    for (name, label), symbol in zip(BOOKS, style_symbols().values(), strict=True):
        book = read_book(name)
        tail = book[split_by_position(len(book)) :]
        ids = torch.from_numpy(encode_fast(shipped.tokenizer, symbol + tail))
        losses[label] = stream_loss(shipped.module, ids, torch.device("cpu"))
    return losses


def _verdicts(judge, passages: list[str]) -> Counter:
    return Counter(judge.labels[int(judge.trace(p).probs[-1].argmax())] for p in passages)


def _passages(text: str, count: int, chars: int = 300, span: int = 600, clean=lambda t: t) -> list[str]:
    """``count`` passages spread over ``text``: each ``clean``ed, whitespace collapsed, cut to ``chars``."""
    step = max(1, (len(text) - span) // count)
    return [" ".join(clean(text[k * step : k * step + span]).split())[:chars] for k in range(count)]


def _without_speakers(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not re.fullmatch(r"[A-Z][A-Za-z ]*:", line.strip()))


def _modernised(text: str) -> str:
    """Folio spelling made modern where it is mechanical (vpon -> upon, euer -> ever), speaker tags dropped."""
    text = re.sub(r"\b([Vv])(?=[^aeiouAEIOU\W])", lambda m: "U" if m.group(1) == "V" else "u", text)
    text = re.sub(r"(?<=[aeiouAEIOU])u(?=[aeiou])", "v", text)
    return re.sub(r"\b[A-Z][a-z]{1,5}\. ", "", text)


def judge_report(count: int = 20) -> dict[str, dict[str, int]]:
    """The classifier's verdicts on Shakespeare written four ways (see the module docstring)."""
    judge = zoo.load("authors")
    tiny = asset_path(SHAKESPEARE).read_text(encoding="utf-8")
    tiny = tiny[split_by_position(len(tiny)) :]
    book = read_book(dict((label, name) for name, label in BOOKS)["Shakespeare"])
    book = book[split_by_position(len(book)) :]
    found = {
        "tiny shakespeare (modern spelling)": _verdicts(judge, _passages(tiny, count)),
        "the same without its speaker lines": _verdicts(judge, _passages(tiny, count, clean=_without_speakers)),
        "Macbeth as the classifier read it": _verdicts(judge, _passages(book, count, span=300)),
        "Macbeth, u/v modernised, no speaker tags": _verdicts(judge, _passages(book, count, clean=_modernised)),
    }
    print(f"\nthe judge: {count} held-out passages of {CHECK_LENGTH} characters, the authors classifier's verdicts")
    for what, verdicts in found.items():
        said = ", ".join(f"{label} {n}" for label, n in verdicts.most_common())
        print(f"{what:<44}Shakespeare {verdicts['Shakespeare']:>2} of {count}  ({said})")
    return {what: dict(v) for what, v in found.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default=str(zoo.SHIPPED_DIR),
                        help="the folder holding author-NAME for each of the seven authors (default: the shipped ones)")
    parser.add_argument("--json", help="also write every verdict and figure to this file")
    parser.add_argument("--compare-loss", dest="compare_loss", action="store_true",
                        help="also read each tail through authors-lm as one stream (a minute or two on one thread)")
    parser.add_argument("--judge", action="store_true", help="also ask what the classifier's Shakespeare is")
    args = parser.parse_args(argv)
    runs = Path(args.runs)
    missing = [str(folder_of(runs, label)) for label in LABELS if not folder_of(runs, label).is_dir()]
    if missing:
        raise SystemExit(f"error: no trained generator in {', '.join(missing)}")
    torch.set_num_threads(1)
    models = {label: zoo.load_path(folder_of(runs, label)) for label in LABELS}
    shipped = zoo.load("authors-lm")
    print(
        f"{CHECK_LENGTH} characters at temperature {CHECK_TEMPERATURE}, seeds {', '.join(map(str, CHECK_SEEDS))}, "
        f"judged by the shipped authors classifier; load average {os.getloadavg()[0]:.1f}\n"
    )
    start = time.perf_counter()
    ours = per_author_check({label: (m.module, m.tokenizer) for label, m in models.items()})
    seconds_ours = time.perf_counter() - start
    start = time.perf_counter()
    theirs = style_check(shipped.module, shipped.tokenizer)
    seconds_theirs = time.perf_counter() - start

    print(f"{'author':<12}{'seed':>5}  {'one model per author':<28}{'authors-lm (style symbol)':<28}")
    for mine, other in zip(ours["passages"], theirs["passages"], strict=True):
        a = f"{mine['classified_as']} ({mine['p']:.2f})"
        b = f"{other['classified_as']} ({other['p']:.2f})"
        print(f"{mine['style']:<12}{mine['seed']:>5}  {a:<28}{b:<28}")
    print(f"\none model per author: {ours['agree']} of {ours['total']} recognised ({seconds_ours:.1f} s)")
    print(f"authors-lm:           {theirs['agree']} of {theirs['total']} recognised ({seconds_theirs:.1f} s)")

    shipped_losses = shipped.card.get("metrics", {}).get("val_loss_by_author", {})
    streamed = stream_losses(shipped) if args.compare_loss else {}
    print(f"\n{'author':<12}{'held-out nats/char':>20}{'authors-lm':>12}{'streamed':>10}{'seconds':>9}{'steps':>7}"
          f"{'MB':>7}")  # fmt: skip
    figures = {}
    for label, m in models.items():
        training = m.card.get("training", {})
        mb, with_history = weights_mb(m.path)
        figures[label] = {
            "val_loss": m.card["metrics"]["val_loss"],
            "authors_lm_val_loss": shipped_losses.get(label),
            "authors_lm_streamed": streamed.get(label),
            "seconds": training.get("seconds"),
            "steps": training.get("steps"),
            "weights_mb": round(mb, 3),
            "with_history_mb": round(with_history, 3),
        }
        f = figures[label]
        other = f"{f['authors_lm_val_loss']:.4f}" if f["authors_lm_val_loss"] is not None else "-"
        same_way = f"{streamed[label]:.4f}" if label in streamed else "-"
        print(f"{label:<12}{f['val_loss']:>20.4f}{other:>12}{same_way:>10}{f['seconds'] or 0:>9.0f}"
              f"{f['steps'] or 0:>7}{mb:>7.2f}")  # fmt: skip
    total = sum(f["weights_mb"] for f in figures.values())
    total_history = sum(f["with_history_mb"] for f in figures.values())
    print(f"\nthe seven weights files: {total:.1f} MB ({total_history:.1f} MB with their history/ checkpoints)")
    judged = judge_report() if args.judge else None
    if args.json:
        Path(args.json).write_text(
            json.dumps({"per_author": ours, "authors_lm": theirs, "figures": figures, "judge": judged}, indent=1),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
