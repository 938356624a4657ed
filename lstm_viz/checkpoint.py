"""Save and load models as ``model.safetensors`` + ``card.json``, validating every field.

The format is public (docs/architecture.md): a plain state_dict in safetensors with exactly the keys of
:class:`~lstm_viz.model.SequenceModel`, and a JSON card describing it. Nothing is ever
unpickled. Every fault raises ``ValueError`` with a message that names the problem, because
the app shows it to whoever uploaded the file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from lstm_viz import cell
from lstm_viz.model import CELLS, TASKS, ModelConfig, SequenceModel
from lstm_viz.tokenizers import tokenizer_from_dict

WEIGHTS = "model.safetensors"
CARD = "card.json"
MAX_WEIGHTS_BYTES = 64 * 1024 * 1024  # a model to inspect is small; larger is refused
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt")
REQUIRED_CARD_FIELDS = {
    "name": str,
    "task": str,
    "cell": str,
    "tokenizer": dict,
    "embed_dim": int,
    "hidden_size": int,
    "num_layers": int,
}


def expected_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The exact state_dict keys and shapes a model with this config has."""
    gates = 4 if config.cell == "lstm" else 1
    h = config.hidden_size
    shapes = {"embedding.weight": (config.vocab_size, config.embed_dim)}
    for k in range(config.num_layers):
        d = config.embed_dim if k == 0 else h
        for kind, shape in zip(cell.WEIGHTS, ((gates * h, d), (gates * h, h), (gates * h,), (gates * h,)), strict=True):
            shapes[cell.weight_key(kind, k)] = shape
    shapes["head.weight"] = (config.num_outputs, h)
    shapes["head.bias"] = (config.num_outputs,)
    return shapes


def config_from_card(card: dict) -> ModelConfig:
    """Check the card's fields and turn them into a ModelConfig."""
    if not isinstance(card, dict):
        raise ValueError("card.json must hold a JSON object")
    for name, kind in REQUIRED_CARD_FIELDS.items():
        if name not in card:
            raise ValueError(f"card.json is missing the field {name!r}")
        if not isinstance(card[name], kind) or isinstance(card[name], bool):
            raise ValueError(f"card field {name!r} must be a {kind.__name__}, got {card[name]!r}")
    if card["task"] not in TASKS:
        raise ValueError(f"card field 'task' must be one of {TASKS}, got {card['task']!r}")
    if card["cell"] not in CELLS:
        raise ValueError(f"card field 'cell' must be one of {CELLS}, got {card['cell']!r}")
    tokenizer = tokenizer_from_dict(card["tokenizer"])
    if card["task"] == "charlm":
        num_outputs = len(tokenizer)
    else:
        labels = card.get("labels")
        if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) for x in labels):
            raise ValueError(f"card field 'labels' must list at least two class names for a {card['task']} model")
        num_outputs = len(labels)
    try:
        return ModelConfig(
            vocab_size=len(tokenizer),
            num_outputs=num_outputs,
            task=card["task"],
            cell=card["cell"],
            embed_dim=card["embed_dim"],
            hidden_size=card["hidden_size"],
            num_layers=card["num_layers"],
        )
    except ValueError as err:
        raise ValueError(f"card.json: {err}") from None


def validate_state_dict(state: dict[str, torch.Tensor], config: ModelConfig) -> None:
    """Raise ValueError naming the first fault: keys, vocabulary size, shapes, dtype, NaN/inf."""
    expected = expected_shapes(config)
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing:
        raise ValueError(f"the weights are missing keys {missing} (expected nn.LSTM / nn.RNN naming, see README)")
    if extra:
        raise ValueError(f"the weights have unexpected keys {extra}")
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
        raise ValueError(
            f"the weights file is {len(data) / 2**20:.1f} MB; the limit is {MAX_WEIGHTS_BYTES // 2**20} MB"
        )
    if data[:2] == b"PK" or data[:1] == b"\x80":
        raise ValueError(
            "this looks like a PyTorch pickle (torch.save), which can run code when loaded and is "
            "never opened here; save the state_dict with safetensors.torch.save_file instead (see README)"
        )
    try:
        return load_safetensors_bytes(data)
    except (SafetensorError, ValueError, OSError, RuntimeError) as err:
        raise ValueError(f"the weights file is not a valid safetensors file ({err})") from None


def parse_card(data: bytes | str) -> dict:
    try:
        card = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"card.json is not valid JSON ({err})") from None
    if not isinstance(card, dict):
        raise ValueError("card.json must hold a JSON object")
    return card


def build_model(state: dict[str, torch.Tensor], card: dict) -> SequenceModel:
    """Validate card and weights together and return an eval-mode model with no gradients."""
    config = config_from_card(card)
    validate_state_dict(state, config)
    model = SequenceModel(config)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.eval()
    model.requires_grad_(False)
    return model


def load_dir(path: str | Path) -> tuple[SequenceModel, dict]:
    """Load ``path/model.safetensors`` + ``path/card.json``."""
    path = Path(path)
    for name in (WEIGHTS, CARD):
        if not (path / name).is_file():
            raise ValueError(f"{path} has no {name}")
    card = parse_card((path / CARD).read_bytes())
    size = (path / WEIGHTS).stat().st_size
    if size > MAX_WEIGHTS_BYTES:  # refuse before reading it into memory
        raise ValueError(f"the weights file is {size / 2**20:.1f} MB; the limit is {MAX_WEIGHTS_BYTES // 2**20} MB")
    state = read_weights((path / WEIGHTS).read_bytes())
    return build_model(state, card), card


def _atomic_write(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes the file owner-only; a model is meant to be shared
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_safe(value):
    """NaN/inf are not JSON; a card stores them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def save_dir(model: SequenceModel, card: dict, path: str | Path) -> Path:
    """Write weights then card, each atomically (temp file + rename): a reader never sees half a file."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    config_from_card(card)  # refuse to write a card we could not read back
    _atomic_write(path / WEIGHTS, save_safetensors_bytes(state))
    write_card(card, path)
    return path


def write_card(card: dict, path: str | Path) -> None:
    text = json.dumps(_json_safe(card), indent=2, ensure_ascii=False) + "\n"
    _atomic_write(Path(path) / CARD, text.encode())
