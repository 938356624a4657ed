"""card.json, read as hostile until checked: bounded parsing, every field's type and range, the shapes it implies.

:func:`parse_card` bounds the card's size, its nesting depth and the digits of its integers
before Python builds anything from it (a card nested 100,000 levels deep, or an integer of
thousands of digits, gets a message naming the field, not a RecursionError or Python's own
int-digits error); :func:`config_from_card` checks the type and range of every field, and the
parameter count they imply, before a tensor is allocated. :func:`expected_shapes` gives the exact
state_dict keys and shapes of the public checkpoint format (docs/architecture.md).
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from lstm_viz.engine import cell
from lstm_viz.engine.network import CELLS, TASKS, ModelConfig
from lstm_viz.engine.tokenizers import tokenizer_from_dict
from lstm_viz.messages import describe, has_lone_surrogate

MAX_WEIGHTS_BYTES = 64 * 1024 * 1024  # a model to inspect is small; larger is refused
MAX_CARD_BYTES = 4 * 1024 * 1024  # a card with a 100,000-word vocabulary is under 2 MB
MAX_CARD_DEPTH = 32  # nesting of JSON arrays and objects; our cards nest 4 deep
MAX_INT_DIGITS = 20  # a JSON integer longer than this is refused before Python converts it
REQUIRED_CARD_FIELDS = ("name", "task", "cell", "tokenizer", "embed_dim", "hidden_size", "num_layers")
SIZE_LIMITS = {"num_layers": 8, "hidden_size": 4096, "embed_dim": 4096}  # each from 1 to this
TEXT_LIMITS = {"name": 200, "title": 200, "description": 10_000}  # characters
OBJECT_FIELDS = ("metrics", "training", "uploaded")  # free-form, but the pages read them as objects
MAX_LABELS, MAX_LABEL_CHARS = 1000, 100
MAX_PARAMETERS = MAX_WEIGHTS_BYTES // 4  # float32: what a weights file within the limit can hold
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# A JSON string (possessive: one pass, also over an unterminated one), and what is not a bracket.
_JSON_STRING_RE = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
_SURROGATE_ESCAPE_RE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def expected_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The exact state_dict keys and shapes a model with this config has."""
    gates = cell.PACKED[config.cell]
    h = config.hidden_size
    shapes = {"embedding.weight": (config.vocab_size, config.embed_dim)}
    for k in range(config.num_layers):
        d = config.embed_dim if k == 0 else h
        for kind, shape in zip(cell.WEIGHTS, ((gates * h, d), (gates * h, h), (gates * h,), (gates * h,)), strict=True):
            shapes[cell.weight_key(kind, k)] = shape
    shapes["head.weight"] = (config.num_outputs, h)
    shapes["head.bias"] = (config.num_outputs,)
    return shapes


def parameter_count(config: ModelConfig) -> int:
    """Parameters of a model with this config, from its shapes alone (nothing is allocated)."""
    return sum(math.prod(shape) for shape in expected_shapes(config).values())


# --- reading a card -------------------------------------------------------------------------


class _LongNumber:
    """Stands in for a JSON integer of too many digits, so the message can name its field."""

    def __init__(self, digits: int):
        self.digits = digits


def _nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text``, without parsing (no recursion)."""
    brackets = _NOT_BRACKET_RE.sub("", _JSON_STRING_RE.sub("", text))
    codes = np.frombuffer(brackets.encode("ascii"), np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), np.int8(1), np.int8(-1))
    return int(np.cumsum(steps, dtype=np.int32).max(initial=0))


def _field_path(path: tuple) -> str:
    """('tokenizer', 'vocab', 3) -> 'tokenizer.vocab[3]'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the card"


def _find(value, bad) -> tuple[tuple, object] | None:
    """(path, item) of the first key or value for which ``bad`` is true, walking without recursion."""
    stack = [((), value)]
    while stack:
        path, item = stack.pop()
        if bad(item):
            return path, item
        if isinstance(item, dict):
            for key, child in item.items():
                if bad(key):
                    return (*path, key), key
                stack.append(((*path, key), child))
        elif isinstance(item, list):
            stack.extend(((*path, i), child) for i, child in enumerate(item))
    return None


def _has_surrogate(value) -> bool:
    return isinstance(value, str) and has_lone_surrogate(value)


def surrogate_error(card) -> ValueError:
    path, text = _find(card, _has_surrogate)
    return ValueError(f"card.json: {_field_path(path)} holds a lone surrogate ({describe(text)}), which is not text")


def _object(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"card.json has the field {describe(key)} twice in one object")
            seen.add(key)
    return obj


def parse_card(data: bytes | str) -> dict:
    """The card as a dict, refusing what is not safe to build: too large, too deep, huge integers, lone surrogates."""
    if len(data) > MAX_CARD_BYTES:
        raise size_error("card.json", len(data), MAX_CARD_BYTES)
    try:
        text = data if isinstance(data, str) else data.decode(json.detect_encoding(data))
    except UnicodeDecodeError as err:
        raise ValueError(f"card.json is not valid JSON ({err})") from None
    depth = _nesting_depth(text)
    if depth > MAX_CARD_DEPTH:
        raise ValueError(f"card.json nests arrays or objects {depth:,} levels deep; the limit is {MAX_CARD_DEPTH}")
    long_numbers = []  # Python's own refusal (over 4,300 digits) would name neither the file nor the field

    def parse_int(digits: str) -> int | _LongNumber:
        if len(digits.lstrip("-")) <= MAX_INT_DIGITS:
            return int(digits)
        long_numbers.append(_LongNumber(len(digits.lstrip("-"))))
        return long_numbers[-1]

    try:
        card = json.loads(text, parse_int=parse_int, object_pairs_hook=_object)
    except json.JSONDecodeError as err:
        raise ValueError(f"card.json is not valid JSON ({err})") from None
    except RecursionError:  # not reached after the depth check; kept so no input can give a traceback
        raise ValueError(f"card.json nests too deep; the limit is {MAX_CARD_DEPTH} levels") from None
    if not isinstance(card, dict):
        raise ValueError(f"card.json must hold a JSON object, got {describe(card)}")
    if long_numbers:
        path, number = _find(card, lambda v: isinstance(v, _LongNumber))
        raise ValueError(
            f"card.json: {_field_path(path)} is a whole number of {number.digits:,} digits; "
            f"at most {MAX_INT_DIGITS} are accepted"
        )
    # Valid pairs (an emoji written as two escapes) decode to one character; only lone ones remain.
    if (_SURROGATE_ESCAPE_RE.search(text) or has_lone_surrogate(text)) and _find(card, _has_surrogate):
        raise surrogate_error(card)
    return card


def _whole(card: dict, name: str, low: int, high: int) -> int:
    value = card[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"card.json: {name} must be a whole number from {low:,} to {high:,}, got {describe(value)}")
    return value


def _labels(card: dict) -> list[str]:
    labels = card.get("labels")
    if (
        not isinstance(labels, list)
        or not 2 <= len(labels) <= MAX_LABELS
        or not all(isinstance(x, str) and 0 < len(x) <= MAX_LABEL_CHARS for x in labels)
    ):
        raise ValueError(
            f"card.json: labels must list 2 to {MAX_LABELS:,} class names, each a string of 1 to "
            f"{MAX_LABEL_CHARS} characters, for a {card['task']} model; got {describe(labels)}"
        )
    if len(set(labels)) != len(labels):
        twice = next(x for i, x in enumerate(labels) if x in labels[:i])
        raise ValueError(f"card.json: labels must be different from each other, but {describe(twice)} is there twice")
    return labels


def config_from_card(card: dict) -> ModelConfig:
    """Check every field's type and range, and the size they imply, then return the ModelConfig.

    Nothing is built before the sizes are known to fit: a card asking for a million units is
    refused here, not after gigabytes are allocated.
    """
    if not isinstance(card, dict):
        raise ValueError(f"card.json must hold a JSON object, got {describe(card)}")
    for name in REQUIRED_CARD_FIELDS:
        if name not in card:
            raise ValueError(f"card.json is missing the field {name!r}")
    for name, limit in TEXT_LIMITS.items():
        value = card.get(name, "")
        if not isinstance(value, str) or len(value) > limit:
            raise ValueError(
                f"card.json: {name} must be a string of at most {limit:,} characters, got {describe(value)}"
            )
    for name, choices in (("task", TASKS), ("cell", CELLS)):
        if card[name] not in choices:
            raise ValueError(
                f"card.json: {name} must be one of {', '.join(map(repr, choices))}, got {describe(card[name])}"
            )
    sizes = {name: _whole(card, name, 1, limit) for name, limit in SIZE_LIMITS.items()}
    for name in OBJECT_FIELDS:
        if card.get(name) is not None and not isinstance(card[name], dict):
            raise ValueError(f"card.json: {name} must be an object, got {describe(card[name])}")
    if card.get("num_parameters") is not None:
        _whole(card, "num_parameters", 0, 10**12)
    digest = card.get("weights_sha256")
    if digest is not None and not (isinstance(digest, str) and _SHA256_RE.match(digest)):
        raise ValueError(f"card.json: weights_sha256 must be 64 lowercase hex digits, got {describe(digest)}")
    tokenizer = tokenizer_from_dict(card["tokenizer"])
    labels = _labels(card) if card["task"] != "charlm" or card.get("labels") is not None else None
    num_outputs = len(tokenizer) if card["task"] == "charlm" else len(labels)
    config = ModelConfig(
        vocab_size=len(tokenizer), num_outputs=num_outputs, task=card["task"], cell=card["cell"], **sizes
    )
    count = parameter_count(config)
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"card.json describes a model of {count:,} parameters ({count * 4 / 2**20:,.0f} MB as float32); "
            f"the limit is {MAX_PARAMETERS:,} ({MAX_WEIGHTS_BYTES // 2**20} MB)"
        )
    return config


# --- reading weights and pairs --------------------------------------------------------------


def size_error(what: str, size: int, limit: int) -> ValueError:
    return ValueError(f"{what} is {size / 2**20:.1f} MB; the limit is {limit // 2**20} MB")
