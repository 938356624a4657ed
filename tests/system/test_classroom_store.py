"""The class store against both databases it runs on: a SQLite file and a real PostgreSQL server.

What a teacher and a student may do, and what each is refused (a student with the teacher's controls, a
teacher of another class, a crafted secret), answers replaced until the reveal and closed after it, the rate
limit, the retention, deletion at the end, many students answering at once with none lost, and a database
that goes away for a moment."""

import threading

import pytest
import sqlalchemy as sa

from lstm_viz.classroom import store as class_store
from lstm_viz.classroom.store import ClassError, ClassStore, Unavailable
from lstm_viz.classroom.tables import answers, classes, students
from lstm_viz.lessons.questions import Question

Q = Question("choice", "her", ("his", "her"))
NUMBER = Question("number", 0.7, lo=0.0, hi=1.0, spec=".2f")


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def db(class_db, clock):
    return ClassStore(class_db, clock=clock)


def rows(db: ClassStore) -> dict[str, int]:
    with db.engine.begin() as conn:
        return {t.name: conn.scalar(sa.select(sa.func.count()).select_from(t)) for t in (classes, students, answers)}


def test_a_class_runs_from_start_to_end_and_leaves_nothing_behind(db):
    started = db.start("his-or-her")
    place = db.where(started.code.lower())
    assert (place.lesson_id, place.item, place.revealed) == ("his-or-her", "stop-0", False)
    ana, bo = db.join(started.code, "Ana"), db.join(started.code, "Bo")
    assert db.counts(started.code, started.teacher, "stop-0") == (2, 0)
    db.answer(started.code, ana.secret, "stop-0", Q, "his")
    db.answer(started.code, ana.secret, "stop-0", Q, "her")  # replaces the first until the reveal
    db.answer(started.code, bo.secret, "stop-0", Q, "his")
    assert db.counts(started.code, started.teacher, "stop-0") == (2, 2)
    assert db.my_answer(started.code, ana.secret, "stop-0") == "her"
    with pytest.raises(ClassError, match="after the reveal"):
        db.tally(started.code, "stop-0", Q)  # a student does not see the class's answers before the reveal
    assert db.tally(started.code, "stop-0", Q, teacher=started.teacher).counts == (1, 1)
    db.reveal(started.code, started.teacher)
    tally = db.tally(started.code, "stop-0", Q)
    assert (tally.counts, tally.model_bar, tally.answered, tally.right) == ((1, 1), 1, 2, 1)
    with pytest.raises(ClassError, match="revealed"):
        db.answer(started.code, bo.secret, "stop-0", Q, "her")
    db.show(started.code, started.teacher, "stop-1")
    with pytest.raises(ClassError, match="moved on"):
        db.answer(started.code, bo.secret, "stop-0", Q, "her")
    db.answer(started.code, bo.secret, "stop-1", NUMBER, 0.72)
    assert db.roster(started.code, started.teacher) == ["Ana", "Bo"]
    assert db.results(started.code, started.teacher) == [
        {"nickname": "Ana", "item": "stop-0", "answer": "her", "right": True},
        {"nickname": "Bo", "item": "stop-0", "answer": "his", "right": False},
        {"nickname": "Bo", "item": "stop-1", "answer": 0.72, "right": True},
    ]
    assert rows(db) == {"classes": 1, "students": 2, "answers": 3}
    db.end(started.code, started.teacher)
    assert rows(db) == {"classes": 0, "students": 0, "answers": 0}
    with pytest.raises(ClassError, match="No class is open"):
        db.where(started.code)
    with pytest.raises(ClassError, match="not in this class"):
        db.answer(started.code, ana.secret, "stop-1", NUMBER, 0.5)


def test_a_student_cannot_use_the_teachers_controls_nor_another_class_its_own(db):
    mine, other = db.start("counting"), db.start("counting")
    seat = db.join(mine.code, "Eve")
    for secret in (seat.secret, other.teacher, "", "x" * 10_000, mine.teacher + " ", mine.teacher.upper()):
        for act in (
            lambda s: db.show(mine.code, s, "stop-3"),
            lambda s: db.reveal(mine.code, s),
            lambda s: db.end(mine.code, s),
            lambda s: db.roster(mine.code, s),
            lambda s: db.results(mine.code, s),
            lambda s: db.counts(mine.code, s, "stop-0"),
            lambda s: db.tally(mine.code, "stop-0", Q, teacher=s),
            lambda s: db.share_models(mine.code, s, True),
        ):
            with pytest.raises(ClassError, match="Only the class's teacher"):
                act(secret)
    assert db.where(mine.code).item == "stop-0" and not db.where(mine.code).revealed
    with pytest.raises(ClassError, match="not in this class"):  # a seat is good in its own class only
        db.answer(other.code, seat.secret, "stop-0", Q, "his")


def test_nicknames_are_unique_in_a_class_and_bad_input_is_refused_with_a_sentence(db):
    started = db.start("counting")
    db.join(started.code, "Ana")
    with pytest.raises(ClassError, match="already called 'Ana'"):
        db.join(started.code, "  Ana ")
    other = db.start("counting")
    assert db.join(other.code, "Ana").nickname == "Ana"  # another class may have its own Ana
    with pytest.raises(ValueError, match="ten letters"):
        db.join("NOPE", "Ana")
    with pytest.raises(ClassError, match="No class is open"):
        db.join("ABCDE-FGHJK", "Ana")
    seat = db.join(started.code, "Bo")
    with pytest.raises(ValueError, match="Pick one of the options"):
        db.answer(started.code, seat.secret, "stop-0", Q, "<script>")
    assert db.counts(started.code, started.teacher, "stop-0") == (2, 0)


def test_answers_are_rate_limited_per_student(db, clock):
    started = db.start("counting")
    seat = db.join(started.code, "Fast")
    for _ in range(class_store.RATE):
        db.answer(started.code, seat.secret, "stop-0", Q, "his")
    with pytest.raises(ClassError, match="Slow down"):
        db.answer(started.code, seat.secret, "stop-0", Q, "her")
    assert db.my_answer(started.code, seat.secret, "stop-0") == "his"  # the last answer is kept
    clock.now += class_store.WINDOW + 0.1
    db.answer(started.code, seat.secret, "stop-0", Q, "her")
    assert db.my_answer(started.code, seat.secret, "stop-0") == "her"


def test_a_class_is_deleted_after_its_retention(db, clock, monkeypatch):
    monkeypatch.setenv("LSTM_VIZ_CLASS_DAYS", "2")
    old = db.start("counting")
    db.answer(old.code, db.join(old.code, "Ana").secret, "stop-0", Q, "his")
    clock.now += 2 * class_store.DAY - 1
    assert db.where(old.code).lesson_id == "counting"
    clock.now += 2
    with pytest.raises(ClassError, match="No class is open"):
        db.where(old.code)
    fresh = db.start("remember")  # starting a class purges the expired ones
    assert rows(db) == {"classes": 1, "students": 0, "answers": 0}
    assert db.where(fresh.code).lesson_id == "remember"


def test_sixty_students_answering_at_once_lose_no_answer(db):
    started = db.start("his-or-her")
    seats = [db.join(started.code, f"student {k}") for k in range(60)]
    errors = []

    def answer(seat, value):
        try:
            db.answer(started.code, seat.secret, "stop-0", Q, value)
        except Exception as err:  # noqa: BLE001 - every failure is reported below
            errors.append(repr(err))

    threads = [threading.Thread(target=answer, args=(s, ("his", "her")[k % 3 == 0])) for k, s in enumerate(seats)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert db.counts(started.code, started.teacher, "stop-0") == (60, 60)
    assert db.tally(started.code, "stop-0", Q, teacher=started.teacher).counts == (40, 20)


def test_a_database_that_goes_away_gives_a_sentence_and_the_class_carries_on(postgres_server, tmp_path):
    from deploy import postgres

    db = ClassStore(postgres.new_database(postgres_server.url, "t_goes_away"))
    started = db.start("counting")
    seat = db.join(started.code, "Ana")
    db.answer(started.code, seat.secret, "stop-0", Q, "his")
    postgres_server.stop()
    try:
        with pytest.raises(Unavailable, match="not answering just now"):
            db.answer(started.code, seat.secret, "stop-0", Q, "her")
        with pytest.raises(Unavailable):
            db.where(started.code)
    finally:
        postgres_server.start()
    assert db.my_answer(started.code, seat.secret, "stop-0") == "his"  # what was acknowledged is kept
    db.answer(started.code, seat.secret, "stop-0", Q, "her")
    assert db.counts(started.code, started.teacher, "stop-0") == (1, 1)


def test_a_student_keeps_their_seat_with_its_secret_and_no_one_else_takes_it(db):
    started = db.start("counting")
    seat = db.join(started.code, "Ana")
    assert db.rejoin(started.code.lower(), seat.secret).nickname == "Ana"
    for wrong in ("", "x" * 500, seat.secret[:-1], started.teacher):
        with pytest.raises(ClassError, match="not in this class"):
            db.rejoin(started.code, wrong)


def test_a_students_page_says_so_while_the_database_is_away_and_carries_on(postgres_server, monkeypatch):
    """The Join a class page on PostgreSQL (Streamlit's AppTest): the server stops, the page says why in a
    sentence (no traceback); it starts again, and the same page shows the stop."""
    from deploy import postgres
    from tests.factory import open_app

    url = postgres.new_database(postgres_server.url, "t_page_away")
    monkeypatch.setenv("LSTM_VIZ_DATABASE_URL", url)
    started = ClassStore(url).start("reading-reviews")
    at = open_app("app_pages/join.py", params={"code": started.code})
    at.text_input(key="class_nickname").set_value("Ana")
    at.button[0].click().run()
    assert "stop 1 of 4" in " ".join(c.value for c in at.caption)
    postgres_server.stop()
    try:
        at.run()
        assert not at.exception
        assert any("not answering just now" in w.value for w in at.warning)
    finally:
        postgres_server.start()
    at.run()
    assert not at.exception and not at.warning
    assert "stop 1 of 4" in " ".join(c.value for c in at.caption)
