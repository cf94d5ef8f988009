"""Alembic environment: the migrations run on the connection ecohub passes in.

That is the connection of :func:`ecohub.store.schema.migrate`, or ``-x url=...`` when the
``alembic`` command is used directly (for instance to autogenerate a revision against a scratch
database).
"""

from alembic import context
from sqlalchemy import create_engine, pool

from ecohub.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    """Run the pending revisions on ecohub's connection or on the ``-x url`` database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url is None:
        raise SystemExit("alembic: pass the database as -x url=postgresql+psycopg://...")
    with create_engine(url, poolclass=pool.NullPool).connect() as connection:
        _run_on(connection)


def _run_on(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    # One transaction for all pending revisions (or the caller's, which ecohub holds under a
    # PostgreSQL advisory lock): a failed upgrade leaves the schema as it was.
    with context.begin_transaction():
        context.run_migrations()


run()
