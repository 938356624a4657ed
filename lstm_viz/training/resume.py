"""The resume state of a long training run: everything needed to continue it exactly.

One safetensors file, ``OUT/resume/state.safetensors``, written atomically every few minutes and
when a run stops: the model's weights (``model.*``), the optimizer's moments (``optim.*``), the
torch random state, the recurrent state carried between stream batches (``carried.*``), and, as
JSON in the file's metadata, the step, the tokens seen, the seconds trained, the held-out history,
the numpy and Python random states and the list of earlier resumes. Nothing is pickled.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save as save_safetensors_bytes

from lstm_viz.store import checkpoint

if TYPE_CHECKING:
    from lstm_viz.engine.network import ModelConfig, SequenceModel

FOLDER = "resume"
FILE = "state.safetensors"
# Settings a resumed run may change: its budget and how often it reports, not what it learns.
MAY_CHANGE = ("steps", "minutes", "threads", "device", "save_every_minutes", "eval_every", "eval_every_minutes",
              "checkpoints")


def path(out_dir: str | Path) -> Path:
    return Path(out_dir) / FOLDER / FILE


def save(out_dir, module: SequenceModel, optimizer, carried, rng: np.random.Generator, info: dict) -> Path:
    """Write the state atomically (a crash leaves the previous state in place)."""
    tensors = {f"model.{k}": v.detach().float().cpu().contiguous().clone() for k, v in module.state_dict().items()}
    opt = optimizer.state_dict()
    for index, values in opt["state"].items():
        for key, value in values.items():
            tensors[f"optim.{index}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous().clone()
    tensors["rng.torch"] = torch.get_rng_state()
    kind = None
    if carried is not None:
        parts = carried if isinstance(carried, tuple) else (carried,)
        kind = len(parts)
        for i, part in enumerate(parts):
            tensors[f"carried.{i}"] = part.detach().cpu().contiguous().clone()
    version, inner, gauss = random.getstate()
    meta = {
        **info,
        "param_groups": opt["param_groups"],
        "carried_parts": kind,
        "numpy_rng": rng.bit_generator.state,
        "python_rng": [version, list(inner), gauss],
    }
    data = save_safetensors_bytes(tensors, metadata={"state": json.dumps(meta)})
    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return checkpoint.write_file(folder, FILE, data)
    except OSError as err:
        raise checkpoint.SaveError(folder, err) from err


def load(out_dir) -> tuple[dict, dict] | None:
    """(tensors, state) of the run in ``out_dir``, or None when it has no resume state."""
    file = path(out_dir)
    if not file.is_file():
        return None
    with safe_open(str(file), framework="pt") as f:
        state = json.loads(f.metadata()["state"])
        tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 - safe_open has no __iter__
    return tensors, state


def check_same_run(state: dict, model_config: dict, train_config: dict, data_sha256: str, description: str) -> None:
    """Refuse to continue a run with another model, data or learning settings than it started with."""
    if state["model_config"] != model_config:
        raise ValueError(f"cannot resume: the saved run has model {state['model_config']}, this one {model_config}")
    if state["data_sha256"] != data_sha256 or state["data"] != description:
        raise ValueError("cannot resume: the saved run was trained on other data (or other data options)")
    saved = {k: v for k, v in state["train_config"].items() if k not in MAY_CHANGE}
    now = {k: v for k, v in train_config.items() if k not in MAY_CHANGE}
    if saved != now:
        changed = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
        raise ValueError(f"cannot resume: these training settings differ from the saved run's: {', '.join(changed)}")


def restore(tensors: dict, state: dict, module: SequenceModel, optimizer, rng: np.random.Generator):
    """Put weights, optimizer moments and random states back; return the carried recurrent state."""
    module.load_state_dict({k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")})
    opt_state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            opt_state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": opt_state, "param_groups": state["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    rng.bit_generator.state = state["numpy_rng"]
    version, inner, gauss = state["python_rng"]
    random.setstate((version, tuple(inner), gauss))
    parts = state.get("carried_parts")
    if not parts:
        return None
    carried = tuple(tensors[f"carried.{i}"] for i in range(parts))
    return carried if parts > 1 else carried[0]


def initialise(module: SequenceModel, folder: Path, tokenizer, model_config: ModelConfig) -> dict:
    """Start a new run from the weights of the trained model in ``folder`` (``--init-from``): load them into
    ``module`` and return what its card says of its run, for the new card's ``initialised_from``.

    The model must be this run's (the same shape and vocabulary), else ValueError.
    """
    pair = checkpoint.read_pair(folder)  # the card that describes these very weights
    card, raw = pair.card, pair.weights
    shape = ("vocab_size", "num_outputs", "task", "cell", "embed_dim", "hidden_size", "num_layers")
    theirs, ours = checkpoint.config_from_card(card).to_dict(), model_config.to_dict()
    if any(theirs[k] != ours[k] for k in shape):
        raise ValueError(f"{folder} holds a different model: its configuration is not this run's")
    if card.get("tokenizer", {}).get("vocab") != list(tokenizer.vocab):
        raise ValueError(f"{folder} reads a different vocabulary than this run's data")
    module.load_state_dict(checkpoint.read_weights(raw))
    run = card.get("training", {})
    keep = ("command", "device", "seconds", "steps", "tokens_seen", "resumes", "data_sha256", "finished_at")
    return {"name": card.get("name"), "weights_sha256": checkpoint.weights_sha256(raw),
            **{k: run[k] for k in keep if k in run}, "metrics": {k: v for k, v in card.get("metrics", {}).items()
                                                                 if k in ("val_perplexity", "agreement")}}  # fmt: skip
