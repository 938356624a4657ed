"""Messages built from user data, bounded: each piece cut, a long list shown as a count and its first few.

The app shows its error messages and notes to whoever typed or uploaded the data. A
100,000-character word, a weights file with 50,000 keys or a card value nested a thousand
levels deep must still give a message one can read, so every message that quotes user data
goes through these helpers instead of ``repr`` or an f-string of the raw value.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Callable, Iterable

MAX_CHARS = 60  # characters of one quoted piece
MAX_ITEMS = 5  # pieces of a list shown before "the first 5"
MAX_DESCRIBED = 200  # characters of one described value, however it nests

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # what json.loads makes of a lone escape such as \ud800

_REPR = reprlib.Repr()
_REPR.maxstring = MAX_CHARS
_REPR.maxother = MAX_CHARS
_REPR.maxlevel = 1  # [1, [2, 3]] shows as [1, [...]]
for _attr in ("maxlist", "maxtuple", "maxdict", "maxset", "maxfrozenset", "maxdeque", "maxarray"):
    setattr(_REPR, _attr, MAX_ITEMS)


def cut(text: object, limit: int = MAX_CHARS) -> str:
    """``str(text)`` cut to ``limit`` characters with an ellipsis."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate: no file can store it as UTF-8, and no page can show it."""
    return _LONE_SURROGATE.search(text) is not None


def storable(text: object, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters with any lone surrogate escaped, so a card or a page can hold it."""
    return cut(text, limit).encode("utf-8", "backslashreplace").decode("utf-8")


def describe(value: object) -> str:
    """A short, printable repr of any value, for the "got ..." part of a message.

    Strings are quoted and cut (a lone surrogate comes out escaped, so the message itself is
    valid text), containers show their first entries one level deep, and an integer of
    many digits is named by its size: Python refuses to turn one of over 4,300 digits into text.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a whole number of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    shown = cut(_REPR.repr(value), MAX_DESCRIBED)
    if isinstance(value, list | tuple | dict) and len(value) > MAX_ITEMS:
        kind = "an object" if isinstance(value, dict) else "a list"
        return f"{kind} of {len(value):,} entries, starting {shown}"
    return shown


def count_and_first(
    items: Iterable,
    noun: str,
    plural: str | None = None,
    shown: int = MAX_ITEMS,
    show: Callable[[object], str] = describe,
) -> str:
    """'1 unexpected key: 'a'', '3 unexpected keys: 'a', 'b', 'c'' or '50,000 unexpected keys, the first 5: ...'."""
    items = list(items)
    count = len(items)
    name = noun if count == 1 else plural or f"{noun}s"
    first = ", ".join(show(item) for item in items[:shown])
    if count <= shown:
        return f"{count:,} {name}: {first}" if count else f"no {name}"
    return f"{count:,} {name}, the first {shown}: {first}"
