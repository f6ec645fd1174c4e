"""The city office's administration: universities and the managers who run them. Admins only; audited."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from booking.mailbox import normalize_email
from booking.services import audit
from booking.services.audit import AuditAction
from booking.services.errors import Invalid, NotAllowed, NotFound
from booking.services.permissions import Role, has_role
from booking.services.transactions import lock_rows, write_transaction
from models import Organization, OrganizationKind, Resource, User, db

UNIVERSITY_FIELDS = ("name_zh", "name_en", "code")


def _require_admin(actor: User) -> None:
    # Only the city office runs universities and their managers.
    if not has_role(actor, Role.ADMIN):
        raise NotAllowed


# --- universities ------------------------------------------------------------------------------------


def universities() -> list[tuple[Organization, int, int]]:
    """Every university with its number of managers and of facilities, by English name."""
    managers = sa.select(sa.func.count(User.id)).where(User.manages_id == Organization.id).scalar_subquery()
    facilities = (
        sa.select(sa.func.count(Resource.id))
        .where(Resource.university_id == Organization.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Organization, managers, facilities)
        .where(Organization.kind == OrganizationKind.UNIVERSITY)
        .order_by(Organization.name_en, Organization.id)
    ).all()
    return [(org, int(m), int(f)) for org, m, f in rows]


def get_university(university_id: int) -> Organization:
    university = db.session.get(Organization, university_id)
    if university is None or university.kind != OrganizationKind.UNIVERSITY:
        raise NotFound
    return university


def _clean(name_zh: str, name_en: str, code: str) -> dict[str, str]:
    values = {"name_zh": name_zh.strip(), "name_en": name_en.strip(), "code": code.strip().upper()}
    if not values["name_zh"]:
        raise Invalid(_l("Enter the Chinese name."), field="name_zh")
    if not values["name_en"]:
        raise Invalid(_l("Enter the English name."), field="name_en")
    if not values["code"]:
        raise Invalid(_l("Enter a short code, such as HPU."), field="code")
    return values


def _code_taken(code: str, except_id: int | None = None) -> bool:
    query = sa.select(Organization.id).where(sa.func.upper(Organization.code) == code)
    if except_id is not None:
        query = query.where(Organization.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def _code_taken_error() -> Invalid:
    return Invalid(_l("Another organization already uses this code."), field="code")


def create_university(admin: User, *, name_zh: str, name_en: str, code: str, now: datetime) -> Organization:
    _require_admin(admin)
    values = _clean(name_zh, name_en, code)
    try:
        with write_transaction():
            if _code_taken(values["code"]):
                raise _code_taken_error()
            university = Organization(kind=OrganizationKind.UNIVERSITY, created_at=now, **values)
            audit.created(university, AuditAction.UNIVERSITY_CREATED, actor_id=admin.id, at=now, **values)
    except sa.exc.IntegrityError as exc:  # the same code inserted at the same moment
        raise _code_taken_error() from exc
    return university


def update_university(
    admin: User, university_id: int, *, name_zh: str, name_en: str, code: str, now: datetime
) -> Organization:
    _require_admin(admin)
    values = _clean(name_zh, name_en, code)
    try:
        with write_transaction():
            lock_rows(organization_ids=[university_id])
            university = get_university(university_id)
            if _code_taken(values["code"], except_id=university.id):
                raise _code_taken_error()
            changes = audit.apply(university, values)
            if changes.keys() & set(Organization.CALENDAR_FIELDS):
                # Every event at its facilities names the university: feeds and SEQUENCE must move on.
                university.calendar_version += 1
                university.calendar_updated_at = now
            audit.changed(university, AuditAction.UNIVERSITY_UPDATED, changes, actor_id=admin.id, at=now)
    except sa.exc.IntegrityError as exc:
        raise _code_taken_error() from exc
    return university


# --- managers ----------------------------------------------------------------------------------------


def managers() -> list[User]:
    """Everyone with manager rights, by university then name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Organization, Organization.id == User.manages_id)
            .options(selectinload(User.manages))
            .order_by(Organization.name_en, User.display_name, User.id)
        )
    )


def grant_manager(admin: User, *, email: str, university_id: int, now: datetime) -> User:
    """Make an existing account a manager of one university (a manager has exactly one)."""
    _require_admin(admin)
    address = normalize_email(email)
    with write_transaction():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == address))
        if user_id is None:
            raise Invalid(
                _l("No account uses this email address. The person must register first."), field="email"
            )
        lock_rows(user_ids=[user_id])
        user = db.session.get_one(User, user_id)
        try:
            university = get_university(university_id)
        except NotFound:
            raise Invalid(_l("Choose a university from the list."), field="university_id") from None
        if not user.active:
            raise Invalid(_l("This account is deactivated."), field="email")
        if user.manages_id == university.id:
            raise Invalid(_l("This person already manages that university."), field="email")
        if user.manages_id is not None:
            raise Invalid(
                _l("This person manages another university. Revoke those rights first."), field="email"
            )
        user.manages_id = university.id
        audit.about(
            user,
            AuditAction.MANAGER_GRANTED,
            university.id,
            actor_id=admin.id,
            at=now,
            email=user.email,
        )
    return user


def get_manager(admin: User, user_id: int) -> User:
    """Someone with manager rights, for the city office (else NotFound)."""
    _require_admin(admin)
    user = db.session.get(User, user_id)
    if user is None or user.manages_id is None:
        raise NotFound
    return user


def revoke_manager(admin: User, user_id: int, *, now: datetime) -> User:
    _require_admin(admin)
    with write_transaction():
        lock_rows(user_ids=[user_id])
        user = db.session.get(User, user_id)
        if user is None or user.manages_id is None:
            raise NotFound
        university_id = user.manages_id
        user.manages_id = None
        audit.about(
            user,
            AuditAction.MANAGER_REVOKED,
            university_id,
            actor_id=admin.id,
            at=now,
            email=user.email,
        )
    return user
