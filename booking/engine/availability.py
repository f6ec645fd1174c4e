"""Availability: the week grid of a facility, whether a span is free, and the next free slot."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from booking.engine.bookability import CellState, Viewer, minimal_request, slot_verdict
from booking.engine.hours import opening_intervals, within_hours
from booking.engine.localtime import MIDNIGHT, day_start_utc, local_midnight, on_grid, to_local, to_utc, zone
from booking.engine.occupancy import blocked_span, conflicts, peak_occupancy
from booking.engine.types import ClosureSpec, Interval, LocalizedName, Occupancy, ResourceSpec
from booking.engine.violations import Violation
from models.enums import Mode


@dataclass(frozen=True)
class GridCell:
    """One slot of one day.

    On a spring-forward day a skipped row has start == end and is CLOSED; on an autumn day the row holding
    the repeated hour lasts that much longer, so the cells of a day always tile it.
    """

    start: datetime
    end: datetime
    local_start: datetime
    state: CellState
    reason: str | LocalizedName | None = None
    places_left: int | None = None
    violations: tuple[Violation, ...] = ()

    @property
    def bookable(self) -> bool:
        return self.state is CellState.FREE


@dataclass(frozen=True)
class DayClosure:
    """A closure touching a day, whole (not clipped to the day), in UTC and local wall time."""

    start: datetime
    end: datetime
    local_start: datetime
    local_end: datetime
    reason: str | LocalizedName


@dataclass(frozen=True)
class GridDay:
    day: date
    cells: tuple[GridCell, ...]
    closures: tuple[DayClosure, ...]


@dataclass(frozen=True)
class WeekGrid:
    """Seven local days of cells; `rows` are the local wall-clock starts shared by all days (one row,
    00:00, for placements, whose cells are whole days)."""

    week_start: date
    rows: tuple[time, ...]
    days: tuple[GridDay, ...]

    def by_row(self) -> list[tuple[time, tuple[GridCell, ...]]]:
        """Rows with their cell for each day, the shape a table template walks."""
        return [(row, tuple(day.cells[index] for day in self.days)) for index, row in enumerate(self.rows)]


def week_grid(
    resource: ResourceSpec,
    week_start: date,
    existing: Sequence[Occupancy],
    now: datetime,
    viewer: Viewer | None = None,
    *,
    days: int = 7,
) -> WeekGrid:
    """Cells for `days` (normally 7) local days from `week_start` (normally a Monday), rows from the
    earliest opening to the latest closing of the week.

    Each cell is free only if `slot_verdict` finds the smallest booking starting there bookable for
    `viewer`; otherwise its state says why in a word (closed, closure, past, booked, full, too soon, ...).
    """
    row_minutes = _row_minutes(resource)
    grid_days = [
        _grid_day(resource, week_start + timedelta(days=offset), row_minutes, existing, now, viewer)
        for offset in range(days)
    ]
    rows = tuple(time(minute // 60, minute % 60) for minute in row_minutes)
    return WeekGrid(week_start, rows, tuple(grid_days))


def _grid_day(
    resource: ResourceSpec,
    day: date,
    row_minutes: list[int],
    existing: Sequence[Occupancy],
    now: datetime,
    viewer: Viewer | None,
) -> GridDay:
    tz = zone(resource.timezone)
    # Only bookings near the day can decide its cells: a smallest booking (at most a few days, for a
    # placement) plus its buffer. The verdicts are the same; the scans are shorter.
    near_start = day_start_utc(day, tz) - _NEAR
    near_end = day_start_utc(day + timedelta(days=1), tz) + _NEAR + _reach(resource)
    existing = [o for o in existing if o.start < near_end and o.blocked_until > near_start]
    cells = []
    for minute in row_minutes:
        local_start = local_midnight(day) + timedelta(minutes=minute)
        if resource.mode is Mode.PLACEMENT:
            local_end = local_midnight(day + timedelta(days=1))
        else:
            local_end = local_start + timedelta(minutes=resource.slot_minutes)
        start, end = to_utc(local_start, tz), to_utc(local_end, tz)
        cells.append(_cell(resource, local_start, start, end, existing, now, viewer))
    return GridDay(day, tuple(cells), _day_closures(resource, day))


_NEAR = timedelta(days=1)


def _reach(resource: ResourceSpec) -> timedelta:
    """How far past a slot's start its smallest booking with its buffer may reach."""
    request = minimal_request(resource, datetime(2000, 1, 3, tzinfo=UTC))
    return request.end - request.start + timedelta(minutes=resource.policy.buffer_minutes, days=1)


def _row_minutes(resource: ResourceSpec) -> list[int]:
    """Local minutes since midnight of each row: the slot grid from earliest opening to latest closing."""
    if resource.mode is Mode.PLACEMENT:
        return [0]
    spans = [
        (_minutes(hours.opens), 24 * 60 if hours.closes == MIDNIGHT else _minutes(hours.closes))
        for hours in resource.hours
    ]
    spans = [(opens, closes) for opens, closes in spans if closes > opens]
    if not spans:
        return []
    slot = max(1, resource.slot_minutes)
    first = min(opens for opens, _ in spans) // slot * slot
    last = max(closes for _, closes in spans)
    return list(range(first, last, slot))


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _cell(
    resource: ResourceSpec,
    local_start: datetime,
    start: datetime,
    end: datetime,
    existing: Sequence[Occupancy],
    now: datetime,
    viewer: Viewer | None,
) -> GridCell:
    if end <= start:
        # The wall-clock row does not exist today (clocks jumped over it).
        return GridCell(start, start, local_start, CellState.CLOSED)
    verdict = slot_verdict(resource, start, viewer, existing, now)
    reason = None
    if verdict.state is CellState.CLOSURE:
        closure = _first_closure(resource, Interval(start, verdict.request.end))
        reason = closure.reason if closure is not None else None
    places_left = None
    if resource.mode is not Mode.EXCLUSIVE:
        places_left = max(0, resource.capacity - peak_occupancy(Interval(start, end), existing))
    return GridCell(start, end, local_start, verdict.state, reason, places_left, verdict.violations)


def _first_closure(resource: ResourceSpec, span: Interval) -> ClosureSpec | None:
    hits = [c for c in resource.closures if c.start < span.end and span.start < c.end]
    return min(hits, key=lambda c: c.start) if hits else None


def _day_closures(resource: ResourceSpec, day: date) -> tuple[DayClosure, ...]:
    tz = zone(resource.timezone)
    whole_day = Interval(day_start_utc(day, tz), day_start_utc(day + timedelta(days=1), tz))
    hits = sorted(
        (c for c in resource.closures if c.start < whole_day.end and whole_day.start < c.end),
        key=lambda c: c.start,
    )
    return tuple(
        DayClosure(c.start, c.end, to_local(c.start, tz), to_local(c.end, tz), c.reason) for c in hits
    )


def is_free(
    resource: ResourceSpec, interval: Interval, existing: Sequence[Occupancy], party_size: int = 1
) -> bool:
    """Whether the span could hold a booking of `party_size`: facility active, within one opening interval
    (placements: any time), no closure, and no conflict or enough room counting the buffer.

    Duration, alignment and the booking window are not checked: this answers "is it free", for the catalog.
    """
    if not resource.active or interval.end <= interval.start or party_size < 1:
        return False
    if resource.mode is not Mode.PLACEMENT and not within_hours(resource, interval):
        return False
    if _first_closure(resource, interval) is not None:
        return False
    return _has_room(resource, interval, existing, party_size)


def _has_room(
    resource: ResourceSpec, interval: Interval, existing: Sequence[Occupancy], party_size: int
) -> bool:
    span = blocked_span(interval.start, interval.end, resource.policy)
    if resource.mode is Mode.EXCLUSIVE:
        return not conflicts(span, existing)
    return peak_occupancy(span, existing) + party_size <= resource.capacity


def next_free_slot(
    resource: ResourceSpec, existing: Sequence[Occupancy], now: datetime, *, horizon_days: int = 14
) -> Interval | None:
    """The earliest bookable slot starting at or after now + min notice and before now + `horizon_days`.

    A slot is the policy's minimum duration rounded up to whole slots (at least one slot); for placements,
    one local day. It must lie on the slot grid, within opening hours, outside closures, with room for one.
    """
    if not resource.active:
        return None
    tz = zone(resource.timezone)
    earliest = now + timedelta(minutes=resource.policy.min_notice_minutes)
    horizon = now + timedelta(days=horizon_days)
    day = to_local(earliest, tz).date()
    while day_start_utc(day, tz) < horizon:
        for candidate in _candidates(resource, day):
            if candidate.start < earliest:
                continue
            if candidate.start >= horizon:
                return None
            if _first_closure(resource, candidate) is None and _has_room(resource, candidate, existing, 1):
                return candidate
        day += timedelta(days=1)
    return None


def _candidates(resource: ResourceSpec, day: date) -> list[Interval]:
    """Slot-grid spans of one local day that lie within opening hours, in order of start."""
    tz = zone(resource.timezone)
    if resource.mode is Mode.PLACEMENT:
        return [Interval(day_start_utc(day, tz), day_start_utc(day + timedelta(days=1), tz))]
    slot = max(1, resource.slot_minutes)
    slots_needed = max(1, -(-resource.policy.min_minutes // slot))
    length = timedelta(minutes=slots_needed * slot)
    openings = opening_intervals(resource, day)
    found = []
    for minute in range(0, 24 * 60, slot):
        local_start = local_midnight(day) + timedelta(minutes=minute)
        start = to_utc(local_start, tz)
        if to_local(start, tz) != local_start:
            continue  # skipped by a DST change
        candidate = Interval(start, start + length)
        # Elapsed length keeps the duration rules; on a DST day the end must still land on the grid.
        if on_grid(to_local(candidate.end, tz), slot) and any(o.contains(candidate) for o in openings):
            found.append(candidate)
    return found
