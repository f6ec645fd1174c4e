"""Engine set-up per database: SQLite's WAL, busy timeout and BEGIN IMMEDIATE for every write; ending a
session whose connection the server dropped."""

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy.engine import Connection, Engine, ExecutionContext
from sqlalchemy.orm import scoped_session

log = logging.getLogger(__name__)

# Execution option a service sets on its connection to ask SQLite for a write lock up front.
IMMEDIATE = "sqlite_begin_immediate"
# Whether the connection's current transaction began IMMEDIATE (kept in the connection's `info`).
_BEGAN_IMMEDIATE = "ccb_began_immediate"
_CHECKED = ContextVar("ccb_sqlite_writes_checked", default=False)
_WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class DeferredWriteError(RuntimeError):
    """A write on SQLite in a transaction that did not take the write lock when it began: a programming error.

    Such a transaction reads first and asks for the write lock only at its first write; in WAL mode, when
    another connection writes meanwhile, SQLite refuses it at once ("database is locked"), whatever the busy
    timeout. Write through `booking.services.transactions.write_transaction` (or a connection with the
    `IMMEDIATE` execution option) instead.
    """


def configure_engine(engine: Engine, *, test_setup_writes: bool = False) -> None:
    """SQLite: foreign keys, busy timeout, WAL; BEGIN IMMEDIATE where asked, and no write without it.

    Every write must run in a transaction that began IMMEDIATE, or it raises `DeferredWriteError`, so a write
    path that forgot fails its first test instead of failing under concurrency. `test_setup_writes` (the test
    suite's app) lets code outside a request write without it: the tests' factories set up their rows
    directly; requests and scheduled jobs (`checked_writes`), whose writes are what the tests check, stay
    strict there too.
    """
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
        immediate = bool(connection.get_execution_options().get(IMMEDIATE))
        connection.info[_BEGAN_IMMEDIATE] = immediate
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _refuse_deferred_write(
        connection: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: ExecutionContext | None,
        _executemany: bool,
    ) -> None:
        if connection.info.get(_BEGAN_IMMEDIATE) or not _is_write(statement, context):
            return
        if test_setup_writes and not (has_request_context() or _CHECKED.get()):
            return
        raise DeferredWriteError(
            f"SQLite write in a transaction not begun IMMEDIATE (use write_transaction): {statement[:50]}"
        )


@contextmanager
def checked_writes() -> Iterator[None]:
    """Check every write within, like a request's, even in the test suite's app (scheduled jobs run here)."""
    token = _CHECKED.set(True)
    try:
        yield
    finally:
        _CHECKED.reset(token)


def _is_write(statement: str, context: ExecutionContext | None) -> bool:
    if context is not None and (context.isinsert or context.isupdate or getattr(context, "isdelete", False)):
        return True
    return _WRITE_STATEMENT.match(statement) is not None


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


def compared_by_alembic(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's `include_object`: leave out what the migrations create by hand and no model describes.

    The PostgreSQL exclusion constraints' indexes (ex_*), the pg_trgm search index, and SQLite's FTS5 search
    table with its shadow tables (resource_search*), kept in step by triggers.
    """
    if type_ == "index" and reflected and name and name.startswith(("ex_", "ix_resource_search_text_trgm")):
        return False
    return not (type_ == "table" and reflected and name and name.startswith("resource_search"))


@contextmanager
def own_transaction(engine: Engine) -> Iterator[Connection]:
    """A short transaction on a connection of its own (BEGIN IMMEDIATE on SQLite: it writes)."""
    with engine.connect() as conn:
        conn.execution_options(**{IMMEDIATE: True})
        with conn.begin():
            yield conn


@dataclass(frozen=True)
class Outbox:
    """An outbox table (email messages, webhook deliveries) and the values of its `status` column while a row
    waits to be sent (`queued`) and while a sender holds it (`sending`)."""

    table: sa.Table
    queued: str
    sending: str


def claim_rows(
    conn: Connection,
    outbox: Outbox,
    claimable: sa.ColumnElement[bool],
    *,
    lease_until: datetime,
    limit: int | None = None,
) -> list[Mapping[str, Any]]:
    """Claim outbox rows (email messages, webhook deliveries): mark the `claimable` ones `sending` (up to
    `limit`, oldest first), count the attempt and lease them until `lease_until`, in one UPDATE ... RETURNING.

    On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so a concurrent claimer takes other rows
    instead of waiting (and can never deadlock on them), and the condition is checked again on each row as
    locked; on SQLite the writers are serialized. Either way a row is claimed by one sender only.
    """
    table = outbox.table
    picked = sa.select(table.c.id).where(claimable).order_by(table.c.id).with_for_update(skip_locked=True)
    if limit is not None:
        picked = picked.limit(limit)
    picked_ids = picked.cte("picked")
    rows = (
        conn.execute(
            sa.update(table)
            .where(table.c.id.in_(sa.select(picked_ids.c.id)), claimable)
            .values(status=outbox.sending, attempts=table.c.attempts + 1, next_attempt_at=lease_until)
            .returning(*table.c)
        )
        .mappings()
        .all()
    )
    return sorted(cast("Sequence[Mapping[str, Any]]", rows), key=lambda row: row["id"])


def settle_rows(
    conn: Connection,
    outbox: Outbox,
    outcomes: Sequence[Mapping[str, Any]],
    untried: Sequence[int],
    now: datetime,
) -> None:
    """Record what became of claimed outbox rows (see `claim_rows`). Each mapping of `outcomes` holds a row's
    `id` and its new column values, the same columns in each, written in one executemany UPDATE; the
    `untried` rows still `sending` are handed back `queued`, due `now`, their attempt uncounted."""
    table = outbox.table
    if outcomes:
        columns = [name for name in outcomes[0] if name != "id"]
        conn.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("row_id"))
            .values({name: sa.bindparam(f"new_{name}") for name in columns}),
            [{"row_id": row["id"], **{f"new_{name}": row[name] for name in columns}} for row in outcomes],
        )
    if untried:
        conn.execute(
            sa.update(table)
            .where(table.c.id.in_(untried), table.c.status == outbox.sending)
            .values(status=outbox.queued, attempts=table.c.attempts - 1, next_attempt_at=now)
        )
