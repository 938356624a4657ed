"""One author's book as a character corpus: one generator per author, the design of "Applying LSTM to Text
Generation" (Leroux, Laliberté and Frédéric Boileau), against ``authors-lm``'s one model with seven style symbols.

The book is the one of the ``authors`` classifier, read the same way (:func:`lstm_viz.data.authors.read_book`:
its tag line dropped, whitespace collapsed) and split the same way (the first 90% trains, the last 10% is held
out and read as one stream, state carried, for the held-out loss). The final evaluation also runs the paper's
check on the author's own generator: :data:`~lstm_viz.data.styles.CHECK_SEEDS` passages of
:data:`~lstm_viz.data.styles.CHECK_LENGTH` characters written at :data:`~lstm_viz.data.styles.CHECK_TEMPERATURE`,
each read by the shipped ``authors`` classifier. :func:`per_author_check` runs it over all seven generators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lstm_viz.data.authors import BOOKS, LABELS, read_book
from lstm_viz.data.corpus import CharCorpus
from lstm_viz.engine.tokenizers import CharTokenizer

if TYPE_CHECKING:
    from lstm_viz.engine.network import SequenceModel

PRIME = " "  # what each generator reads before it writes: the one character every collapsed book is full of
FILES = {label: name for name, label in BOOKS}


class AuthorBook(CharCorpus):
    """Next-character prediction on one author's book of the ``authors`` classifier."""

    def __init__(self, author: str, seq_len: int = 128, tokenizer: CharTokenizer | None = None):
        if author not in FILES:
            raise ValueError(f"unknown author {str(author)[:40]!r}; choose one of: {', '.join(LABELS)}")
        super().__init__(read_book(FILES[author]), seq_len=seq_len, name=f"{author}, {FILES[author]}",
                         tokenizer=tokenizer)  # fmt: skip
        self.author = author
        self.description = f"author {author}: {self.description} (whitespace collapsed, as the authors classifier)"

    def evaluate(self, module: SequenceModel, device, full: bool = True, max_chars: int = 20000) -> dict:
        metrics = {"author": self.author, **super().evaluate(module, device, full=full, max_chars=max_chars)}
        if full:
            metrics["author_check"] = per_author_check({self.author: (module, self.tokenizer)})
        return metrics


def per_author_check(generators: dict, classifier: str = "authors") -> dict:
    """The paper's check, one generator per author: ``generators`` maps a label to (module, tokenizer).

    Each writes its passages after :data:`PRIME`; the classifier says whose they are (the agreement and
    every verdict, as :func:`lstm_viz.data.styles.style_check` gives them for a model with styles).
    """
    from lstm_viz.data.styles import CHECK_LENGTH, CHECK_TEMPERATURE, judge_passages
    from lstm_viz.generation.generate import sample_ids

    unknown = set(generators) - set(LABELS)
    if unknown:
        raise ValueError(f"not an author of the classifier: {sorted(unknown)}; these are: {', '.join(LABELS)}")

    def write(label: str, seed: int) -> str:
        module, tokenizer = generators[label]
        return tokenizer.decode(
            sample_ids(module, tokenizer.encode(PRIME).ids, CHECK_LENGTH, CHECK_TEMPERATURE, seed=seed).ids
        )

    modules = [module for module, _ in generators.values()]
    was_training = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        return judge_passages([label for label in LABELS if label in generators], write, classifier)
    finally:
        for m, mode in zip(modules, was_training, strict=True):
            m.train(mode)
