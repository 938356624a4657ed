"""Reading a user's plain-text corpus: encoding, binary files, size limits, each with a message.

Used by the Train page's upload and by ``python -m lstm_viz train --corpus FILE``.
"""

from __future__ import annotations

from pathlib import Path

MIN_CHARS = 2000  # below this a character model learns nothing worth looking at
MAX_CHARS = 5_000_000  # larger corpora are cut, with a notice: a shared CPU trains on it
ENCODINGS = ("utf-8-sig", "utf-16", "cp1252")


def decode_corpus(data: bytes, max_chars: int = MAX_CHARS) -> tuple[str, list[str]]:
    """Text and notices from raw bytes; ValueError with the reason for anything unusable."""
    if not data:
        raise ValueError("the file is empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        candidates = ("utf-16",)
    elif b"\x00" in data[:4096]:
        raise ValueError("this looks like a binary file (it contains NUL bytes); upload plain text")
    else:
        candidates = ("utf-8-sig", "cp1252")
    notices = []
    for encoding in candidates:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("could not read the file as UTF-8, UTF-16 or Windows-1252 text; save it as UTF-8")
    if encoding == "cp1252":
        notices.append("the file is not UTF-8; it was read as Windows-1252")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(1 for c in text[:100000] if ord(c) < 32 and c not in "\n\t")
    if controls > len(text[:100000]) * 0.01:
        raise ValueError("this looks like a binary file (many control characters); upload plain text")
    if len(text.strip()) < MIN_CHARS:
        raise ValueError(f"the text has {len(text.strip()):,} characters; at least {MIN_CHARS:,} are needed to train")
    if len(text) > max_chars:
        notices.append(f"the text has {len(text):,} characters; only the first {max_chars:,} are used")
        text = text[:max_chars]
    return text, notices


def read_corpus_file(path: Path) -> str:
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    text, notices = decode_corpus(path.read_bytes())
    for notice in notices:
        print(f"note: {notice}")
    return text


def vocabulary(text: str) -> tuple[list[str], list[int]]:
    """The characters a model trained on ``text`` will know (in id order) and how often each occurs."""
    from collections import Counter

    counts = Counter(text)
    chars = sorted(counts)  # the order of CharTokenizer.from_corpus
    return chars, [counts[c] for c in chars]
