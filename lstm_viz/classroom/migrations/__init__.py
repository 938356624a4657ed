"""The class tables' history, applied in order by Alembic (:func:`lstm_viz.classroom.tables.migrate`).

- :mod:`.env`: Alembic's entry point, run on the connection the store opened;
- :mod:`.versions`: one module per change of the schema.
"""
