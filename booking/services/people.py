"""Whom a manager may find and act for: the one rule for personal data on the managers' side (PIPL).

A manager of university U may find, by part of a name or email address, the people U already has a
reason to know: U's students, U's managers, and everyone who holds, held or waits for a booking at U's
facilities. Anyone else who may book (residents, enterprise members, other universities' students) can be
found only by their exact email address or phone number, which they gave the manager themselves (the
common case: someone phones the campus office to be booked); that identification lets this manager choose
them. Administrators and other universities' managers are never found outside this scope. The city office
(admin) looks after every account and finds anyone. An address its owner has not confirmed is nobody's
contact: a manager never finds, names or acts for an account until its email address is confirmed (nor
one that was deleted).
"""

import re
from collections.abc import Collection, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from booking.mailbox import normalize_email
from booking.services.errors import NotAllowed, NotFound
from models import Booking, Resource, User, WaitlistEntry, db

# A search shorter than this lists nobody; one character is a Chinese surname (张).
MIN_SEARCH = 1
# A phone number as typed: digits with the usual separators.
_PHONE = re.compile(r"^\+?[\d\s()./-]{5,30}$")


def in_scope(manager: User) -> sa.ColumnElement[bool]:
    """A condition on User: the people `manager` may find by part of their name or email address."""
    if manager.is_admin:
        return sa.true()
    if manager.manages_id is None:
        raise NotAllowed
    return sa.and_(_contactable(), _related(manager.manages_id))


def _contactable() -> sa.ColumnElement[bool]:
    """Accounts whose address is confirmed (and not deleted): the only ones a manager may see."""
    return sa.and_(User.email_verified_at.is_not(None), User.deleted_at.is_(None))


def _related(university_id: int) -> sa.ColumnElement[bool]:
    booked_here = (
        sa.select(Booking.id)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(Booking.user_id == User.id, Resource.university_id == university_id)
        .exists()
    )
    waiting_here = (
        sa.select(WaitlistEntry.id)
        .join(Resource, Resource.id == WaitlistEntry.resource_id)
        .where(WaitlistEntry.user_id == User.id, Resource.university_id == university_id)
        .exists()
    )
    return sa.or_(
        User.organization_id == university_id,
        User.manages_id == university_id,
        booked_here,
        waiting_here,
    )


def search(manager: User, text: str, *, limit: int = 20) -> list[User]:
    """Active people in the manager's scope whose name or email contains `text` (any case)."""
    words = text.strip().lower()
    if len(words) < MIN_SEARCH:
        return []
    query = (
        sa.select(User)
        .where(
            User.active.is_(True),
            in_scope(manager),
            # LIKE's wildcards in the text are literal characters (autoescape).
            sa.or_(
                User.email.contains(words, autoescape=True),
                sa.func.lower(User.display_name).contains(words, autoescape=True),
            ),
        )
        .options(selectinload(User.organization))
        .order_by(User.display_name, User.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _ordinary() -> sa.ColumnElement[bool]:
    """Confirmed accounts without rights: no administrator, no manager of any university."""
    return sa.and_(User.is_admin.is_(False), User.manages_id.is_(None), _contactable())


def _phone_forms(text: str) -> set[str]:
    """The ways one phone number may have been typed: as given, and as bare digits (with '+')."""
    compact = re.sub(r"[\s()./-]", "", text)
    return {text, compact}


def identify(manager: User, text: str) -> User | None:
    """The one active account whose email address or phone number is exactly `text`, if the manager
    may act for them: in scope, or an ordinary account (never an admin or another university's manager)."""
    text = text.strip()
    if manager.manages_id is None and not manager.is_admin:
        raise NotAllowed
    if "@" in text:
        match = User.email == normalize_email(text)
    elif _PHONE.match(text):
        match = User.phone.in_(sorted(_phone_forms(text)))
    else:
        return None
    query = (
        sa.select(User)
        .where(User.active.is_(True), match, sa.or_(in_scope(manager), _ordinary()))
        .options(selectinload(User.organization))
        .order_by(User.id)
        .limit(2)
    )
    found = list(db.session.scalars(query))
    return found[0] if len(found) == 1 else None  # a phone shared by two accounts identifies nobody


def find(manager: User, text: str, *, limit: int = 20) -> tuple[list[User], User | None]:
    """Everyone the manager may find for `text`: the search in scope, plus the person `text` identifies
    exactly (returned second, so the caller can remember the identification)."""
    found = search(manager, text, limit=limit)
    identified = identify(manager, text)
    if identified is not None and identified not in found:
        found.insert(0, identified)
    return found, identified


def person(manager: User, user_id: int, *, identified: Collection[int] = ()) -> User:
    """An active person the manager may act for: in scope, or identified exactly by this manager before
    (`identified`: their ids). NotFound otherwise, whether or not the account exists."""
    query = sa.select(User).where(User.id == user_id, User.active.is_(True))
    if user_id in identified:
        query = query.where(sa.or_(in_scope(manager), _ordinary()))
    else:
        query = query.where(in_scope(manager))
    user = db.session.scalar(query.options(selectinload(User.organization)))
    if user is None:
        raise NotFound
    return user


def visible(manager: User, user_ids: Iterable[int]) -> set[int]:
    """Which of `user_ids` the manager may see named (the audit log names the others by role only)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return set()
    if manager.is_admin:
        return set(wanted)
    query = sa.select(User.id).where(User.id.in_(wanted), in_scope(manager))
    return set(db.session.scalars(query))


def mask_email(email: str) -> str:
    """An address with its mailbox hidden but for the first character: 'l***@example.com'."""
    local, at, domain = email.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"
