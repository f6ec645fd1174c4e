"""Reading the audit log for its page: who may see which events, the filters, and readable descriptions.

Read-only, so it lives with its one page. Managers see their university's events
(`AuditEvent.university_id`), the admin sees every event; nobody else sees any. A manager sees people
named only within their scope (booking.services.people), with masked addresses; anyone else in their
events appears by role (the city office, someone outside the university), and the person filter finds
only people in scope.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from booking.services import people
from booking.services.audit import AuditAction
from booking.services.errors import NotAllowed
from booking.web.labels import email_shown, format_local, localized
from models import (
    AuditEvent,
    Booking,
    Closure,
    Organization,
    Quota,
    Resource,
    Series,
    User,
    WaitlistEntry,
    db,
)

PER_PAGE = 50

# Every action the services write (AuditAction), in words; a test checks none is missing. Actions no longer
# written still show, by their code.
ACTION_LABELS: dict[str, Any] = {
    AuditAction.BOOKING_CREATED: _l("Booking made or requested"),
    AuditAction.BOOKING_APPROVED: _l("Booking approved"),
    AuditAction.BOOKING_REJECTED: _l("Booking rejected"),
    AuditAction.BOOKING_CANCELLED: _l("Booking cancelled"),
    AuditAction.BOOKING_MOVED: _l("Booking moved to another time"),
    AuditAction.BOOKING_EXPIRED: _l("Request expired"),
    AuditAction.BOOKING_CHECKED_IN: _l("Checked in"),
    AuditAction.BOOKING_NO_SHOW: _l("No-show recorded"),
    AuditAction.BOOKING_COMPLETED: _l("Booking completed"),
    AuditAction.ACCOUNT_REGISTERED: _l("Account registered"),
    AuditAction.ACCOUNT_VERIFIED: _l("Account verified"),
    AuditAction.ACCOUNT_REJECTED: _l("Verification declined"),
    AuditAction.ACCOUNT_PROFILE_UPDATED: _l("Profile updated"),
    AuditAction.ACCOUNT_PASSWORD_CHANGED: _l("Password changed"),
    AuditAction.ACCOUNT_ADMIN_CREATED: _l("Administrator created"),
    AuditAction.ORGANIZATION_VERIFIED: _l("Enterprise verified"),
    AuditAction.ORGANIZATION_REJECTED: _l("Enterprise verification declined"),
    AuditAction.UNIVERSITY_CREATED: _l("University added"),
    AuditAction.UNIVERSITY_UPDATED: _l("University edited"),
    AuditAction.MANAGER_GRANTED: _l("Manager rights granted"),
    AuditAction.MANAGER_REVOKED: _l("Manager rights revoked"),
    AuditAction.FACILITY_CREATED: _l("Facility created"),
    AuditAction.FACILITY_UPDATED: _l("Facility edited"),
    AuditAction.FACILITY_PHOTO_CHANGED: _l("Facility photo changed"),
    AuditAction.HOURS_UPDATED: _l("Opening hours changed"),
    AuditAction.POLICY_UPDATED: _l("Booking rules changed"),
    AuditAction.QUOTA_CREATED: _l("Quota added"),
    AuditAction.QUOTA_UPDATED: _l("Quota changed"),
    AuditAction.QUOTA_DELETED: _l("Quota removed"),
    AuditAction.CLOSURE_CREATED: _l("Closure added"),
    AuditAction.CLOSURE_DELETED: _l("Closure removed"),
    AuditAction.CALENDAR_FEED_CREATED: _l("Calendar feed created"),
    AuditAction.CALENDAR_FEED_RESET: _l("Calendar feed reset"),
    AuditAction.WAITLIST_JOINED: _l("Joined the waitlist"),
    AuditAction.WAITLIST_LEFT: _l("Left the waitlist"),
    AuditAction.WAITLIST_PROMOTED: _l("Given a place from the waitlist"),
    AuditAction.USER_SUSPENDED: _l("Booking rights suspended"),
    AuditAction.USER_SUSPENSION_LIFTED: _l("Suspension lifted"),
    AuditAction.OPENNESS_TARGET_SET: _l("Openness target set"),
    AuditAction.ACCOUNT_CAMPUS_LINKED: _l("Campus sign-on linked"),
    AuditAction.CAMPUS_SIGN_ON_UPDATED: _l("Campus sign-on settings changed"),
    AuditAction.APPLICATION_FORM_SAVED: _l("Application form saved"),
    AuditAction.ACCOUNT_EMAIL_VERIFIED: _l("Email address confirmed"),
    AuditAction.ACCOUNT_EMAIL_CHANGE_REQUESTED: _l("Change of email address asked for"),
    AuditAction.ACCOUNT_EMAIL_CHANGED: _l("Email address changed"),
    AuditAction.WEBHOOK_CREATED: _l("Webhook added"),
    AuditAction.WEBHOOK_UPDATED: _l("Webhook changed"),
    AuditAction.WEBHOOK_SECRET_ROTATED: _l("Webhook secret replaced"),
    AuditAction.WEBHOOK_DELETED: _l("Webhook removed"),
    AuditAction.WEBHOOK_TEST_SENT: _l("Webhook test event sent"),
    AuditAction.ACCOUNT_RESET_REQUESTED: _l("Password reset link sent"),
    AuditAction.ACCOUNT_PASSWORD_RESET: _l("Password reset by email link"),
    AuditAction.ACCOUNT_DELETED: _l("Account deleted by its owner"),
    AuditAction.ACCOUNT_PURGED_UNCONFIRMED: _l("Unconfirmed sign-up removed"),
    AuditAction.API_TOKEN_CREATED: _l("API token created"),
    AuditAction.API_TOKEN_REVOKED: _l("API token revoked"),
}

# The rules a manager's booking overrode, by violation code, in a few words.
RULE_LABELS = {
    "account_inactive": _l("disabled account"),
    "account_suspended": _l("suspended booking rights"),
    "category_not_allowed": _l("who may book"),
    "resource_inactive": _l("facility not open for booking"),
    "in_past": _l("time already passed"),
    "min_notice": _l("minimum notice"),
    "max_advance": _l("booking window"),
    "too_short": _l("shortest booking"),
    "too_long": _l("longest booking"),
    "misaligned": _l("time steps"),
    "placement_whole_days": _l("whole days"),
    "outside_hours": _l("opening hours"),
    "closed": _l("closure"),
    "party_size_too_large": _l("largest group"),
    "quota_bookings": _l("quota of bookings"),
    "quota_hours": _l("quota of hours"),
}

# Fields of a facility, its booking rules and a university, as their forms name them.
FIELD_LABELS = {
    "name_zh": _l("Name in Chinese"),
    "name_en": _l("Name in English"),
    "code": _l("Code"),
    "kind": _l("Kind"),
    "mode": _l("How it is booked"),
    "capacity": _l("Capacity"),
    "slot_minutes": _l("Time step"),
    "timezone": _l("Time zone"),
    "campus": _l("Campus"),
    "address": _l("Address"),
    "campus_en": _l("Campus in English"),
    "address_en": _l("Address in English"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "tags": _l("Tags and equipment"),
    "description_zh": _l("Description in Chinese"),
    "description_en": _l("Description in English"),
    "active": _l("Open for booking"),
    "category": _l("Who"),
    "scope": _l("Counted for"),
    "period": _l("Per"),
    "resource_kind": _l("Kind"),
    "resource_id": _l("Facility"),
    "max_bookings": _l("At most this many bookings"),
    "max_hours": _l("At most this many hours"),
    "allowed_categories": _l("Who may book"),
    "approval_categories": _l("Whose requests need approval"),
    "min_minutes": _l("Shortest booking"),
    "max_minutes": _l("Longest booking"),
    "min_notice_minutes": _l("Minimum notice"),
    "max_advance_days": _l("Booking window"),
    "buffer_minutes": _l("Changeover after each booking"),
    "max_party_size": _l("Largest group"),
    "cancel_deadline_minutes": _l("Cancellation deadline"),
    "checkin_required": _l("Check-in required"),
    "checkin_opens_minutes": _l("Check-in opens"),
    "checkin_closes_minutes": _l("Check-in closes"),
}


@dataclass(frozen=True)
class Filters:
    facility_id: int | None = None
    person: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    timezone: str = "Asia/Shanghai"  # the zone the dates are days in


@dataclass
class EventView:
    """One event as the page shows it."""

    event: AuditEvent
    action: str
    actor: str = ""  # empty: the system
    actor_detail: str = ""
    target: str = ""
    target_url: str | None = None
    notes: list[str] = field(default_factory=list)


def _scope(reader: User) -> sa.ColumnElement[bool]:
    if reader.is_admin:
        return sa.true()
    if reader.is_manager:
        return AuditEvent.university_id == reader.manages_id
    raise NotAllowed


def facilities(reader: User) -> list[Resource]:
    """The facilities a reader may filter by: their university's, or every one for the admin."""
    query = sa.select(Resource).join(Organization, Organization.id == Resource.university_id)
    if not reader.is_admin:
        query = query.where(Resource.university_id == reader.manages_id)
    return list(db.session.scalars(query.order_by(Organization.name_en, Resource.name_en, Resource.id)))


def actions(reader: User) -> list[str]:
    """Known actions plus any other action recorded within the reader's scope, sorted by code."""
    recorded = db.session.scalars(sa.select(AuditEvent.action).where(_scope(reader)).distinct()).all()
    return sorted({action.value for action in AuditAction} | set(recorded))


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def _about_facility(resource_id: int) -> sa.ColumnElement[bool]:
    """Events whose target is the facility itself or something of it: bookings, series, closures, quotas."""

    def of(target_type: str, model: Any) -> sa.ColumnElement[bool]:
        ids = sa.select(model.id).where(model.resource_id == resource_id)
        return sa.and_(AuditEvent.target_type == target_type, AuditEvent.target_id.in_(ids))

    return sa.or_(
        sa.and_(AuditEvent.target_type == "resource", AuditEvent.target_id == resource_id),
        of("booking", Booking),
        of("series", Series),
        of("closure", Closure),
        of("quota", Quota),
    )


def _day_start(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone))


def search(reader: User, filters: Filters, page: int = 1) -> Pagination:
    """The reader's events matching `filters`, newest first."""
    query = sa.select(AuditEvent).where(_scope(reader)).options(selectinload(AuditEvent.actor))
    if filters.facility_id is not None:
        query = query.where(_about_facility(filters.facility_id))
    if filters.person.strip():
        text = filters.person.strip().lower()
        actors = sa.select(User.id).where(
            people.in_scope(reader),
            # LIKE's wildcards in the text are literal characters (autoescape).
            sa.or_(
                User.email.contains(text, autoescape=True),
                sa.func.lower(User.display_name).contains(text, autoescape=True),
            ),
        )
        query = query.where(AuditEvent.actor_id.in_(actors))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.date_from is not None:
        query = query.where(AuditEvent.at >= _day_start(filters.date_from, filters.timezone))
    if filters.date_to is not None:
        query = query.where(AuditEvent.at < _day_start(filters.date_to + timedelta(days=1), filters.timezone))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return db.paginate(query, page=max(page, 1), per_page=PER_PAGE, error_out=False, count=True)


# --- descriptions ------------------------------------------------------------------------------------


def describe(reader: User, events: Sequence[AuditEvent]) -> list[EventView]:
    """Readable lines for a page of events; their targets are loaded with one query per kind."""
    targets = _load_targets(events)
    user_ids = [e.actor_id for e in events if e.actor_id is not None]
    user_ids += [t.id for t in targets.values() if isinstance(t, User)]
    named = people.visible(reader, user_ids)
    views = []
    for event in events:
        target = targets.get((event.target_type, event.target_id)) if event.target_id is not None else None
        view = _view(event, target, named)
        if event.actor is not None:
            view.actor, view.actor_detail = _person(event.actor, named)
        views.append(view)
    return views


def _person(user: User, named: set[int]) -> tuple[str, str]:
    """A person's name and address as the reader may see them, or their role only."""
    if user.id in named:
        return user.display_name, email_shown(user.email)
    if user.is_admin:
        return _("City office"), ""
    return _("Someone outside your university"), ""


_TARGET_MODELS: dict[str, Any] = {
    "booking": Booking,
    "resource": Resource,
    "user": User,
    "organization": Organization,
    "closure": Closure,
    "quota": Quota,
    "waitlist_entry": WaitlistEntry,
}


def _load_targets(events: Iterable[AuditEvent]) -> dict[tuple[str, int], Any]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.target_type in _TARGET_MODELS and event.target_id is not None:
            wanted[event.target_type].add(event.target_id)
    found: dict[tuple[str, int], Any] = {}
    for target_type, ids in wanted.items():
        model = _TARGET_MODELS[target_type]
        query = sa.select(model).where(model.id.in_(ids))
        if model is Booking or model is WaitlistEntry:
            query = query.options(selectinload(model.resource))
        for row in db.session.scalars(query):
            found[(target_type, row.id)] = row
    return found


def _view(event: AuditEvent, target: Any, named: set[int]) -> EventView:
    view = EventView(event=event, action=_action_text(event))
    if isinstance(target, Booking):
        when = format_local(target.start_at, target.resource.timezone, "yyyy-MM-dd HH:mm")
        view.target = f"{localized(target.resource)} · {when}"
        view.target_url = url_for("bookings.detail", booking_id=target.id)
    elif isinstance(target, Resource):
        view.target = localized(target)
    elif isinstance(target, User):
        name, address = _person(target, named)
        view.target = f"{name} <{address}>" if address else name
    elif isinstance(target, Organization):
        view.target = localized(target)
    elif isinstance(target, Closure):
        view.target = _("Closure: %(reason)s", reason=localized(target, "reason"))
    elif isinstance(target, Quota):
        view.target = _("Quota #%(id)s", id=target.id)
    elif isinstance(target, WaitlistEntry):
        when = format_local(target.start_at, target.resource.timezone, "yyyy-MM-dd HH:mm")
        view.target = _("Waitlist: %(facility)s · %(when)s", facility=localized(target.resource), when=when)
    elif event.target_id is not None:
        view.target = f"{event.target_type} #{event.target_id}"
    view.notes = notes_of(event.details or {})
    if event.action == "booking.moved" and isinstance(target, Booking):
        view.notes.insert(0, _moved(event.details or {}, target.resource.timezone))
    return view


def _moved(details: dict[str, Any], timezone: str) -> str:
    """A move's old and new times, in the facility's zone."""

    def span(start: str | None, end: str | None) -> str:
        if not start or not end:
            return "?"
        first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
        same_day = format_local(first, timezone, "yyyy-MM-dd") == format_local(last, timezone, "yyyy-MM-dd")
        return "{}–{}".format(
            format_local(first, timezone, "yyyy-MM-dd HH:mm"),
            format_local(last, timezone, "HH:mm" if same_day else "yyyy-MM-dd HH:mm"),
        )

    return _(
        "From %(old)s to %(new)s",
        old=span(details.get("from_start"), details.get("from_end")),
        new=span(details.get("to_start"), details.get("to_end")),
    )


def _action_text(event: AuditEvent) -> str:
    details = event.details or {}
    if event.action == "booking.created" and details.get("on_behalf_of"):
        return _("Booked by a manager on someone's behalf")
    if event.action == "booking.cancelled" and details.get("by_manager"):
        return _("Booking cancelled by a manager")
    return action_label(event.action)


def notes_of(details: dict[str, Any]) -> list[str]:
    notes = []
    for key in ("reason", "note"):
        if details.get(key):
            notes.append(_("Reason: %(text)s", text=details[key]))
    if details.get("overridden"):
        rules = sorted({str(RULE_LABELS.get(code, code)) for code in details["overridden"]})
        notes.append(_("Rules overridden: %(codes)s", codes=", ".join(rules)))
    if isinstance(details.get("changes"), dict) and details["changes"]:
        fields = [str(FIELD_LABELS.get(key, key)) for key in sorted(details["changes"])]
        notes.append(_("Changed: %(fields)s", fields=", ".join(fields)))
    if isinstance(details.get("members"), list) and details["members"]:
        notes.append(_("Members affected: %(num)s", num=len(details["members"])))
    return notes
