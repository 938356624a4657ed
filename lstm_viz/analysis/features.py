"""Features of a text, one number per token, for finding the units that track them.

A feature is computed on the characters of the text and read back at each token through the
token's span, so it works for character and word models alike. Built-ins (``FEATURES``) cover the
interpretable cells of Karpathy, Johnson and Fei-Fei (2015) and the brackets task; any regular
expression is a feature too (1 inside a match, 0 elsewhere). Bad input gets a ValueError with a
message a page can show: an invalid pattern, one that matches nothing, one that matches everything.

A typed pattern runs on RE2 (``google-re2``), whose matching time grows linearly with the text:
no pattern can backtrack for ever (``(a+)+$`` on a long run of a's takes milliseconds, where
Python's ``re`` never finishes). RE2 refuses what needs backtracking: backreferences (``\\1``,
``(?P=name)``), lookarounds (``(?=…)``, ``(?!…)``, ``(?<=…)``, ``(?<!…)``), possessive and atomic
repeats (``a++``, ``(?>…)``), conditionals, ``\\Z``; and repetition counts above 1,000 (``a{1001}``).
Its ``\\w``, ``\\d`` and ``\\b`` are ASCII-only.
"""

from __future__ import annotations

import re

import numpy as np
import re2

from lstm_viz import messages
from lstm_viz.analysis import agreement

MAX_PATTERN = 200  # characters of a regular expression typed on a page
MAX_REPEAT = 1000  # the largest repetition count RE2 takes ({n}, {n,m})
MAX_PATTERN_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern
REFUSED = (
    "patterns run in linear time (RE2 syntax), so backreferences (\\1), lookarounds ((?=…), (?<=…)), possessive "
    "or atomic repeats (a++, (?>…)) and repetition counts above 1,000 are refused"
)
_REPEAT = re.compile(r"(?<!\\)\{(\d+)(?:,(\d*))?\}")
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the reason goes into the message, not onto the server's stderr
_OPTIONS.max_mem = MAX_PATTERN_MEMORY


def _quotes(text: str) -> np.ndarray:
    inside, out = False, np.zeros(len(text))
    for k, char in enumerate(text):
        if char == '"':
            inside = not inside
        out[k] = inside
    return out


def _depth(text: str) -> np.ndarray:
    depth, out = 0, np.zeros(len(text))
    for k, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        out[k] = depth
    return out


def _line_position(text: str) -> np.ndarray:
    out, column = np.zeros(len(text)), 0
    for k, char in enumerate(text):
        out[k] = column
        column = 0 if char == "\n" else column + 1
    return out


def _after_newline(text: str) -> np.ndarray:
    return np.array([k > 0 and text[k - 1] == "\n" for k in range(len(text))], dtype=float)


def _capital(text: str) -> np.ndarray:
    return np.array([c.isupper() for c in text], dtype=float)


def _speaker_line(text: str) -> np.ndarray:
    """1 on lines that name a speaker, as in a play: ``ROMEO:`` alone on its line."""
    out = np.zeros(len(text))
    for found in re.finditer(r"(?m)^[A-Z][A-Z '.-]*:[ \t]*$", text):
        out[found.start() : found.end()] = 1
    return out


def _word_start(text: str) -> np.ndarray:
    return np.array([c.isalpha() and (k == 0 or not text[k - 1].isalpha()) for k, c in enumerate(text)], dtype=float)


_FEMALE = frozenset({b for _, b in agreement.GENDER_PAIRS} | {"her", "hers", "herself"})
_MALE = frozenset({a for a, _ in agreement.GENDER_PAIRS} | {"his", "him", "himself"}) - _FEMALE


def _female_subject(text: str) -> np.ndarray:
    """1 from a female word (she, her, queen, Mrs, ...) until the next male one (he, his, king, Mr, ...), else 0."""
    out, female, last = np.zeros(len(text)), 0.0, 0
    for found in re.finditer(r"[A-Za-z]+", text):
        word = found.group().lower()
        if word in _FEMALE or word in _MALE:
            out[last : found.start()] = female
            female, last = float(word in _FEMALE), found.start()
    out[last:] = female
    return out


FEATURES = {  # name -> (what it is, per-character function)
    "inside_quotes": ("inside double quotes", _quotes),
    "bracket_depth": ("nesting depth of brackets", _depth),
    "line_position": ("position in the line (characters since the last newline)", _line_position),
    "after_newline": ("the first character of a line", _after_newline),
    "capital": ("a capital letter", _capital),
    "speaker_line": ("a line naming a speaker (ROMEO:)", _speaker_line),
    "word_start": ("the first letter of a word", _word_start),
    "female_subject": ("a female subject (the last gendered word was she, her, queen, Mrs ...)", _female_subject),
}


def _why(reason: str) -> str:
    """The engine's reason, with what a Python user would have meant by it."""
    if "perl operator" in reason and any(p in reason for p in ("(?=", "(?!", "(?<")):
        return f"{reason} (lookaround)"
    if "escape sequence: \\" in reason and reason[-1:].isdigit():
        return f"{reason} (backreferences are not supported)"
    if "(?P" in reason:
        return f"{reason} (backreferences by name are not supported)"
    return reason


def compile_pattern(pattern: str):
    """``pattern`` compiled by RE2; ValueError (bounded, saying why) for anything the engine refuses."""
    if not pattern:
        raise ValueError("type a regular expression, e.g. [A-Z]+ or \\bthe\\b")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"the pattern has {len(pattern):,} characters; at most {MAX_PATTERN} are allowed")
    shown = messages.cut(pattern, 60)
    for found in _REPEAT.finditer(pattern):  # RE2 would read a{99999999999} as plain text: say so instead
        if any(n and (len(n) > 4 or int(n) > MAX_REPEAT) for n in found.groups()):
            raise ValueError(
                f"{shown!r}: the repetition {messages.cut(found.group(), 24)} is too large; "
                f"repetition counts go up to {MAX_REPEAT:,}"
            )
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as err:
        reason = err.args[0].decode("utf-8", "replace") if err.args and isinstance(err.args[0], bytes) else str(err)
        raise ValueError(
            f"{shown!r} is not a valid regular expression here: {messages.cut(_why(reason), 80)}; {REFUSED}"
        ) from None
    except (UnicodeError, TypeError, OverflowError, MemoryError) as err:
        raise ValueError(f"{shown!r} is not a valid regular expression here: {messages.cut(str(err), 80)}") from None


def regex_feature(text: str, pattern: str) -> np.ndarray:
    """1.0 at every character inside a match of ``pattern``, 0.0 elsewhere; ValueError for a bad pattern.

    Linear in the text's length for every pattern (RE2); positions are characters, not bytes.
    """
    compiled = compile_pattern(pattern)
    out = np.zeros(len(text))
    try:
        for found in compiled.finditer(text):
            out[found.start() : max(found.end(), found.start() + 1)] = 1
    except (UnicodeError, re2.error, MemoryError) as err:
        raise ValueError(f"this text cannot be searched: {messages.cut(str(err), 80)}") from None
    return out


def per_token(per_char: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """A per-character feature read at each token: its value at the token's last character."""
    if not spans:
        raise ValueError("the text has no tokens")
    return np.array([per_char[max(start, end - 1)] if end > start else 0.0 for start, end in spans])


def feature(text: str, spans: list[tuple[int, int]], name: str | None = None, pattern: str | None = None) -> np.ndarray:
    """The feature ``name`` (one of FEATURES) or the regular expression ``pattern``, one value per token.

    ValueError when the feature matches nothing or every token (there is nothing to correlate then).
    """
    if (name is None) == (pattern is None):
        raise ValueError("give a built-in feature or a regular expression")
    if name is not None and name not in FEATURES:
        raise ValueError(f"unknown feature {name!r}; choose one of {', '.join(FEATURES)}")
    values = per_token(FEATURES[name][1](text) if name else regex_feature(text, pattern), spans)
    what = FEATURES[name][0] if name else f"the pattern {pattern[:60]!r}"
    if not values.any():
        raise ValueError(f"{what} occurs nowhere in this text: type a text where it does")
    if np.all(values == values[0]):
        raise ValueError(f"{what} holds at every token of this text: nothing to compare it with")
    return values


# yes/no features, and what a unit that reacts at them reacts to
BINARY = {
    "word_start": "word starts",
    "after_newline": "line starts",
    "capital": "capital letters",
    "speaker_line": "speaker names",
    "inside_quotes": "quoted text",
}


def common_feature(text: str, spans: list[tuple[int, int]], steps) -> tuple[str, float, float] | None:
    """The yes/no feature that most of ``steps`` share: (its name in BINARY, share of those steps, share of all).

    None when no feature holds at 70% or more of them and at least twice as often as in the text overall.
    """
    steps = np.asarray(steps, dtype=int)
    if len(steps) < 2:
        return None
    best = None
    for name in BINARY:
        values = per_token(FEATURES[name][1](text), spans)
        share, base = float(values[steps].mean()), float(values.mean())
        if share >= 0.7 and share >= 2 * base and (best is None or share - base > best[1] - best[2]):
            best = (name, share, base)
    return best


def repeated_words(text: str) -> float:
    """The share of the words of ``text`` that repeat a word written before them (0 for a text without words)."""
    words = re.findall(r"[a-z']+", text.lower())
    seen: set[str] = set()
    again = 0
    for word in words:
        again += word in seen
        seen.add(word)
    return again / len(words) if words else 0.0
