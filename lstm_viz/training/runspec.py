"""One training run, specified once: a preset (or your own text), a name and the overrides.

The command line (``python -m lstm_viz train``) and the Train page (through :mod:`lstm_viz.training.jobs`)
both build a :class:`RunSpec` and call :meth:`RunSpec.build`, so a run started from the page is
exactly the run its recorded command repeats from the shell (:meth:`RunSpec.command`, which the
card keeps). Names of new models are checked here, once, for both.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from lstm_viz import data
from lstm_viz.engine.network import ModelConfig
from lstm_viz.store import reservation, zoo
from lstm_viz.training import presets
from lstm_viz.training.train import TrainConfig

# Command-line flag of each override, in the order the recorded command lists them.
FLAGS = {
    "cell": "--cell",
    "num_layers": "--num-layers",
    "hidden_size": "--hidden-size",
    "embed_dim": "--embed-dim",
    "seq_len": "--seq-len",
    "gap_low": "--gap-low",
    "gap_high": "--gap-high",
    "log_gaps": "--log-gaps",
    "eval_per_gap": "--eval-per-gap",
    "steps": "--steps",
    "minutes": "--minutes",
    "batch_size": "--batch-size",
    "lr": "--lr",
    "eval_every": "--eval-every",
    "seed": "--seed",
    "threads": "--threads",
    "device": "--device",
    "init_from": "--init-from",
}


def check_new_name(name: str) -> str:
    """A new model's name: valid and portable characters, not taken by a shipped or user model."""
    if not isinstance(name, str) or not zoo.NAME_RE.match(name):
        raise ValueError(
            f"invalid model name {str(name)[:80]!r}: use 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    zoo.check_portable_name(name)  # models are exported as zips: no names a Windows machine cannot hold
    if (zoo.SHIPPED_DIR / name).exists():
        raise ValueError(f"{name!r} is the name of a shipped model; choose another name")
    folder = zoo.user_dir() / name
    reservation.clear_if_stale(folder)
    if reservation.held(folder):  # by a run of this server or of another replica sharing the folder
        raise ValueError(f"a model called {name!r} is being trained right now; choose another name")
    if folder.exists():
        raise ValueError(f"a model called {name!r} already exists; choose another name or delete it first")
    return name


@dataclass(frozen=True)
class RunSpec:
    """What to train: ``preset`` (a name in presets.toml) or your own ``corpus_text``, under ``name``."""

    name: str
    preset: str | None = None
    corpus_text: str | None = None  # already decoded (lstm_viz.data.upload); the preset is then "corpus"
    corpus_name: str = "corpus.txt"  # the file's name, for the card and the command
    overrides: dict = field(default_factory=dict)  # field name -> value (see presets.merge)

    def __post_init__(self) -> None:
        if (self.preset is None) == (self.corpus_text is None):
            raise ValueError("choose a preset or give a text to train on (not both)")
        unknown = set(self.overrides) - set(FLAGS)  # only what the recorded command can repeat
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; these can be set: {', '.join(FLAGS)}")

    @property
    def recipe(self) -> presets.Preset:
        """The preset with the overrides applied."""
        return presets.merge(presets.get(self.preset or presets.CORPUS), self.overrides)

    def command(self) -> str:
        """The equivalent command line (the card records it)."""
        source = ["--preset", self.preset] if self.preset else ["--corpus", self.corpus_name]
        args = ["python", "-m", "lstm_viz", "train", *source, "--name", self.name]
        for key, flag in FLAGS.items():
            value = self.overrides.get(key)
            if value is None or (key == "device" and value == "auto"):
                continue
            if isinstance(value, bool):
                args += [flag] if value else []
            else:
                args += [flag, str(value)]
        return " ".join(shlex.quote(a) for a in args)

    def build(self, tokenizer=None):
        """(data, ModelConfig, TrainConfig, card_extra) of this run."""
        recipe = self.recipe
        built = data.build(recipe.data, tokenizer=tokenizer, text=self.corpus_text, text_name=self.corpus_name)
        model_config = ModelConfig(
            vocab_size=len(built.tokenizer), num_outputs=built.num_outputs, task=built.task, **recipe.model
        )
        title = recipe.title if self.preset else self.name
        description = recipe.description if self.preset else f"Character model of {self.corpus_name}"
        extra = {"title": title, "description": description, "preset": self.preset, "command": self.command()}
        return built, model_config, TrainConfig(**recipe.train), extra
