"""The user's own models: install an uploaded one, export one as a zip, delete one.

User models live in ``zoo.user_dir()`` (``$LSTM_VIZ_HOME``, default ``runs/``), one folder
per model holding ``model.safetensors`` + ``card.json`` (the public format, docs/architecture.md).

An upload is either a ``.zip`` holding those two files (at its top or in one folder) or the
two files themselves. Everything is checked in memory first (size limits, zip entry names
and sizes, pickle files refused, :func:`lstm_viz.store.checkpoint.build_model` for keys, shapes,
vocabulary and NaN); only then is anything written, into a staging folder that is renamed
into place in one step. A failed upload (or a full disk) leaves no folder behind. Each fault
raises ``ValueError`` with a short message for the person who uploaded the file: the card is
parsed with bounded size, depth and digits (:func:`lstm_viz.store.checkpoint.parse_card`), file names
are quoted cut, and a model's name must also be portable (:func:`lstm_viz.store.zoo.check_portable_name`),
since models leave as zips.

Deleting only ever removes a folder directly inside the user folder; shipped models in
``assets/models`` are never touched.
"""

from __future__ import annotations

import io
import lzma
import os
import shutil
import tempfile
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from lstm_viz.messages import describe, storable
from lstm_viz.store import checkpoint, reservation, zoo

MAX_CARD_BYTES = checkpoint.MAX_CARD_BYTES
MAX_UPLOAD_BYTES = checkpoint.MAX_WEIGHTS_BYTES + MAX_CARD_BYTES  # one zip, or the two files together
MAX_ZIP_ENTRIES = 16
STAGING = ".staging"  # inside the user folder: same file system, so the final rename is atomic
# What zipfile and its decompressors raise for a damaged archive (a hostile one is damaged on purpose).
ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError)
ZIP_ERRORS += (zlib.error, lzma.LZMAError)  # deflate and lzma streams; bzip2 raises OSError

CONVERT_HINT = (
    "Pickle files (.pt, .pth, .bin, .pkl) can run arbitrary code when loaded, so they are never "
    "opened here. Convert it where you trust it: load it with torch.load, then "
    "safetensors.torch.save_file(model.state_dict(), 'model.safetensors') and write a card.json "
    "(see the README: 'Bring your own model')."
)


def _refuse_pickle(filename: str) -> None:
    if filename.lower().endswith(checkpoint.PICKLE_SUFFIXES):
        raise ValueError(f"{storable(filename, 80)} is a PyTorch pickle file. {CONVERT_HINT}")


def _read_zip(data: bytes) -> dict[str, bytes]:
    """The model files inside a zip, checking every entry before reading it (no bombs, no paths)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except ZIP_ERRORS as err:
        raise ValueError(f"the zip file cannot be read ({describe(str(err))})") from None
    files = [e for e in entries if not e.is_dir()]
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ValueError(f"the zip holds {len(entries)} entries; a model zip holds model.safetensors and card.json")
    found: dict[str, bytes] = {}
    for entry in files:
        path = PurePosixPath(entry.filename.replace("\\", "/"))
        if not path.parts:
            raise ValueError(f"the zip contains an entry without a name ({describe(entry.filename)})")
        if entry.filename.startswith(("/", "\\")) or ".." in path.parts or (path.parts and ":" in path.parts[0]):
            raise ValueError(f"the zip contains an unsafe path {describe(entry.filename)}; it was not unpacked")
        if len(path.parts) > 2:
            raise ValueError(
                f"the zip has {describe(entry.filename)} nested too deep; put the files at its top or in one folder"
            )
        _refuse_pickle(path.name)
        if path.name.startswith(".") or path.parts[0] == "__MACOSX":
            continue  # Finder's metadata files
        if path.name not in (checkpoint.WEIGHTS, checkpoint.CARD):
            raise ValueError(
                f"the zip contains {describe(entry.filename)}; a model zip holds only model.safetensors and card.json"
            )
        if path.name in found:
            raise ValueError(f"the zip contains {path.name} twice")
        limit = checkpoint.MAX_WEIGHTS_BYTES if path.name == checkpoint.WEIGHTS else MAX_CARD_BYTES
        if entry.file_size > limit:
            raise ValueError(
                f"{path.name} in the zip unpacks to {entry.file_size / 2**20:.1f} MB; the limit is {limit // 2**20} MB"
            )
        try:
            with archive.open(entry) as f:
                content = f.read(limit + 1)  # never trust the declared size alone
        except ZIP_ERRORS as err:
            raise ValueError(f"{path.name} in the zip cannot be read ({describe(str(err))})") from None
        if len(content) > limit:
            raise ValueError(f"{path.name} in the zip unpacks to more than {limit // 2**20} MB; it was refused")
        found[path.name] = content
    return found


def collect(uploads: list[tuple[str, bytes]]) -> dict[str, bytes]:
    """``{"model.safetensors": ..., "card.json": ...}`` from uploaded (filename, bytes) pairs."""
    if not uploads:
        raise ValueError("upload a .zip, or model.safetensors together with card.json")
    for filename, _ in uploads:
        _refuse_pickle(filename)
    total = sum(len(data) for _, data in uploads)
    if total > MAX_UPLOAD_BYTES:
        raise ValueError(f"the upload is {total / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB")
    zips = [(f, d) for f, d in uploads if f.lower().endswith(".zip")]
    if zips:
        if len(uploads) > 1:
            raise ValueError("upload either one .zip or the two files model.safetensors and card.json, not both")
        files = _read_zip(zips[0][1])
    else:
        files = {}
        for filename, data in uploads:
            kind = checkpoint.CARD if filename.lower().endswith(".json") else None
            kind = kind or (checkpoint.WEIGHTS if filename.lower().endswith(".safetensors") else None)
            if kind is None:
                raise ValueError(
                    f"{storable(filename, 80)}: expected model.safetensors and card.json (or a .zip holding both)"
                )
            if kind in files:
                raise ValueError(f"two {'.json' if kind == checkpoint.CARD else '.safetensors'} files were uploaded")
            files[kind] = data
    missing = [n for n in (checkpoint.WEIGHTS, checkpoint.CARD) if n not in files]
    if missing:
        raise ValueError(f"{' and '.join(missing)} missing: a model needs both model.safetensors and card.json")
    return files


def validate(files: dict[str, bytes]) -> dict:
    """Check the weights against the card (keys, shapes, vocabulary, finite); the parsed card."""
    card = checkpoint.parse_card(files[checkpoint.CARD])  # bounded: size, depth, digits, surrogates
    checkpoint.config_from_card(card)  # the card's own faults first: they explain the weights' ones
    checkpoint.check_pair(files[checkpoint.WEIGHTS], card)
    state = checkpoint.read_weights(files[checkpoint.WEIGHTS])
    checkpoint.build_model(state, card)
    return card


def install(uploads: list[tuple[str, bytes]], name: str | None = None, owner=None) -> zoo.ModelInfo:
    """Validate an upload and write it as a new user model; nothing is written unless it is valid.
    ``owner(folder)`` marks whose it is (:mod:`lstm_viz.store.owners`) before it appears in the folder."""
    from lstm_viz.training.runspec import check_new_name

    files = collect(uploads)
    card = validate(files)
    name = check_new_name(name or str(card.get("name", "")).strip() or "uploaded-model")
    card = {
        **card,
        "name": name,
        "uploaded": {"at": datetime.now(UTC).isoformat(timespec="seconds"), "files": [storable(f) for f, _ in uploads]},
    }
    root = zoo.user_dir()
    (root / STAGING).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root / STAGING, prefix=f"{name}."))
    try:
        (staging / checkpoint.WEIGHTS).write_bytes(files[checkpoint.WEIGHTS])
        checkpoint.write_card(card, staging)
        if owner is not None:
            owner(staging)
        target = root / name
        if target.exists():  # lost a race with another upload of the same name
            raise ValueError(f"a model called {name!r} already exists; choose another name")
        os.rename(staging, target)
    except OSError as err:  # disk full, read-only folder: the page shows ValueError messages
        raise ValueError(f"could not write the model ({err.strerror or err}); nothing was added") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return zoo.ModelInfo(name, target, card, shipped=False)


def user_model_path(name: str) -> Path:
    """The folder of user model ``name``; refuses bad names, shipped models and missing ones."""
    if not isinstance(name, str) or not zoo.NAME_RE.match(name) or name in (".", ".."):
        raise ValueError(f"invalid model name {str(name)[:80]!r}")
    root = zoo.user_dir().resolve()
    path = (root / name).resolve()
    if path.parent != root or not path.is_dir():
        if (zoo.SHIPPED_DIR / name).is_dir():
            raise ValueError(f"{name!r} is a shipped model; only your own models can be changed or deleted")
        raise ValueError(f"there is no user model called {name!r}")
    if (zoo.SHIPPED_DIR / name).is_dir():
        raise ValueError(f"{name!r} is a shipped model; only your own models can be changed or deleted")
    return path


def export_zip(name: str) -> bytes:
    """A user model as a zip holding ``name/model.safetensors`` and ``name/card.json``."""
    pair = checkpoint.read_pair(user_model_path(name))  # never half of one save and half of the next
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}/{checkpoint.WEIGHTS}", pair.weights)
        archive.writestr(f"{name}/{checkpoint.CARD}", pair.card_data)
    return buffer.getvalue()


def delete(name: str) -> None:
    """Remove a user model's folder (never a shipped model, never one being trained)."""
    from lstm_viz.training.jobs import manager

    path = user_model_path(name)
    if name in manager().training_names() or reservation.held(path):  # here, or on a replica sharing the folder
        raise ValueError(f"{name!r} is being trained right now; stop the run before deleting it")
    root = zoo.user_dir()
    (root / STAGING).mkdir(parents=True, exist_ok=True)
    trash = Path(tempfile.mkdtemp(dir=root / STAGING, prefix=f"deleted-{name}."))
    os.rename(path, trash / name)  # one step: the picker never sees half a model
    shutil.rmtree(trash, ignore_errors=True)
