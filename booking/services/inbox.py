"""The notification inbox: a person's notifications newest first, marking them read, the digest setting."""

from datetime import datetime

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from booking.services.errors import NotAllowed, NotFound
from booking.services.permissions import Role, has_role
from booking.services.transactions import changed_rows, write_transaction
from models import Notification, User, db

PER_PAGE = 20


def page(user: User, number: int = 1, per_page: int = PER_PAGE) -> Pagination:
    query = (
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(query, page=max(number, 1), per_page=per_page, error_out=False, count=True)


def unread_count(user_id: int) -> int:
    """One COUNT over the (user_id, read_at) index."""
    return db.session.scalar(sa.select(sa.func.count()).where(*_unread(user_id))) or 0


def _unread(user_id: object) -> tuple[sa.ColumnElement[bool], ...]:
    return Notification.user_id == user_id, Notification.read_at.is_(None)


# The same count as a column of the statement that loads the signed-in person (accounts.signed_in): the
# navigation shows it on every page, and this way it costs no statement of its own.
UNREAD_OF_USER = sa.select(sa.func.count()).where(*_unread(User.id)).correlate(User).scalar_subquery()


def mark_read(user: User, notification_id: int, *, now: datetime) -> Notification:
    with write_transaction():
        notification = db.session.get(Notification, notification_id)
        if notification is None or notification.user_id != user.id:  # someone else's is 'not found' too
            raise NotFound
        if notification.read_at is None:
            notification.read_at = now
    return notification


def mark_all_read(user: User, *, now: datetime) -> int:
    """Mark every unread notification of `user` read; returns how many were unread."""
    with write_transaction():
        return changed_rows(
            sa.update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )


def set_digest(user: User, digest: bool) -> None:
    """A manager's choice: new requests in one digest email per run (True) or one email each (False)."""
    if not has_role(user, Role.MANAGER):
        raise NotAllowed
    with write_transaction():
        db.session.get_one(User, user.id).notify_digest = digest
