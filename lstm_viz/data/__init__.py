"""Corpora, splits and synthetic tasks used to train and evaluate the models.

Each training source is a *task data* object with the same small interface, so one training
loop (:mod:`lstm_viz.training.train`) serves all of them:

- ``tokenizer``, ``task`` ("charlm" | "classify" | "sequence"), ``labels`` (or None),
  ``num_outputs``, ``description``, ``data_sha256``;
- ``batch(batch_size, rng) -> (ids, targets)``: (B, T) long tensors, targets -100 where no
  loss is taken;
- ``evaluate(model, device, full) -> dict`` of held-out metrics (``val_loss`` always).

:func:`build` makes one from a preset's ``data`` table (:mod:`lstm_viz.training.presets`).

- :mod:`.corpus`: character corpora: finding, splitting, batching, evaluating;
- :mod:`.upload`: a user's plain-text corpus read with a message for every fault;
- :mod:`.words`: the word model's corpus;
- :mod:`.labelled`: padding, last-token targets and scoring for classifiers;
- :mod:`.sentiment`: review sentiment (Yelp, Amazon, rt-polarity);
- :mod:`.authors`: which of seven authors wrote a passage;
- :mod:`.styles`: one character model, seven styles;
- :mod:`.one_author`: one author's book alone, a generator per author;
- :mod:`.tasks`: the synthetic memory and brackets tasks.
"""

from __future__ import annotations

DATA_KINDS = {  # data kind (in lstm_viz/training/presets.toml) -> the options it takes besides a tokenizer
    "shakespeare": ("seq_len",),
    "corpus": ("seq_len",),
    "sentiment": ("word_dropout",),
    "authors": (),
    "memory": ("gap_low", "gap_high", "log_gaps", "eval_per_gap"),
    "brackets": ("max_depth", "length"),
    "styles": ("seq_len",),
    "words": ("seq_len", "min_count", "max_vocab", "more_books", "swap_genders"),
    "book": ("author", "seq_len"),
}


def build(spec: dict, tokenizer=None, text: str | None = None, text_name: str = "corpus"):
    """The task data object a preset's ``data`` table describes (``kind`` plus its options).

    ``tokenizer`` rebuilds the exact data a trained model was evaluated on; ``text`` is the corpus
    of kind "corpus" (your own text). Unknown kinds or options raise ValueError naming them.
    """
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind not in DATA_KINDS:
        raise ValueError(f"unknown data kind {kind!r}; expected one of {', '.join(DATA_KINDS)}")
    unknown = set(spec) - set(DATA_KINDS[kind])
    if unknown:
        takes = ", ".join(DATA_KINDS[kind]) or "no options"
        raise ValueError(f"data kind {kind!r} takes {takes}, not {sorted(unknown)}")
    if kind in ("shakespeare", "corpus"):
        from lstm_viz.data.corpus import CharCorpus

        if kind == "shakespeare":
            return CharCorpus.shakespeare(tokenizer=tokenizer, **spec)
        if text is None:
            raise ValueError("a corpus run needs its text: upload a file or pass --corpus FILE")
        return CharCorpus(text, tokenizer=tokenizer, name=text_name, **spec)
    if kind == "sentiment":
        from lstm_viz.data.sentiment import SentimentData

        return SentimentData(tokenizer=tokenizer, **spec)
    if kind == "authors":
        from lstm_viz.data.authors import AuthorsData

        return AuthorsData(tokenizer=tokenizer)
    if kind == "memory":
        from lstm_viz.data.tasks import MemoryTask

        gaps = (spec.pop("gap_low", 1), spec.pop("gap_high", 100))
        return MemoryTask(gap_range=gaps, tokenizer=tokenizer, **spec)
    if kind == "styles":
        from lstm_viz.data.styles import StyleCorpus

        return StyleCorpus(tokenizer=tokenizer, **spec)
    if kind == "book":
        from lstm_viz.data.one_author import AuthorBook

        return AuthorBook(tokenizer=tokenizer, **spec)
    if kind == "words":
        from lstm_viz.data.words import WordCorpus

        return WordCorpus(tokenizer=tokenizer, **spec)
    from lstm_viz.data.tasks import BracketsTask

    return BracketsTask(tokenizer=tokenizer, **spec)
