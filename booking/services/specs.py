"""Stored facilities, people and quotas turned into the engine's plain specs, with what the engine weighs.

The API, each loader one query whatever the number of facilities:

- `policy_spec(policy) -> PolicySpec`
- `resource_spec(resource, closures=(), locale=None) -> ResourceSpec`
  The resource's `policy`, `hours` and `university` must be loaded (they are eager or cheap by default;
  use `SPEC_LOAD_OPTIONS` when querying many). Closure reasons are the `locale`'s string
  (`Closure.reason_for`), or a `LocalizedName` with both languages when `locale` is None.
- `load_closures(resources, start, end, *, session=None) -> dict[int, list[Closure]]`
  Facility closures plus whole-university closures (resource_id NULL) overlapping [start, end), keyed by
  every given resource's id (an empty list when none), each list sorted by start.
- `load_occupancy(resource_ids, start, end, *, session=None, exclude_booking_ids=())
  -> dict[int, list[Occupancy]]`
  Bookings in ACTIVE_STATUSES whose blocked span [start_at, blocked_until) overlaps [start, end), keyed by
  every given id. `exclude_booking_ids` leaves out bookings being re-checked (an approval, a move).
- `specs_with_closures(resources, start, end, locale=None, *, session=None) -> dict[int, ResourceSpec]`
  The two steps together for a batch of facilities.
- `requester_spec(user) -> RequesterSpec`, with the user's effective category.
- `quota_spec(quota) -> QuotaSpec`; `load_quotas(university_id=None) -> list[QuotaSpec]`
  The quotas of one university (every university when None), by id.
- `load_usage(users, span, now) -> list[UsageItem]`
  The bookings of `users` and of their organizations that may count toward a quota for requests within
  `span` (an `Interval`): those in QUOTA_STATUSES starting within a month of it, or not yet over at `now`.

`start`/`end` are UTC-aware datetimes; `session` defaults to `db.session`.
"""

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from booking.engine import (
    ClosureSpec,
    HoursSpec,
    Interval,
    LocalizedName,
    Occupancy,
    PolicySpec,
    QuotaSpec,
    RequesterSpec,
    ResourceSpec,
    UsageItem,
)
from models import ACTIVE_STATUSES, QUOTA_STATUSES, Booking, Closure, Policy, Quota, Resource, User, db

# Query options that load everything `resource_spec` reads in a fixed number of queries.
SPEC_LOAD_OPTIONS = (
    joinedload(Resource.university),
    joinedload(Resource.policy),
    selectinload(Resource.hours),
)
# Usage that can count toward a period quota lies within a month either side of the request.
_QUOTA_MARGIN = timedelta(days=32)


def policy_spec(policy: Policy | None) -> PolicySpec:
    """The engine's view of a facility's rules; a facility without a policy row gets the defaults."""
    if policy is None:
        policy = Policy()
        _fill_policy_defaults(policy)
    return PolicySpec(
        allowed_categories=policy.allowed,
        approval_categories=policy.approval,
        min_minutes=policy.min_minutes,
        max_minutes=policy.max_minutes,
        min_notice_minutes=policy.min_notice_minutes,
        max_advance_days=policy.max_advance_days,
        buffer_minutes=policy.buffer_minutes,
        max_party_size=policy.max_party_size,
        cancel_deadline_minutes=policy.cancel_deadline_minutes,
        checkin_required=policy.checkin_required,
        checkin_opens_minutes=policy.checkin_opens_minutes,
        checkin_closes_minutes=policy.checkin_closes_minutes,
    )


def _fill_policy_defaults(policy: Policy) -> None:
    # Column defaults apply only on INSERT; a transient Policy() needs them filled in by hand.
    for column in Policy.__table__.columns:
        if getattr(policy, column.key) is None and column.default is not None:
            default = column.default.arg
            setattr(policy, column.key, default(None) if callable(default) else default)


def closure_spec(closure: Closure, locale: str | None = None) -> ClosureSpec:
    reason: str | LocalizedName
    if locale is None:
        reason = LocalizedName(zh=closure.reason_zh, en=closure.reason_en)
    else:
        reason = closure.reason_for(locale)
    return ClosureSpec(start=closure.start_at, end=closure.end_at, reason=reason)


def resource_spec(
    resource: Resource, closures: Iterable[Closure] = (), locale: str | None = None
) -> ResourceSpec:
    """A facility as the engine sees it, with the given closures (those of `load_closures`)."""
    university = resource.university
    return ResourceSpec(
        id=resource.id,
        university_id=resource.university_id,
        kind=resource.kind,
        mode=resource.mode,
        capacity=resource.capacity,
        timezone=resource.timezone,
        slot_minutes=resource.slot_minutes,
        active=resource.active,
        name=LocalizedName(zh=resource.name_zh, en=resource.name_en),
        university_name=LocalizedName(zh=university.name_zh, en=university.name_en),
        hours=tuple(HoursSpec(weekday=h.weekday, opens=h.opens, closes=h.closes) for h in resource.hours),
        closures=tuple(closure_spec(c, locale) for c in sorted(closures, key=lambda c: (c.start_at, c.id))),
        policy=policy_spec(resource.policy),
    )


def load_closures(
    resources: Sequence[Resource],
    start: datetime,
    end: datetime,
    *,
    session: Session | None = None,
) -> dict[int, list[Closure]]:
    """Closures of each facility, its own and its whole university's, overlapping [start, end)."""
    result: dict[int, list[Closure]] = {r.id: [] for r in resources}
    if not resources:
        return result
    session = session or db.session
    by_university: dict[int, list[int]] = {}
    for r in resources:
        by_university.setdefault(r.university_id, []).append(r.id)
    rows = session.scalars(
        sa.select(Closure)
        .where(
            Closure.start_at < end,
            Closure.end_at > start,
            sa.or_(
                Closure.resource_id.in_(list(result)),
                sa.and_(Closure.resource_id.is_(None), Closure.university_id.in_(list(by_university))),
            ),
        )
        .order_by(Closure.start_at, Closure.id)
    ).all()
    for closure in rows:
        if closure.resource_id is not None:
            result[closure.resource_id].append(closure)
        else:
            for resource_id in by_university.get(closure.university_id, ()):
                result[resource_id].append(closure)
    return result


def load_occupancy(
    resource_ids: Iterable[int],
    start: datetime,
    end: datetime,
    *,
    session: Session | None = None,
    exclude_booking_ids: Collection[int] = (),
) -> dict[int, list[Occupancy]]:
    """Active bookings of each facility whose blocked span, buffer included, overlaps [start, end)."""
    result: dict[int, list[Occupancy]] = {rid: [] for rid in resource_ids}
    if not result:
        return result
    session = session or db.session
    query = sa.select(
        Booking.id, Booking.resource_id, Booking.start_at, Booking.blocked_until, Booking.party_size
    ).where(
        Booking.resource_id.in_(list(result)),
        Booking.status.in_(sorted(ACTIVE_STATUSES)),
        Booking.start_at < end,
        Booking.blocked_until > start,
    )
    if exclude_booking_ids:
        query = query.where(Booking.id.not_in(list(exclude_booking_ids)))
    for row in session.execute(query.order_by(Booking.start_at, Booking.id)):
        result[row.resource_id].append(
            Occupancy(
                start=row.start_at,
                blocked_until=row.blocked_until,
                party_size=row.party_size,
                booking_id=row.id,
            )
        )
    return result


def specs_with_closures(
    resources: Sequence[Resource],
    start: datetime,
    end: datetime,
    locale: str | None = None,
    *,
    session: Session | None = None,
) -> dict[int, ResourceSpec]:
    """Specs for a batch of facilities with their closures overlapping [start, end), in one closure query."""
    closures = load_closures(resources, start, end, session=session)
    return {r.id: resource_spec(r, closures[r.id], locale) for r in resources}


def requester_spec(user: User) -> RequesterSpec:
    return RequesterSpec(
        user_id=user.id,
        organization_id=user.organization_id,
        category=user.effective_category,
        active=user.active,
        suspended_until=user.suspended_until,
    )


def quota_spec(quota: Quota) -> QuotaSpec:
    university, resource = quota.university, quota.resource
    return QuotaSpec(
        id=quota.id,
        university_id=quota.university_id,
        category=quota.category,
        resource_kind=quota.resource_kind,
        resource_id=quota.resource_id,
        scope=quota.scope,
        period=quota.period,
        max_bookings=quota.max_bookings,
        max_hours=quota.max_hours,
        university_name=LocalizedName(university.name_zh, university.name_en),
        resource_name=LocalizedName(resource.name_zh, resource.name_en) if resource else None,
    )


def load_quotas(university_id: int | None = None) -> list[QuotaSpec]:
    """The quotas of one university, or of every university, by id."""
    query = (
        sa.select(Quota).options(joinedload(Quota.university), joinedload(Quota.resource)).order_by(Quota.id)
    )
    if university_id is not None:
        query = query.where(Quota.university_id == university_id)
    return [quota_spec(q) for q in db.session.scalars(query)]


def load_usage(users: Iterable[User], span: Interval, now: datetime) -> list[UsageItem]:
    """Bookings of `users` and their organizations that may count toward a quota for requests in `span`."""
    users = list(users)
    owner = Booking.user_id.in_([u.id for u in users])
    organizations = sorted({u.organization_id for u in users if u.organization_id is not None})
    if organizations:
        owner = sa.or_(owner, Booking.organization_id.in_(organizations))
    near = sa.and_(
        Booking.start_at >= span.start - _QUOTA_MARGIN, Booking.start_at < span.end + _QUOTA_MARGIN
    )
    rows = db.session.execute(
        sa.select(
            Booking.start_at,
            Booking.end_at,
            Booking.resource_id,
            Resource.kind,
            Resource.university_id,
            Booking.user_id,
            Booking.organization_id,
        )
        .join(Resource, Resource.id == Booking.resource_id)
        .where(owner, Booking.status.in_(sorted(QUOTA_STATUSES)), sa.or_(near, Booking.end_at > now))
    ).all()
    return [UsageItem(*row) for row in rows]
