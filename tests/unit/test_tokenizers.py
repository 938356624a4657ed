"""Tokenizers: nothing is ever dropped, every replacement is reported, spans point into the text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_viz.engine.tokenizers import CharTokenizer, WordTokenizer, tokenizer_from_dict

SHAKESPEARE_LIKE = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def chars() -> CharTokenizer:
    return CharTokenizer.from_corpus(SHAKESPEARE_LIKE)


@pytest.fixture
def words() -> WordTokenizer:
    corpus = ["the movie does n't work , it 's dull .", "a good , good film !", "it is not bad"] * 2 + ["rare"]
    return WordTokenizer.from_corpus(corpus, min_count=2)


def check_consistent(tok, text: str) -> None:
    """The invariants every encoding keeps, whatever the text."""
    enc = tok.encode(text)
    assert len(enc.ids) == len(enc.pieces) == len(enc.spans) == len(enc)
    for piece, (start, end) in zip(enc.pieces, enc.spans, strict=True):
        assert 0 <= start < end <= len(text)
        assert text[start:end] == piece
    assert [s for s, _ in enc.spans] == sorted(s for s, _ in enc.spans)
    assert all(0 <= i < len(tok) for i in enc.ids)
    positions = [u.position for u in enc.unknown]
    assert positions == sorted(set(positions))
    for u in enc.unknown:
        assert enc.pieces[u.position] == u.piece
        assert u.replacement in tok.index  # the model is fed something it knows
        assert enc.ids[u.position] == tok.index[u.replacement]
    split = list(text) if tok.kind == "char" else [w for w, _, _ in WordTokenizer.split(text)]
    for i in set(range(len(enc))) - set(positions):  # a piece not reported is fed as itself
        assert tok.vocab[enc.ids[i]] == split[i]


# --- characters ---------------------------------------------------------------------------


def test_char_known_text_round_trips(chars):
    text = "To be, or not to be: that is the question.\n"
    enc = chars.encode(text)
    assert enc.unknown == []
    assert chars.decode(enc.ids) == text
    assert enc.spans == [(i, i + 1) for i in range(len(text))]
    assert enc.pieces == list(text)


def test_char_unknown_characters_are_replaced_and_reported(chars):
    text = "caf\u00e9 \u2014 \u2019tis 7 x"
    enc = chars.encode(text)
    assert len(enc.ids) == len(enc.pieces) == len(text)
    reported = {(u.position, u.piece, u.replacement) for u in enc.unknown}
    assert reported == {(3, "\u00e9", "e"), (5, "\u2014", "-"), (7, "\u2019", "'"), (12, "7", " ")}
    assert chars.decode(enc.ids) == "cafe - 'tis   x"
    check_consistent(chars, text)


def test_char_emoji_multi_codepoint_and_combining_accents(chars):
    thumbs = "\U0001f44d\U0001f3fd"  # thumbs up + skin tone: two code points, one glyph
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # ZWJ sequence: five code points
    accent = "e\u0301"  # e + combining acute accent
    text = f"a{thumbs}b{family}{accent}"
    enc = chars.encode(text)
    assert len(enc) == len(text) == 1 + 2 + 1 + 5 + 2
    unknown = {u.position: u for u in enc.unknown}
    assert sorted(unknown) == [1, 2, 4, 5, 6, 7, 8, 10]  # every code point the vocabulary lacks
    assert unknown[1].piece == "\U0001f44d" and unknown[1].replacement == " "
    assert unknown[5].piece == "\u200d"
    assert unknown[10].piece == "\u0301" and unknown[10].replacement == " "
    assert enc.pieces[9] == "e" and 9 not in unknown
    check_consistent(chars, text)


def test_char_empty_and_whitespace_only(chars):
    enc = chars.encode("")
    assert (enc.ids, enc.pieces, enc.spans, enc.unknown) == ([], [], [], [])
    enc = chars.encode("  \n ")
    assert enc.ids == [chars.index[" "]] * 2 + [chars.index["\n"], chars.index[" "]] and enc.unknown == []
    enc = chars.encode("\t\r\u00a0")  # tab, carriage return, no-break space: look-alikes, reported
    assert [(u.piece, u.replacement) for u in enc.unknown] == [("\t", " "), ("\r", "\n"), ("\u00a0", " ")]


def test_char_vocabulary_without_space_uses_documented_fallback():
    tok = CharTokenizer(list("abc"))  # no space: the fallback is vocab[0]
    enc = tok.encode("a?z")
    assert tok.fallback == "a"
    assert [(u.position, u.piece, u.replacement) for u in enc.unknown] == [(1, "?", "a"), (2, "z", "a")]
    assert enc.ids == [0, 0, 0]


def test_char_tokenizer_round_trips_through_card_dict(chars):
    spec = chars.to_dict()
    assert spec["kind"] == "char" and spec["vocab"] == sorted(set(SHAKESPEARE_LIKE)) and spec["unknown"] == " "
    again = tokenizer_from_dict(spec)
    assert isinstance(again, CharTokenizer) and again.vocab == chars.vocab and again.fallback == chars.fallback
    text = "Hark! \u00e9\U0001f600 what light"
    assert again.encode(text) == chars.encode(text)


@pytest.mark.parametrize(
    "vocab, message",
    [([], "non-empty list of single characters"), (["ab"], "single character"), (["a", "a"], "duplicate")],
)
def test_char_vocabulary_errors(vocab, message):
    with pytest.raises(ValueError, match=message):
        CharTokenizer(vocab)
    with pytest.raises(ValueError, match="empty corpus"):
        CharTokenizer.from_corpus("")


# --- words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, split",
    [
        ("doesn't", "does n't"),
        ("it's", "it 's"),
        ("Don't", "do n't"),
        ("can't stop", "ca n't stop"),
        ("The film's end isn't bad.", "the film 's end is n't bad ."),
    ],
)
def test_word_split_matches_rt_polarity_style(raw, split):
    pieces = [w for w, _, _ in WordTokenizer.split(raw)]
    assert pieces == [w for w, _, _ in WordTokenizer.split(split)] == split.split()


def test_word_encode_reports_unknown_words_and_keeps_them(words):
    text = "The movie doesn't WORK, it's wonderful!"
    enc = words.encode(text)
    assert enc.pieces == ["The", "movie", "does", "n't", "WORK", ",", "it", "'s", "wonderful", "!"]
    assert [(u.position, u.piece, u.replacement) for u in enc.unknown] == [(8, "wonderful", "<unk>")]
    assert enc.ids[8] == words.unk_id
    assert words.decode(enc.ids) == "the movie does n't work , it 's <unk> !"
    assert enc.spans[2] == (10, 14) and enc.spans[3] == (14, 17)
    check_consistent(words, text)


def test_word_emoji_and_accents_are_pieces_not_dropped(words):
    text = "good \U0001f44d\U0001f3fd film caf\u00e9 \U0001f468\u200d\U0001f469\u200d\U0001f467!"
    enc = words.encode(text)
    for piece in ("\U0001f44d", "\U0001f3fd", "\U0001f468", "\u200d", "!"):
        assert piece in enc.pieces
    assert {u.piece for u in enc.unknown} >= {"\U0001f44d", "\U0001f3fd", "\u200d", "\u00e9"}
    assert "".join(enc.pieces) == text.replace(" ", "")  # every non-space character is in some piece
    check_consistent(words, text)


def test_word_empty_and_whitespace_only(words):
    for text in ("", "   ", "\n\t  \n"):
        enc = words.encode(text)
        assert (enc.ids, enc.pieces, enc.spans, enc.unknown) == ([], [], [], [])


def test_word_spans_survive_characters_that_grow_when_lower_cased(words):
    text = "\u0130t's good"  # capital I with dot: lower() turns one character into two
    enc = words.encode(text)
    check_consistent(words, text)
    assert enc.pieces[-1] == "good" and enc.spans[-1] == (5, 9)


def test_word_tokenizer_round_trips_through_card_dict(words):
    spec = words.to_dict()
    assert spec["kind"] == "word" and spec["unknown"] == "<unk>" and spec["vocab"][:2] == ["<pad>", "<unk>"]
    again = tokenizer_from_dict(spec)
    assert isinstance(again, WordTokenizer) and again.vocab == words.vocab
    text = "it's a good film, isn't it?"
    assert again.encode(text) == words.encode(text)


def test_word_vocabulary_built_from_corpus(words):
    assert "n't" in words.index and "'s" in words.index and "good" in words.index
    assert "dull" in words.index and "rare" not in words.index  # min_count=2
    assert words.vocab[2:] == sorted(words.vocab[2:])


def test_word_vocabulary_errors():
    with pytest.raises(ValueError, match="unknown token"):
        WordTokenizer(["a", "b"])
    with pytest.raises(ValueError, match="without duplicates"):
        WordTokenizer(["<unk>", "a", "a"])


@pytest.mark.parametrize(
    "spec, message",
    [
        ("char", "must be an object"),
        ({"kind": "char"}, "tokenizer.vocab"),
        ({"kind": "char", "vocab": ["a", 1]}, "tokenizer.vocab"),
        ({"kind": "bpe", "vocab": ["a"]}, "tokenizer.kind"),
    ],
)
def test_tokenizer_from_dict_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        tokenizer_from_dict(spec)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_text_keeps_the_invariants(text):
    chars = CharTokenizer.from_corpus(SHAKESPEARE_LIKE)
    check_consistent(chars, text)
    assert len(chars.encode(text)) == len(text)
    words = WordTokenizer(["<pad>", "<unk>", "good", "n't", "'s", "!"])
    check_consistent(words, text)


@pytest.mark.parametrize("text", ["", "To be, or not", "caf\u00e9 \U0001f44d\t!"])
def test_char_encode_ids_fast_path_equals_encode(chars, text):
    ids = chars.encode_ids(text)
    assert ids.dtype.name == "int64" and ids.tolist() == chars.encode(text).ids
