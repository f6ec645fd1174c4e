"""Who may do what: the roles a blueprint requires and the questions asked of one object, in one place for
views and services alike (as Indico's `Room.can_book(user)`).

Roles: the city office (admin) runs everything; a manager runs one university; staff is either. An object
belongs to the university that owns it (a facility, quota or closure directly, a booking through its
facility); its university's managers and the city office may manage it.
"""

from enum import StrEnum
from typing import Any, TypeVar, cast

from booking.services.errors import NotFound
from models import Booking, Organization, User, db

T = TypeVar("T")


class Role(StrEnum):
    ADMIN = "admin"  # the city's coordination office
    MANAGER = "manager"  # staff of one university
    STAFF = "staff"  # a manager or an admin


def has_role(user: Any, role: Role) -> bool:
    """True if `user` (perhaps anonymous) holds `role`."""
    if not getattr(user, "is_authenticated", False):
        return False
    if role == Role.ADMIN:
        return bool(user.is_admin)
    if role == Role.MANAGER:
        return bool(user.is_manager)
    return bool(user.is_manager or user.is_admin)


def university_of(target: Any) -> int | None:
    """The id of the university that owns `target`: a university id, a university, or an object with
    `university_id` (facility, quota, closure) or a `resource` (booking, waitlist entry)."""
    if target is None or isinstance(target, int):
        return target
    if isinstance(target, Organization):
        return target.id
    if hasattr(target, "university_id"):
        return cast("int | None", target.university_id)
    return cast("int | None", target.resource.university_id)


def can_manage(user: User, target: Any) -> bool:
    """True if `user` manages the university owning `target` (see `university_of`), or is the city office."""
    return user.can_manage(university_of(target))


def get_managed(user: User, model: type[T], row_id: int) -> T:
    """The `model` row `row_id` if `user` may manage it (`can_manage`), else NotFound (never saying which)."""
    row = db.session.get(model, row_id)
    if row is None or not can_manage(user, row):
        raise NotFound
    return row


def can_see_booking(user: User, booking: Booking) -> bool:
    """A booking is for its owner and those who manage its facility; anyone else is told it is not there."""
    return booking.user_id == user.id or can_manage(user, booking)
