"""Character and word tokenizers that never drop anything silently.

``encode(text)`` returns an :class:`Encoding`: one id per piece, the piece as it appears in the
text, its character span, and the list of pieces the vocabulary could not map, each with
what the model is fed instead. The UI highlights those pieces and says what the model saw.

Unknown pieces:
- a word vocabulary has an explicit unknown token (``<unk>``) and uses its id;
- a character vocabulary trained on a closed alphabet (tiny shakespeare has 65 characters)
  has no trained unknown id, so an unknown character is replaced by a documented stand-in:
  first its plain-ASCII look-alike (``é`` -> ``e``, ``’`` -> ``'``, ``—`` -> ``-``) when the
  vocabulary has it, else ``fallback`` (a space by default). Both are reported.

Both tokenizers serialise to and from the ``tokenizer`` field of card.json; a vocabulary is
checked entry by entry (type, length, lone surrogates, duplicates) with a message that names
the entry, because card.json comes from whoever uploaded it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from lstm_viz.messages import count_and_first, describe, has_lone_surrogate

MAX_VOCAB = 100_000  # entries of one vocabulary; a word-level card of this size is about 1.5 MB

# Typographic characters whose ASCII look-alike a character model will know.
_LOOKALIKES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": ".", "\u00a0": " ", "\t": " ", "\r": "\n",
}  # fmt: skip

# Words, the clitics rt-polarity splits off ("does n't", "it 's"), numbers, and any other
# single non-space character (punctuation, emoji) as its own piece.
_WORD_RE = re.compile(r"[a-z0-9]+(?=n't\b)|n't\b|'[a-z]+\b|[a-z0-9]+|[^\sa-z0-9]")


@dataclass(frozen=True)
class UnknownPiece:
    position: int  # step index in the encoding
    piece: str  # the text as typed
    replacement: str  # what the model is fed instead

    def to_dict(self) -> dict:
        return {"position": self.position, "piece": self.piece, "replacement": self.replacement}


@dataclass(frozen=True)
class Encoding:
    ids: list[int]
    pieces: list[str]  # one display string per step
    spans: list[tuple[int, int]]  # [start, end) character offsets in the text
    unknown: list[UnknownPiece] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def _ascii_lookalike(char: str) -> str:
    if char in _LOOKALIKES:
        return _LOOKALIKES[char]
    base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return base[:1]


def check_vocab(vocab, kind: str) -> None:
    """Raise ValueError naming the first bad entry of a ``kind`` ("char" or "word") vocabulary.

    Every message starts with ``vocab``, so :func:`tokenizer_from_dict` can name the card field.
    """
    noun = "single characters" if kind == "char" else "words"
    if not isinstance(vocab, list):
        raise ValueError(f"vocab must be a list of {noun}, got {describe(vocab)}")
    if not 0 < len(vocab) <= MAX_VOCAB:
        raise ValueError(f"vocab must be a non-empty list of {noun} (at most {MAX_VOCAB:,}), got {len(vocab):,}")
    for i, entry in enumerate(vocab):
        if not isinstance(entry, str):
            raise ValueError(f"vocab[{i}] must be a string, got {describe(entry)}")
        if kind == "char" and len(entry) != 1:
            raise ValueError(f"vocab[{i}] must be a single character, got {describe(entry)}")
        if not entry:
            raise ValueError(f"vocab[{i}] is an empty string; a vocabulary entry needs at least one character")
        if has_lone_surrogate(entry):
            raise ValueError(f"vocab[{i}] holds a lone surrogate ({describe(entry)}), which is not text")
    if len(set(vocab)) != len(vocab):
        first: dict[str, int] = {}
        for i, entry in enumerate(vocab):
            if entry in first:
                raise ValueError(
                    f"vocab must be a list without duplicates, but {describe(entry)} is entry {first[entry]} "
                    f"and entry {i}"
                )
            first[entry] = i


def describe_unknown(unknown: list[UnknownPiece]) -> str:
    """The pieces a vocabulary lacks and their stand-ins, as a count and the first few (bounded for any text)."""
    return count_and_first(unknown, "unknown piece", show=lambda u: f"{describe(u.piece)} → {describe(u.replacement)}")


class CharTokenizer:
    kind = "char"

    def __init__(self, vocab: list[str], fallback: str = " "):
        check_vocab(vocab, self.kind)
        if not isinstance(fallback, str):
            raise ValueError(f"unknown must be a single character, got {describe(fallback)}")
        if fallback not in vocab:
            fallback = vocab[0]
        self.vocab = list(vocab)
        self.fallback = fallback
        self.index = {c: i for i, c in enumerate(self.vocab)}

    @classmethod
    def from_corpus(cls, text: str) -> CharTokenizer:
        if not text:
            raise ValueError("cannot build a vocabulary from an empty corpus")
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> Encoding:
        ids, pieces, spans, unknown = [], [], [], []
        for pos, char in enumerate(text):
            idx = self.index.get(char)
            if idx is None:
                stand_in = _ascii_lookalike(char)
                if stand_in not in self.index:
                    stand_in = self.fallback
                idx = self.index[stand_in]
                unknown.append(UnknownPiece(pos, char, stand_in))
            ids.append(idx)
            pieces.append(char)
            spans.append((pos, pos + 1))
        return Encoding(ids, pieces, spans, unknown)

    def encode_ids(self, text: str) -> np.ndarray:
        """Only the ids of :meth:`encode`, as int64: fast for a whole corpus."""
        try:
            return np.fromiter(map(self.index.__getitem__, text), np.int64, len(text))
        except KeyError:  # some characters need a stand-in: take the general path
            return np.asarray(self.encode(text).ids, dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.vocab[int(i)] for i in ids)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "vocab": self.vocab, "unknown": self.fallback}


class WordTokenizer:
    """Lower-cased words and punctuation; out-of-vocabulary words map to ``<unk>``."""

    kind = "word"
    unk = "<unk>"
    pad = "<pad>"

    def __init__(self, vocab: list[str]):
        check_vocab(vocab, self.kind)
        if self.unk not in vocab:
            raise ValueError(f"vocab must contain the unknown token {self.unk!r}")
        self.vocab = list(vocab)
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.unk_id = self.index[self.unk]

    @staticmethod
    def split(text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) for each piece; offsets refer to ``text`` as given."""
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters change length when lower-cased
            lowered = "".join(c.lower()[:1] or c for c in text)
        return [(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(lowered)]

    @classmethod
    def from_corpus(cls, texts, min_count: int = 2, max_size: int = 20000) -> WordTokenizer:
        counts = Counter(w for t in texts for w, _, _ in cls.split(t))
        words = [w for w, n in counts.most_common(max_size) if n >= min_count]
        return cls([cls.pad, cls.unk, *sorted(words)])

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> Encoding:
        ids, pieces, spans, unknown = [], [], [], []
        for pos, (word, start, end) in enumerate(self.split(text)):
            idx = self.index.get(word)
            if idx is None:
                idx = self.unk_id
                unknown.append(UnknownPiece(pos, text[start:end], self.unk))
            ids.append(idx)
            pieces.append(text[start:end])
            spans.append((start, end))
        return Encoding(ids, pieces, spans, unknown)

    def decode(self, ids) -> str:
        return " ".join(self.vocab[int(i)] for i in ids)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "vocab": self.vocab, "unknown": self.unk}


def tokenizer_from_dict(spec: dict) -> CharTokenizer | WordTokenizer:
    """Build a tokenizer from card.json's ``tokenizer`` field, with a message naming each fault."""
    if not isinstance(spec, dict):
        raise ValueError(f"card.json: tokenizer must be an object with 'kind' and 'vocab', got {describe(spec)}")
    kind = spec.get("kind")
    if kind not in ("char", "word"):
        raise ValueError(f"card.json: tokenizer.kind must be 'char' or 'word', got {describe(kind)}")
    try:
        if kind == "word":
            return WordTokenizer(spec.get("vocab"))
        return CharTokenizer(spec.get("vocab"), fallback=spec.get("unknown", " "))
    except ValueError as err:  # the constructors' messages start with the name of the field at fault
        raise ValueError(f"card.json: tokenizer.{err}") from None
