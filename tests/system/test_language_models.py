"""The language models of the classic examples: authors-lm (one style per author, judged by the
authors classifier), words-lm (a word-level model), and autocomplete by beam search."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_viz.data import styles
from lstm_viz.generation.autocomplete import complete
from lstm_viz.generation.generate import sample_ids
from lstm_viz.store import zoo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def authors_lm():
    return zoo.load("authors-lm")


@pytest.fixture(scope="module")
def words_lm():
    return zoo.load("words-lm")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lstm_viz", *args], capture_output=True, text=True, cwd=ROOT)


# --- authors-lm ---------------------------------------------------------------------------------


def test_authors_lm_has_the_classifiers_labels_as_styles_and_a_loss_for_each(authors_lm):
    judge = zoo.load("authors")
    assert authors_lm.styles == judge.labels
    by_author = authors_lm.card["metrics"]["val_loss_by_author"]
    assert set(by_author) == set(judge.labels)
    assert np.mean(list(by_author.values())) == pytest.approx(authors_lm.card["metrics"]["val_loss"], abs=1e-3)


def test_the_cards_style_check_is_what_the_classifier_says_again(authors_lm):
    """Re-write one passage of the card's check with its seed and let the classifier read it again."""
    check = authors_lm.card["metrics"]["style_check"]
    assert check["total"] == len(check["passages"]) == 21
    assert check["agree"] == sum(r["style"] == r["classified_as"] for r in check["passages"])
    judge = zoo.load("authors")
    row = check["passages"][0]
    symbol = authors_lm.card["styles"][row["style"]]
    written = authors_lm.tokenizer.decode(
        sample_ids(
            authors_lm.module,
            authors_lm.encode(symbol).ids,
            styles.CHECK_LENGTH,
            styles.CHECK_TEMPERATURE,
            seed=row["seed"],
        ).ids
    )
    probs = judge.trace(written).probs[-1]
    assert judge.labels[int(np.argmax(probs))] == row["classified_as"]
    assert float(probs.max()) == pytest.approx(row["p"], abs=2e-3)


def test_describe_check_says_what_the_passages_show():
    rows = [{"style": s, "classified_as": v} for s, v in [("A", "A"), ("A", "A"), ("B", "A"), ("B", "A")]]
    words = styles.describe_check({"agree": 2, "total": 4, "passages": rows})
    assert "50% of the passages" in words and "most common verdict is A (4 of 4)" in words
    assert "no passage written as B is classified as theirs" in words and "recognises A best" in words
    good = styles.describe_check({"agree": 4, "total": 4, "passages": [{"style": "A", "classified_as": "A"}] * 4})
    assert "100%" in good and "Short of" not in good


def test_generate_with_a_style_on_the_command_line():
    first = cli("generate", "authors-lm", "--style", "Whitman", "--length", "60", "--seed", "4", "--temperature", "0.8")
    again = cli("generate", "authors-lm", "--style", "Whitman", "--length", "60", "--seed", "4", "--temperature", "0.8")
    other = cli("generate", "authors-lm", "--style", "Austen", "--length", "60", "--seed", "4", "--temperature", "0.8")
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout and first.stdout != other.stdout
    assert "\ue006" not in first.stdout  # the style symbol is read, not printed
    unknown = cli("generate", "authors-lm", "--style", "Tolstoy")
    assert unknown.returncode == 2 and "unknown style 'Tolstoy'" in unknown.stderr and "Whitman" in unknown.stderr
    none = cli("generate", "shakespeare-char", "--style", "Austen")
    assert none.returncode == 2 and "has no styles" in none.stderr and "Traceback" not in none.stderr


def test_generate_page_offers_the_styles_and_the_check():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["gen_model"] = "authors-lm"
    at.switch_page("app_pages/generate.py")
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="gen_style").options == zoo.load("authors").labels
    check = zoo.load("authors-lm").card["metrics"]["style_check"]
    assert any(f"agrees with {check['agree']} of {check['total']} passages" in e.label for e in at.expander)
    at.selectbox(key="gen_style").set_value("Carroll")
    at.text_area(key="gen_prime").set_value("Alice")
    at.number_input(key="gen_length").set_value(40)
    at.button(key="gen_go").click().run()
    assert not at.exception and not at.error


# --- words-lm -----------------------------------------------------------------------------------


def test_words_lm_card_has_an_honest_perplexity(words_lm):
    metrics = words_lm.card["metrics"]
    assert words_lm.tokenizer.kind == "word"
    assert metrics["val_perplexity"] == pytest.approx(math.exp(metrics["val_loss"]), rel=1e-3)
    assert 1 < metrics["val_perplexity"] < len(words_lm.tokenizer)  # better than guessing, not impossibly good


def test_words_lm_predicts_words_and_shows_unknown_ones(words_lm):
    trace = words_lm.trace("the old man and the zxqvw")
    assert trace.tokens[-1] == "zxqvw" and trace.token_ids[-1] == words_lm.tokenizer.vocab.index("<unk>")
    assert [(u.piece, u.replacement) for u in trace.unknown] == [("zxqvw", "<unk>")]  # shown as read: <unk>
    top = np.argsort(trace.probs[-2])[::-1][:10]
    assert all(words_lm.labels[k].strip() for k in top)
    assert trace.probs.shape[1] == len(words_lm.tokenizer)


@pytest.mark.parametrize("page", ["app_pages/step_through.py", "app_pages/equations.py", "app_pages/heatmaps.py"])
def test_explorer_pages_read_word_tokens(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["model"] = "words-lm"
    at.session_state["text"] = "He fought for his country and the brave zxqvw"
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    assert not at.error


# --- autocomplete -------------------------------------------------------------------------------


def _probability(model, text: str, continuation: str) -> float:
    """P(continuation | text) from an independent trace: the product of each token's probability."""
    before = len(model.encode(text).ids)
    ids = model.encode(text + continuation).ids
    probs = model.trace(text + continuation).probs
    return float(np.prod([probs[t - 1][ids[t]] for t in range(before, len(ids))]))


def test_character_completions_are_the_models_probabilities_best_first():
    """A character completion finishes the word: its probability is the model's for its letters followed by
    a word end (the ends are summed: "now," and "now " are one completion)."""
    model, text = zoo.load("shakespeare-char"), "To be, or no"
    found = complete(model, text, width=4)
    assert len(found) == 4
    assert [c.prob for c in found] == sorted((c.prob for c in found), reverse=True)
    ends = [ch for ch in model.tokenizer.vocab if not ch.isalnum() and ch not in "'-"]
    for c in found:
        if not c.text[-1].isalnum():  # the word ended right away
            assert c.prob == pytest.approx(_probability(model, text, c.text), rel=1e-3)
            continue
        best_end = max(_probability(model, text, c.text + e) for e in ends)
        assert best_end * (1 - 1e-3) <= c.prob <= _probability(model, text, c.text) * (1 + 1e-3)


def test_word_completions_are_the_models_probabilities():
    model, text = zoo.load("words-lm"), "the old"
    found = complete(model, text, width=4, words=2)
    assert 1 <= len(found) <= 4
    assert [c.prob for c in found] == sorted((c.prob for c in found), reverse=True)
    for c in found:
        assert len(c.text.split()) <= 2 and "<unk>" not in c.text  # never a stand-in as a word to type
        if len(c.text.split()) == 2:
            assert c.prob >= _probability(model, text, c.text) * (1 - 1e-3)
        else:  # a word then a mark ("whale ." and "whale ," are one completion)
            marks = [m for m in ".,;:!?" if m in model.tokenizer.vocab]
            best = max(_probability(model, text, f"{c.text} {m}") for m in marks)
            assert c.prob >= best * (1 - 1e-3)
        first = " " + c.text.split()[0]
        assert c.prob <= _probability(model, text, first) * (1 + 1e-3)


def test_autocomplete_refuses_bad_requests():
    char = zoo.load("shakespeare-char")
    for kwargs, message in [
        ({"text": ""}, "type something first"),
        ({"text": "a", "width": 0}, "beam width"),
        ({"text": "a", "words": 9}, "complete 1 to 5 words"),
    ]:
        with pytest.raises(ValueError, match=message):
            complete(char, **kwargs)
    with pytest.raises(ValueError, match="only a language model"):
        complete(zoo.load("authors"), "text")
