"""Alembic runs this with the connection :func:`lstm_viz.classroom.tables.migrate` opened (online only)."""

from alembic import context

from lstm_viz.classroom.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
