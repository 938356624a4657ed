"""A new model's folder, claimed by the training run that will write it, across every server process.

Replicas of a deployment (docs/scale.md) share one user model folder but not their job lists, so
a name is claimed on disk: ``os.mkdir`` of the model's folder, which exactly one process can win,
then a marker file inside it naming the process. While the marker is there, the name counts as
taken everywhere, even before the run's first save. The marker goes when the run ends; a run that
saved nothing leaves no folder. A claim whose process is gone (a server killed mid-run) is stale,
and the next check of that name clears it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
from pathlib import Path

from lstm_viz.store import checkpoint

MARKER = ".training.json"  # inside the claimed folder; never part of a model (export takes two files)
UNMARKED_GRACE_S = 60.0  # a folder with neither model nor marker younger than this may be a claim being made
FOREIGN_STALE_S = 7 * 24 * 3600.0  # a claim by another machine cannot be checked; after a week it is stale


def _has_model(folder: Path) -> bool:
    return (folder / checkpoint.WEIGHTS).is_file() or (folder / checkpoint.CARD).is_file()


def _read_marker(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MARKER).read_bytes()[:4096])
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(claim: dict) -> bool:
    pid, host, started = claim.get("pid"), claim.get("host"), claim.get("started")
    if not isinstance(pid, int) or not isinstance(started, int | float):
        return False
    if host != socket.gethostname():
        return time.time() - started < FOREIGN_STALE_S
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user: alive
        return True
    return True


def held(folder: Path) -> bool:
    """Whether a live training run, in this process or another, has claimed ``folder``."""
    claim = _read_marker(folder)
    return claim is not None and _alive(claim)


def clear_if_stale(folder: Path) -> None:
    """Remove a claim whose process is gone, and the folder with it when it holds no model."""
    if not folder.is_dir() or held(folder):
        return
    if (folder / MARKER).exists():
        (folder / MARKER).unlink(missing_ok=True)
    elif _has_model(folder) or time.time() - folder.stat().st_mtime < UNMARKED_GRACE_S:
        return
    if not _has_model(folder):
        shutil.rmtree(folder, ignore_errors=True)


def claim(folder: Path) -> None:
    """Claim ``folder`` for a new model; ValueError when a model or another run already has it."""
    clear_if_stale(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(folder)
    except FileExistsError:
        busy = held(folder)
        what = "is being trained right now" if busy else "already exists"
        raise ValueError(f"a model called {folder.name!r} {what}; choose another name") from None
    marker = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    checkpoint.write_file(folder, MARKER, json.dumps(marker).encode())


def release(folder: Path) -> None:
    """End this run's claim; a folder the run saved no model into is removed."""
    with contextlib.suppress(OSError):
        (folder / MARKER).unlink(missing_ok=True)
    if folder.is_dir() and not _has_model(folder):
        shutil.rmtree(folder, ignore_errors=True)
