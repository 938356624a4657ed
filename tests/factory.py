"""What tests build, in one place: tiny random-weight models of every kind with their cards, written
to a folder; a tiny corpus; the app opened on a page under AppTest.

Test modules import it as ``tests.factory`` and never import one another.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from lstm_viz.engine.network import SequenceModel
from lstm_viz.engine.tokenizers import CharTokenizer, WordTokenizer
from lstm_viz.store import checkpoint, zoo

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
VOCAB = list("\n abcdefgh")  # 10 characters
# 200 characters of Hamlet: 200 tokens of the character model, the text the stepper's tests and benchmark step through
HAMLET = (
    "To be, or not to be, that is the question: Whether 'tis nobler in the mind to suffer "
    "The slings and arrows of outrageous fortune, Or to take arms against a sea of troubles "
    "And by opposing end them. To die"
)[:200]


# --- cards and models --------------------------------------------------------------------------


def char_card(**changes) -> dict:
    """The card of a tiny character-level LSTM (1 layer of 8 units, embedding 4) over VOCAB.

    ``changes`` replace fields or add ones (title, labels, metrics...) after the others.
    """
    card = {
        "name": "tiny",
        "task": "charlm",
        "cell": "lstm",
        "tokenizer": CharTokenizer(VOCAB).to_dict(),
        "embed_dim": 4,
        "hidden_size": 8,
        "num_layers": 1,
    }
    return {**card, **changes}


def model_for(card: dict, seed: int = 0) -> SequenceModel:
    """The model ``card`` describes, with random weights drawn after ``torch.manual_seed(seed)``, in eval mode."""
    torch.manual_seed(seed)
    return SequenceModel(checkpoint.config_from_card(card)).eval()


def weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The model's state_dict as safetensors saves it (contiguous tensors)."""
    return {k: v.contiguous() for k, v in model.state_dict().items()}


def assert_consistent(folder: Path, card: dict) -> tuple[SequenceModel, dict]:
    """The model saved in ``folder`` loads, and its card is the one saved with its weights: a save of step N holds
    ``model_for(card, seed=N)`` (a half-written save would pair one save's card with the other's weights)."""
    model, saved = checkpoint.load_dir(folder)
    step = saved["metrics"]["step"]
    expected = model_for(card, seed=step).state_dict()
    same = all(torch.equal(value, expected[key]) for key, value in model.state_dict().items())
    assert same, f"the card of step {step} came with the other save's weights"
    return model, saved


def write_model(folder: Path, card: dict, seed: int = 0) -> Path:
    """Save ``model_for(card, seed)`` with its card to ``folder`` (as checkpoint.save_dir does); the folder."""
    checkpoint.save_dir(model_for(card, seed), card, folder)
    return Path(folder)


def kind_card(name: str, task: str, cell: str, tokenizer, labels: list[str] | None = None) -> dict:
    """A 2x12 model (embedding 8) of any task and cell over ``tokenizer``, titled "test NAME"."""
    return char_card(
        name=name,
        title=f"test {name}",
        task=task,
        cell=cell,
        tokenizer=tokenizer.to_dict(),
        labels=labels,
        embed_dim=8,
        hidden_size=12,
        num_layers=2,
        metrics={},
    )


# One tiny model of each kind the shipped models do not all cover: a word classifier, a vanilla
# RNN and a GRU language model and a sequence task (name -> card).
KINDS = {
    "tiny-words": lambda: kind_card(
        "tiny-words",
        "classify",
        "lstm",
        WordTokenizer(["<pad>", "<unk>", "the", "food", "was", "great", "bad", "."]),
        ["negative", "positive"],
    ),
    "tiny-rnn": lambda: kind_card("tiny-rnn", "charlm", "rnn", CharTokenizer(list(" abcdefghijklmnopqrstuvwxyz"))),
    "tiny-gru": lambda: kind_card("tiny-gru", "charlm", "gru", CharTokenizer(list(" abcdefghijklmnopqrstuvwxyz"))),
    "tiny-seq": lambda: kind_card("tiny-seq", "sequence", "lstm", CharTokenizer(list("ab()")), ["0", "1", "2"]),
}


def write_every_kind(home: Path) -> list[str]:
    """Write one model of each of KINDS below ``home`` (a user model folder); their names."""
    for name, card in KINDS.items():
        write_model(Path(home) / name, card())
    return list(KINDS)


# --- text --------------------------------------------------------------------------------------

CORPUS_WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "saw", "her", "dog"]
CORPUS_WORDS += ["run", "to", "the", "old", "red", "barn", "while", "it", "rained"]


def corpus_text(n: int = 20000, seed: int = 0) -> str:
    """``n`` characters of random sentences over a few words: enough for a tiny model to learn something."""
    rng = random.Random(seed)
    lines, size = [], 0
    while size < n:
        line = " ".join(rng.choice(CORPUS_WORDS) for _ in range(rng.randint(4, 10))).capitalize() + ".\n"
        lines.append(line)
        size += len(line)
    return "".join(lines)[:n]


# --- the app under AppTest ---------------------------------------------------------------------


def open_app(page: str, timeout: float = 90, params: dict | None = None, **session) -> AppTest:
    """app.py run on ``page`` (a path under app_pages/) with URL ``params`` and preset session state."""
    from streamlit.testing.v1 import AppTest  # here: tests that only build models do not load it

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    for key, value in session.items():
        at.session_state[key] = value
    at.switch_page(page)
    return at.run()


_SHIPPED: dict = {}  # name -> LoadedModel, one per test process: the lesson tests share traces and measurements


def load_shipped(name: str):
    """A shipped model, loaded once per process (the lessons' facts remember their work by the model object)."""
    if name not in _SHIPPED:
        _SHIPPED[name] = zoo.load(name)
    return _SHIPPED[name]


def lesson_stops() -> list[tuple[str, int]]:
    """(lesson id, stop index) of every stop of every shipped lesson."""
    from lstm_viz.lessons import schema

    return [(lesson.id, k) for lesson in schema.shipped() for k in range(len(lesson.stops))]
