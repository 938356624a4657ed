"""Half the bytes of a trained model: its weights stored as float16, its card measured again on them.

``python -m lstm_viz compact DIR`` rounds every weight of the model in DIR to float16 (a tensor that
float16 cannot hold, one with a value past its range, stays float32), evaluates the rounded model
afresh on its preset's held-out data, exactly as ``python -m lstm_viz eval`` does, and writes both
back: the card's metrics are then those of the weights in the folder, and the card keeps the float32
figures the training run printed (``training.float32_metrics``) and the command that was run
(``training.after``). A loaded model computes in float32 either way; only the stored bytes change.

The history of checkpoints is left as it is; a card whose folder holds none of its checkpoints stops
listing them (the Training page would have nothing to scrub).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import torch

from lstm_viz.store import checkpoint
from lstm_viz.store.history import FOLDER as HISTORY
from lstm_viz.store.history import half_state

COMMAND = "python -m lstm_viz compact"
KEPT_FLOAT32 = ("val_loss", "val_accuracy", "author_check", "style_check")  # what the card keeps of the run's figures


def compact(folder: str | Path, threads: int = 1) -> dict:
    """Round the model in ``folder`` to float16, re-measure it and save it; return the new metrics.

    ValueError when the folder holds no model, the model was not trained from a preset (its data could
    not be rebuilt), or it is already stored as float16.
    """
    from lstm_viz import data as data_kinds
    from lstm_viz.store import zoo
    from lstm_viz.training import presets

    folder = Path(folder)
    model = zoo.load_path(folder)
    card = dict(model.card)
    training = dict(card.get("training") or {})
    if card.get("weights_dtype") == "float16":
        raise ValueError(f"{folder} is already stored as float16")
    preset = training.get("preset")
    if preset not in presets.names():
        raise ValueError(f"{folder} was not trained from a preset, so its held-out data cannot be rebuilt")
    state = half_state(model.module)
    model.module.load_state_dict({k: v.float() for k, v in state.items()})
    data = data_kinds.build(presets.get(preset).data, tokenizer=model.tokenizer)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)  # the held-out stream is read step by step: one thread is fastest
    try:
        fresh = data.evaluate(model.module, torch.device("cpu"), full=True)
    finally:
        torch.set_num_threads(before)
    old = card.get("metrics") or {}
    training["float32_metrics"] = {k: old[k] for k in KEPT_FLOAT32 if k in old}
    training["after"] = [*training.get("after", []), f"{COMMAND} {shlex.quote(str(folder))}"]
    card["training"] = training
    card["metrics"] = {**old, **fresh}
    card["weights_dtype"] = "float16"
    if card.get("checkpoints") and not (folder / HISTORY).is_dir():
        card.pop("checkpoints")
    checkpoint.save_dir(model.module, card, folder, state=state)
    return card["metrics"]


HELD_ASIDE_COMMAND = "python -m lstm_viz eval --held-aside --record"


def record_held_aside(name_or_folder: str | Path, figures: dict) -> Path:
    """Add figures measured once on a held-aside set to a model folder's card, naming the command in ``after``."""
    from lstm_viz.store import zoo

    model = zoo.load_name_or_folder(str(name_or_folder))
    folder = Path(model.path)
    card = dict(model.card)
    training = dict(card.get("training") or {})
    training["after"] = [*training.get("after", []), f"{HELD_ASIDE_COMMAND} {shlex.quote(str(name_or_folder))}"]
    card["training"] = training
    card["metrics"] = {**(card.get("metrics") or {}), **figures}
    checkpoint.write_card(card, folder)
    return folder
