"""Write transactions for booking changes: serialised on SQLite, row-locked in a fixed order on PostgreSQL."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from booking.database import IMMEDIATE
from models import Organization, Resource, User, db


@contextmanager
def write_transaction() -> Iterator[None]:
    """One transaction that commits on success and rolls back on any error.

    A request may already have opened a read transaction (loading the current user, say); it is
    ended first so that on SQLite the write transaction starts with BEGIN IMMEDIATE and holds the
    write lock from its first read, which is what makes check-then-insert safe there.
    """
    session = db.session()  # the request's own Session behind the scoped proxy
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={IMMEDIATE: True})
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def lock_rows(
    *,
    organization_ids: Iterable[int | None] = (),
    user_ids: Iterable[int | None] = (),
    resource_ids: Iterable[int] = (),
) -> None:
    """Lock rows with SELECT ... FOR UPDATE in one fixed order: organizations, users, resources, by id.

    Every booking transaction takes its locks in this order, so two of them can never wait on each
    other in a cycle. SQLite ignores FOR UPDATE; BEGIN IMMEDIATE already serialised the writers.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model, ids in ((Organization, organization_ids), (User, user_ids), (Resource, resource_ids)):
        wanted = sorted({i for i in ids if i is not None})
        if wanted:
            db.session.execute(
                sa.select(model.id).where(model.id.in_(wanted)).order_by(model.id).with_for_update()
            ).all()
