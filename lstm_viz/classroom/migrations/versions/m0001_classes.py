"""The classes, their students and their answers."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("teacher", sa.String(64), nullable=False),
        sa.Column("lesson_id", sa.String(64), nullable=False),
        sa.Column("lesson", sa.Text, nullable=True),
        sa.Column("item", sa.String(16), nullable=False),
        sa.Column("revealed", sa.Boolean, nullable=False),
        sa.Column("share_models", sa.Boolean, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("expires", sa.Float, nullable=False),
    )
    op.create_table(
        "students",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("nickname", sa.String(32), nullable=False),
        sa.Column("seat", sa.String(64), nullable=False, unique=True),
        sa.Column("joined", sa.Float, nullable=False),
        sa.Column("window_start", sa.Float, nullable=False),
        sa.Column("window_count", sa.Integer, nullable=False),
        sa.UniqueConstraint("class_id", "nickname", name="uq_students_class_nickname"),
    )
    op.create_index("ix_students_class_id", "students", ["class_id"])
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
        sa.Column("item", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("right", sa.Boolean, nullable=False),
        sa.Column("answered", sa.Float, nullable=False),
        sa.UniqueConstraint("student_id", "item", name="uq_answers_student_item"),
    )
    op.create_index("ix_answers_class_id", "answers", ["class_id"])


def downgrade() -> None:
    op.drop_table("answers")
    op.drop_table("students")
    op.drop_table("classes")
