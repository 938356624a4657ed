"""What a teacher and a student may do to a class, each checked against their secret.

The teacher starts a class (:meth:`ClassStore.start`) and gets its join code and the teacher's secret;
only that secret moves the class (:meth:`~ClassStore.show`, :meth:`~ClassStore.reveal`), reads the
class's nicknames and answers (:meth:`~ClassStore.roster`, :meth:`~ClassStore.results`) and ends it
(:meth:`~ClassStore.end`, which deletes every row of it). A student joins with the code and a nickname
(:meth:`~ClassStore.join`) and gets a seat secret that lets them read where the class is
(:meth:`~ClassStore.where`) and answer the question on screen (:meth:`~ClassStore.answer`): once per
question (a second answer replaces the first until the reveal), at most ``RATE`` answers in ``WINDOW``
seconds. After the reveal a student sees the class's counts, never another student's name or answer.

A class lives until its teacher ends it or ``$LSTM_VIZ_CLASS_DAYS`` days (default 7) pass, whichever
comes first; :meth:`~ClassStore.purge` deletes the expired ones (the store calls it as classes start).
A database that does not answer raises :class:`Unavailable`, whose message a page can show as it is.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from lstm_viz.classroom import answers as ans
from lstm_viz.classroom import codes
from lstm_viz.classroom.tables import answers, classes, open_engine, students
from lstm_viz.lessons.questions import Question

RATE, WINDOW = 5, 10.0  # at most 5 answers in 10 seconds per student
MAX_STUDENTS = 200
DAY = 86_400.0


class ClassError(ValueError):
    """What a person asked cannot be done (the message says why, fit to show on the page)."""


class Unavailable(RuntimeError):
    """The database does not answer; the class carries on when it is back."""


def retention_days() -> float:
    try:
        days = float(os.environ.get("LSTM_VIZ_CLASS_DAYS", "7"))
    except ValueError:
        days = 7.0
    return min(max(days, 1 / 24), 365.0) if days == days else 7.0


@dataclass(frozen=True)
class Started:
    code: str
    teacher: str  # the teacher's secret: never shown to a student


@dataclass(frozen=True)
class Place:
    """Where a class is, as every device of it sees it."""

    code: str
    lesson_id: str
    lesson: str | None
    item: str
    revealed: bool
    share_models: bool


@dataclass(frozen=True)
class Seat:
    nickname: str
    secret: str


def stop_item(index: int) -> str:
    return f"stop-{int(index)}"


def quiz_item(index: int) -> str:
    return f"quiz-{int(index)}"


def _guarded(method):
    def run(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except OperationalError as err:
            raise Unavailable(
                "The class's database is not answering just now. Your answers so far are kept; "
                "try again in a moment."
            ) from err

    run.__name__, run.__doc__ = method.__name__, method.__doc__
    return run


class ClassStore:
    def __init__(self, url: str | None = None, clock: Callable[[], float] = time.time):
        self.engine = open_engine(url)
        self.clock = clock

    # --- the teacher ------------------------------------------------------------------------------
    @_guarded
    def start(self, lesson_id: str, lesson_json: str | None = None, first_item: str = "stop-0") -> Started:
        """A new class on a lesson (a teacher's own one travels as JSON); old expired classes go first."""
        self.purge()
        secret, now = codes.new_secret(), self.clock()
        for _ in range(5):  # a repeated code is astronomically rare; draw again if it happens
            code = codes.new_code()
            try:
                with self.engine.begin() as db:
                    db.execute(
                        classes.insert().values(
                            code=code, teacher=codes.digest(secret), lesson_id=str(lesson_id)[:64],
                            lesson=lesson_json, item=first_item, revealed=False, share_models=False,
                            created=now, expires=now + retention_days() * DAY,
                        )
                    )  # fmt: skip
                return Started(code, secret)
            except IntegrityError:
                continue
        raise ClassError("Could not draw a free join code; try again.")

    def _teacher_class(self, db, code: str, teacher: str) -> int:
        row = db.execute(
            sa.select(classes.c.id).where(
                classes.c.code == code, classes.c.teacher == codes.digest(teacher), classes.c.expires > self.clock()
            )
        ).first()
        if row is None:
            raise ClassError("Only the class's teacher can do this (or the class has ended).")
        return row.id

    @_guarded
    def show(self, code: str, teacher: str, item: str) -> None:
        """Move the class to ``item`` (a stop or a quiz question), its answers closed to nobody yet."""
        with self.engine.begin() as db:
            class_id = self._teacher_class(db, code, teacher)
            db.execute(classes.update().where(classes.c.id == class_id).values(item=str(item)[:16], revealed=False))

    @_guarded
    def reveal(self, code: str, teacher: str) -> None:
        with self.engine.begin() as db:
            class_id = self._teacher_class(db, code, teacher)
            db.execute(classes.update().where(classes.c.id == class_id).values(revealed=True))

    @_guarded
    def share_models(self, code: str, teacher: str, shared: bool) -> None:
        with self.engine.begin() as db:
            class_id = self._teacher_class(db, code, teacher)
            db.execute(classes.update().where(classes.c.id == class_id).values(share_models=bool(shared)))

    @_guarded
    def roster(self, code: str, teacher: str) -> list[str]:
        """The nicknames of the class, in the order they joined."""
        with self.engine.begin() as db:
            class_id = self._teacher_class(db, code, teacher)
            rows = db.execute(
                sa.select(students.c.nickname).where(students.c.class_id == class_id).order_by(students.c.id)
            )
            return [r.nickname for r in rows]

    @_guarded
    def counts(self, code: str, teacher: str, item: str) -> tuple[int, int]:
        """How many have joined, and how many have answered ``item``."""
        with self.engine.begin() as db:
            class_id = self._teacher_class(db, code, teacher)
            joined = db.scalar(sa.select(sa.func.count()).where(students.c.class_id == class_id))
            answered = db.scalar(
                sa.select(sa.func.count()).where(answers.c.class_id == class_id, answers.c.item == item)
            )
            return int(joined), int(answered)

    @_guarded
    def results(self, code: str, teacher: str) -> list[dict]:
        """Every answer of the class: nickname, item, value, right, in the order given."""
        with self.engine.begin() as db:
            class_id = self._teacher_class(db, code, teacher)
            rows = db.execute(
                sa.select(students.c.nickname, answers.c.item, answers.c.value, answers.c.right)
                .join(students, students.c.id == answers.c.student_id)
                .where(answers.c.class_id == class_id)
                .order_by(answers.c.answered, answers.c.id)
            )
            return [
                {"nickname": r.nickname, "item": r.item, "answer": ans.load(r.value), "right": bool(r.right)}
                for r in rows
            ]

    @_guarded
    def end(self, code: str, teacher: str) -> None:
        """End the class: every row of it is deleted now."""
        with self.engine.begin() as db:
            class_id = self._teacher_class(db, code, teacher)
            self._delete(db, [class_id])

    @staticmethod
    def _delete(db, ids: list[int]) -> None:
        if ids:
            db.execute(answers.delete().where(answers.c.class_id.in_(ids)))
            db.execute(students.delete().where(students.c.class_id.in_(ids)))
            db.execute(classes.delete().where(classes.c.id.in_(ids)))

    @_guarded
    def purge(self) -> int:
        """Delete the classes past their retention; how many went."""
        with self.engine.begin() as db:
            ids = [r.id for r in db.execute(sa.select(classes.c.id).where(classes.c.expires <= self.clock()))]
            self._delete(db, ids)
            return len(ids)

    # --- everyone in the class ----------------------------------------------------------------------
    @_guarded
    def where(self, code: str) -> Place:
        """Where the class is; ClassError when no open class has this code."""
        code = codes.read_code(code)
        with self.engine.begin() as db:
            row = db.execute(
                sa.select(classes).where(classes.c.code == code, classes.c.expires > self.clock())
            ).first()
        if row is None:
            raise ClassError("No class is open with this code: it may have ended. Check the code on the projector.")
        return Place(row.code, row.lesson_id, row.lesson, row.item, bool(row.revealed), bool(row.share_models))

    @_guarded
    def tally(self, code: str, item: str, q: Question, teacher: str | None = None) -> ans.Tally:
        """The class's answers to ``item`` counted into bars: the teacher any time, the others after the reveal."""
        with self.engine.begin() as db:
            if teacher is not None:
                class_id = self._teacher_class(db, code, teacher)
            else:
                row = db.execute(
                    sa.select(classes.c.id, classes.c.item, classes.c.revealed).where(
                        classes.c.code == code, classes.c.expires > self.clock()
                    )
                ).first()
                if row is None or not (row.revealed and row.item == item):
                    raise ClassError("The class's answers are shown after the reveal.")
                class_id = row.id
            values = db.execute(
                sa.select(answers.c.value).where(answers.c.class_id == class_id, answers.c.item == item)
            )
            return ans.tally(q, [ans.load(v.value) for v in values])

    # --- a student ----------------------------------------------------------------------------------
    @_guarded
    def join(self, code: str, nickname: str) -> Seat:
        code, name = codes.read_code(code), codes.nickname(nickname)
        secret, now = codes.new_secret(), self.clock()
        with self.engine.begin() as db:
            row = db.execute(
                sa.select(classes.c.id).where(classes.c.code == code, classes.c.expires > now)
            ).first()
            if row is None:
                raise ClassError("No class is open with this code: it may have ended. Check the code on the projector.")
            joined = db.scalar(sa.select(sa.func.count()).where(students.c.class_id == row.id))
            if joined >= MAX_STUDENTS:
                raise ClassError(f"This class is full ({MAX_STUDENTS} students).")
        try:
            with self.engine.begin() as db:
                db.execute(
                    students.insert().values(
                        class_id=row.id, nickname=name, seat=codes.digest(secret), joined=now,
                        window_start=now, window_count=0,
                    )
                )  # fmt: skip
        except IntegrityError:
            raise ClassError(f"Someone in this class is already called {name!r}; pick another nickname.") from None
        return Seat(name, secret)

    @_guarded
    def rejoin(self, code: str, seat: str) -> Seat:
        """The seat a student already holds (after a reload, or on another replica); ClassError if none."""
        code = codes.read_code(code)
        with self.engine.begin() as db:
            return Seat(self._seat(db, code, seat).nickname, seat)

    def _seat(self, db, code: str, seat: str):
        row = db.execute(
            sa.select(students.c.id, students.c.nickname, classes.c.id.label("class_id"), classes.c.item,
                      classes.c.revealed)
            .join(classes, classes.c.id == students.c.class_id)
            .where(classes.c.code == code, students.c.seat == codes.digest(seat), classes.c.expires > self.clock())
        ).first()  # fmt: skip
        if row is None:
            raise ClassError("You are not in this class (or it has ended): join again with the code.")
        return row

    @_guarded
    def my_answer(self, code: str, seat: str, item: str):
        """The student's own answer to ``item`` (None if none)."""
        with self.engine.begin() as db:
            row = self._seat(db, code, seat)
            value = db.scalar(sa.select(answers.c.value).where(answers.c.student_id == row.id, answers.c.item == item))
            return None if value is None else ans.load(value)

    @_guarded
    def answer(self, code: str, seat: str, item: str, q: Question, value) -> None:
        """Keep the student's answer to the question on screen, checked against its kind and rate-limited."""
        checked = ans.check(q, value)
        now = self.clock()
        with self.engine.begin() as db:
            row = self._seat(db, code, seat)
            if row.item != item:
                raise ClassError("The class has moved on: answer the question on screen now.")
            if row.revealed:
                raise ClassError("The answer has been revealed: answers to this question are closed.")
            within = db.execute(
                students.update()
                .where(students.c.id == row.id, students.c.window_start > now - WINDOW, students.c.window_count < RATE)
                .values(window_count=students.c.window_count + 1)
            ).rowcount
            if not within:
                fresh = db.execute(
                    students.update()
                    .where(students.c.id == row.id, students.c.window_start <= now - WINDOW)
                    .values(window_start=now, window_count=1)
                ).rowcount
                if not fresh:
                    raise ClassError("Slow down: a few answers at a time. Your last answer is kept.")
            values = {"value": ans.dump(checked), "right": ans.right(q, checked), "answered": now}
            done = db.execute(
                answers.update().where(answers.c.student_id == row.id, answers.c.item == item).values(**values)
            ).rowcount
            if not done:
                try:
                    with db.begin_nested():
                        db.execute(answers.insert().values(class_id=row.class_id, student_id=row.id, item=item,
                                                           **values))  # fmt: skip
                except IntegrityError:  # the same student's other answer landed a moment ago: this one replaces it
                    db.execute(
                        answers.update().where(answers.c.student_id == row.id, answers.c.item == item).values(**values)
                    )
