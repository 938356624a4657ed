"""Class mode: a teacher runs a lesson live, each student answers on their own device.

The class's state (classes, students, answers) lives in a database: SQLite under ``$LSTM_VIZ_HOME`` by
default, PostgreSQL when ``LSTM_VIZ_DATABASE_URL`` names one (several replicas then share it). Nothing
here imports streamlit; the pages are in :mod:`lstm_viz.ui`.

- :mod:`.codes`: join codes and secrets (from ``secrets``), nicknames made safe to store and show;
- :mod:`.answers`: a student's answer checked against the question's kind, graded, and tallied;
- :mod:`.tables`: the tables, and the database reached through SQLAlchemy with its migrations;
- :mod:`.store`: what a teacher and a student may do to a class, each checked against their secret;
- :mod:`.migrations`: the schema's history, run by Alembic when the store opens the database.
"""
