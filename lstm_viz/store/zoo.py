"""The model registry: shipped models in ``assets/models/`` and the user's own models.

``zoo.load(name)`` returns a :class:`LoadedModel` (module, tokenizer, card, labels, and
``.trace(text)``) for a listed name only; ``zoo.list()`` lists what can be loaded, and a developer
loads a model folder by its path with ``zoo.load_path(path)``. User models live in
``$LSTM_VIZ_HOME`` (default ``runs/`` in the working directory), one folder per model. A
shipped model's name wins over a user model of the same name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lstm_viz import paths
from lstm_viz.engine.network import SequenceModel
from lstm_viz.engine.tokenizers import CharTokenizer, Encoding, WordTokenizer, tokenizer_from_dict
from lstm_viz.engine.trace import Clamp, Trace, trace
from lstm_viz.messages import describe
from lstm_viz.store import checkpoint

ASSETS = paths.ASSETS
SHIPPED_DIR = ASSETS / "models"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Device names Windows reserves in every folder, whatever the case or extension ("nul.txt" too).
RESERVED_NAMES = frozenset({"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(10)})


def check_portable_name(name: str) -> str:
    """``name`` if it can name a folder on every system a model zip is unpacked on; else ValueError.

    Legal here but not on Windows: its reserved device names (``con``, ``nul``, ``com1``…, also
    with an extension such as ``aux.v2``) and names that end in a dot or a space.
    """
    if not isinstance(name, str):
        raise ValueError(f"invalid model name {describe(name)}: a name is a string")
    if name.split(".", 1)[0].lower() in RESERVED_NAMES:
        raise ValueError(
            f"{describe(name)} cannot name a model: Windows reserves {name.split('.', 1)[0]!r} for a device, "
            "so its zip could not be unpacked there; choose another name"
        )
    if name.endswith((".", " ")):
        raise ValueError(
            f"{describe(name)} cannot name a model: Windows drops a final dot or space, so its zip would "
            "unpack under another name; choose another name"
        )
    return name


def user_dir() -> Path:
    return Path(os.environ.get("LSTM_VIZ_HOME", "runs"))


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    card: dict
    shipped: bool

    @property
    def title(self) -> str:
        return self.card.get("title") or self.name


@dataclass(frozen=True)
class LoadedModel:
    name: str
    module: SequenceModel  # eval mode, no gradients: shared read-only by every page
    tokenizer: CharTokenizer | WordTokenizer
    card: dict
    path: Path | None = None

    @property
    def labels(self) -> list[str]:
        """Class names (classifiers) or the vocabulary (character LMs), in head order."""
        if self.card["task"] == "charlm":
            return [*self.tokenizer.vocab]
        return [*self.card["labels"]]

    @property
    def task(self) -> str:
        return self.card["task"]

    def encode(self, text: str) -> Encoding:
        return self.tokenizer.encode(text)

    def trace(self, text: str, max_tokens: int | None = None, clamp: Clamp | None = None) -> Trace:
        """Trace ``text``; ``max_tokens`` keeps only its first tokens. Empty text raises ValueError.

        ``clamp`` holds one unit's value at every step (see :mod:`lstm_viz.analysis.intervene`).
        """
        if max_tokens is not None and max_tokens < 1:  # a negative slice would silently drop the end
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        enc = self.tokenizer.encode(text)
        n = len(enc) if max_tokens is None else min(len(enc), max_tokens)
        if n == 0:
            raise ValueError("the text has no tokens to trace: type at least one character or word")
        return trace(
            self.module,
            np.asarray(enc.ids[:n]),
            tokens=enc.pieces[:n],
            output_labels=self.labels,
            unknown=[u for u in enc.unknown if u.position < n],
            spans=enc.spans[:n],
            clamp=clamp,
        )

    def generate(self, prime: str, length: int, **settings):
        """Generated text with its Trace and per-step distributions; see :func:`lstm_viz.generation.generate.generate`.

        ``settings``: temperature (1.0), top_k (None), greedy (False), seed (None: one is drawn and
        reported), style (None), on_step (None).
        """
        from lstm_viz.generation.generate import generate

        return generate(self, prime, length, **settings)

    @property
    def styles(self) -> list[str]:
        """The styles the model writes in (its card's ``styles``), empty for most models."""
        return [*(self.card.get("styles") or {})]


def _model_dirs() -> list[tuple[Path, bool]]:
    found = []
    for root, shipped in ((SHIPPED_DIR, True), (user_dir(), False)):
        if root.is_dir():
            found += [(p, shipped) for p in sorted(root.iterdir()) if (p / checkpoint.CARD).is_file()]
    return found


def list() -> list[ModelInfo]:  # noqa: A001 - the public API is zoo.list()
    """Every loadable model: shipped first, then user models; unreadable cards are skipped."""
    infos, seen = [], set()
    for path, shipped in _model_dirs():
        try:
            card = checkpoint.parse_card((path / checkpoint.CARD).read_bytes())
        except (ValueError, OSError):
            continue
        if path.name in seen or not (path / checkpoint.WEIGHTS).is_file():
            continue
        seen.add(path.name)
        infos.append(ModelInfo(path.name, path, card, shipped))
    return infos


def names() -> list[str]:
    return [info.name for info in list()]


def resolve(name: str) -> Path:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError(f"invalid model name {describe(name)}: use letters, digits, '.', '_' or '-'")
    for root in (SHIPPED_DIR, user_dir()):
        if (root / name / checkpoint.CARD).is_file():
            return root / name
    raise ValueError(f"no model named {name!r}; available: {', '.join(names()) or 'none'}")


def load_path(path: str | Path, name: str | None = None) -> LoadedModel:
    path = Path(path)
    module, card = checkpoint.load_dir(path)
    return LoadedModel(
        name or card.get("name") or path.name, module, tokenizer_from_dict(card["tokenizer"]), card, path
    )


def load(name: str) -> LoadedModel:
    """Load a shipped or user model by its listed name (see :func:`list`); never a path.

    Every name from a page, a link, a lesson or a scene comes through here, so ``../elsewhere/pm``
    is refused as an invalid name. A developer loads a folder with :func:`load_path`.
    """
    return load_path(resolve(name), name)


def load_name_or_folder(name: str) -> LoadedModel:
    """The command line's lookup: a listed name, or a model folder on this machine given as a path
    (the person typing the command owns the machine). Not for anything a page, a link or a file names."""
    if isinstance(name, str) and os.sep in name and Path(name).is_dir():
        return load_path(Path(name))
    return load(name)
