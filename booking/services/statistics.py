"""Usage statistics: the nightly snapshot of each facility's day for the city's reports.

A facility's local day is snapshotted once it has ended and an hour has passed (so the status sweeps have
settled its bookings), and is never recomputed. Days missed while no scheduler ran are filled in, up to a
week back. Rows are inserted with ON CONFLICT DO NOTHING on the unique (facility, day) pair, so a second
scheduler, or the same job run twice, writes each row once.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, lazyload, selectinload

from booking import engine
from booking.engine.localtime import day_start_utc, to_local, zone
from booking.services import specs
from booking.services.transactions import write_transaction
from models import Booking, BookingStatus, FacilityDay, OpeningHours, Resource, User, UTCDateTime, db

BACKFILL_DAYS = 7
SETTLE = timedelta(hours=1)
# Bookings that went ahead: they count toward booked hours and bookings.
HELD = frozenset({BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED})
# Facilities measured together: one query each for their facilities, closures and bookings.
CHUNK = 500


def snapshot(now: datetime, *, backfill_days: int = BACKFILL_DAYS, settle: timedelta = SETTLE) -> int:
    """Write the rows of every ended, settled, not yet snapshotted day; returns how many were written."""
    due = _due_days(now, backfill_days, settle)
    resource_ids = list(due)
    written = 0
    for first in range(0, len(resource_ids), CHUNK):
        chunk = resource_ids[first : first + CHUNK]
        written += _write(_measure({resource_id: due[resource_id] for resource_id in chunk}, now))
    return written


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
    if not candidates:
        return {}
    day = (candidates[0] if len(candidates) == 1 else sa.union_all(*candidates)).cte("candidate_day")
    query = (
        sa.select(Resource.id, day.c.day)
        .join(day, sa.and_(day.c.timezone == Resource.timezone, Resource.created_at < day.c.ends_at))
        .where(
            Resource.active.is_(True),
            ~sa.exists().where(FacilityDay.resource_id == Resource.id, FacilityDay.day == day.c.day),
        )
        .order_by(Resource.id, day.c.day)
    )
    due: dict[int, list[date]] = defaultdict(list)
    for resource_id, due_day in db.session.execute(query):
        due[resource_id].append(due_day)
    return due


def _measure(due: dict[int, list[date]], now: datetime) -> list[dict[str, Any]]:
    """The rows of the due days of a chunk of facilities, from one query each for them, their closures and
    their bookings (with who booked)."""
    weekdays = sorted({day.weekday() for days in due.values() for day in days})
    resources = db.session.scalars(
        sa.select(Resource)
        .where(Resource.id.in_(list(due)))
        .options(
            joinedload(Resource.university),
            joinedload(Resource.policy),
            # Only the hours of the weekdays measured: the specs are used for those days and dropped.
            selectinload(Resource.hours.and_(OpeningHours.weekday.in_(weekdays))),
            lazyload(Resource.tags),
        )
        .order_by(Resource.id)
    ).unique()
    spans = {}
    for resource in resources:
        tz = zone(resource.timezone)
        days = due[resource.id]
        spans[resource.id] = (
            resource,
            day_start_utc(days[0], tz),
            day_start_utc(days[-1] + timedelta(days=1), tz),
        )
    if not spans:
        return []
    start = min(s for _, s, _ in spans.values())
    end = max(e for _, _, e in spans.values())
    closures = specs.load_closures([resource for resource, _, _ in spans.values()], start, end)
    bookings: dict[int, list[Booking]] = defaultdict(list)
    for booking in db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.resource_id.in_(list(spans)),
            Booking.status.in_(sorted(HELD | {BookingStatus.NO_SHOW})),
            Booking.start_at < end,
            Booking.end_at > start,
            # Implied (a booking blocks at least until it ends), but in the (resource, start, blocked_until)
            # index: without it every past booking of the facilities is read from the table.
            Booking.blocked_until > start,
        )
        .options(selectinload(Booking.user).selectinload(User.organization))
    ):
        bookings[booking.resource_id].append(booking)
    rows = []
    for resource, _, _ in spans.values():
        spec = specs.resource_spec(resource, closures[resource.id])
        rows += _facility_rows(resource, spec, due[resource.id], bookings[resource.id], now)
    return rows


def _facility_rows(
    resource: Resource,
    spec: engine.ResourceSpec,
    days: Sequence[date],
    bookings: Sequence[Booking],
    now: datetime,
) -> list[dict[str, Any]]:
    tz = zone(resource.timezone)
    held = [b for b in bookings if b.status in HELD]
    missed = [b for b in bookings if b.status == BookingStatus.NO_SHOW]
    rows = []
    for day in days:
        span = engine.Interval(day_start_utc(day, tz), day_start_utc(day + timedelta(days=1), tz))
        started = [b for b in held if span.start <= b.start_at < span.end]
        rows.append(
            {
                "resource_id": resource.id,
                "university_id": resource.university_id,
                "day": day,
                "open_hours": _hours(_open(spec, day, span)),
                "booked_hours": round(sum(_overlap_hours(b, span) for b in held), 2),
                "place_hours": round(sum(_overlap_hours(b, span) * b.party_size for b in held), 2),
                "bookings": len(started),
                "bookings_by_category": dict(
                    sorted(Counter(b.user.effective_category.value for b in started).items())
                ),
                "no_shows": sum(1 for b in missed if span.start <= b.start_at < span.end),
                "created_at": now,
            }
        )
    return rows


def _open(spec: engine.ResourceSpec, day: date, span: engine.Interval) -> list[engine.Interval]:
    """The day's opening intervals with the closures cut out."""
    result = engine.opening_intervals(spec, day)
    for closure in spec.closures:
        if closure.start < span.end and span.start < closure.end:
            result = _cut(result, engine.Interval(closure.start, closure.end))
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


def _overlap_hours(booking: Booking, span: engine.Interval) -> float:
    start, end = max(booking.start_at, span.start), min(booking.end_at, span.end)
    return max(0.0, (end - start).total_seconds() / 3600)


def _write(rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    with write_transaction():
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(FacilityDay.__table__)
            .on_conflict_do_nothing(index_elements=["resource_id", "day"])
            .returning(FacilityDay.__table__.c.id)
        )
        # RETURNING lists the rows this statement inserted, not those another run already had. The rows go
        # in (facility, day) order, in batches of many VALUES, so two schedulers wait on each other's rows
        # in the same order and never deadlock.
        written = len(db.session.execute(statement, rows).all())
    return written
