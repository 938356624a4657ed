"""Reading a user's plain-text corpus: encoding, binary files, size limits, each with a message.

Used by the Train page's upload and by ``python -m lstm_viz train --corpus FILE``.

Accepted: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, UTF-16
without one when the text is mostly Latin script (every other byte is then zero, which tells
little- from big-endian), and Windows-1252. UTF-16 of mostly non-Latin text without a mark
cannot be told from other bytes; such a file needs its mark (or to be saved as UTF-8).
"""

from __future__ import annotations

from pathlib import Path

MIN_CHARS = 200  # below this there is not enough to hold out and to train on (the Train page warns below 2,000)
MAX_CHARS = 5_000_000  # larger corpora are cut, with a notice: a shared CPU trains on it
SNIFF_BYTES = 4096  # how much of the file the encoding is guessed from
ACCEPTED = "UTF-8, UTF-16 or Windows-1252"


def _bomless_utf16(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when ``head`` looks like UTF-16 of mostly Latin text without a mark, else None.

    In such text the high byte of most characters is zero: the odd bytes (little-endian) or the
    even ones (big-endian), while the other half holds almost no zero (only characters such as
    U+0100 or U+4E00 put one there). Binary files have zeros on both sides.
    """
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even, odd = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    if odd >= pairs // 2 and even <= pairs // 64:
        return "utf-16-le"
    if even >= pairs // 2 and odd <= pairs // 64:
        return "utf-16-be"
    return None


def decode_corpus(data: bytes, max_chars: int = MAX_CHARS) -> tuple[str, list[str]]:
    """Text and notices from raw bytes; ValueError with the reason for anything unusable."""
    if not data:
        raise ValueError("the file is empty")
    notices = []
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        candidates = ("utf-16",)
    elif b"\x00" in data[:SNIFF_BYTES]:
        bomless = _bomless_utf16(data[:SNIFF_BYTES])
        if bomless is None or len(data) % 2:
            raise ValueError(f"this looks like a binary file (it contains NUL bytes); upload plain text ({ACCEPTED})")
        candidates = (bomless,)
        order = "little" if bomless == "utf-16-le" else "big"
        notices.append(f"the file has no byte-order mark; it was read as UTF-16 ({order}-endian), as its bytes show")
    else:
        candidates = ("utf-8-sig", "cp1252")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(f"could not read the file as {ACCEPTED} text; save it as UTF-8")
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
