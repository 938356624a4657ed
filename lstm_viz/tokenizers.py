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

Both tokenizers serialise to and from the ``tokenizer`` field of card.json.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

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


class CharTokenizer:
    kind = "char"

    def __init__(self, vocab: list[str], fallback: str = " "):
        if not vocab or any(not isinstance(c, str) or len(c) != 1 for c in vocab):
            raise ValueError("a character vocabulary is a non-empty list of single characters")
        if len(set(vocab)) != len(vocab):
            raise ValueError("the character vocabulary has duplicate entries")
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
        if not vocab or len(set(vocab)) != len(vocab):
            raise ValueError("a word vocabulary is a non-empty list without duplicates")
        if self.unk not in vocab:
            raise ValueError(f"a word vocabulary must contain the unknown token {self.unk!r}")
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
    """Build a tokenizer from card.json's ``tokenizer`` field, with a message for each fault."""
    if not isinstance(spec, dict):
        raise ValueError("card field 'tokenizer' must be an object with 'kind' and 'vocab'")
    kind, vocab = spec.get("kind"), spec.get("vocab")
    if not isinstance(vocab, list) or not all(isinstance(v, str) for v in vocab):
        raise ValueError("card field 'tokenizer.vocab' must be a list of strings")
    if kind == "char":
        return CharTokenizer(vocab, fallback=spec.get("unknown", " "))
    if kind == "word":
        return WordTokenizer(vocab)
    raise ValueError(f"card field 'tokenizer.kind' must be 'char' or 'word', got {kind!r}")
