"""Alembic environment: runs on the connection store.db.upgrade hands in, or on the URL
given with `-x url=...` when Alembic is driven from its own command line."""

from alembic import context
from sqlalchemy import create_engine

from store.models import Base
from store.search import include_object

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///crisiswatch.db")
        with create_engine(url).connect() as conn:
            _migrate(conn)
            conn.commit()
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True,
        include_object=include_object,  # autogenerate leaves the search index's tables be
    )
    with context.begin_transaction():
        context.run_migrations()


run()
