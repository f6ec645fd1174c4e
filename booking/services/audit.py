"""Writing audit events inside the caller's transaction, and the actions they record."""

from collections.abc import Mapping
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from models import (
    ApiToken,
    ApplicationForm,
    AuditEvent,
    Booking,
    Closure,
    Organization,
    OrganizationKind,
    Quota,
    Resource,
    User,
    WaitlistEntry,
    WebhookEndpoint,
    db,
)

Audited = (
    ApiToken
    | ApplicationForm
    | Booking
    | Closure
    | Organization
    | Quota
    | Resource
    | User
    | WaitlistEntry
    | WebhookEndpoint
)

# How the audit log names each kind of object it records events about.
TARGET_TYPES: dict[type[Audited], str] = {
    ApiToken: "api_token",
    ApplicationForm: "application_form",
    Booking: "booking",
    Closure: "closure",
    Organization: "organization",
    Quota: "quota",
    Resource: "resource",
    User: "user",
    WaitlistEntry: "waitlist_entry",
    WebhookEndpoint: "webhook",
}


class AuditAction(StrEnum):
    """Every action an audit event records; stored as its string value (`AuditEvent.action`).

    The audit page names each one (`booking.web.audit.events.ACTION_LABELS`, a test checks every member).
    """

    BOOKING_CREATED = "booking.created"
    BOOKING_APPROVED = "booking.approved"
    BOOKING_REJECTED = "booking.rejected"
    BOOKING_CANCELLED = "booking.cancelled"
    BOOKING_MOVED = "booking.moved"
    BOOKING_EXPIRED = "booking.expired"
    BOOKING_CHECKED_IN = "booking.checked_in"
    BOOKING_NO_SHOW = "booking.no_show"
    BOOKING_COMPLETED = "booking.completed"
    ACCOUNT_REGISTERED = "account.registered"
    ACCOUNT_VERIFIED = "account.verified"
    ACCOUNT_REJECTED = "account.rejected"
    ACCOUNT_PROFILE_UPDATED = "account.profile_updated"
    ACCOUNT_PASSWORD_CHANGED = "account.password_changed"
    ACCOUNT_ADMIN_CREATED = "account.admin_created"
    ORGANIZATION_VERIFIED = "organization.verified"
    ORGANIZATION_REJECTED = "organization.rejected"
    UNIVERSITY_CREATED = "university.created"
    UNIVERSITY_UPDATED = "university.updated"
    MANAGER_GRANTED = "manager.granted"
    MANAGER_REVOKED = "manager.revoked"
    FACILITY_CREATED = "facility.created"
    FACILITY_UPDATED = "facility.updated"
    FACILITY_PHOTO_CHANGED = "facility.photo_changed"
    HOURS_UPDATED = "hours.updated"
    POLICY_UPDATED = "policy.updated"
    QUOTA_CREATED = "quota.created"
    QUOTA_UPDATED = "quota.updated"
    QUOTA_DELETED = "quota.deleted"
    CLOSURE_CREATED = "closure.created"
    CLOSURE_DELETED = "closure.deleted"
    CALENDAR_FEED_CREATED = "calendar.feed_created"
    CALENDAR_FEED_RESET = "calendar.feed_reset"
    WAITLIST_JOINED = "waitlist.joined"
    WAITLIST_LEFT = "waitlist.left"
    WAITLIST_PROMOTED = "waitlist.promoted"
    USER_SUSPENDED = "user.suspended"
    USER_SUSPENSION_LIFTED = "user.suspension_lifted"
    OPENNESS_TARGET_SET = "openness_target.set"
    ACCOUNT_CAMPUS_LINKED = "account.campus_linked"
    CAMPUS_SIGN_ON_UPDATED = "campus_sign_on.updated"
    APPLICATION_FORM_SAVED = "application_form.saved"
    ACCOUNT_EMAIL_VERIFIED = "account.email_verified"
    ACCOUNT_EMAIL_CHANGE_REQUESTED = "account.email_change_requested"
    ACCOUNT_EMAIL_CHANGED = "account.email_changed"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_UPDATED = "webhook.updated"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_TEST_SENT = "webhook.test_sent"
    ACCOUNT_RESET_REQUESTED = "account.reset_requested"
    ACCOUNT_PASSWORD_RESET = "account.password_reset"
    ACCOUNT_DELETED = "account.deleted"
    ACCOUNT_PURGED_UNCONFIRMED = "account.purged_unconfirmed"
    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_REVOKED = "api_token.revoked"


def record(
    action: AuditAction,
    target_type: str,
    target_id: int | None,
    *,
    actor_id: int | None,
    university_id: int | None,
    at: datetime,
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        action=AuditAction(action).value,  # an unknown action fails here, not on the audit page
        target_type=target_type,
        target_id=target_id,
        actor_id=actor_id,
        university_id=university_id,
        details=details,
        at=at,
    )
    db.session.add(event)
    return event


def about(
    target: Audited,
    action: AuditAction,
    university_id: int | None = None,
    /,
    *,
    actor_id: int | None,
    at: datetime,
    **details: Any,
) -> AuditEvent:
    """Record `action` on `target`, its type, id and university taken from the object itself.

    A person belongs to no one university, so for a `User` the caller names the one the event concerns
    (`university_id`, none by default); every other target carries its own.
    """
    if not isinstance(target, User):
        if university_id is not None:
            raise TypeError("only an event about a person names its university")
        university_id = _university_of(target)
    # isinstance, not type(): a view may hand over `current_user`, a proxy of the User.
    target_type = next(name for kind, name in TARGET_TYPES.items() if isinstance(target, kind))
    return record(
        action, target_type, target.id, actor_id=actor_id, university_id=university_id, at=at, **details
    )


def created(
    row: Audited,
    action: AuditAction,
    university_id: int | None = None,
    /,
    *,
    actor_id: int | None,
    at: datetime,
    **details: Any,
) -> AuditEvent:
    """Add the new `row` to the session, flush it for its id, and record its creation as `action`."""
    db.session.add(row)
    db.session.flush()
    return about(row, action, university_id, actor_id=actor_id, at=at, **details)


def changed(
    target: Audited,
    action: AuditAction,
    changes: Mapping[str, Any],
    university_id: int | None = None,
    /,
    *,
    actor_id: int | None,
    at: datetime,
) -> None:
    """Record `action` on `target` with `changes` (as `apply` returns them), unless nothing changed."""
    if changes:
        about(target, action, university_id, actor_id=actor_id, at=at, changes=changes)


def _university_of(target: Audited) -> int | None:
    match target:
        case Booking() | WaitlistEntry():
            return target.resource.university_id if target.resource else None
        case Organization():
            return target.id if target.kind == OrganizationKind.UNIVERSITY else None
        case ApplicationForm() | Closure() | Quota() | Resource() | WebhookEndpoint():
            return target.university_id
    return None


def apply(target: object, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set each of `values` on `target`; returns what changed, `{name: [old, new]}`, for the event."""
    changes = {}
    for name, value in values.items():
        old = getattr(target, name)
        if old != value:
            changes[name] = [plain(old), plain(value)]
            setattr(target, name, value)
    return changes


def plain(value: object) -> object:
    """A value as an event's details keep it: an enum member by its value."""
    return value.value if isinstance(value, Enum) else value
