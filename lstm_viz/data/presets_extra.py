"""Presets contributed by the task modules (sentiment, authors, synthetic tasks).

Each task module defines its data class; this file registers its presets so that
:mod:`lstm_viz.presets` stays one short table.
"""

# --- classifiers (issue 5): reviews-sentiment, authors ------------------------------------
from lstm_viz.presets import Preset, register  # noqa: E402


def _sentiment(tokenizer=None):
    from lstm_viz.data.sentiment import SentimentData

    return SentimentData(tokenizer=tokenizer, word_dropout=0.3)


def _authors(tokenizer=None):
    from lstm_viz.data.authors import AuthorsData

    return AuthorsData(tokenizer=tokenizer)


register(Preset(
    name="reviews-sentiment",
    title="Review sentiment (words)",
    description="Word-level LSTM that reads a review or film snippet and says negative or positive, word by word.",
    make_data=_sentiment,
    model={"cell": "lstm", "embed_dim": 64, "hidden_size": 128, "num_layers": 1, "dropout": 0.0},
    train={"steps": 2000, "minutes": 40.0, "batch_size": 64, "lr": 3e-3, "warmup_steps": 50, "eval_every": 250,
           "weight_decay": 0.05, "threads": 1},
    tags=["classify", "word"],
))  # fmt: skip
register(Preset(
    name="authors",
    title="Which author? (characters)",
    description="Character-level LSTM that reads a passage and guesses which of seven authors wrote it.",
    make_data=_authors,
    model={"cell": "lstm", "embed_dim": 32, "hidden_size": 128, "num_layers": 1, "dropout": 0.0},
    train={"steps": 2000, "minutes": 45.0, "batch_size": 32, "lr": 6e-3, "warmup_steps": 50, "eval_every": 250,
           "threads": 1},
    tags=["classify", "char"],
))  # fmt: skip

# --- synthetic long-memory tasks (issue 6): memory-lstm, memory-rnn, brackets-lstm -----------
from lstm_viz.presets import Preset, register  # noqa: E402


def _memory(tokenizer=None):
    from lstm_viz.data.tasks import MemoryTask

    return MemoryTask(gap_range=(1, 100), tokenizer=tokenizer)


def _brackets(tokenizer=None):
    from lstm_viz.data.tasks import BracketsTask

    return BracketsTask(max_depth=6, length=64, tokenizer=tokenizer)


# Same data, size and budget for both memory models: only the cell differs.
MEMORY_MODEL = {"embed_dim": 16, "hidden_size": 48, "num_layers": 1, "dropout": 0.0}
MEMORY_TRAIN = {"steps": 2000, "batch_size": 32, "lr": 1e-2, "warmup_steps": 50, "eval_every": 500, "threads": 1}
register(Preset(
    name="memory-lstm",
    title="Memory task (LSTM)",
    description="Remember the first letter (A-D) across a gap of 1 to 100 random digits; answer it at '?'.",
    make_data=_memory,
    model={"cell": "lstm", **MEMORY_MODEL},
    train=MEMORY_TRAIN,
    tags=["synthetic", "rnn-vs-lstm"],
))  # fmt: skip
register(Preset(
    name="memory-rnn",
    title="Memory task (vanilla RNN)",
    description="The same memory task, size and budget as memory-lstm, with a tanh RNN.",
    make_data=_memory,
    model={"cell": "rnn", **MEMORY_MODEL},
    train=MEMORY_TRAIN,
    tags=["synthetic", "rnn-vs-lstm"],
))  # fmt: skip
register(Preset(
    name="brackets-lstm",
    title="Bracket depth (LSTM)",
    description="Read nested brackets and letters; say the nesting depth at every character.",
    make_data=_brackets,
    model={"cell": "lstm", "embed_dim": 8, "hidden_size": 32, "num_layers": 1, "dropout": 0.0},
    train={"steps": 800, "batch_size": 32, "lr": 1e-2, "warmup_steps": 50, "eval_every": 400, "threads": 1},
    tags=["synthetic", "rnn-vs-lstm"],
))  # fmt: skip
