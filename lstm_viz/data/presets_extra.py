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
