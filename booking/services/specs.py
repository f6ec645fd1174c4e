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
- `load_usage(users, span, now, *, not_over=True, exclude_booking_ids=()) -> list[UsageItem]`
  The bookings of `users` and of their organizations that may count toward a quota for requests within
  `span` (an `Interval`): those in QUOTA_STATUSES starting within a month of it, or (unless `not_over` is
  False, where no quota of bookings active at once applies) not yet over at `now`. `exclude_booking_ids`
  leaves out bookings being re-judged (a move must not count against itself).

`start`/`end` are UTC-aware datetimes; `session` defaults to `db.session`.
"""

import functools
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
from models import (
    ACTIVE_STATUSES,
    QUOTA_STATUSES,
    Booking,
    Category,
    Closure,
    Organization,
    Policy,
    Quota,
    Resource,
    User,
    Verification,
    db,
)

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


# The loaders' statements are built once, with their SQL cache keys: each booking request runs several, and
# building a statement costs about as much CPU as running it.
_CLOSURES = (
    sa.select(Closure)
    .where(
        Closure.start_at < sa.bindparam("end"),
        Closure.end_at > sa.bindparam("start"),
        sa.or_(
            Closure.resource_id.in_(sa.bindparam("resource_ids", expanding=True)),
            sa.and_(
                Closure.resource_id.is_(None),
                Closure.university_id.in_(sa.bindparam("university_ids", expanding=True)),
            ),
        ),
    )
    .order_by(Closure.start_at, Closure.id)
)
_OCCUPANCY = sa.select(
    Booking.id,
    Booking.resource_id,
    Booking.start_at,
    Booking.end_at,
    Booking.blocked_until,
    Booking.party_size,
    Booking.user_id,
).where(
    Booking.resource_id.in_(sa.bindparam("resource_ids", expanding=True)),
    Booking.status.in_(sorted(ACTIVE_STATUSES)),
    Booking.start_at < sa.bindparam("end"),
    Booking.blocked_until > sa.bindparam("start"),
)
_OCCUPANCY_IN_ORDER = _OCCUPANCY.order_by(Booking.start_at, Booking.id)
_OCCUPANCY_EXCLUDING_IN_ORDER = _OCCUPANCY.where(
    Booking.id.not_in(sa.bindparam("excluded", expanding=True))
).order_by(Booking.start_at, Booking.id)


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
        _CLOSURES,
        {"start": start, "end": end, "resource_ids": list(result), "university_ids": list(by_university)},
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
    params = {"resource_ids": list(result), "start": start, "end": end}
    query = _OCCUPANCY_IN_ORDER
    if exclude_booking_ids:
        query = _OCCUPANCY_EXCLUDING_IN_ORDER
        params["excluded"] = list(exclude_booking_ids)
    for row in session.execute(query, params):
        result[row.resource_id].append(
            Occupancy(
                start=row.start_at,
                blocked_until=row.blocked_until,
                party_size=row.party_size,
                booking_id=row.id,
                user_id=row.user_id,
                end=row.end_at,
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
    pending = _pending_category(user)
    return RequesterSpec(
        user_id=user.id,
        organization_id=user.organization_id,
        category=user.effective_category,
        active=user.active,
        suspended_until=user.suspended_until,
        pending_category=pending,
        pending_at=LocalizedName(user.organization.name_zh, user.organization.name_en)
        if pending is not None and user.organization is not None
        else None,
        email_verified=user.email_verified_at is not None,
    )


def _pending_category(user: User) -> Category | None:
    """The student or enterprise category a person claimed and awaits verification for."""
    if user.effective_category == user.category:
        return None
    if user.verification == Verification.PENDING:
        return user.category
    if user.category == Category.ENTERPRISE and user.verification == Verification.VERIFIED:
        return user.category  # verified person, company not verified yet
    return None


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


def _quotas_query() -> sa.Select:
    university = sa.orm.aliased(Organization)
    return (
        sa.select(
            Quota.id,
            Quota.university_id,
            Quota.category,
            Quota.resource_kind,
            Quota.resource_id,
            Quota.scope,
            Quota.period,
            Quota.max_bookings,
            Quota.max_hours,
            university.name_zh,
            university.name_en,
            Resource.name_zh,
            Resource.name_en,
        )
        .join(university, university.id == Quota.university_id)
        .outerjoin(Resource, Resource.id == Quota.resource_id)
        .order_by(Quota.id)
    )


# Plain columns, not entities, in statements built once: every booking request reads a university's quotas,
# and building Quota objects (with their university and facility) and the statement cost more than the query.
_ALL_QUOTAS = _quotas_query()
_UNIVERSITY_QUOTAS = _ALL_QUOTAS.where(Quota.university_id == sa.bindparam("university_id"))


def load_quotas(university_id: int | None = None) -> list[QuotaSpec]:
    """The quotas of one university, or of every university, by id."""
    if university_id is None:
        rows = db.session.execute(_ALL_QUOTAS)
    else:
        rows = db.session.execute(_UNIVERSITY_QUOTAS, {"university_id": university_id})
    return [
        QuotaSpec(
            *row[:9],
            university_name=LocalizedName(row[9], row[10]),
            resource_name=LocalizedName(row[11], row[12]) if row[4] is not None else None,
        )
        for row in rows
    ]


def load_usage(
    users: Iterable[User],
    span: Interval,
    now: datetime,
    *,
    not_over: bool = True,
    exclude_booking_ids: Collection[int] = (),
) -> list[UsageItem]:
    """Bookings of `users` and their organizations that may count toward a quota for requests in `span`.

    `not_over=False` leaves out those that count only for quotas of bookings active at once (a person's
    whole future), for a caller that knows no such quota applies. `exclude_booking_ids` leaves out
    bookings being judged again at another time (a move), so they do not count against themselves.
    """
    users = list(users)
    organizations = sorted({u.organization_id for u in users if u.organization_id is not None})
    params: dict[str, object] = {
        "user_ids": [u.id for u in users],
        "organization_ids": organizations,
        "from": span.start - _QUOTA_MARGIN,
        "until": span.end + _QUOTA_MARGIN,
        "now": now,
    }
    if exclude_booking_ids:
        params["excluded"] = list(exclude_booking_ids)
    query = _usage_query(bool(organizations), not_over, bool(exclude_booking_ids))
    rows = db.session.execute(query, params).all()
    return [UsageItem(*row) for row in rows]


@functools.cache
def _usage_query(organizations: bool, not_over: bool, excluding: bool = False) -> sa.Select:
    owner = Booking.user_id.in_(sa.bindparam("user_ids", expanding=True))
    if organizations:
        owner = sa.or_(owner, Booking.organization_id.in_(sa.bindparam("organization_ids", expanding=True)))
    near = sa.and_(Booking.start_at >= sa.bindparam("from"), Booking.start_at < sa.bindparam("until"))
    query = (
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
        .where(
            owner,
            Booking.status.in_(sorted(QUOTA_STATUSES)),
            sa.or_(near, Booking.end_at > sa.bindparam("now")) if not_over else near,
        )
    )
    if excluding:
        query = query.where(Booking.id.not_in(sa.bindparam("excluded", expanding=True)))
    return query
