"""Texts to start from: the example a model opens with, and the sample texts of the shipped classifiers.

Kept apart from the data modules, which only load and split corpora for training.
"""

from __future__ import annotations

DEFAULT_TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer"
REVIEW = "The food was wonderful, but the service was painfully slow."

# Reviews whose opinion turns on "but", and plain ones (the reviews-sentiment classifier).
SENTIMENT = {
    "Praise, then a complaint": "The pasta was delicious and the staff were friendly, but the wait was "
    "over an hour and our table was filthy.",
    "A complaint, then praise": "The first week the battery died twice and I almost sent it back, but "
    "since the update it works perfectly and I love it.",
    "Plainly positive": "Great phone, excellent sound quality and the case fits perfectly.",
    "Plainly negative": "Terrible service, cold food and I will never go back.",
    "A film that disappoints": "a beautifully shot film with a strong cast , but the story is dull "
    "and the ending is a mess .",
    "Not bad at all": "I expected to hate it , but it was not bad at all .",
}
_BY_TASK = {"charlm": DEFAULT_TEXT, "classify": REVIEW}


def preset_of(card: dict) -> str | None:
    """The preset a model was trained from (its card's record), or its name."""
    return (card.get("training") or {}).get("preset") or card.get("name")


def for_classifier(card: dict) -> dict[str, str]:
    """Sample texts (title -> text) of a shipped classifier; empty for other models."""
    preset = preset_of(card)
    if preset == "reviews-sentiment":
        return dict(SENTIMENT)
    if preset == "authors":
        from lstm_viz.data.authors import example_passages

        return {f"{label} (held-out passage)": passages[0] for label, passages in example_passages().items()}
    return {}


MAX_UNKNOWN_SHARE = 0.25  # a text with more of its pieces unknown to a model does not fit it


def fits(encoding) -> bool:
    """Whether a model can read a text (its tokenizer's Encoding): at most a quarter of its pieces unknown.

    Shakespeare read by a memory model is 84 unknown pieces out of 90, each read as its fallback 'A'.
    """
    return len(encoding) > 0 and len(encoding.unknown) <= MAX_UNKNOWN_SHARE * len(encoding)


def task_data(card: dict) -> dict:
    """The data table of the preset the model was trained from (``{"kind": "brackets", ...}``); {} if unknown."""
    from lstm_viz.training import presets

    try:
        return dict(presets.get(preset_of(card) or "").data)
    except (KeyError, ValueError):
        return {}


def _task_text(card: dict) -> str | None:
    """A string of the synthetic task the model was trained on (its preset's data), or None."""
    from lstm_viz.data import tasks

    data = task_data(card)
    if data.get("kind") == "memory":
        lo, hi = int(data.get("gap_low", 1)), int(data.get("gap_high", 100))
        return tasks.MemoryTask(gap_range=(lo, hi)).example(min(max(20, lo), hi), seed=0)[0]
    if data.get("kind") == "brackets":
        return tasks.BracketsTask(int(data.get("max_depth", 6)), int(data.get("length", 64))).example(seed=0)
    return None


def first_text(card: dict) -> str:
    """A text to start with: the card's own example, a sample of its training text, a string of its
    synthetic task, else one for its task."""
    for key in ("examples", "sample_texts"):
        found = card.get(key)
        if isinstance(found, list) and found and isinstance(found[0], str) and found[0].strip():
            return found[0][:2000]
    task_text = _task_text(card)
    if task_text is not None:
        return task_text
    if card.get("task") in _BY_TASK:
        return _BY_TASK[card["task"]]
    vocab = [t for t in (card.get("tokenizer") or {}).get("vocab", []) if isinstance(t, str) and t.strip()]
    return "".join(vocab[i % len(vocab)] for i in range(24)) if vocab else DEFAULT_TEXT


def long_text(card: dict, chars: int = 20_000) -> str | None:
    """A long text the model did not train on, to search for patterns and count saturation (None if there is none).

    For the Shakespeare models: the last ``chars`` characters of tiny shakespeare (its held-out 10%).
    """
    if (preset_of(card) or "").startswith("shakespeare-char"):
        from lstm_viz.data.corpus import SHAKESPEARE, asset_path

        return asset_path(SHAKESPEARE).read_text(encoding="utf-8")[-chars:]
    if preset_of(card) == "authors":
        from lstm_viz.data.authors import example_passages

        return " ".join(p for passages in example_passages(count=8).values() for p in passages)[:chars]
    return None
