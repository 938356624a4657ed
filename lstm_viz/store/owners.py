"""Whose a model made in the app is: its visitor's unless they share it (``owner.json`` in its folder).

A model trained or uploaded on the app's pages gets an ``owner.json`` beside its two files: the digest of
the visitor who made it (never the visitor's own secret), the class they were in when they made it (a
student's model is visible to that class's teacher, and to the class when the teacher shares the class's
models), and whether its owner shared it with everyone. A model without ``owner.json`` (the shipped ones,
one trained with the command line, or copied into the folder by hand) is everyone's, as before.
:func:`visible` says who sees what; the file is read as hostile (bounded, checked) like a card.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

OWNER = "owner.json"
MAX_BYTES = 1024
_HEX = re.compile(r"[0-9a-f]{64}")
_CODE = re.compile(r"[A-Z0-9]{1,16}")


def read(folder: Path) -> dict | None:
    """The folder's owner (``visitor``, ``class``, ``shared``), or None: a model everyone sees."""
    try:
        data = json.loads((Path(folder) / OWNER).read_bytes()[:MAX_BYTES])
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("visitor"), str) or not _HEX.fullmatch(data["visitor"]):
        return None
    code = data.get("class")
    return {
        "visitor": data["visitor"],
        "class": code if isinstance(code, str) and _CODE.fullmatch(code) else None,
        "shared": data.get("shared") is True,
    }


def claim(folder: Path, visitor: str, class_code: str | None = None, shared: bool = False) -> None:
    """Write the folder's owner (replacing it at once: a reader sees the old file or the new one)."""
    if not _HEX.fullmatch(visitor or ""):
        raise ValueError("a model's owner is a visitor's digest")
    entry = {"visitor": visitor, "class": class_code if class_code and _CODE.fullmatch(class_code) else None,
             "shared": bool(shared)}  # fmt: skip
    pending = Path(folder) / (OWNER + ".tmp")
    pending.write_text(json.dumps(entry), encoding="utf-8")
    os.replace(pending, Path(folder) / OWNER)


def share(folder: Path, shared: bool) -> None:
    """Share the model with everyone (or take it back)."""
    owner = read(folder)
    if owner is not None:
        claim(folder, owner["visitor"], owner["class"], shared)


def visible(folder: Path, shipped: bool, visitor: str, teaching: str | None, shared_class: str | None) -> bool:
    """Whether ``visitor`` sees this model: everyone's, theirs, shared, a student's of the class they teach,
    or a model of the class they are in whose teacher shared the class's models."""
    if shipped:
        return True
    owner = read(folder)
    if owner is None or owner["shared"] or owner["visitor"] == visitor:
        return True
    return owner["class"] is not None and owner["class"] in (teaching, shared_class)


def is_mine(folder: Path, visitor: str) -> bool:
    """Whether ``visitor`` may delete or share it: theirs, or everyone's (no owner)."""
    owner = read(folder)
    return owner is None or owner["visitor"] == visitor
