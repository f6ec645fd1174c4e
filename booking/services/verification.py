"""Verifying people: managers verify their university's students; the city office verifies enterprises.

Verification takes effect at once: `User.effective_category` reads it, and every booking transaction
locks and re-reads the user first. Each decision is audited and tells the person (in the app and by
email).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination

from booking import notify
from booking.services import audit
from booking.services.audit import AuditAction
from booking.services.errors import Invalid, NotAllowed, NotFound
from booking.services.permissions import Role, has_role
from booking.services.transactions import lock_rows, write_transaction
from models import Category, Organization, OrganizationKind, User, Verification, db

STUDENT_FILTERS = ("pending", "verified", "rejected", "all")
ENTERPRISE_FILTERS = ("pending", "verified", "rejected", "all")
PER_PAGE = 30


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_l("Please give a reason; the person will read it."), field="reason")
    return reason


# --- students ----------------------------------------------------------------------------------------


def students(manager: User, *, status: str = "pending", query: str = "", page: int = 1) -> Pagination:
    """The students who named the manager's university, filtered and searched; pending oldest first.

    Only those who confirmed their email address: an unconfirmed address is nobody's contact yet."""
    if not has_role(manager, Role.MANAGER):
        raise NotAllowed
    select = sa.select(User).where(
        User.category == Category.STUDENT,
        User.organization_id == manager.manages_id,
        User.email_verified_at.is_not(None),
        User.deleted_at.is_(None),
    )
    if status in {"pending", "verified", "rejected"}:
        select = select.where(User.verification == Verification(status))
    if query.strip():
        # LIKE's wildcards in the query are literal characters (autoescape).
        text = query.strip().lower()
        select = select.where(
            sa.or_(
                sa.func.lower(User.display_name).contains(text, autoescape=True),
                User.email.contains(text, autoescape=True),
                sa.func.lower(User.student_number).contains(text, autoescape=True),
            )
        )
    select = select.order_by(User.created_at, User.id)
    return db.paginate(select, page=max(page, 1), per_page=PER_PAGE, error_out=False, count=True)


def student(manager: User, user_id: int) -> User:
    """One student of the manager's university; a student of another university is 'not found'."""
    if not has_role(manager, Role.MANAGER):
        raise NotAllowed
    person = db.session.get(User, user_id)
    if (
        person is None
        or person.category != Category.STUDENT
        or person.organization_id != manager.manages_id
        or person.email_verified_at is None
        or person.deleted_at is not None
    ):
        raise NotFound
    return person


def _locked_student(manager: User, user_id: int) -> User:
    lock_rows(user_ids=[user_id])
    return student(manager, user_id)


def verify_student(manager: User, user_id: int, *, now: datetime) -> User:
    return _decide_student(manager, user_id, Verification.VERIFIED, now=now)


def reject_student(manager: User, user_id: int, *, reason: str, now: datetime) -> User:
    return _decide_student(manager, user_id, Verification.REJECTED, reason=_reason(reason), now=now)


_STUDENT_DECISIONS = {
    Verification.VERIFIED: (AuditAction.ACCOUNT_VERIFIED, _l("This student is already verified.")),
    Verification.REJECTED: (
        AuditAction.ACCOUNT_REJECTED,
        _l("This student's verification was already declined."),
    ),
}


def _decide_student(
    manager: User, user_id: int, outcome: Verification, *, reason: str | None = None, now: datetime
) -> User:
    action, already = _STUDENT_DECISIONS[outcome]
    with write_transaction():
        person = _locked_student(manager, user_id)
        if person.verification == outcome:
            raise Invalid(already)
        details = {"category": Category.STUDENT.value}
        if reason is not None:
            details["reason"] = reason
        audit.about(person, action, person.organization_id, actor_id=manager.id, at=now, **details)
        _decide_person(person, outcome, category="student", reason=reason, now=now)
    return person


def _decide_person(
    person: User, outcome: Verification, *, category: str, reason: str | None, now: datetime
) -> None:
    """Record the decision on one person and tell them (in the app and by email)."""
    person.verification = outcome
    if outcome == Verification.VERIFIED:
        person.verified_at = now
        notify.notify(person.id, "account_verified", at=now, category=notify.category_param(category))
    else:
        person.verified_at = None
        notify.notify(person.id, "account_rejected", at=now, note=reason)


# --- enterprises -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseSummary:
    organization: Organization
    members: int
    pending: int


def _require_admin(actor: User) -> None:
    if not has_role(actor, Role.ADMIN):
        raise NotAllowed


def _pending_member() -> sa.Exists:
    return (
        sa.select(User.id)
        .where(User.organization_id == Organization.id, User.verification == Verification.PENDING)
        .exists()
    )


def enterprises(
    admin: User, *, status: str = "pending", query: str = "", page: int = 1
) -> tuple[Pagination, list[EnterpriseSummary]]:
    """Enterprises with their member counts. 'pending': someone waits for the city's decision;
    'verified': the company is verified; 'rejected': unverified with nobody waiting."""
    _require_admin(admin)
    select = sa.select(Organization).where(Organization.kind == OrganizationKind.ENTERPRISE)
    if status == "pending":
        select = select.where(_pending_member())
    elif status == "verified":
        select = select.where(Organization.verified_at.is_not(None))
    elif status == "rejected":
        select = select.where(Organization.verified_at.is_(None), ~_pending_member())
    if query.strip():
        text = query.strip().lower()
        select = select.where(
            sa.or_(
                sa.func.lower(Organization.name_zh).contains(text, autoescape=True),
                sa.func.lower(Organization.name_en).contains(text, autoescape=True),
                sa.func.lower(Organization.code).contains(text, autoescape=True),
            )
        )
    select = select.order_by(Organization.created_at, Organization.id)
    pagination = db.paginate(select, page=max(page, 1), per_page=PER_PAGE, error_out=False, count=True)
    counts = _member_counts([org.id for org in pagination.items])
    rows = [EnterpriseSummary(org, *counts.get(org.id, (0, 0))) for org in pagination.items]
    return pagination, rows


def _member_counts(organization_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    if not organization_ids:
        return {}
    pending = sa.func.sum(sa.case((User.verification == Verification.PENDING, 1), else_=0))
    rows = db.session.execute(
        sa.select(User.organization_id, sa.func.count(User.id), pending)
        .where(User.organization_id.in_(organization_ids))
        .group_by(User.organization_id)
    ).all()
    return {org_id: (int(total), int(waiting or 0)) for org_id, total, waiting in rows}


def pending_enterprise_count() -> int:
    query = sa.select(sa.func.count()).where(
        Organization.kind == OrganizationKind.ENTERPRISE, _pending_member()
    )
    return db.session.scalar(query) or 0


def enterprise(admin: User, organization_id: int) -> tuple[Organization, list[User]]:
    """One enterprise and its members, for the admin's decision."""
    _require_admin(admin)
    organization = db.session.get(Organization, organization_id)
    if organization is None or organization.kind != OrganizationKind.ENTERPRISE:
        raise NotFound
    return organization, _members(organization.id)


def _members(organization_id: int, *, lock: bool = False) -> list[User]:
    query = sa.select(User).where(User.organization_id == organization_id).order_by(User.id)
    if lock:
        query = query.with_for_update(key_share=True)  # FOR NO KEY UPDATE: see transactions.lock_rows
    return list(db.session.scalars(query))


def _locked_enterprise(admin: User, organization_id: int) -> tuple[Organization, list[User]]:
    _require_admin(admin)
    # The fixed lock order of booking transactions: the organization, then its people by id.
    lock_rows(organization_ids=[organization_id])
    organization = db.session.get(Organization, organization_id)
    if organization is None or organization.kind != OrganizationKind.ENTERPRISE:
        raise NotFound
    return organization, _members(organization_id, lock=True)


def verify_enterprise(admin: User, organization_id: int, *, now: datetime) -> list[User]:
    """Verify the company and every member waiting for it; returns the members verified now."""
    return _decide_enterprise(admin, organization_id, Verification.VERIFIED, now=now)


def reject_enterprise(admin: User, organization_id: int, *, reason: str, now: datetime) -> list[User]:
    """Refuse (or withdraw) the company's verification; its members book as residents from now on."""
    return _decide_enterprise(admin, organization_id, Verification.REJECTED, reason=_reason(reason), now=now)


# For each decision: the members it changes, its audit action, and the message when it would change nothing.
_ENTERPRISE_DECISIONS = {
    Verification.VERIFIED: (
        {Verification.PENDING},
        AuditAction.ORGANIZATION_VERIFIED,
        _l("This enterprise is already verified and nobody is waiting."),
    ),
    Verification.REJECTED: (
        {Verification.PENDING, Verification.VERIFIED},
        AuditAction.ORGANIZATION_REJECTED,
        _l("This enterprise is not verified and nobody is waiting."),
    ),
}


def _decide_enterprise(
    admin: User, organization_id: int, outcome: Verification, *, reason: str | None = None, now: datetime
) -> list[User]:
    changing, action, already = _ENTERPRISE_DECISIONS[outcome]
    with write_transaction():
        organization, members = _locked_enterprise(admin, organization_id)
        affected = [m for m in members if m.verification in changing]
        decided = (organization.verified_at is not None) == (outcome == Verification.VERIFIED)
        if decided and not affected:
            raise Invalid(already)
        if not decided:
            organization.verified_at = now if outcome == Verification.VERIFIED else None
        for member in affected:
            _decide_person(member, outcome, category="enterprise", reason=reason, now=now)
        details = {"code": organization.code, "members": [m.id for m in affected]}
        if reason is not None:
            details["reason"] = reason
        audit.about(organization, action, actor_id=admin.id, at=now, **details)
    return affected
