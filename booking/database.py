"""Engine set-up per database: SQLite's WAL, busy timeout and BEGIN IMMEDIATE for booking writes; ending a
session whose connection the server dropped."""

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import scoped_session

log = logging.getLogger(__name__)

# Execution option a service sets on its connection to ask SQLite for a write lock up front.
IMMEDIATE = "sqlite_begin_immediate"


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN, so we can choose IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        if engine.url.database and engine.url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Booking writes serialize here: a second writer waits (busy timeout) instead of reading stale data.
        if connection.get_execution_options().get(IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def end_session(session: scoped_session) -> None:
    """Close the scoped session and give its connection back, even if the server has dropped it.

    Closing rolls back, and PostgreSQL answers that ROLLBACK with an error when an administrator or a restart
    terminated the backend. Then the connection is invalidated instead (the pool opens a new one for the next
    request), so a response already rendered still goes out and the worker stays healthy.
    """
    try:
        session.remove()
    except sa.exc.DBAPIError:
        log.warning("the database dropped the connection; invalidating it", exc_info=True)
        session.registry().invalidate()
        session.remove()
