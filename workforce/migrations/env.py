"""Alembic environment: migrates the connection handed over by :mod:`workforce.migrations`, or, from the
alembic command line, the configured database (``WORKFORCE_DB_URL``)."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from workforce import db
from workforce.config import get_settings

config = context.config
if config.config_file_name is not None:  # the alembic command line: log each revision as it runs
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = db.Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters a table by copying it: batch mode lets one revision work on both backends
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """`alembic upgrade --sql`: print the SQL for the configured database instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or get_settings().db_url,
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = db.make_engine(config.get_main_option("sqlalchemy.url") or None)
    try:
        with engine.begin() as connection:
            _configure(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
