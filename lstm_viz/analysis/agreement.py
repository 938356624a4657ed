"""His or her? Whether a word-level language model makes the possessive agree with its subject.

Minimal pairs: the same sentence start with a male or a female subject ("after dinner the king
slowly raised ___" / "after dinner the queen slowly raised ___"), 1 to 10 words between the
subject and the blank. The model reads the start; it agrees when it gives the possessive of the
subject's gender ("his" for a male subject, "her" for a female one) more probability than the
other. None of these sentences is in the training texts (a test checks it).

Two sets, built from different subjects, verbs and sentence starts: ``DEV`` is measured at every
evaluation of a training run; ``TEST`` is held aside, to be measured once, at the very end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel

ANSWERS = {"male": "his", "female": "her"}

# (male, female) word pairs: the gender-swapped training copy exchanges them, and the built-in feature
# "the last gendered word was female" reads them.
GENDER_PAIRS = (
    ("he", "she"), ("himself", "herself"), ("man", "woman"), ("men", "women"),
    ("king", "queen"), ("kings", "queens"), ("prince", "princess"), ("father", "mother"),
    ("fathers", "mothers"), ("son", "daughter"), ("sons", "daughters"), ("brother", "sister"),
    ("brothers", "sisters"), ("husband", "wife"), ("husbands", "wives"), ("boy", "girl"), ("boys", "girls"),
    ("uncle", "aunt"), ("nephew", "niece"), ("gentleman", "lady"), ("gentlemen", "ladies"), ("sir", "madam"),
    ("mr", "mrs"), ("lord", "lady"), ("duke", "duchess"), ("master", "mistress"),
    ("widower", "widow"), ("bridegroom", "bride"), ("grandfather", "grandmother"), ("papa", "mama"),
)  # fmt: skip


@dataclass(frozen=True)
class Pair:
    """One context: the words up to the blank, the subject's gender and the words between subject and blank."""

    text: str
    gender: str  # "male" or "female"
    distance: int  # words (as the word tokenizer counts them) between the subject and the blank


# Each entry: (male subject, female subject). Pronoun subjects come after a clause that names no one.
_DEV_SUBJECTS = (
    ("the king", "the queen"), ("my father", "my mother"), ("the old man", "the old woman"),
    ("the gentleman", "the lady"), ("mr. brown", "mrs. brown"), ("john", "mary"), ("the boy", "the girl"),
    ("he", "she"), ("the captain", "the widow"), ("her husband", "his wife"),
)  # fmt: skip
_TEST_SUBJECTS = (
    ("the prince", "the princess"), ("my uncle", "my aunt"), ("the young man", "the young woman"),
    ("the duke", "the duchess"), ("mr. grey", "mrs. grey"), ("thomas", "margaret"), ("the landlord", "the landlady"),
    ("he", "she"), ("the bridegroom", "the bride"), ("her son", "his daughter"),
)  # fmt: skip
_DEV_STARTS = ("after dinner ,", "in the morning ,", "that evening ,", "at the door ,", "on the stairs ,",
               "when the bell rang ,", "as the rain began ,", "before the others woke ,")  # fmt: skip
_TEST_STARTS = ("at noon ,", "in the garden ,", "late that night ,", "by the window ,", "on the road ,",
                "when the music stopped ,", "as the fire died down ,", "after the letter came ,")  # fmt: skip
# Words between the subject and the verb: 0 to 9 of them (the verb makes the distance 1 to 10).
_DEV_MIDDLES = ("", "slowly", "then slowly", "stood up and", "looked up and", "heard the news and",
                "waited a moment and then", "looked at the clock and then", "turned to the window and",
                "was silent for a while , then",
                "came into the room , sat down and", "sat by the fire for an hour and then")  # fmt: skip
_TEST_MIDDLES = ("", "quietly", "then quietly", "sat down and", "said nothing and", "read the note and",
                 "paused for a moment and then", "walked across the hall and", "stood there a long time , then",
                 "went back to the table , sighed and")  # fmt: skip
_DEV_VERBS = ("raised", "shook", "lost", "closed", "folded", "dropped", "lowered", "turned")
_TEST_VERBS = ("bent", "lifted", "wiped", "rubbed", "crossed", "put down", "took off", "held out")


def _build(subjects, starts, middles, verbs, count: int) -> tuple[Pair, ...]:
    """``count`` minimal pairs, each subject, start, middle and verb used in turn (no randomness)."""
    pairs = []
    for i in range(count):
        male, female = subjects[i % len(subjects)]
        start = starts[(i * 3) % len(starts)]
        middle = middles[(i * 7) % len(middles)]
        verb = verbs[(i * 5) % len(verbs)]
        between = f"{middle} {verb}".split()
        for subject, gender in ((male, "male"), (female, "female")):
            text = " ".join([start, subject, *between])
            pairs.append(Pair(text, gender, len(between)))
    return tuple(pairs)


DEV = _build(_DEV_SUBJECTS, _DEV_STARTS, _DEV_MIDDLES, _DEV_VERBS, 80)  # 160 contexts, 80 of each gender
TEST = _build(_TEST_SUBJECTS, _TEST_STARTS, _TEST_MIDDLES, _TEST_VERBS, 80)


@torch.no_grad()
def margins(module: SequenceModel, tokenizer, pairs, device=None) -> np.ndarray:
    """log p(right possessive) - log p(wrong possessive) at the blank of each context (> 0: agrees)."""
    index = tokenizer.index
    for word in ANSWERS.values():
        if word not in index:
            raise ValueError(f"the model's vocabulary has no {word!r}: agreement cannot be measured")
    his, her = index["his"], index["her"]
    was_training = module.training
    module.eval()
    out = []
    try:
        for pair in pairs:
            ids = tokenizer.encode(pair.text).ids
            x = torch.tensor([ids], dtype=torch.long, device=device)
            logits, _ = module(x)
            last = logits[0, -1].float()
            right, wrong = (his, her) if pair.gender == "male" else (her, his)
            out.append(float(last[right] - last[wrong]))  # the softmax's normaliser cancels
    finally:
        module.train(was_training)
    return np.array(out)


def metrics(module: SequenceModel, tokenizer, pairs=DEV, device=None, prefix: str = "agreement") -> dict:
    """Share of contexts that agree, overall and for each possessive, and by distance (a dict)."""
    agree = margins(module, tokenizer, pairs, device) > 0
    genders = np.array([p.gender for p in pairs])
    distances = np.array([p.distance for p in pairs])
    result = {prefix: float(agree.mean())}
    for gender, word in ANSWERS.items():
        result[f"{prefix}_{word}"] = float(agree[genders == gender].mean())
    result[f"{prefix}_by_distance"] = {
        int(d): round(float(agree[distances == d].mean()), 3) for d in sorted(set(distances.tolist()))
    }
    return result
