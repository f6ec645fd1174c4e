"""Write transactions for booking changes: serialised on SQLite, row-locked in a fixed order on PostgreSQL."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa
from psycopg.pq import TransactionStatus
from sqlalchemy.orm import Session

from booking.database import IMMEDIATE
from models import Organization, Resource, User, db


@contextmanager
def write_transaction() -> Iterator[list[object]]:
    """One transaction that commits on success and rolls back on any error.

    A request may already have opened a read transaction (loading the current user, say). On SQLite it
    is ended first so that the write transaction starts with BEGIN IMMEDIATE and holds the write lock
    from its first read, which is what makes check-then-insert safe there. On PostgreSQL it goes on,
    with everything it loaded expired, so it reads as a new transaction would (`_may_go_on`).

    The commit expires every loaded object, as usual, except those the caller adds to the list this
    yields: rows it wrote, or read again under their lock, are exactly what was committed, and reading
    them once more (the new booking the page redirects to, the person it was made for) is a query each.
    """
    session = db.session()  # the request's own Session behind the scoped proxy
    if session.in_transaction() and _may_go_on(session):
        # Expired, what it loaded is read again as freshly as a new transaction would read it, without
        # handing the connection back to the pool and taking it again (a rollback, a ping and a BEGIN).
        session.expire_all()
    else:
        if session.in_transaction():
            session.rollback()
        session.connection(execution_options={IMMEDIATE: True})
    fresh: list[object] = []
    try:
        yield fresh
        _commit_keeping(session, fresh)
    except BaseException:
        session.rollback()
        raise


def _may_go_on(session: Session) -> bool:
    """Whether the read transaction a request began may simply go on as the write transaction.

    On PostgreSQL at READ COMMITTED every statement sees what was committed before it, so reads after the
    locks are as fresh as in a new transaction. Not on SQLite, which must begin anew with BEGIN IMMEDIATE;
    nor when something was changed but not written, which a rollback would have discarded; nor after a
    statement failed, which leaves PostgreSQL's transaction unusable until it is rolled back.
    """
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql" or dialect.default_isolation_level != "READ COMMITTED":
        return False
    if session.new or session.dirty or session.deleted:
        return False
    driver = session.connection().connection.dbapi_connection
    return driver is not None and driver.info.transaction_status == TransactionStatus.INTRANS


def _commit_keeping(session: Session, fresh: list[object]) -> None:
    if not fresh:
        session.commit()
        return
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit
    if not expire_on_commit:
        return
    kept = {id(obj) for obj in fresh}
    for obj in list(session.identity_map.values()):
        if id(obj) not in kept:
            session.expire(obj)


def lock_rows(
    *,
    organization_ids: Iterable[int | None] = (),
    user_ids: Iterable[int | None] = (),
    resource_ids: Iterable[int] = (),
) -> None:
    """Lock rows with SELECT ... FOR NO KEY UPDATE in one fixed order: organizations, users, resources, by id.

    Every booking transaction takes its locks in this order, so two of them can never wait on each
    other in a cycle. SQLite ignores FOR UPDATE; BEGIN IMMEDIATE already serialised the writers.

    NO KEY UPDATE, not UPDATE: these locks serialise booking transactions among themselves (each takes
    the same lock), but must not stop other transactions from inserting rows that merely reference the
    locked ones. A foreign key check takes FOR KEY SHARE on the referenced row, which FOR UPDATE blocks:
    a check-in holding its booking and writing an audit event that references the university would wait
    for a move holding the university, which waits for the booking, a deadlock. The same mode is used
    wherever these rows are locked (`booking_writes._LOCKED_PERSON`, `_LOCKED_FACILITY`).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model, ids in ((Organization, organization_ids), (User, user_ids), (Resource, resource_ids)):
        wanted = sorted({i for i in ids if i is not None})
        if wanted:
            db.session.execute(
                sa.select(model.id)
                .where(model.id.in_(wanted))
                .order_by(model.id)
                .with_for_update(key_share=True)
            ).all()


def changed_rows(statement: sa.Update | sa.Delete) -> int:
    """Run an UPDATE or a DELETE in the current transaction; how many rows it changed (a claim's answer)."""
    return cast("sa.CursorResult[Any]", db.session.execute(statement)).rowcount
