"""Save and load models as ``model.safetensors`` + ``card.json``, validating every field.

The format is public (docs/architecture.md): a plain state_dict in safetensors with exactly the keys of
:class:`~lstm_viz.engine.network.SequenceModel`, and a JSON card describing it. Nothing is ever
unpickled. Every fault raises ``ValueError`` with a message that names the problem (and the
card field), because the app shows it to whoever uploaded the file; messages that quote user
data are bounded (:mod:`lstm_viz.messages`).

A card is hostile until checked: :mod:`lstm_viz.store.card` parses and checks it before anything is built.

Crash safety. The pair is written so that a reader, or the next run after a crash (SIGKILL
included), always finds a consistent pair: the card records the sha256 of the weights it
describes (``weights_sha256``); a save writes the new card aside (``.card.json.next``), then
replaces the weights, then moves the new card into place, each step an atomic rename. A
reader that finds the live card naming other weights takes the card waiting aside, which
names the new ones. A failed write (disk full, read-only folder) raises :class:`SaveError`
and leaves the previous pair in place (a hard link keeps the old weights until the new card
is in place, so even a failure of the last rename is undone).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from lstm_viz.engine.network import ModelConfig, SequenceModel
from lstm_viz.messages import count_and_first, describe
from lstm_viz.store.card import (  # noqa: F401 - parse_card and config_from_card are read through this module too
    MAX_CARD_BYTES,
    MAX_WEIGHTS_BYTES,
    config_from_card,
    expected_shapes,
    parameter_count,
    parse_card,
    size_error,
    surrogate_error,
)

WEIGHTS = "model.safetensors"
CARD = "card.json"
PENDING_CARD = ".card.json.next"  # the card of weights being saved; see the module docstring
TEMP_PREFIX = ".tmp-"  # files being written; a crash can leave them, the next save removes them
PREVIOUS_WEIGHTS = ".model.safetensors.prev"  # kept during a save, to undo it if the card cannot follow
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt")


class SaveError(OSError, ValueError):
    """Writing a model failed (disk full, read-only folder); the pair already there is unchanged.

    An OSError for code that handles the disk, and a ValueError, the error this project shows
    as it is (pages, training jobs, the command line). ``str()`` is the whole message,
    ``strerror`` the system's reason alone ("No space left on device").
    """

    def __init__(self, path: Path, cause: OSError):
        reason = cause.strerror or str(cause) or type(cause).__name__
        super().__init__(
            f"could not save the model in {path} ({reason}); the model already there, if any, is unchanged"
        )
        self.strerror = reason


def validate_state_dict(state: dict[str, torch.Tensor], config: ModelConfig) -> None:
    """Raise ValueError naming the first fault: keys, vocabulary size, shapes, dtype, NaN/inf."""
    expected = expected_shapes(config)
    missing = [key for key in expected if key not in state]  # in layer order: the first names the fault best
    extra = sorted(set(state) - set(expected))
    if missing:
        raise ValueError(
            f"the weights are missing {count_and_first(missing, 'key')} (expected nn.LSTM / nn.RNN naming, see README)"
        )
    if extra:
        raise ValueError(f"the weights have {count_and_first(extra, 'unexpected key')}")
    rows = state["embedding.weight"].shape[0] if state["embedding.weight"].dim() == 2 else None
    if rows is not None and rows != config.vocab_size:
        raise ValueError(
            f"vocabulary size mismatch: the card's tokenizer has {config.vocab_size} tokens "
            f"but embedding.weight has {rows} rows"
        )
    for key, shape in expected.items():
        tensor = state[key]
        if tuple(tensor.shape) != shape:
            raise ValueError(f"wrong shape for {key}: expected {shape}, got {tuple(tensor.shape)}")
        if not tensor.is_floating_point():
            raise ValueError(f"{key} must hold floating-point numbers, got {tensor.dtype}")
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{key} contains NaN or infinite values")


def read_weights(data: bytes) -> dict[str, torch.Tensor]:
    """Parse safetensors bytes; anything else (a pickle, a zip, text) is refused."""
    if len(data) > MAX_WEIGHTS_BYTES:
        raise size_error("the weights file", len(data), MAX_WEIGHTS_BYTES)
    if data[:2] == b"PK" or data[:1] == b"\x80":
        raise ValueError(
            "this looks like a PyTorch pickle (torch.save), which can run code when loaded and is "
            "never opened here; save the state_dict with safetensors.torch.save_file instead (see README)"
        )
    try:
        return load_safetensors_bytes(data)
    except (SafetensorError, ValueError, OSError, RuntimeError) as err:
        raise ValueError(f"the weights file is not a valid safetensors file ({describe(str(err))})") from None


def weights_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _belongs(card, digest: str) -> bool:
    """Whether ``card`` describes the weights of this sha256 (a card without one describes any)."""
    return isinstance(card, dict) and card.get("weights_sha256") in (None, digest)


def check_pair(weights: bytes, card: dict) -> None:
    """Refuse a card whose ``weights_sha256`` names other weights than these."""
    digest = weights_sha256(weights)
    if not _belongs(card, digest):
        raise ValueError(
            f"card.json belongs to other weights: its weights_sha256 is {describe(card['weights_sha256'])}, "
            f"model.safetensors has {digest}"
        )


def build_model(state: dict[str, torch.Tensor], card: dict) -> SequenceModel:
    """Validate card and weights together and return an eval-mode model with no gradients."""
    config = config_from_card(card)
    validate_state_dict(state, config)
    module = SequenceModel(config)
    module.load_state_dict({k: v.float() for k, v in state.items()})
    module.eval()
    module.requires_grad_(False)
    return module


def _read_bounded(path: Path) -> bytes:
    """A weights file or card, refused by its size before it is read into memory."""
    what, limit = ("the weights file", MAX_WEIGHTS_BYTES) if path.name == WEIGHTS else ("card.json", MAX_CARD_BYTES)
    size = path.stat().st_size
    if size > limit:
        raise size_error(what, size, limit)
    return path.read_bytes()


class Pair(NamedTuple):
    """A consistent weights file and card, as read from a model folder."""

    weights: bytes  # model.safetensors
    card_data: bytes  # card.json as stored
    card: dict  # card.json parsed (not yet checked: see config_from_card)


def _resolve(folder: Path) -> tuple[Pair, Path] | None:
    """A consistent pair in ``folder`` and the file its card came from, or None if there is none now."""
    if not (folder / WEIGHTS).is_file():
        raise ValueError(f"{folder} has no {WEIGHTS}")
    if not (folder / CARD).is_file() and not (folder / PENDING_CARD).is_file():
        raise ValueError(f"{folder} has no {CARD}")
    weights = _read_bounded(folder / WEIGHTS)
    digest = weights_sha256(weights)
    if (folder / CARD).is_file():
        data = _read_bounded(folder / CARD)
        card = parse_card(data)  # a fault of the card itself is the reader's to see
        if _belongs(card, digest):
            return Pair(weights, data, card), folder / CARD
    try:  # the card waiting aside, if it names exactly these weights
        data = _read_bounded(folder / PENDING_CARD)
        card = parse_card(data)
    except (OSError, ValueError):
        return None
    return (Pair(weights, data, card), folder / PENDING_CARD) if card.get("weights_sha256") == digest else None


def read_pair(path: str | Path, attempts: int = 3) -> Pair:
    """The weights and the card that describes them, from model folder ``path``.

    The live card describes the live weights, except between the two renames of a save (or
    after a crash there): then the card waiting aside does. Reading again covers a save that
    completes while this reads.
    """
    path = Path(path)
    for attempt in range(attempts):
        found = _resolve(path)
        if found is not None:
            return found[0]
        if attempt < attempts - 1:
            time.sleep(0.05 * (attempt + 1))
    raise ValueError(
        f"{path}: card.json and model.safetensors are from different saves (the card's weights_sha256 names "
        "other weights); the folder holds a half-written model"
    )


def load_dir(path: str | Path) -> tuple[SequenceModel, dict]:
    """Load ``path/model.safetensors`` + ``path/card.json``: the card's faults first, then the weights'."""
    pair = read_pair(path)
    config_from_card(pair.card)
    return build_model(read_weights(pair.weights), pair.card), pair.card


# --- writing --------------------------------------------------------------------------------


def _json_safe(value):
    """NaN/inf are not JSON; a card stores them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _card_bytes(card: dict, digest: str | None) -> bytes:
    """The card as written, naming its weights by sha256; ValueError (nothing written) if it is not text."""
    card = {k: v for k, v in card.items() if k != "weights_sha256"}
    if digest is not None:
        card["weights_sha256"] = digest
    text = json.dumps(_json_safe(card), indent=2, ensure_ascii=False) + "\n"
    try:
        return text.encode()
    except UnicodeEncodeError:
        raise surrogate_error(card) from None


def write_file(folder: Path, name: str, data: bytes) -> Path:
    """Write ``folder/name`` atomically: a temp file, flushed to disk, renamed over the old one."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the rename must not reach the disk before the data does
        os.chmod(tmp, 0o644)  # mkstemp makes the file owner-only; a model is meant to be shared
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder / name


def _settle(folder: Path) -> None:
    """Finish a save that a crash cut short between its two renames, then remove what saves left behind."""
    pending = folder / PENDING_CARD
    if pending.is_file() and (folder / WEIGHTS).is_file():
        with contextlib.suppress(ValueError):  # no consistent pair: the save about to run replaces both files
            found = _resolve(folder)
            if found is not None and found[1] == pending:
                os.replace(pending, folder / CARD)
    for leftover in (*folder.glob(f"{TEMP_PREFIX}*"), pending, folder / PREVIOUS_WEIGHTS):
        leftover.unlink(missing_ok=True)


def save_dir(
    module: SequenceModel, card: dict, path: str | Path, state: dict[str, torch.Tensor] | None = None
) -> Path:
    """Write weights and card as one consistent pair (see the module docstring); SaveError if the disk refuses.

    The weights are the module's, as float32, unless ``state`` gives the tensors to store (float16 ones, for
    :mod:`lstm_viz.training.compact`); they must load into the module the card describes.
    """
    path = Path(path)
    config = config_from_card(card)  # refuse to write a card we could not read back
    if state is None:
        state = {k: v.detach().float().cpu().contiguous() for k, v in module.state_dict().items()}
    validate_state_dict(state, config)
    weights = save_safetensors_bytes(state)
    card_data = _card_bytes(card, weights_sha256(weights))  # before any write: a card that is not text
    try:
        path.mkdir(parents=True, exist_ok=True)
        _settle(path)
        pending = write_file(path, PENDING_CARD, card_data)
        if (path / WEIGHTS).is_file():
            with contextlib.suppress(OSError):  # no hard links here: the undo below is simply not possible
                os.link(path / WEIGHTS, path / PREVIOUS_WEIGHTS)
        try:
            write_file(path, WEIGHTS, weights)
        except BaseException:
            pending.unlink(missing_ok=True)  # the old pair is live and untouched
            raise
        try:
            os.replace(pending, path / CARD)
        except BaseException:
            if (path / PREVIOUS_WEIGHTS).is_file():  # put the old weights back under the old card
                os.replace(path / PREVIOUS_WEIGHTS, path / WEIGHTS)
                pending.unlink(missing_ok=True)
            raise
        (path / PREVIOUS_WEIGHTS).unlink(missing_ok=True)
    except OSError as err:
        with contextlib.suppress(OSError):
            (path / PREVIOUS_WEIGHTS).unlink(missing_ok=True)
        raise SaveError(path, err) from err
    return path


def write_card(card: dict, path: str | Path) -> None:
    """Replace the card of the weights already in ``path`` (it records their sha256); SaveError if the disk refuses."""
    path = Path(path)
    weights = path / WEIGHTS
    digest = weights_sha256(weights.read_bytes()) if weights.is_file() else None
    data = _card_bytes(card, digest)
    try:
        write_file(path, CARD, data)
    except OSError as err:
        raise SaveError(path, err) from err
