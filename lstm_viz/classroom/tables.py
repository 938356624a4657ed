"""The class tables, and the database that holds them, reached through SQLAlchemy.

:func:`database_url` is ``$LSTM_VIZ_DATABASE_URL`` when set (``postgresql+psycopg://...``: the replicas of
a deployment share it), else a SQLite file ``classes.sqlite3`` under ``$LSTM_VIZ_HOME``, in WAL mode so that
pages read while another writes. :func:`open_engine` opens it (one engine per address and process) and
brings its schema up to date with the migrations in :mod:`lstm_viz.classroom.migrations` (Alembic). Every
query in :mod:`lstm_viz.classroom.store` is built from these tables, so its values are bound parameters.

Times are seconds since the epoch (floats), the same in both databases.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()

classes = sa.Table(
    "classes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("teacher", sa.String(64), nullable=False),  # the digest of the teacher's secret
    sa.Column("lesson_id", sa.String(64), nullable=False),
    sa.Column("lesson", sa.Text, nullable=True),  # a teacher's own lesson, as JSON
    sa.Column("item", sa.String(16), nullable=False),  # what the class is on: "stop-3", "quiz-1"
    sa.Column("revealed", sa.Boolean, nullable=False, default=False),
    sa.Column("share_models", sa.Boolean, nullable=False, default=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("expires", sa.Float, nullable=False),
)

students = sa.Table(
    "students",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("nickname", sa.String(32), nullable=False),
    sa.Column("seat", sa.String(64), nullable=False, unique=True),  # the digest of the student's secret
    sa.Column("joined", sa.Float, nullable=False),
    sa.Column("window_start", sa.Float, nullable=False),  # the rate limit: answers since window_start
    sa.Column("window_count", sa.Integer, nullable=False, default=0),
    sa.UniqueConstraint("class_id", "nickname", name="uq_students_class_nickname"),
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("student_id", sa.Integer, sa.ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
    sa.Column("item", sa.String(16), nullable=False),
    sa.Column("value", sa.Text, nullable=False),  # JSON: an option's text, a step, a number
    sa.Column("right", sa.Boolean, nullable=False),
    sa.Column("answered", sa.Float, nullable=False),
    sa.UniqueConstraint("student_id", "item", name="uq_answers_student_item"),
)

FILE_NAME = "classes.sqlite3"


def database_url() -> str:
    named = os.environ.get("LSTM_VIZ_DATABASE_URL", "").strip()
    if named:
        return named
    home = Path(os.environ.get("LSTM_VIZ_HOME") or "runs").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / FILE_NAME}"


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _connect(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 5})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args={"connect_timeout": 3})


def migrate(engine: sa.Engine) -> None:
    """Bring the database's schema up to the newest migration (a new database gets every table)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_ENGINES: dict[str, sa.Engine] = {}
_LOCK = threading.Lock()


def open_engine(url: str | None = None) -> sa.Engine:
    """The engine for ``url`` (default :func:`database_url`), its schema migrated on first use in this process."""
    url = url or database_url()
    with _LOCK:
        if url not in _ENGINES:
            engine = _connect(url)
            migrate(engine)
            _ENGINES[url] = engine
        return _ENGINES[url]
