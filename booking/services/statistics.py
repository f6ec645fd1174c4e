"""Usage statistics: the nightly snapshot of each facility's day for the city's reports.

A facility's local day is snapshotted once it has ended and an hour has passed (so the status sweeps have
settled its bookings), and is not recomputed unless asked (`backfill(..., recompute=True)`, after a change
to what is measured). booking.engine.measures defines how each booking counts. Days missed while no
scheduler ran are filled in, up to a week back. Rows are inserted with ON CONFLICT DO NOTHING on the
unique (facility, day) pair, so a second scheduler, or the same job run twice, writes each row once.

Each write also rewrites, from facility_day, the facility_month rows of the months it touched: the rollup
the reports read for whole months, so a year's report sums twelve rows a facility instead of 365.
"""

import bisect
import functools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from booking import engine
from booking.engine import measures
from booking.engine.localtime import day_start_utc, to_local, zone
from booking.services.transactions import write_transaction
from models import (
    Booking,
    BookingStatus,
    Category,
    Closure,
    FacilityDay,
    FacilityMonth,
    Mode,
    OpeningHours,
    Organization,
    OrganizationKind,
    Resource,
    ResourceKind,
    User,
    UTCDateTime,
    WaitlistEntry,
    WaitlistStatus,
    db,
)

BACKFILL_DAYS = 7
SETTLE = timedelta(hours=1)
# Bookings that went ahead: they count toward booked hours and bookings.
HELD = frozenset({BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED})
# Facilities measured together: one query each for their facilities, closures and bookings.
CHUNK = 500
# Candidate days (zone and day) one query of `_due_days` tests.
_CANDIDATES_PER_QUERY = 400
# Facility-days one scheduled tick writes at most (STATISTICS_DAYS_PER_TICK); the next tick goes on.
DAYS_PER_TICK = 1000


def snapshot(
    now: datetime,
    *,
    backfill_days: int = BACKFILL_DAYS,
    settle: timedelta = SETTLE,
    limit: int | None = None,
) -> int:
    """Write the rows of ended, settled, not yet snapshotted days; returns how many were written.

    With `limit`, at most that many facility-days (the lowest facility ids first): the scheduler runs this
    often with a limit, so each tick stays short and the night's rows are all written within a few ticks.
    """
    due = _due_days(now, backfill_days, settle)
    if limit is not None:
        due = _first(due, limit)
    resource_ids = list(due)
    written = 0
    for first in range(0, len(resource_ids), CHUNK):
        chunk = resource_ids[first : first + CHUNK]
        written += _write(_measure({resource_id: due[resource_id] for resource_id in chunk}, now))
    return written


def backfill(now: datetime, days: int, *, recompute: bool = False, settle: timedelta = SETTLE) -> int:
    """Snapshot the last `days` ended days of every facility (history, or what the scheduler missed).

    With `recompute`, rows already written for those days are replaced: after a change to what is
    measured, the history is measured again the new way.
    """
    if recompute:
        zones = db.session.scalars(sa.select(Resource.timezone).distinct()).all()
        if zones:
            first = max(to_local(now - settle, zone(name)).date() - timedelta(days=days) for name in zones)
            with write_transaction():
                db.session.execute(sa.delete(FacilityDay).where(FacilityDay.day >= first))
            written = snapshot(now, backfill_days=days, settle=settle)
            # Facilities that wrote no day again (inactive since) keep the days before `first`.
            roll_up_months(since=first)
            return written
    return snapshot(now, backfill_days=days, settle=settle)


def _first(due: dict[int, list[date]], limit: int) -> dict[int, list[date]]:
    """The first `limit` facility-days of `due`, in its order (facility, then day)."""
    kept: dict[int, list[date]] = {}
    for resource_id, days in due.items():
        if limit <= 0:
            break
        kept[resource_id] = days[:limit]
        limit -= len(kept[resource_id])
    return kept


def _due_days(now: datetime, backfill_days: int, settle: timedelta) -> dict[int, list[date]]:
    """The days to snapshot of each active facility, by facility id, found in SQL against facility_day.

    Day d is due once its end (the next local midnight) plus `settle` has passed, if the facility existed
    by then and d is among the last `backfill_days` such days. Facilities due nothing are not read at all.
    """
    zones = db.session.scalars(sa.select(Resource.timezone).where(Resource.active.is_(True)).distinct())
    candidates = []
    for name in zones:
        tz = zone(name)
        last = to_local(now - settle, tz).date() - timedelta(days=1)
        for back in range(backfill_days):
            day = last - timedelta(days=back)
            candidates.append(
                sa.select(
                    sa.literal(name, sa.String()).label("timezone"),
                    sa.literal(day, sa.Date()).label("day"),
                    # The facility existed on the day if it was created before the day ended.
                    sa.literal(day_start_utc(day + timedelta(days=1), tz), UTCDateTime()).label("ends_at"),
                )
            )
    due: dict[int, list[date]] = defaultdict(list)
    # A few hundred candidate days a query: SQLite allows at most 500 terms in a compound SELECT, and a
    # backfill of two years asks for 730.
    for first in range(0, len(candidates), _CANDIDATES_PER_QUERY):
        part = candidates[first : first + _CANDIDATES_PER_QUERY]
        candidate = (part[0] if len(part) == 1 else sa.union_all(*part)).cte("candidate_day")
        query = (
            sa.select(Resource.id, candidate.c.day)
            .join(
                candidate,
                sa.and_(candidate.c.timezone == Resource.timezone, Resource.created_at < candidate.c.ends_at),
            )
            .where(
                Resource.active.is_(True),
                ~sa.exists().where(
                    FacilityDay.resource_id == Resource.id, FacilityDay.day == candidate.c.day
                ),
            )
        )
        for resource_id, due_day in db.session.execute(query):
            due[resource_id].append(due_day)
    for days in due.values():
        days.sort()
    return dict(sorted(due.items()))


def _measure(due: dict[int, list[date]], now: datetime) -> list[dict[str, Any]]:
    """The rows of the due days of a chunk of facilities, from one query each for them, their opening hours,
    their closures and their bookings (with who booked).

    Plain rows, not ORM entities: a night's work is thousands of bookings, and building an entity (and its
    booker's) for each cost most of the tick. The chunk's ids are ascending, so each query asks for their
    range (short to send, one index range) and rows of facilities not due are skipped here.
    """
    first_id, last_id = min(due), max(due)
    weekdays = sorted({day.weekday() for days in due.values() for day in days})
    facilities = {
        row.id: row
        for row in db.session.execute(
            sa.select(
                Resource.id, Resource.university_id, Resource.timezone, Resource.mode, Resource.capacity
            )
            .where(Resource.id.between(first_id, last_id))
            .order_by(Resource.id)
        )
        if row.id in due
    }
    if not facilities:
        return []
    hours: dict[int, list[engine.HoursSpec]] = defaultdict(list)
    # Only the hours of the weekdays measured.
    for row in db.session.execute(
        sa.select(
            OpeningHours.resource_id, OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes
        ).where(OpeningHours.resource_id.between(first_id, last_id), OpeningHours.weekday.in_(weekdays))
    ):
        hours[row.resource_id].append(
            engine.HoursSpec(weekday=row.weekday, opens=row.opens, closes=row.closes)
        )
    start = min(_day_span(f.timezone, due[f.id][0]).start for f in facilities.values())
    end = max(_day_span(f.timezone, due[f.id][-1]).end for f in facilities.values())
    closures = _closures(facilities.values(), first_id, last_id, start, end)
    bookings: dict[int, list[_Booked]] = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            Booking.resource_id,
            Booking.start_at,
            Booking.end_at,
            Booking.party_size,
            Booking.status,
            Booking.created_at,
            Booking.decided_at,
            User.category,
            User.verification,
            Organization.kind,
            Organization.verified_at.is_not(None).label("organization_verified"),
        )
        .join(User, User.id == Booking.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(
            Booking.resource_id.between(first_id, last_id),
            Booking.start_at < end,
            Booking.end_at > start,
            # Implied (a booking blocks at least until it ends), but in the (resource, start, blocked_until)
            # index: without it every past booking of the facilities is read from the table.
            Booking.blocked_until > start,
        )
    ):
        if row.resource_id in facilities:
            organization_verified = row.kind == OrganizationKind.UNIVERSITY or bool(row.organization_verified)
            category = engine.effective_category(row.category, row.verification, organization_verified)
            bookings[row.resource_id].append(
                _Booked(
                    row.start_at,
                    row.end_at,
                    row.party_size,
                    row.status,
                    category,
                    row.created_at,
                    row.decided_at,
                )
            )
    unserved = _unserved_waitlist(facilities, first_id, last_id, start, end)
    rows = []
    for facility in facilities.values():
        rows += _facility_rows(
            facility,
            hours[facility.id],
            closures[facility.id],
            due[facility.id],
            bookings[facility.id],
            unserved[facility.id],
            now,
        )
    return rows


def _unserved_waitlist(
    facilities: dict[int, sa.Row[Any]], first_id: int, last_id: int, start: datetime, end: datetime
) -> dict[int, list[datetime]]:
    """The start of each waitlist entry of the chunk, in [start, end), that never became a booking."""
    result: dict[int, list[datetime]] = defaultdict(list)
    for row in db.session.execute(
        sa.select(WaitlistEntry.resource_id, WaitlistEntry.start_at).where(
            WaitlistEntry.resource_id.between(first_id, last_id),
            WaitlistEntry.start_at >= start,
            WaitlistEntry.start_at < end,
            WaitlistEntry.status != WaitlistStatus.PROMOTED,
        )
    ):
        if row.resource_id in facilities:
            result[row.resource_id].append(row.start_at)
    return result


class _Booked(NamedTuple):
    """What the snapshot needs of one booking."""

    start_at: datetime
    end_at: datetime
    party_size: int
    status: BookingStatus
    category: Category
    created_at: datetime
    decided_at: datetime | None


def _closures(
    facilities: Iterable[sa.Row[Any]], first_id: int, last_id: int, start: datetime, end: datetime
) -> dict[int, list[engine.Interval]]:
    """Closures overlapping [start, end) of each facility: its own and its whole university's."""
    by_university: dict[int, list[int]] = defaultdict(list)
    result: dict[int, list[engine.Interval]] = {}
    for facility in facilities:
        by_university[facility.university_id].append(facility.id)
        result[facility.id] = []
    query = sa.select(Closure.resource_id, Closure.university_id, Closure.start_at, Closure.end_at).where(
        Closure.start_at < end,
        Closure.end_at > start,
        sa.or_(
            Closure.resource_id.between(first_id, last_id),
            sa.and_(Closure.resource_id.is_(None), Closure.university_id.in_(list(by_university))),
        ),
    )
    for row in db.session.execute(query):
        closed = engine.Interval(row.start_at, row.end_at)
        for resource_id in (
            [row.resource_id] if row.resource_id is not None else by_university[row.university_id]
        ):
            if resource_id in result:
                result[resource_id].append(closed)
    return result


def _facility_rows(
    facility: sa.Row[Any],
    hours: Sequence[engine.HoursSpec],
    closures: Sequence[engine.Interval],
    days: Sequence[date],
    bookings: Sequence[_Booked],
    waitlisted: Sequence[datetime],
    now: datetime,
) -> list[dict[str, Any]]:
    # By start, so each day looks only at the bookings that can touch it (a backfill measures years of
    # days against years of bookings: every booking for every day made it quadratic).
    ordered = sorted(bookings, key=lambda b: b.start_at)
    starts = [b.start_at for b in ordered]
    longest = max((b.end_at - b.start_at for b in ordered), default=timedelta(0))
    weekly = tuple(sorted(hours, key=lambda h: (h.weekday, h.opens, h.closes)))
    rows = []
    for day in days:
        span = _day_span(facility.timezone, day)
        near = ordered[
            bisect.bisect_left(starts, span.start - longest) : bisect.bisect_left(starts, span.end)
        ]
        held = [b for b in near if b.status in HELD]
        missed = [b for b in near if b.status == BookingStatus.NO_SHOW]
        counted = [b for b in near if b.status in measures.BOOKED]
        started = [b for b in held if span.start <= b.start_at < span.end]
        opening = _opening(facility.timezone, facility.mode, weekly, day)
        open_hours = _hours(_without(opening, closures, span))
        asked = [b for b in near if span.start <= b.start_at < span.end]
        by_category = dict.fromkeys(Category, 0.0)
        for b in counted:
            by_category[b.category] += measures.booked(
                facility.mode, facility.capacity, b.party_size, _overlap_hours(b, span)
            )
        rows.append(
            {
                "resource_id": facility.id,
                "university_id": facility.university_id,
                "day": day,
                "open_hours": open_hours,
                "booked_hours": round(sum(_overlap_hours(b, span) for b in held), 2),
                "place_hours": round(sum(_overlap_hours(b, span) * b.party_size for b in held), 2),
                "bookings": len(started),
                "bookings_by_category": dict(sorted(Counter(b.category.value for b in started).items())),
                "no_shows": sum(1 for b in missed if span.start <= b.start_at < span.end),
                "offered": round(measures.offered(facility.mode, facility.capacity, open_hours), 4),
                "booked_resident": round(by_category[Category.RESIDENT], 4),
                "booked_student": round(by_category[Category.STUDENT], 4),
                "booked_enterprise": round(by_category[Category.ENTERPRISE], 4),
                "requests": len(asked),
                "cancelled": sum(1 for b in asked if b.status == BookingStatus.CANCELLED),
                "lead_minutes": sorted(_lead_minutes(b) for b in asked if b.decided_at is not None),
                "waitlist_unserved": sum(1 for at in waitlisted if span.start <= at < span.end),
                "created_at": now,
            }
        )
    return rows


# Many facilities share a zone and a week of hours: their days and opening intervals are computed once.
@functools.lru_cache(maxsize=1024)
def _day_span(timezone: str, day: date) -> engine.Interval:
    """A local day in UTC."""
    tz = zone(timezone)
    return engine.Interval(day_start_utc(day, tz), day_start_utc(day + timedelta(days=1), tz))


@functools.lru_cache(maxsize=4096)
def _opening(
    timezone: str, mode: Mode, hours: tuple[engine.HoursSpec, ...], day: date
) -> list[engine.Interval]:
    """A day's opening intervals, as engine.opening_intervals has them for a facility with these hours.

    The spec is for opening hours only: the engine reads its zone, mode and hours; nothing else is loaded.
    """
    spec = engine.ResourceSpec(
        id=0,
        university_id=0,
        kind=ResourceKind.SPORTS_VENUE,
        mode=mode,
        capacity=1,
        timezone=timezone,
        slot_minutes=30,
        active=True,
        name=_UNNAMED,
        university_name=_UNNAMED,
        hours=hours,
        closures=(),
        policy=_NO_POLICY,
    )
    return tuple(engine.opening_intervals(spec, day))


_UNNAMED = engine.LocalizedName(zh="", en="")
_NO_POLICY = engine.PolicySpec(allowed_categories=frozenset(), approval_categories=frozenset())


def _without(
    opening: Iterable[engine.Interval], closures: Sequence[engine.Interval], span: engine.Interval
) -> list[engine.Interval]:
    """The day's opening intervals with the closures cut out."""
    result = list(opening)
    for closure in closures:
        if closure.start < span.end and span.start < closure.end:
            result = _cut(result, closure)
    return result


def _cut(intervals: Iterable[engine.Interval], hole: engine.Interval) -> list[engine.Interval]:
    kept = []
    for interval in intervals:
        if not interval.overlaps(hole):
            kept.append(interval)
            continue
        if interval.start < hole.start:
            kept.append(engine.Interval(interval.start, hole.start))
        if hole.end < interval.end:
            kept.append(engine.Interval(hole.end, interval.end))
    return kept


def _hours(intervals: Iterable[engine.Interval]) -> float:
    return round(sum(i.duration.total_seconds() for i in intervals) / 3600, 2)


def _lead_minutes(booking: _Booked) -> int:
    """Whole minutes from the request to the manager's decision."""
    assert booking.decided_at is not None
    return max(0, int((booking.decided_at - booking.created_at).total_seconds() // 60))


def _overlap_hours(booking: _Booked, span: engine.Interval) -> float:
    start, end = max(booking.start_at, span.start), min(booking.end_at, span.end)
    return max(0.0, (end - start).total_seconds() / 3600)


def _write(rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    table = FacilityDay.__table__
    with write_transaction():
        postgres = db.session.get_bind().dialect.name == "postgresql"
        if postgres:
            # One statistics writer at a time (SQLite's BEGIN IMMEDIATE already is): each rewrites the
            # months it touched from every day committed before, so two must not interleave.
            db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(_WRITER_LOCK)))
            statement = postgresql.insert(table).from_select([*_COLUMNS, "created_at"], _unnest(rows))
            parameters = None
        else:
            statement = sqlite.insert(table)
            parameters = rows
        statement = statement.on_conflict_do_nothing(index_elements=["resource_id", "day"]).returning(
            table.c.id
        )
        # RETURNING lists the rows this statement inserted, not those another run already had. The rows go
        # in (facility, day) order, so two schedulers wait on each other's rows in the same order and never
        # deadlock.
        written = len(db.session.execute(statement, parameters).all())
        _roll_up({(row["resource_id"], _month(row["day"])) for row in rows})
    return written


# The key of PostgreSQL's advisory lock that the statistics writers take ("facility_day").
_WRITER_LOCK = 0x66616379


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def roll_up_months(since: date | None = None) -> int:
    """Rewrite the facility_month rows from facility_day (those from the month of `since` on, or all);
    returns how many months were written. For history written before the rollup existed, or after a
    recompute; a chunk of facilities a transaction, so the reports never see a month missing."""
    first = _month(since) if since is not None else None
    days = sa.select(FacilityDay.resource_id, sa.func.min(FacilityDay.day), sa.func.max(FacilityDay.day))
    months = sa.select(FacilityMonth.resource_id, FacilityMonth.month)
    if first is not None:
        days = days.where(FacilityDay.day >= first)
        months = months.where(FacilityMonth.month >= first)
    pairs: dict[int, set[date]] = defaultdict(set)
    for resource_id, earliest, latest in db.session.execute(days.group_by(FacilityDay.resource_id)):
        month = _month(earliest)
        while month <= latest:
            pairs[resource_id].add(month)
            month = _next_month(month)
    for resource_id, month in db.session.execute(months):
        pairs[resource_id].add(month)
    db.session.rollback()
    resource_ids = sorted(pairs)
    written = 0
    for first_index in range(0, len(resource_ids), CHUNK):
        chunk = {(r, m) for r in resource_ids[first_index : first_index + CHUNK] for m in pairs[r]}
        written += _roll_up_in_transaction(chunk)
    return written


def _roll_up_in_transaction(pairs: set[tuple[int, date]]) -> int:
    with write_transaction():
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(_WRITER_LOCK)))
        return _roll_up(pairs)


# facility_day's columns that a month sums: each one facility_month has too, but for the keys and the lead
# times (kept one by one, not summed).
_SUMMED = tuple(
    column.key
    for column in FacilityMonth.__table__.columns
    if column.key in FacilityDay.__table__.columns
    and column.key not in {"id", "resource_id", "university_id", "lead_minutes"}
)


def _roll_up(pairs: set[tuple[int, date]]) -> int:
    """Rewrite the facility_month rows of these (facility, month) pairs from their facility_day rows, in
    the caller's transaction; returns how many were written.

    One query reads the days of the pairs' facility range and months (the pairs of a write are a chunk's
    facilities over the same few months); the sums and the month's lead times are made here.
    """
    if not pairs:
        return 0
    first_id, last_id = min(p[0] for p in pairs), max(p[0] for p in pairs)
    first, last = min(p[1] for p in pairs), _next_month(max(p[1] for p in pairs))
    sums: dict[tuple[int, date], dict[str, Any]] = {}
    leads: dict[tuple[int, date], list[int]] = defaultdict(list)
    columns = [getattr(FacilityDay, name) for name in _SUMMED]
    query = sa.select(
        FacilityDay.resource_id,
        FacilityDay.university_id,
        FacilityDay.day,
        sa.cast(FacilityDay.lead_minutes, sa.Text).label("lead"),
        *columns,
    ).where(
        FacilityDay.resource_id.between(first_id, last_id),
        FacilityDay.day >= first,
        FacilityDay.day < last,
    )
    for row in db.session.execute(query):
        key = (row.resource_id, _month(row.day))
        if key not in pairs:
            continue
        month = sums.get(key)
        if month is None:
            month = sums[key] = {
                "resource_id": row.resource_id,
                "university_id": row.university_id,
                "month": key[1],
                "days": 0,
                **dict.fromkeys(_SUMMED, 0),
            }
        month["days"] += 1
        for name in _SUMMED:
            month[name] += getattr(row, name)
        if row.lead and row.lead != "[]":
            leads[key] += json.loads(row.lead)
    table = FacilityMonth.__table__
    gone = pairs - sums.keys()
    for resource_id, month in sorted(gone):
        db.session.execute(sa.delete(table).where(table.c.resource_id == resource_id, table.c.month == month))
    if not sums:
        return 0
    rows = []
    for key in sorted(sums):
        row = sums[key]
        for name in ("offered", "booked_resident", "booked_student", "booked_enterprise"):
            row[name] = float(row[name])
        row["lead_minutes"] = sorted(leads[key])
        rows.append(row)
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["resource_id", "month"],
        set_={name: statement.excluded[name] for name in ("university_id", "days", *_SUMMED, "lead_minutes")},
    )
    db.session.execute(statement, rows)
    return len(rows)


# facility_day's columns as PostgreSQL arrays: the rows go in as one array a column, unnested in order.
_COLUMNS: dict[str, sa.types.TypeEngine[Any]] = {
    "resource_id": sa.Integer(),
    "university_id": sa.Integer(),
    "day": sa.Date(),
    "open_hours": sa.Float(),
    "booked_hours": sa.Float(),
    "place_hours": sa.Float(),
    "bookings": sa.Integer(),
    "bookings_by_category": sa.Text(),
    "no_shows": sa.Integer(),
    "offered": sa.Float(),
    "booked_resident": sa.Float(),
    "booked_student": sa.Float(),
    "booked_enterprise": sa.Float(),
    "requests": sa.Integer(),
    "cancelled": sa.Integer(),
    "lead_minutes": sa.Text(),
    "waitlist_unserved": sa.Integer(),
}


_BOOKED_COLUMNS = ("booked_resident", "booked_student", "booked_enterprise")


def _unnest(rows: list[dict[str, Any]]) -> sa.Select[Any]:
    """The rows as one SELECT over unnest(arrays): a few parameters instead of ten a row, which is what
    made the many-VALUES insert slow on PostgreSQL."""
    values = {name: [row[name] for row in rows] for name in _COLUMNS}
    for name in ("bookings_by_category", "lead_minutes"):
        values[name] = [json.dumps(v) for v in values[name]]
    for name in ("open_hours", "booked_hours", "place_hours", *_BOOKED_COLUMNS, "offered"):
        values[name] = [float(v) for v in values[name]]  # an array is of one type: 0 is 0.0
    arrays = [
        sa.bindparam(name, values[name], type_=postgresql.ARRAY(kind)) for name, kind in _COLUMNS.items()
    ]
    unnested = sa.func.unnest(*arrays).table_valued(*_COLUMNS).render_derived()
    (created_at,) = {row["created_at"] for row in rows}
    columns = [unnested.c[name] for name in _COLUMNS]
    for name in ("bookings_by_category", "lead_minutes"):
        columns[list(_COLUMNS).index(name)] = sa.cast(unnested.c[name], sa.JSON())
    return sa.select(*columns, sa.literal(created_at, UTCDateTime()))
