"""Class mode's rules on their own: join codes, secrets, nicknames, and answers checked, graded and counted."""

import math

import pytest

from lstm_viz.classroom import answers, codes
from lstm_viz.lessons.questions import Question

CHOICE = Question("choice", "positive", ("positive", "negative"))
TOKEN = Question("token", 2, ("The", " cat", " sat"))
NUMBER = Question("number", 0.4, lo=0.0, hi=1.0, spec=".2f")


def test_join_codes_are_drawn_from_the_unmistakable_alphabet_and_do_not_repeat():
    drawn = {codes.new_code() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(len(c) == 10 and set(c) <= set(codes.ALPHABET) for c in drawn)
    assert not set(codes.ALPHABET) & set("01OIL")
    assert len(codes.ALPHABET) ** codes.CODE_LENGTH > 2**48  # guessing an open code is impractical


def test_a_code_is_read_as_people_type_it_and_refused_with_a_sentence_otherwise():
    assert codes.read_code("abcde-fghjk") == "ABCDEFGHJK"
    assert codes.read_code(" ABCDE FGHJK ") == "ABCDEFGHJK"
    assert codes.show_code("ABCDEFGHJK") == "ABCDE-FGHJK"
    for bad in ("", "ABCDE", "ABCDE-FGHJ0", "OOOOOOOOOO", "ABCDEFGHJK" * 100, None, 12345, "ＡＢＣＤＥＦＧＨＪＫ"):
        with pytest.raises(codes.CodeError, match="ten letters and digits"):
            codes.read_code(bad)


def test_secrets_are_long_and_only_their_digests_are_kept():
    a, b = codes.new_secret(), codes.new_secret()
    assert a != b and len(a) >= 43
    assert codes.digest(a) != a and len(codes.digest(a)) == 64 and codes.digest(a) == codes.digest(a)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Ana   Lu ", "Ana Lu"),
        ("Ｍａｒｉａ", "Maria"),  # NFKC: full-width letters
        ("Bo\u200b\u202eb", "Bob"),  # zero-width space and a right-to-left override dropped
        ("line\nbreak\ttab", "line break tab"),
        ("<b>x</b>", "<b>x</b>"),  # kept as text: the page shows it as text, never as markup
        ("José", "José"),
    ],
)
def test_a_nickname_is_normalised(typed, kept):
    assert codes.nickname(typed) == kept


@pytest.mark.parametrize("typed", ["", "   ", "\u200b\u200b", "\x00\x07", None, "x" * 25, "ab" * 10_000])
def test_a_nickname_that_cannot_be_shown_is_refused_with_a_sentence(typed):
    with pytest.raises(codes.CodeError, match="nickname"):
        codes.nickname(typed)


def test_answers_are_checked_against_the_questions_kind():
    assert answers.check(CHOICE, "negative") == "negative"
    assert answers.check(TOKEN, 1) == 1
    assert answers.check(NUMBER, 1) == 1.0
    bad = [
        (CHOICE, "neutral"), (CHOICE, 0), (CHOICE, None), (TOKEN, 3), (TOKEN, -1), (TOKEN, True), (TOKEN, "1"),
        (TOKEN, 1.0), (NUMBER, math.nan), (NUMBER, math.inf), (NUMBER, 1.01), (NUMBER, -0.2), (NUMBER, "0.4"),
        (NUMBER, False), (NUMBER, 10**400),
    ]  # fmt: skip
    for q, value in bad:
        with pytest.raises(answers.AnswerError):
            answers.check(q, value)


def test_answers_are_graded_as_the_lesson_grades_them():
    assert answers.right(CHOICE, "positive") and not answers.right(CHOICE, "negative")
    assert answers.right(TOKEN, 2) and not answers.right(TOKEN, 1)
    assert answers.right(NUMBER, 0.44) and not answers.right(NUMBER, 0.5)  # within a twentieth of the range


def test_the_tally_counts_each_answer_in_its_bar_and_marks_the_models():
    t = answers.tally(CHOICE, ["positive", "negative", "negative"])
    assert t.labels == ("positive", "negative") and t.counts == (1, 2) and t.model_bar == 0
    assert (t.answered, t.right) == (3, 1)
    t = answers.tally(TOKEN, [0, 2, 2, 2])
    assert t.labels == ("0: The", "1:  cat", "2:  sat") and t.counts == (1, 0, 3) and t.right == 3
    t = answers.tally(NUMBER, [0.0, 0.1, 0.9, 0.95, 1.0, 0.4])
    assert len(t.counts) == 10 and t.counts[0] == 1 and t.counts[1] == 1 and t.counts[9] == 3 and t.counts[4] == 1
    assert t.model_bar == 4 and t.labels[4] == "0.40–0.50"
    assert answers.tally(NUMBER, []).counts == (0,) * 10


def test_a_quiz_is_scored_per_question_and_per_nickname():
    rows = [
        {"nickname": "Bo", "item": "stop-4", "answer": "a", "right": True},
        {"nickname": "ana", "item": "stop-4", "answer": "b", "right": False},
        {"nickname": "ana", "item": "stop-5", "answer": 1, "right": True},
        {"nickname": "Bo", "item": "stop-5", "answer": 2, "right": True},
        {"nickname": "Cy", "item": "stop-1", "answer": "x", "right": True},  # a lesson stop: not the quiz's
    ]
    per_question, per_name = answers.scores(["First", "Second", "Third"], ["stop-4", "stop-5", "stop-6"], rows)
    assert per_question == [
        {"question": "1. First", "answered": 2, "right": 1},
        {"question": "2. Second", "answered": 2, "right": 2},
        {"question": "3. Third", "answered": 0, "right": 0},
    ]
    assert per_name == [
        {"nickname": "Bo", "right": 2, "answered": 2},
        {"nickname": "ana", "right": 1, "answered": 2},
    ]
