"""Autocomplete: the most likely ways to go on from what has been typed, by beam search.

A character model completes the current word (and, with ``words`` > 1, the next few); a word
model proposes the next few words. The search keeps the ``width`` most likely continuations at
every step, each extended by its ``width`` most likely next tokens, all of them stepped at once
as one batch; a continuation is finished when it has written ``words`` word ends. Probabilities
are the model's own (temperature 1), multiplied along the continuation. Fast enough to run at
every keystroke (``python -m benchmarks.autocomplete``).

Only what a completion needs is computed from the typed text: the recurrent state after its last
token (read in chunks of READ_CHUNK tokens) and the output at that token, never an output per
position, so 100,000 typed words cost a few megabytes. Completions that look the same on screen
are one row (:func:`merge`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from lstm_viz.engine import cell

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel
    from lstm_viz.store.zoo import LoadedModel

MAX_WIDTH = 10
MAX_CHARS = 40  # characters a character model may write in one completion
MAX_TYPED = 5_000  # characters in the page's typing box
READ_CHUNK = 2_048  # tokens of the typed text read at a time (only the last output is kept)
_ENDS = ".,;:!?"  # word-ending punctuation: "content." and "content," show as one completion


@dataclass(frozen=True)
class Completion:
    text: str  # what would follow the typed text
    prob: float  # its probability under the model: the product of every step's


def _ends_word(piece: str, written: str) -> bool:
    """A word ends at a space or punctuation after at least one letter of the continuation (or the typed word)."""
    return not piece.isalnum() and piece not in "'-" and any(c.isalnum() for c in written)


def shown(written: str) -> str:
    """What a completion looks like on screen: without trailing spaces, newlines, invisible characters or ``.,;:!?``."""
    end = len(written)
    while end and (written[end - 1].isspace() or written[end - 1] in _ENDS or unicodedata.category(written[end - 1])
                   in ("Cc", "Cf")):  # fmt: skip
        end -= 1
    return written[:end] or written


def merge(finished: list[tuple[str, float]], width: int | None = None) -> list[Completion]:
    """One Completion per text as shown (see :func:`shown`), best first, at most ``width``.

    ``finished`` holds (written, log probability). Continuations that differ only by what cannot
    be seen ("queen" and "queen\\n") are one completion whose probability is the SUM of theirs:
    they are different ways of writing the same visible text, so the chance of seeing it is the total.
    """
    merged: dict[str, float] = {}
    for written, score in finished:
        key = shown(written)
        merged[key] = merged.get(key, 0.0) + math.exp(score)
    return [Completion(text, p) for text, p in sorted(merged.items(), key=lambda f: -f[1])[:width]]


def _read(module: SequenceModel, ids: list[int]):
    """The output at the last of ``ids`` (1, V) and the state after it, reading READ_CHUNK tokens at a time."""
    state, last = None, None
    for start in range(0, len(ids), READ_CHUNK):
        out, state = module.rnn(module.drop(module.embedding(torch.tensor([ids[start : start + READ_CHUNK]]))), state)
        last = out[:, -1]
    return module.head(module.drop(last)), state


@torch.no_grad()
def complete(
    model: LoadedModel, text: str, width: int = 5, words: int = 1, max_tokens: int | None = None
) -> list[Completion]:
    """The ``width`` most likely continuations of ``text`` that finish ``words`` words (best first)."""
    if model.task != "charlm":
        raise ValueError(f"only a language model can complete text, not a {model.task} model")
    if not 1 <= width <= MAX_WIDTH:
        raise ValueError(f"the beam width must be between 1 and {MAX_WIDTH}, got {width}")
    if not 1 <= words <= 5:
        raise ValueError(f"complete 1 to 5 words, got {words}")
    encoding = model.encode(text)
    if not encoding.ids:
        raise ValueError("type something first: there is nothing to complete")
    word_model = model.tokenizer.kind == "word"
    limit = max_tokens or (words if word_model else min(MAX_CHARS, 12 * words))
    module, vocab = model.module, model.tokenizer.vocab
    params = {name: p.detach().float() for name, p in module.named_parameters()}
    kind = module.config.cell
    weights = [cell.layer_weights(params, k) for k in range(module.config.num_layers)]
    step_op = {"lstm": torch.lstm_cell, "rnn": torch.rnn_tanh_cell, "gru": torch.gru_cell}[kind]
    logits, state = _read(module, encoding.ids)
    if kind == "lstm":
        state = [(state[0][k], state[1][k]) for k in range(len(weights))]  # each (1, H)
    else:
        state = [state[k] for k in range(len(weights))]
    tail = re.search(r"[\w'-]*$", text).group()  # the word being typed (empty after a space)
    beams = [("", 0.0, 0)]  # (written, log probability, words finished), best first
    scores = torch.zeros(1, dtype=torch.float64)
    # a word model never proposes its stand-ins (<unk>, <pad>): they are not words anyone can type
    banned = [k for k, t in enumerate(vocab) if word_model and t in ("<unk>", "<pad>")]
    log_probs = torch.log_softmax(logits[0].double(), dim=-1)[None]  # (beams, V)
    log_probs[:, banned] = -math.inf
    finished: list[tuple[str, float]] = []
    for _ in range(limit):
        total = (scores[:, None] + log_probs).flatten()  # every beam extended by every token
        top = torch.topk(total, min(2 * width, len(total)))
        grown, rows, tokens = [], [], []
        for score, flat in zip(top.values.tolist(), top.indices.tolist(), strict=True):
            b, token = divmod(flat, log_probs.shape[1])
            written, _, done = beams[b]
            piece = vocab[token]
            written += (" " + piece) if word_model else piece
            done += word_model or _ends_word(piece, tail + written[:-1])
            if done >= words:
                finished.append((written, score))
            elif len(grown) < width:
                grown.append((written, score, done))
                rows.append(b)
                tokens.append(token)
        finished.sort(key=lambda f: -f[1])
        beams = grown
        if not beams or (len(finished) >= width and finished[width - 1][1] >= beams[0][1]):
            break  # no unfinished continuation can beat the ones found
        scores = torch.tensor([score for _, score, _ in beams], dtype=torch.float64)
        index = torch.tensor(rows)
        x = params["embedding.weight"][torch.tensor(tokens)]
        new_state = []
        for k, w in enumerate(weights):
            if kind == "lstm":
                h, c = step_op(x, (state[k][0][index], state[k][1][index]), *w)
                new_state.append((h, c))
            else:
                h = step_op(x, state[k][index], *w)
                new_state.append(h)
            x = h
        state = new_state
        log_probs = torch.log_softmax((x @ params["head.weight"].T + params["head.bias"]).double(), dim=-1)
        log_probs[:, banned] = -math.inf
    if len(finished) < width:  # nothing ended within the limit: the best unfinished continuations
        finished += [(written, score) for written, score, _ in beams][: width - len(finished)]
    return merge(finished, width)
