"""Gates over training: a few checkpoints kept along the way, and the API that lists and loads them.

While it trains, :func:`lstm_viz.training.train.train` keeps the weights at log-spaced steps (:data:`GRID`:
0, the untrained model, then 10, 30, 100, 300, 1000, ...) in the model folder's ``history/``,
one ``step-NNNNNN.safetensors`` each, weights only (the card and tokenizer are the model's).
The card lists them under ``checkpoints`` with their step, the sha256 of their file and the
held-out loss measured there (``val_loss``: the full evaluation, as the card's final ``metrics``,
so the losses of all checkpoints and of the final model compare). The final weights are the
model's own ``model.safetensors``, never copied into ``history/``.

Bounded: at most ``TrainConfig.checkpoints`` (default 8) in all, the final weights included. A
run long enough to pass more grid steps drops the kept step whose neighbours are closest on a
log scale, so the ones left still span the run from the untrained model to the last step (a run
past step 100,000 keeps 0, 10, 100, 1000, 10000, 30000, 100000 and its final weights).

Size: the history holds float16 (half a model's float32 bytes each; a tensor float16 cannot hold
stays float32). Gates traced through a float16 copy differ from the float32 weights by rounding,
about 1e-3 (tests/unit/test_history.py holds them to the float32 weights of the same step).

Loading goes through the same checks as the model's own weights: the file's size is bounded, it
must be safetensors (:func:`lstm_viz.store.checkpoint.read_weights`), its sha256 must be the one the card
names, and :func:`lstm_viz.store.checkpoint.build_model` validates keys, shapes and finite values against
the card. A history written by an earlier training into the same folder is replaced as the new run
goes: a file the card no longer lists is removed after the card that drops it is written.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import torch
from safetensors.torch import save as save_safetensors_bytes

from lstm_viz.messages import describe
from lstm_viz.store import checkpoint
from lstm_viz.store.card import size_error

if TYPE_CHECKING:
    from lstm_viz.store.zoo import LoadedModel

FOLDER = "history"
FILE_RE = re.compile(r"^step-(\d{6,})\.safetensors$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_LISTED = 64  # entries a card may list (ours list at most TrainConfig.checkpoints)


def grid(limit: int) -> list[int]:
    """The steps worth keeping up to ``limit``: 0, then 10, 30, 100, 300, ... (about 3x apart)."""
    steps, decade = [0], 10
    while decade <= limit:
        steps += [s for s in (decade, 3 * decade) if s <= limit]
        decade *= 10
    return steps


GRID = frozenset(grid(10**9))


def file_name(training_step: int) -> str:
    return f"step-{training_step:06d}.safetensors"


class Checkpoint(NamedTuple):
    """One set of weights along the training: its step, its file and the held-out loss measured there."""

    training_step: int
    path: Path
    val_loss: float | None = None


# --- writing (the training loop) --------------------------------------------------------------


class HistoryWriter:
    """The history of one training run: which steps to keep, their files, the card's ``checkpoints``."""

    def __init__(self, folder: str | Path, limit: int, total_steps: int | None, log=print):
        self.folder = Path(folder) / FOLDER
        self.capacity = max(0, limit - 1)  # the final weights are the model's own file
        self.total_steps = total_steps
        self.entries: list[dict] = []  # the card's "checkpoints", in step order
        self.log = log

    def due(self, training_step: int) -> bool:
        """Whether the weights after ``training_step`` updates are kept (never the last step: that is the model)."""
        if training_step not in GRID or (self.total_steps is not None and training_step >= self.total_steps):
            return False
        # With room for one, only the untrained model: anything later would push out step 0 at once.
        return self.capacity >= 2 or (self.capacity == 1 and training_step == 0)

    def save(self, training_step: int, module: torch.nn.Module, val_loss: float | None) -> None:
        """Write ``history/step-NNNNNN.safetensors`` and list it; thin the list to the capacity."""
        data = _weights_bytes(module)
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            checkpoint.write_file(self.folder, file_name(training_step), data)  # atomic, as the model's own files
        except OSError as err:
            raise checkpoint.SaveError(self.folder, err) from err
        loss = float(val_loss) if isinstance(val_loss, int | float) and math.isfinite(val_loss) else None
        self.entries = [e for e in self.entries if e["step"] != training_step]
        self.entries.append({"step": training_step, "val_loss": loss, "sha256": checkpoint.weights_sha256(data)})
        while len(self.entries) > self.capacity:
            self.entries.pop(_closest(self.entries))
        shown = f"held-out loss {loss:.4f}" if loss is not None else "no held-out loss"
        self.log(f"history: kept step {training_step:,} ({shown}, {len(data) / 2**20:.2f} MB)")

    def drop(self, training_step: int) -> None:
        """Forget a kept step that turned out to be the last (its weights are the model's own)."""
        self.entries = [e for e in self.entries if e["step"] != training_step]

    def prune(self) -> None:
        """Remove the files the card just written no longer lists (thinned, or from an earlier run)."""
        if not self.folder.is_dir():
            return
        kept = {file_name(e["step"]) for e in self.entries}
        for path in self.folder.iterdir():
            stale = FILE_RE.match(path.name) and path.name not in kept
            if stale or path.name.startswith(checkpoint.TEMP_PREFIX):
                path.unlink(missing_ok=True)


def half_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The module's weights as float16 where float16 holds every value, float32 elsewhere (beyond its range)."""
    state = {}
    for key, value in module.state_dict().items():
        value = value.detach().float().cpu()
        half = value.half()
        state[key] = (half if torch.isfinite(half).all() else value).contiguous()
    return state


def _weights_bytes(module: torch.nn.Module) -> bytes:
    return save_safetensors_bytes(half_state(module))


def _closest(entries: list[dict]) -> int:
    """Index of the kept step (not the first, not the newest) whose neighbours are closest on a log scale."""
    if len(entries) < 3:
        return len(entries) - 1
    logs = [math.log1p(e["step"]) for e in entries]
    return min(range(1, len(entries) - 1), key=lambda i: logs[i + 1] - logs[i - 1])


# --- reading (the app, the command line) -------------------------------------------------------


def _final_step(card: dict) -> int:
    step = (card.get("metrics") or {}).get("measured_at_step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise ValueError(
            f"card.json lists checkpoints but not the step of its final weights "
            f"(metrics.measured_at_step is {describe(step)})"
        )
    return step


def _listed(card: dict) -> list[dict]:
    """The card's ``checkpoints``, each field checked (a card is hostile until checked)."""
    listed = card.get("checkpoints")
    if listed is None:
        return []
    if not isinstance(listed, list) or len(listed) > MAX_LISTED:
        raise ValueError(
            f"card.json: checkpoints must be a list of at most {MAX_LISTED} entries, got {describe(listed)}"
        )
    final, seen = _final_step(card), set()
    for i, entry in enumerate(listed):
        if not isinstance(entry, dict):
            raise ValueError(f"card.json: checkpoints[{i}] must be an object, got {describe(entry)}")
        step, digest, loss = entry.get("step"), entry.get("sha256"), entry.get("val_loss")
        if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step < final or step in seen:
            raise ValueError(
                f"card.json: checkpoints[{i}].step must be a whole number from 0 to {final - 1:,} "
                f"(below the final step), each listed once; got {describe(step)}"
            )
        if not (isinstance(digest, str) and SHA256_RE.match(digest)):
            raise ValueError(
                f"card.json: checkpoints[{i}].sha256 must be 64 lowercase hex digits, got {describe(digest)}"
            )
        number = isinstance(loss, int | float) and not isinstance(loss, bool)
        if loss is not None and not (number and math.isfinite(loss)):
            raise ValueError(f"card.json: checkpoints[{i}].val_loss must be a number or null, got {describe(loss)}")
        seen.add(step)
    return sorted(listed, key=lambda e: e["step"])


def checkpoints(model: LoadedModel) -> list[Checkpoint]:
    """A :class:`~lstm_viz.store.zoo.LoadedModel`'s checkpoints in step order, the final weights last.

    Empty when its folder holds none of the checkpoints its card lists (an uploaded model, one
    trained before checkpoints were kept, or with ``checkpoints=1``): there is nothing to scrub.
    ValueError when the card's list is malformed.
    """
    if model.path is None:
        return []
    folder = Path(model.path)
    found = [
        Checkpoint(e["step"], folder / FOLDER / file_name(e["step"]), e["val_loss"])
        for e in _listed(model.card)
        if (folder / FOLDER / file_name(e["step"])).is_file()
    ]
    if not found:
        return []
    final_loss = (model.card.get("metrics") or {}).get("val_loss")
    return [*found, Checkpoint(_final_step(model.card), folder / checkpoint.WEIGHTS, final_loss)]


def load(model: LoadedModel, training_step: int) -> LoadedModel:
    """``model`` with the weights it had after ``training_step`` updates: same name, tokenizer and card.

    The final step returns ``model`` itself. ValueError when no checkpoint of that step is kept, or
    when its file fails any check of the model's own weights or is not the file the card names.
    """
    from lstm_viz.store.zoo import LoadedModel

    kept = checkpoints(model)
    match = next((c for c in kept if c.training_step == training_step), None)
    if match is None:
        steps = ", ".join(f"{c.training_step:,}" for c in kept) or "none"
        raise ValueError(f"{model.name} has no checkpoint at step {describe(training_step)}; kept steps: {steps}")
    if match.path.name == checkpoint.WEIGHTS:
        return model
    size = match.path.stat().st_size
    if size > checkpoint.MAX_WEIGHTS_BYTES:
        raise size_error(f"{FOLDER}/{match.path.name}", size, checkpoint.MAX_WEIGHTS_BYTES)
    data = match.path.read_bytes()
    expected = next(e["sha256"] for e in _listed(model.card) if e["step"] == training_step)
    if checkpoint.weights_sha256(data) != expected:
        raise ValueError(
            f"{FOLDER}/{match.path.name} is not the checkpoint card.json names (its sha256 differs): "
            "the model is being trained again or the file was changed; reload the model"
        )
    module = checkpoint.build_model(checkpoint.read_weights(data), model.card)
    return LoadedModel(model.name, module, model.tokenizer, model.card, model.path)
