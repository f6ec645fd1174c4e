"""Facility administration: a university's facilities, their opening hours, rules, quotas and closures.

Each change is one transaction that checks the actor manages the university (anything of another
university is NotFound, never "forbidden"), validates, writes and audits. The `*_problems` checks are
pure and shared with the forms, so a message shows next to its field before anything is written and the
same rule still holds here. Messages are English templates (`N_`) the web layer translates.

A closure over existing bookings is added in two steps: `closure_overlaps` lists the active bookings it
would cover, then `add_closure` creates it and cancels the ones the manager chose, telling their owners.
"""

import itertools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from booking import engine
from booking.engine import PolicySpec
from booking.engine.localtime import MIDNIGHT, to_local, to_utc, zone
from booking.engine.violations import N_, Violation
from booking.services import audit, bookings, specs, waitlist
from booking.services.audit import AuditAction
from booking.services.errors import Invalid, NotFound
from booking.services.permissions import can_manage, get_managed
from booking.services.transactions import lock_rows, write_transaction
from booking.text import text_problem
from models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    Category,
    Closure,
    Mode,
    OpeningHours,
    Organization,
    OrganizationKind,
    Policy,
    Quota,
    QuotaPeriod,
    QuotaScope,
    Resource,
    ResourceKind,
    ResourceTag,
    User,
    db,
)

# Whole-university closures are entered in the city's time; a facility's closure in the facility's own.
CLOSURE_TIMEZONE = "Asia/Shanghai"
MAX_TAG_LENGTH = 40
MAX_TAGS = 20
MAX_CAPACITY = 100_000
MAX_ADVANCE_DAYS = 3650
DAY_MINUTES = 24 * 60
YEAR_MINUTES = 366 * DAY_MINUTES
MAX_QUOTA_BOOKINGS = 10_000
MIN_QUOTA_HOURS, MAX_QUOTA_HOURS = 0.5, 10_000
# Every number of a facility's rules has a range: a booking engine fed a buffer of 10^10 minutes fails on
# every booking of that facility, and PostgreSQL's integer ends at 2^31.
POLICY_RANGES: dict[str, tuple[int, int, str]] = {
    "min_minutes": (1, YEAR_MINUTES, N_("The shortest booking is 1 to 527040 minutes (366 days).")),
    "max_minutes": (
        1,
        YEAR_MINUTES,
        N_("The longest booking is 1 to 527040 minutes (366 days); leave it empty for no limit."),
    ),
    "min_notice_minutes": (0, YEAR_MINUTES, N_("Enter 0 to 527040 minutes (366 days).")),
    "max_advance_days": (1, MAX_ADVANCE_DAYS, N_("Bookings open 1 to 3650 days ahead.")),
    "buffer_minutes": (0, DAY_MINUTES, N_("A changeover lasts 0 to 1440 minutes (one day).")),
    "max_party_size": (1, MAX_CAPACITY, N_("A group is 1 to 100000 people; leave it empty for no limit.")),
    "cancel_deadline_minutes": (0, YEAR_MINUTES, N_("Enter 0 to 527040 minutes (366 days).")),
    "checkin_opens_minutes": (0, DAY_MINUTES, N_("Enter 0 to 1440 minutes (one day).")),
    "checkin_closes_minutes": (0, DAY_MINUTES, N_("Enter 0 to 1440 minutes (one day).")),
}


# --- what a manager sends in -------------------------------------------------------------------------


@dataclass(frozen=True)
class FacilityDraft:
    kind: ResourceKind
    mode: Mode
    name_zh: str
    name_en: str
    capacity: int = 1
    timezone: str = "Asia/Shanghai"
    slot_minutes: int = 30
    description_zh: str = ""
    description_en: str = ""
    campus: str = ""
    address: str = ""
    campus_en: str = ""
    address_en: str = ""
    latitude: float | None = None
    longitude: float | None = None
    tags: tuple[str, ...] = ()


# Rules as a manager enters them are the engine's own value, field for field (Policy's columns).
PolicyDraft = PolicySpec


@dataclass(frozen=True)
class QuotaDraft:
    """`resource_kind` or `resource_id` narrows the quota; neither means every facility of the university."""

    university_id: int
    scope: QuotaScope
    period: QuotaPeriod
    category: Category | None = None
    resource_kind: ResourceKind | None = None
    resource_id: int | None = None
    max_bookings: int | None = None
    max_hours: float | None = None


@dataclass(frozen=True)
class ClosureDraft:
    """A closure as entered: local wall-clock times in the facility's zone (CLOSURE_TIMEZONE for a whole
    university); `resource_id` None closes every facility of the university."""

    university_id: int
    resource_id: int | None
    local_start: datetime
    local_end: datetime
    reason_zh: str
    reason_en: str


@dataclass(frozen=True)
class ClosureResult:
    closure: Closure
    cancelled: list[Booking]
    kept: list[Booking] = field(default_factory=list)  # still active inside the closure


Hours = Sequence[tuple[int, time, time]]  # (weekday 0 = Monday, opens, closes; closes 00:00 = midnight)


# --- checks shared with the forms --------------------------------------------------------------------


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_problem(name: str) -> str | None:
    if name not in _zones():
        return N_("Unknown time zone. Use a name like Asia/Shanghai.")
    return None


def _text_problems(lines: dict[str, str], paragraphs: dict[str, str] | None = None) -> dict[str, str]:
    """Control characters, direction overrides, invisible-only text; line breaks where one line is shown
    (names go into email subjects)."""
    problems = {name: text_problem(value) for name, value in lines.items()}
    problems |= {name: text_problem(value, multiline=True) for name, value in (paragraphs or {}).items()}
    return {name: problem for name, problem in problems.items() if problem is not None}


def facility_problems(draft: FacilityDraft) -> dict[str, str]:
    problems: dict[str, str] = _text_problems(
        {
            "name_zh": draft.name_zh,
            "name_en": draft.name_en,
            "campus": draft.campus,
            "address": draft.address,
            "timezone": draft.timezone,
            "tags": ", ".join(draft.tags),
        },
        {"description_zh": draft.description_zh, "description_en": draft.description_en},
    )
    if not draft.name_zh.strip():
        problems.setdefault("name_zh", N_("Give the facility a Chinese name."))
    if not draft.name_en.strip():
        problems.setdefault("name_en", N_("Give the facility an English name."))
    if not 1 <= draft.capacity <= MAX_CAPACITY:
        problems["capacity"] = N_("The capacity is at least 1 (and at most 100000).")
    if not 5 <= draft.slot_minutes <= DAY_MINUTES:
        problems["slot_minutes"] = N_("Time slots are 5 to 1440 minutes long.")
    zone_problem = timezone_problem(draft.timezone)
    if zone_problem:
        problems.setdefault("timezone", zone_problem)
    if draft.latitude is not None and not -90 <= draft.latitude <= 90:
        problems["latitude"] = N_("A latitude lies between -90 and 90.")
    if draft.longitude is not None and not -180 <= draft.longitude <= 180:
        problems["longitude"] = N_("A longitude lies between -180 and 180.")
    if len(draft.tags) > MAX_TAGS or any(len(t) > MAX_TAG_LENGTH for t in draft.tags):
        problems["tags"] = N_("At most 20 tags of at most 40 characters each.")
    return problems


def normalize_tags(text: str) -> tuple[str, ...]:
    """'Projector, showers,  projector' -> ('projector', 'showers'): lower-case, trimmed, each once."""
    seen: dict[str, None] = {}
    for part in text.replace("，", ",").split(","):
        tag = " ".join(part.split()).lower()
        if tag:
            seen.setdefault(tag, None)
    return tuple(seen)


def _minutes(value: time, *, closing: bool) -> int:
    minutes = value.hour * 60 + value.minute
    return DAY_MINUTES if closing and value == MIDNIGHT else minutes


def day_hours_problem(intervals: Sequence[tuple[time, time]]) -> str | None:
    """One weekday's intervals: each opens before it closes (00:00 closes at midnight), none overlap."""
    spans = []
    for opens, closes in intervals:
        start, end = _minutes(opens, closing=False), _minutes(closes, closing=True)
        if end <= start:
            return N_("Each opening must start before it closes (close at 00:00 for midnight).")
        spans.append((start, end))
    spans.sort()
    for (_, first_end), (second_start, _) in itertools.pairwise(spans):
        if second_start < first_end:
            return N_("The opening hours of a day must not overlap.")
    return None


def policy_problems(draft: PolicyDraft) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not draft.allowed_categories:
        problems["allowed_categories"] = N_(
            "Choose at least one group who may book (or deactivate the facility instead)."
        )
    if not draft.approval_categories <= draft.allowed_categories:
        problems["approval_categories"] = N_("Approval can only be asked of groups who may book.")
    for name, (low, high, message) in POLICY_RANGES.items():
        value = getattr(draft, name)
        if value is not None and not low <= value <= high:
            problems[name] = message
    if (
        "max_minutes" not in problems
        and draft.max_minutes is not None
        and draft.max_minutes < draft.min_minutes
    ):
        problems["max_minutes"] = N_("The longest booking cannot be shorter than the shortest.")
    return problems


def quota_problems(draft: QuotaDraft) -> dict[str, str]:
    problems: dict[str, str] = {}
    if draft.max_bookings is None and draft.max_hours is None:
        problems["max_bookings"] = N_("Give a limit in bookings, in hours, or both.")
    if draft.max_bookings is not None and not 1 <= draft.max_bookings <= MAX_QUOTA_BOOKINGS:
        problems["max_bookings"] = N_("Enter a number from 1 to 10000 bookings.")
    # Written so that nan fails too: every comparison with nan is false.
    if draft.max_hours is not None and not MIN_QUOTA_HOURS <= draft.max_hours <= MAX_QUOTA_HOURS:
        problems["max_hours"] = N_("Enter a number from 0.5 to 10000 hours.")
    if draft.resource_kind is not None and draft.resource_id is not None:
        problems["applies_to"] = N_("Choose a kind of facility or one facility, not both.")
    return problems


def closure_problems(draft: ClosureDraft) -> dict[str, str]:
    problems = _text_problems({"reason_zh": draft.reason_zh, "reason_en": draft.reason_en})
    if draft.local_end <= draft.local_start:
        problems["end_day"] = N_("The end must be after the start.")
    if not (draft.reason_zh.strip() or draft.reason_en.strip()):
        problems.setdefault("reason_zh", N_("Give the reason people will read, in Chinese, English or both."))
    return problems


def _raise_if(problems: dict[str, str]) -> None:
    if problems:
        raise Invalid(problems)


# --- reading -----------------------------------------------------------------------------------------


def universities_of(viewer: User) -> list[Organization]:
    """The universities `viewer` manages: their own, or every one for an admin."""
    query = sa.select(Organization).where(Organization.kind == OrganizationKind.UNIVERSITY)
    if not viewer.is_admin:
        query = query.where(Organization.id == viewer.manages_id)
    return list(db.session.scalars(query.order_by(Organization.name_en)))


def university_for(viewer: User, university_id: int | None) -> Organization:
    """The university a page is about: the one asked for if `viewer` manages it, else their own (or, for an
    admin, the first). NotFound for another university's id or when there is none."""
    if university_id is not None:
        if not can_manage(viewer, university_id):
            raise NotFound
        university = db.session.get(Organization, university_id)
        if university is None or university.kind != OrganizationKind.UNIVERSITY:
            raise NotFound
        return university
    choices = universities_of(viewer)
    if viewer.manages_id is not None:
        choices = [u for u in choices if u.id == viewer.manages_id] or choices
    if not choices:
        raise NotFound
    return choices[0]


def facilities_of(university_id: int, *, active_only: bool = False) -> list[Resource]:
    query = (
        sa.select(Resource)
        .where(Resource.university_id == university_id)
        .options(*specs.SPEC_LOAD_OPTIONS)
        .order_by(Resource.active.desc(), Resource.name_en, Resource.id)
    )
    if active_only:
        query = query.where(Resource.active.is_(True))
    return list(db.session.scalars(query).unique())


def get_facility(viewer: User, resource_id: int) -> Resource:
    return get_managed(viewer, Resource, resource_id)


def quotas_of(university_id: int) -> list[Quota]:
    return list(
        db.session.scalars(
            sa.select(Quota)
            .where(Quota.university_id == university_id)
            .options(selectinload(Quota.resource))
            .order_by(Quota.id)
        )
    )


def upcoming_closures(university_id: int, now: datetime) -> list[Closure]:
    """Closures of the university and its facilities that have not ended, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Closure)
            .where(Closure.university_id == university_id, Closure.end_at > now)
            .order_by(Closure.start_at, Closure.id)
        )
    )


def closure_resources(closures: Iterable[Closure]) -> dict[int, Resource]:
    ids = sorted({c.resource_id for c in closures if c.resource_id is not None})
    if not ids:
        return {}
    return {r.id: r for r in db.session.scalars(sa.select(Resource).where(Resource.id.in_(ids)))}


# --- facilities --------------------------------------------------------------------------------------


def _apply(resource: Resource, draft: FacilityDraft) -> dict[str, Any]:
    """Copy the draft onto the facility; returns what changed, old and new, for the audit log."""
    values = asdict(draft)
    tags = values.pop("tags")
    changes: dict[str, Any] = audit.apply(
        resource, {key: value.strip() if isinstance(value, str) else value for key, value in values.items()}
    )
    if tuple(resource.tag_names) != tuple(sorted(tags)):
        changes["tags"] = [resource.tag_names, sorted(tags)]
        wanted = set(tags)
        resource.tags = [t for t in resource.tags if t.tag in wanted] + [
            ResourceTag(tag=t) for t in sorted(wanted - set(resource.tag_names))
        ]
    return changes


def create_facility(actor: User, university_id: int, draft: FacilityDraft, *, now: datetime) -> Resource:
    """A new facility with the default rules and no opening hours. It starts inactive, so nobody can book
    it before the manager has set its hours and rules and opened it."""
    if not can_manage(actor, university_id):
        raise NotFound
    _raise_if(facility_problems(draft))
    with write_transaction():
        university = db.session.get(Organization, university_id)
        if university is None or university.kind != OrganizationKind.UNIVERSITY:
            raise NotFound
        resource = Resource(university_id=university_id, active=False, created_at=now)
        resource.tags = []
        _apply(resource, draft)
        # Placements run in whole days without an upper limit; other facilities start at 30 min to 2 h.
        placement = draft.mode == Mode.PLACEMENT
        resource.policy = Policy(
            min_minutes=DAY_MINUTES if placement else 30, max_minutes=None if placement else 120
        )
        audit.created(
            resource,
            AuditAction.FACILITY_CREATED,
            actor_id=actor.id,
            at=now,
            name_en=resource.name_en,
            name_zh=resource.name_zh,
        )
    return resource


def update_facility(actor: User, resource_id: int, draft: FacilityDraft, *, now: datetime) -> Resource:
    _raise_if(facility_problems(draft))
    with write_transaction():
        resource = _locked_facility(actor, resource_id)
        if draft.mode != resource.mode and _has_active_bookings(resource.id, now):
            raise Invalid({"mode": N_("The mode cannot change while the facility has bookings to come.")})
        changes = _apply(resource, draft)
        if changes.keys() & set(Resource.CALENDAR_FIELDS):
            # Every event of its bookings shows these: feeds, ETags and SEQUENCE must move on.
            resource.calendar_version += 1
            resource.calendar_updated_at = now
        audit.changed(resource, AuditAction.FACILITY_UPDATED, changes, actor_id=actor.id, at=now)
    return resource


def set_active(actor: User, resource_id: int, active: bool, *, now: datetime) -> Resource:
    """Open a facility for booking or take it off the catalog; its existing bookings stay as they are."""
    with write_transaction():
        resource = _locked_facility(actor, resource_id)
        if resource.active != active:
            resource.active = active
            audit.about(
                resource,
                AuditAction.FACILITY_UPDATED,
                actor_id=actor.id,
                at=now,
                changes={"active": [not active, active]},
            )
    return resource


def set_hours(actor: User, resource_id: int, hours: Hours, *, now: datetime) -> Resource:
    """Replace a facility's weekly opening hours; a weekday without intervals is closed."""
    by_day: dict[int, list[tuple[time, time]]] = {d: [] for d in range(7)}
    for weekday, opens, closes in hours:
        if weekday not in by_day:
            raise Invalid({"hours": N_("Weekdays run from Monday (0) to Sunday (6).")})
        by_day[weekday].append((opens, closes))
    problems = {f"day_{d}": p for d, spans in by_day.items() if (p := day_hours_problem(spans))}
    _raise_if(problems)
    with write_transaction():
        resource = _locked_facility(actor, resource_id)
        before = _hours_text(resource.hours)
        resource.hours = [
            OpeningHours(weekday=d, opens=o, closes=c) for d in range(7) for o, c in sorted(by_day[d])
        ]
        db.session.flush()
        audit.about(
            resource,
            AuditAction.HOURS_UPDATED,
            actor_id=actor.id,
            at=now,
            before=before,
            after=_hours_text(resource.hours),
        )
    return resource


def _hours_text(hours: Iterable[OpeningHours]) -> list[str]:
    return [
        f"{h.weekday} {h.opens:%H:%M}-{h.closes:%H:%M}"
        for h in sorted(hours, key=lambda h: (h.weekday, h.opens))
    ]


def update_policy(actor: User, resource_id: int, draft: PolicyDraft, *, now: datetime) -> Resource:
    _raise_if(policy_problems(draft))
    with write_transaction():
        resource = _locked_facility(actor, resource_id)
        policy = resource.policy
        if policy is None:
            policy = resource.policy = Policy()
        values = asdict(draft)
        values["allowed_categories"] = sorted(c.value for c in draft.allowed_categories)
        values["approval_categories"] = sorted(c.value for c in draft.approval_categories)
        changes = {}
        for key, value in values.items():
            old = getattr(policy, key)
            if isinstance(old, list):
                old = sorted(old)
            if old != value:
                changes[key] = [old, value]
                setattr(policy, key, value)
        audit.changed(resource, AuditAction.POLICY_UPDATED, changes, actor_id=actor.id, at=now)
    return resource


def lock_facility(actor: User, resource_id: int) -> Resource:
    """Inside a write transaction: a facility the actor manages, locked and re-read (else NotFound)."""
    return _locked_facility(actor, resource_id)


def _locked_facility(actor: User, resource_id: int) -> Resource:
    """The facility row locked against concurrent bookings (which read it under the same lock), re-read."""
    owner = db.session.scalar(sa.select(Resource.university_id).where(Resource.id == resource_id))
    if owner is None or not can_manage(actor, owner):
        raise NotFound
    lock_rows(resource_ids=[resource_id])
    return (
        db.session.execute(
            sa.select(Resource)
            .where(Resource.id == resource_id)
            .options(*specs.SPEC_LOAD_OPTIONS)
            .execution_options(populate_existing=True)
        )
        .unique()
        .scalar_one()
    )


def _has_active_bookings(resource_id: int, now: datetime) -> bool:
    return (
        db.session.scalar(
            sa.select(Booking.id)
            .where(
                Booking.resource_id == resource_id,
                Booking.status.in_(sorted(ACTIVE_STATUSES)),
                Booking.end_at > now,
            )
            .limit(1)
        )
        is not None
    )


# --- quotas ------------------------------------------------------------------------------------------


def _check_quota(actor: User, draft: QuotaDraft) -> None:
    """A quota the actor may set: of a university they manage, on a facility of that university (else
    NotFound), and valid (else Invalid)."""
    if not can_manage(actor, draft):
        raise NotFound
    if draft.resource_id is not None:
        owner = db.session.scalar(sa.select(Resource.university_id).where(Resource.id == draft.resource_id))
        if owner != draft.university_id:
            raise NotFound
    _raise_if(quota_problems(draft))


def add_quota(actor: User, draft: QuotaDraft, *, now: datetime) -> Quota:
    """A new quota; a facility it names must belong to the same university (else NotFound)."""
    _check_quota(actor, draft)
    with write_transaction():
        quota = Quota(**asdict(draft))
        audit.created(
            quota,
            AuditAction.QUOTA_CREATED,
            actor_id=actor.id,
            at=now,
            **{k: audit.plain(v) for k, v in asdict(draft).items() if k != "university_id"},
        )
    return quota


def get_quota(actor: User, quota_id: int) -> Quota:
    """A quota of a university the actor manages (else NotFound)."""
    return get_managed(actor, Quota, quota_id)


def update_quota(actor: User, quota_id: int, draft: QuotaDraft, *, now: datetime) -> Quota:
    """Change a quota in place (its university stays); the audit event keeps what changed, old and new."""
    _check_quota(actor, draft)
    with write_transaction():
        quota = db.session.scalar(sa.select(Quota).where(Quota.id == quota_id).with_for_update())
        if quota is None or quota.university_id != draft.university_id:
            raise NotFound
        changes = audit.apply(quota, asdict(draft))
        audit.changed(quota, AuditAction.QUOTA_UPDATED, changes, actor_id=actor.id, at=now)
    return quota


def delete_quota(actor: User, quota_id: int, *, now: datetime) -> None:
    with write_transaction():
        quota = get_managed(actor, Quota, quota_id)
        details = {
            "category": audit.plain(quota.category),
            "resource_kind": audit.plain(quota.resource_kind),
            "resource_id": quota.resource_id,
            "scope": audit.plain(quota.scope),
            "period": audit.plain(quota.period),
            "max_bookings": quota.max_bookings,
            "max_hours": quota.max_hours,
        }
        audit.about(quota, AuditAction.QUOTA_DELETED, actor_id=actor.id, at=now, **details)
        db.session.delete(quota)


# --- closures ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    university_id: int
    resource: Resource | None
    start: datetime
    end: datetime


def _closure_span(actor: User, draft: ClosureDraft) -> _Span:
    if not can_manage(actor, draft):
        raise NotFound
    university = db.session.get(Organization, draft.university_id)
    if university is None or university.kind != OrganizationKind.UNIVERSITY:
        raise NotFound
    resource = None
    if draft.resource_id is not None:
        resource = db.session.get(Resource, draft.resource_id)
        if resource is None or resource.university_id != draft.university_id:
            raise NotFound
    _raise_if(closure_problems(draft))
    tz = zone(resource.timezone if resource else CLOSURE_TIMEZONE)
    return _Span(draft.university_id, resource, to_utc(draft.local_start, tz), to_utc(draft.local_end, tz))


def _overlapping(span: _Span) -> list[Booking]:
    query = (
        sa.select(Booking)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(
            Booking.status.in_(sorted(ACTIVE_STATUSES)),
            Booking.start_at < span.end,
            Booking.end_at > span.start,
        )
        .options(selectinload(Booking.user), selectinload(Booking.resource))
        .order_by(Booking.start_at, Booking.id)
    )
    if span.resource is not None:
        query = query.where(Booking.resource_id == span.resource.id)
    else:
        query = query.where(Resource.university_id == span.university_id)
    return list(db.session.scalars(query))


def closure_overlaps(actor: User, draft: ClosureDraft) -> list[Booking]:
    """The active bookings a closure would cover, soonest first (NotFound/Invalid as for `add_closure`)."""
    return _overlapping(_closure_span(actor, draft))


def closure_at(
    actor: User,
    university_id: int | None,
    resource_id: int | None,
    start: datetime,
    end: datetime,
    *,
    reason_zh: str,
    reason_en: str,
) -> ClosureDraft:
    """A closure given by instants (the API's times with offsets) as the draft a manager enters: wall-clock
    times in the facility's zone (CLOSURE_TIMEZONE for a whole university). The university is the
    facility's, else `university_id` (one the actor manages), else the actor's own; NotFound otherwise."""
    resource = get_facility(actor, resource_id) if resource_id is not None else None
    if resource is not None and university_id not in (None, resource.university_id):
        raise NotFound
    university = resource.university_id if resource else university_for(actor, university_id).id
    tz = zone(resource.timezone if resource else CLOSURE_TIMEZONE)
    return ClosureDraft(
        university, resource_id, to_local(start, tz), to_local(end, tz), reason_zh.strip(), reason_en.strip()
    )


def covers_bookings(covered: Sequence[Booking]) -> Violation:
    """A closure over bookings is added only once the manager said which of them to cancel (maybe none)."""
    return Violation(
        "closure_covers_bookings",
        N_(
            "The closure covers %(count)s bookings. Say which of them to cancel, or that they all stay "
            "(an empty list)."
        ),
        {"count": len(covered), "bookings": [b.id for b in covered]},
        overridable=False,
    )


def can_cancel_for_closure(booking: Booking) -> bool:
    return engine.can_transition(booking.status, BookingStatus.CANCELLED)


def add_closure(
    actor: User,
    draft: ClosureDraft,
    *,
    cancel_ids: Collection[int] = (),
    cancel_reason: str = "",
    now: datetime,
) -> ClosureResult:
    """Close a facility or a whole university, cancelling the chosen bookings it covers.

    Every id in `cancel_ids` must be a booking the closure covers (else NotFound, nothing written); their
    owners are told with `cancel_reason`, which is then required.
    """
    if cancel_ids and not cancel_reason.strip():
        raise Invalid(
            {"cancel_reason": N_("Say why the bookings are cancelled; the people affected read it.")}
        )
    reason = cancel_reason.strip()
    with write_transaction():
        span = _closure_span(actor, draft)
        # Lock the facilities first so no booking slips in beside the closure while it is being added.
        if span.resource is not None:
            locked = [span.resource.id]
        else:
            locked = list(
                db.session.scalars(sa.select(Resource.id).where(Resource.university_id == span.university_id))
            )
        lock_rows(resource_ids=locked)
        covered = {b.id: b for b in _overlapping(span)}
        wanted = set(cancel_ids)
        if not wanted <= set(covered):
            raise NotFound
        if wanted:
            db.session.execute(
                sa.select(Booking)
                .where(Booking.id.in_(sorted(wanted)))
                .order_by(Booking.id)
                .with_for_update(of=Booking)
                .execution_options(populate_existing=True)
            ).scalars().all()
        closure = Closure(
            university_id=span.university_id,
            resource_id=span.resource.id if span.resource else None,
            start_at=span.start,
            end_at=span.end,
            reason_zh=(draft.reason_zh.strip() or draft.reason_en.strip())[:200],
            reason_en=(draft.reason_en.strip() or draft.reason_zh.strip())[:200],
            created_by_id=actor.id,
            created_at=now,
        )
        db.session.add(closure)
        db.session.flush()
        cancelled = []
        for booking_id in sorted(wanted, key=lambda i: (covered[i].start_at, i)):
            booking = covered[booking_id]
            if not can_cancel_for_closure(booking):
                continue
            _cancel_for_closure(actor, booking, closure, reason, now)
            cancelled.append(booking)
        kept = [b for b in covered.values() if b.status in ACTIVE_STATUSES]
        _audit_closure(
            closure,
            AuditAction.CLOSURE_CREATED,
            actor,
            now,
            reason_zh=closure.reason_zh,
            reason_en=closure.reason_en,
            cancelled=[b.id for b in cancelled],
            kept=[b.id for b in kept],
        )
    # A cancelled booking may reach beyond the closure; the waitlist is served for what it held, after commit.
    waitlist.promote_freed(cancelled, now=now)
    return ClosureResult(closure=closure, cancelled=cancelled, kept=kept)


def _cancel_for_closure(actor: User, booking: Booking, closure: Closure, reason: str, now: datetime) -> None:
    bookings.record_cancellation(
        actor, booking, reason=reason, now=now, notice="booking_cancelled_by_closure", closure=closure.id
    )


def _audit_closure(closure: Closure, action: AuditAction, actor: User, now: datetime, **details: Any) -> None:
    """Audit a closure event: where and when the closure is, and the event's own `details`."""
    audit.about(
        closure,
        action,
        actor_id=actor.id,
        at=now,
        resource_id=closure.resource_id,
        start=closure.start_at.isoformat(),
        end=closure.end_at.isoformat(),
        **details,
    )


def get_closure(actor: User, closure_id: int) -> Closure:
    """A closure of a university the actor manages (else NotFound)."""
    return get_managed(actor, Closure, closure_id)


def delete_closure(actor: User, closure_id: int, *, now: datetime) -> None:
    """Remove a closure; bookings it cancelled stay cancelled."""
    with write_transaction():
        closure = get_managed(actor, Closure, closure_id)
        _audit_closure(closure, AuditAction.CLOSURE_DELETED, actor, now, reason_en=closure.reason_en)
        db.session.delete(closure)


__all__ = [
    "CLOSURE_TIMEZONE",
    "ClosureDraft",
    "ClosureResult",
    "FacilityDraft",
    "Invalid",
    "NotFound",
    "PolicyDraft",
    "QuotaDraft",
    "add_closure",
    "add_quota",
    "can_cancel_for_closure",
    "closure_at",
    "closure_overlaps",
    "closure_problems",
    "closure_resources",
    "covers_bookings",
    "create_facility",
    "day_hours_problem",
    "delete_closure",
    "delete_quota",
    "facilities_of",
    "facility_problems",
    "get_facility",
    "normalize_tags",
    "policy_problems",
    "quota_problems",
    "quotas_of",
    "set_active",
    "set_hours",
    "timezone_problem",
    "universities_of",
    "university_for",
    "upcoming_closures",
    "update_facility",
    "update_policy",
]
