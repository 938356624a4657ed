"""Sampling text from a character language model, one character at a time.

The model reads the prime, then at every step turns its logits into a distribution
(``softmax(logits / temperature)``, optionally keeping only the ``top_k`` most likely) and
either takes the most likely character (greedy: argmax) or samples from it with a seeded
generator, so the same seed gives the same text. The recurrent state is carried, so each
step costs one cell step per layer, not a re-read of the whole text.

Speed: a step is a few (1, H) x (H, 4H) products. The prime goes through the fused
``nn.LSTM`` in one call; the steps after it use ``torch.lstm_cell`` (the same cell op
``nn.LSTMCell`` runs) on the module's own weights, pinned to one thread: at this size a
thread pool costs more than it saves, and on a shared CPU it is many times slower.
``python -m benchmarks.generate`` measures both against a plain ``nn.LSTM`` step.

``generate(...)`` returns a :class:`Generation` (text, its Trace, what each character was
drawn from); :class:`GenerationStream` yields the characters as they are written (the
Generate page streams them) and holds the same Generation when it is done.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from lstm_viz.engine import cell
from lstm_viz.engine.tokenizers import UnknownPiece
from lstm_viz.engine.trace import Trace, trace

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel

MAX_GENERATE = 2000  # characters per request: enough for a page, bounded for a shared server
MAX_PRIME = 2000  # prime characters: the whole text is traced afterwards
SEED_MAX = 2**31 - 1  # seeds run 0..SEED_MAX (the CLI, the Generate page and its link check the same range)


@dataclass(frozen=True)
class Sampled:
    ids: list[int]  # generated ids (prime excluded)
    distributions: np.ndarray  # (N, V) the distribution each id was drawn from
    chosen_probs: np.ndarray  # (N,) probability of the chosen id under that distribution
    seed: int | None = None  # the seed the generator used (None for greedy)


def check_settings(length: int, temperature: float = 1.0, top_k: int | None = None) -> None:
    """Raise ValueError with a message a page can show if a setting is out of range."""
    if isinstance(length, bool) or not isinstance(length, int | np.integer):
        raise ValueError(f"length must be a whole number of characters, got {length!r}")
    if not 1 <= length <= MAX_GENERATE:
        raise ValueError(
            f"length must be between 1 and {MAX_GENERATE:,} characters per request, got {length:,}; "
            "to write more, generate again with the end of this text as the prime"
        )
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not math.isfinite(temperature):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive (use greedy for the most likely character), got {temperature}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1):
        raise ValueError(f"top_k must be a whole number of at least 1 (or None for no limit), got {top_k!r}")


def distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """Probabilities (V,) from logits (V,) after temperature and top-k.

    Top-k keeps exactly the ``k`` largest logits (ties broken by ``torch.topk``); everything
    else gets probability 0. The maximum is subtracted before dividing by the temperature, so
    a tiny temperature gives a one-hot at the argmax instead of overflowing.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    logits = logits.float()
    scaled = (logits - logits.max()) / temperature
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        k = min(int(top_k), scaled.numel())
        kept = torch.topk(scaled, k)
        scaled = torch.full_like(scaled, float("-inf")).scatter_(0, kept.indices, kept.values)
    return torch.softmax(scaled, dim=-1)


@contextmanager
def _one_thread():
    """Run the enclosed torch ops on one intra-op thread, then restore the setting."""
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if before != 1:
            torch.set_num_threads(before)


class _Stepper:
    """One step of a SequenceModel at a time, on its own weights (read, never changed)."""

    def __init__(self, module: SequenceModel):
        params = {name: p.detach() for name, p in module.named_parameters()}
        cfg = module.config
        self.lstm = cfg.cell == "lstm"
        self.cell_op = {"lstm": torch.lstm_cell, "rnn": torch.rnn_tanh_cell, "gru": torch.gru_cell}[cfg.cell]
        self.embedding = params["embedding.weight"]  # (V, E)
        self.layers = [cell.layer_weights(params, k) for k in range(cfg.num_layers)]
        self.head_weight_t = params["head.weight"].T  # (H, V)
        self.head_bias = params["head.bias"]
        self.module = module

    def prime(self, prime_ids: list[int]) -> tuple[torch.Tensor, list]:
        """Read the prime with the fused nn.LSTM; the last step's logits (V,) and the state per layer."""
        ids = torch.tensor([prime_ids], device=self.embedding.device)
        logits, state = self.module(ids)
        if self.lstm:
            h, c = state  # each (L, 1, H)
            return logits[0, -1], [(h[k], c[k]) for k in range(len(self.layers))]
        return logits[0, -1], [state[k] for k in range(len(self.layers))]

    def step(self, token_id: int, state: list) -> tuple[torch.Tensor, list]:
        """Feed one token: logits (V,) and the new state."""
        x = self.embedding[token_id : token_id + 1]  # (1, E)
        new_state = []
        for (w_ih, w_hh, b_ih, b_hh), layer_state in zip(self.layers, state, strict=True):
            if self.lstm:
                hidden, cell_state = self.cell_op(x, layer_state, w_ih, w_hh, b_ih, b_hh)
                new_state.append((hidden, cell_state))
            else:  # the RNN's and GRU's state is h alone
                hidden = self.cell_op(x, layer_state, w_ih, w_hh, b_ih, b_hh)
                new_state.append(hidden)
            x = hidden  # (1, H)
        return torch.addmm(self.head_bias, x, self.head_weight_t)[0], new_state


def _resolve_seed(seed: int | None, greedy: bool) -> int | None:
    if greedy:
        return None
    if seed is None:
        return secrets.randbits(31)  # reported in the result, so an unseeded text can be repeated
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed <= SEED_MAX:
        shown = str(seed)[:20] if not isinstance(seed, int | np.integer) or abs(seed) < 10**18 else "a larger number"
        raise ValueError(f"seed must be a whole number from 0 to {SEED_MAX:,}, got {shown}")
    return int(seed)


def _sample_steps(
    module: SequenceModel,
    prime_ids: list[int],
    length: int,
    temperature: float,
    top_k: int | None,
    greedy: bool,
    seed: int | None,
) -> Iterator[tuple[int, np.ndarray, float]]:
    """Yield (id, distribution (V,), probability of id) for each of ``length`` steps."""
    stepper = _Stepper(module)
    generator = torch.Generator(device="cpu")
    if seed is not None:
        generator.manual_seed(seed)
    with torch.inference_mode(), _one_thread():
        last, state = stepper.prime(prime_ids)
    for i in range(length):
        with torch.inference_mode(), _one_thread():
            probs = distribution(last.cpu(), temperature, top_k)
            if greedy:
                next_id = int(torch.argmax(probs))
            else:
                next_id = int(torch.multinomial(probs, 1, generator=generator))
            if i + 1 < length:  # the state after the last character is never needed
                last, state = stepper.step(next_id, state)
        dist = probs.numpy()
        yield next_id, dist, float(dist[next_id])


def sample_ids(
    module: SequenceModel,
    prime_ids: list[int],
    length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    greedy: bool = False,
    seed: int | None = None,
    on_step=None,
) -> Sampled:
    """Generate ``length`` ids after ``prime_ids``; ``on_step(i, id)`` is called after each."""
    if not prime_ids:
        raise ValueError("the prime needs at least one character")
    check_settings(length, temperature, top_k)
    seed = _resolve_seed(seed, greedy)
    vocab = module.config.num_outputs
    ids, dists, chosen = [], np.empty((length, vocab), np.float32), np.empty(length, np.float32)
    for i, (next_id, dist, prob) in enumerate(
        _sample_steps(module, prime_ids, length, temperature, top_k, greedy, seed)
    ):
        ids.append(next_id)
        dists[i], chosen[i] = dist, prob
        if on_step is not None:
            on_step(i, next_id)
    return Sampled(ids, dists, chosen, seed)


@dataclass(frozen=True)
class Generation:
    prime: str
    generated: str
    trace: Trace  # the whole text, prime included, traced like any other text
    distributions: np.ndarray  # (N, V) what each generated character was drawn from
    chosen_probs: np.ndarray  # (N,) probability the model gave each generated character
    unknown: list[UnknownPiece]  # characters of the prime the vocabulary lacks
    seed: int | None = None  # the seed used (drawn at random when none was given); None if greedy
    temperature: float = 1.0
    top_k: int | None = None
    greedy: bool = False

    @property
    def text(self) -> str:
        return self.prime + self.generated

    @property
    def prime_length(self) -> int:
        """Steps of the trace that belong to the prime (the generated tokens follow, one step each)."""
        return len(self.trace) - len(self.chosen_probs)


class GenerationStream:
    """Iterate to get the generated characters one by one; ``.result`` is the Generation after.

    Every setting is checked when the stream is made, so a page can show a clear message
    before it starts writing.
    """

    def __init__(
        self,
        loaded,
        prime: str,
        length: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        greedy: bool = False,
        seed: int | None = None,
        style: str | None = None,
    ):
        if loaded.task != "charlm":
            raise ValueError(f"{loaded.name} is a {loaded.task} model; only language models write text")
        if len(prime) > MAX_PRIME:
            raise ValueError(f"the prime has {len(prime):,} characters; at most {MAX_PRIME:,} are accepted")
        prime = style_symbol(loaded.card, style) + prime
        self.encoding = loaded.tokenizer.encode(prime)
        if len(self.encoding) == 0:
            raise ValueError("the prime is empty: give the model at least one character to start from")
        check_settings(length, temperature, top_k)
        self.loaded, self.prime, self.length = loaded, prime, int(length)
        self.joiner = " " if loaded.tokenizer.kind == "word" else ""  # words are written with spaces between them
        self.temperature, self.top_k, self.greedy = float(temperature), top_k, bool(greedy)
        self.seed = _resolve_seed(seed, greedy)
        self.ids: list[int] = []  # generated so far
        self.result: Generation | None = None

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[str]:
        module, tokenizer = self.loaded.module, self.loaded.tokenizer
        ids = self.ids = []  # restarts if iterated again
        dists = np.empty((self.length, module.config.num_outputs), np.float32)
        chosen = np.empty(self.length, np.float32)
        steps = _sample_steps(
            module, self.encoding.ids, self.length, self.temperature, self.top_k, self.greedy, self.seed
        )
        for i, (next_id, dist, prob) in enumerate(steps):
            ids.append(next_id)
            dists[i], chosen[i] = dist, prob
            yield self.joiner + tokenizer.decode([next_id])
        pieces = [tokenizer.decode([i]) for i in ids]
        generated = "".join(self.joiner + piece for piece in pieces)
        spans, at = [], len(self.prime)
        for piece in pieces:  # each written token's place in prime + generated
            at += len(self.joiner)
            spans.append((at, at + len(piece)))
            at += len(piece)
        enc = self.encoding
        with _one_thread():  # one sequential pass over a short text: threads only add contention
            # the ids it read and wrote, not a re-reading of the text: a word model's "<unk>" or "don't"
            # would come back as other pieces, and the steps would no longer be the ones it took
            traced = trace(
                module,
                np.asarray(enc.ids + ids),
                tokens=enc.pieces + pieces,
                output_labels=self.loaded.labels,
                unknown=list(enc.unknown),
                spans=enc.spans + spans,
            )
        self.result = Generation(
            self.prime,
            generated,
            traced,
            dists,
            chosen,
            list(self.encoding.unknown),
            self.seed,
            self.temperature,
            self.top_k,
            self.greedy,
        )


def as_written(tokens: list[str], spans: list[tuple[int, int]] | None) -> list[str]:
    """Each token as it is shown in running text: with a space in front where the text had a gap before it.

    A word model's tokens are words without the spaces between them; a character model's have no gaps.
    """
    if not spans:
        return list(tokens)
    out, end = [], None
    for token, (start, stop) in zip(tokens, spans, strict=True):
        out.append((" " if end is not None and start > end else "") + token)
        end = stop
    return out


def style_symbol(card: dict, style: str | None) -> str:
    """The symbol that opens text in ``style`` for a model with styles (its card's ``styles``); "" for no style."""
    styles = card.get("styles") or {}
    if style is None:
        return ""
    if not styles:
        raise ValueError(f"{card.get('name', 'this model')} has no styles; leave the style out")
    if style not in styles:
        raise ValueError(f"unknown style {str(style)[:40]!r}; this model writes as {', '.join(styles)}")
    return styles[style]


def generate(loaded, prime: str, length: int, on_step=None, **settings) -> Generation:
    """Write ``length`` tokens after ``prime`` with a language model (a zoo.LoadedModel).

    ``settings`` are :class:`GenerationStream`'s: temperature, top_k, greedy, seed, style.
    ``on_step(i, token_id)`` is called after each written token.
    """
    stream = GenerationStream(loaded, prime, length, **settings)
    for i, _ in enumerate(stream):
        if on_step is not None:
            on_step(i, stream.ids[i])
    return stream.result


@torch.no_grad()
def sample_text(module: SequenceModel, tokenizer, length: int, seed: int, prime: str = "\n") -> str:
    """A training run's sample at an evaluation: ``length`` tokens at temperature 0.8 (the module's mode kept)."""
    was_training = module.training
    module.eval()
    prime_ids = tokenizer.encode(prime).ids or [0]
    out = sample_ids(module.untied(), prime_ids, length, temperature=0.8, seed=seed)
    module.train(was_training)
    return tokenizer.decode(out.ids)
