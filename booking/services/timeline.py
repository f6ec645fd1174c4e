"""The multi-facility timeline: many facilities side by side over a day or a week, each slot judged for
the reader by the engine (`slot_verdict`, through `week_grid`), and, for a facility's managers, who holds
each booked slot.

Everything is loaded once for all the facilities: closures, bookings, the reader's quotas and usage, and
the holders' names; the engine then judges every cell from memory.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from booking import engine
from booking.engine.localtime import day_start_utc, zone
from booking.services import catalog, specs
from booking.services.permissions import can_manage
from models import ACTIVE_STATUSES, Booking, Resource, User, db

MAX_FACILITIES = 50


@dataclass(frozen=True)
class Holder:
    """Who holds a booking, for the facility's managers only."""

    booking_id: int
    name: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class TimelineRow:
    resource: Resource
    grid: engine.WeekGrid
    holders: tuple[Holder, ...] = ()  # empty unless the reader manages this facility

    def layout(self, columns: tuple[int, ...], step: int) -> list[tuple[engine.GridCell | None, int]]:
        """The first day's cells laid on the shared axis: (cell, columns spanned), None for a gap."""
        if not columns or not self.grid.days:
            return []
        cells = self.grid.days[0].cells
        if self.resource.slot_minutes >= 24 * 60:
            return [(cells[0], len(columns))] if cells else [(None, len(columns))]
        out: list[tuple[engine.GridCell | None, int]] = []
        position, end = columns[0], columns[-1] + step
        for row_time, cell in zip(self.grid.rows, cells, strict=True):
            minute = _minutes(row_time)
            if minute >= end:
                break
            if minute > position:
                out.append((None, (minute - position) // step))
            span = min(self.resource.slot_minutes, end - minute) // step
            out.append((cell, max(1, span)))
            position = minute + span * step
        if position < end:
            out.append((None, (end - position) // step))
        return out

    def holder_at(self, cell: engine.GridCell) -> Holder | None:
        """The booking taking (part of) the cell's own span, if the reader may see it."""
        return next((h for h in self.holders if h.start < cell.end and cell.start < h.end), None)


@dataclass(frozen=True)
class Timeline:
    first_day: date
    days: int
    rows: tuple[TimelineRow, ...] = ()
    truncated: bool = False  # more facilities matched than are shown
    columns: tuple[int, ...] = field(default=())  # local minutes since midnight, one per column (day view)
    step: int = 30  # minutes per column (day view)

    @property
    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=offset) for offset in range(self.days)]


def timeline(
    filters: catalog.Filters,
    first_day: date,
    days: int,
    now: datetime,
    user: User | None = None,
    locale: str | None = None,
) -> Timeline:
    """Up to MAX_FACILITIES matching facilities, each with `days` local days of cells judged for `user`."""
    found = catalog.matching_facilities(filters, MAX_FACILITIES + 1)
    resources, truncated = found[:MAX_FACILITIES], len(found) > MAX_FACILITIES
    if not resources:
        return Timeline(first_day, days)
    reach = max(catalog.grid_reach(r) for r in resources)
    spans = {
        r.id: engine.Interval(
            day_start_utc(first_day, zone(r.timezone)),
            day_start_utc(first_day + timedelta(days=days), zone(r.timezone)),
        )
        for r in resources
    }
    begin = min(span.start for span in spans.values())
    end = max(span.end for span in spans.values())
    closures = specs.load_closures(resources, begin, end + reach)
    occupancy = specs.load_occupancy([r.id for r in resources], begin - reach, end + reach)
    resource_specs = {r.id: specs.resource_spec(r, closures[r.id], locale) for r in resources}
    viewer = catalog.viewer_for(user, list(resource_specs.values()), engine.Interval(begin, end), now)
    managed = [r.id for r in resources if user is not None and can_manage(user, r)]
    holders = _holders(managed, begin, end)
    rows = tuple(
        TimelineRow(
            resource=r,
            grid=engine.week_grid(resource_specs[r.id], first_day, occupancy[r.id], now, viewer, days=days),
            holders=tuple(holders.get(r.id, ())),
        )
        for r in resources
    )
    step, columns = _columns(rows)
    return Timeline(first_day, days, rows, truncated, columns, step)


def _holders(resource_ids: list[int], begin: datetime, end: datetime) -> dict[int, list[Holder]]:
    """The active bookings of the managed facilities in the span, with their holders' names: one query."""
    if not resource_ids:
        return {}
    rows = db.session.execute(
        sa.select(Booking.resource_id, Booking.id, User.display_name, Booking.start_at, Booking.end_at)
        .join(User, User.id == Booking.user_id)
        .where(
            Booking.resource_id.in_(resource_ids),
            Booking.status.in_(sorted(ACTIVE_STATUSES)),
            Booking.start_at < end,
            Booking.end_at > begin,
        )
        .order_by(Booking.start_at)
    )
    found: dict[int, list[Holder]] = {}
    for resource_id, booking_id, name, start, stop in rows:
        found.setdefault(resource_id, []).append(Holder(booking_id, name, start, stop))
    return found


def _columns(rows: tuple[TimelineRow, ...]) -> tuple[int, tuple[int, ...]]:
    """The day view's shared time axis: a step that divides every slot length (at least 15 minutes) and the
    local minutes from the earliest row of any facility to the latest end (placements aside)."""
    timed = [row for row in rows if row.grid.rows and row.resource.slot_minutes < 24 * 60]
    if not timed:
        return 60, ()
    step = 0
    for row in timed:
        step = _gcd(step, row.resource.slot_minutes)
    step = max(15, step)
    first = min(_minutes(row.grid.rows[0]) for row in timed) // step * step
    last = max(_minutes(row.grid.rows[-1]) + row.resource.slot_minutes for row in timed)
    return step, tuple(range(first, min(last, 24 * 60), step))


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute
