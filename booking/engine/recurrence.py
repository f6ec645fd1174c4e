"""Recurrence: daily and weekly repeat rules expanded into occurrences at fixed local wall-clock times."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice

from booking.engine import violations as v
from booking.engine.localtime import to_utc, zone
from booking.engine.types import Interval
from booking.engine.violations import Violation
from models.enums import Frequency


@dataclass(frozen=True)
class RecurrenceRule:
    """Every `interval` days or weeks (on `weekdays`, 0 = Monday, for weekly), ending after `count`
    occurrences or on the local date `until` (inclusive); exactly one of the two."""

    frequency: Frequency
    interval: int = 1
    weekdays: frozenset[int] = frozenset()
    count: int | None = None
    until: date | None = None


class RecurrenceError(Exception):
    """A repeat rule that cannot be expanded; `violation` says why in words the user can read."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(str(violation))
        self.violation = violation


class InvalidRecurrence(RecurrenceError):
    """The rule itself is malformed (interval, count, until, weekdays, or an empty duration)."""


class SeriesTooLong(RecurrenceError):
    """The rule would produce more occurrences than allowed."""

    def __init__(self, limit: int, requested: int) -> None:
        super().__init__(v.series_too_long(limit, requested))
        self.limit = limit
        self.requested = requested


def expand(
    rule: RecurrenceRule,
    first_start: datetime,
    duration: timedelta,
    timezone: str,
    limit: int = 100,
) -> list[Interval]:
    """The occurrences of a series as UTC intervals.

    `first_start` is naive local wall time. Each occurrence keeps the local start and end wall-clock times
    (14:00-17:00 stays 14:00-17:00 across DST). The number of occurrences is computed before any is built,
    so a rule of 10,000 occurrences or one ending in 50 years fails at once with `SeriesTooLong`.
    """
    if first_start.tzinfo is not None:
        raise ValueError("first_start is local wall time and must be naive")
    _validate(rule, first_start.date(), duration)
    total = occurrence_count(rule, first_start.date())
    if total > limit:
        raise SeriesTooLong(limit, total)
    tz = zone(timezone)
    wall_time = first_start.time()
    occurrences = []
    try:
        for day in islice(_days(rule, first_start.date()), total):
            local_start = datetime.combine(day, wall_time)
            occurrences.append(Interval(to_utc(local_start, tz), to_utc(local_start + duration, tz)))
    except OverflowError:
        # An interval so large the series runs past the year 9999.
        raise InvalidRecurrence(v.bad_interval(rule.interval)) from None
    return occurrences


def occurrence_count(rule: RecurrenceRule, first: date) -> int:
    """How many occurrences a valid rule produces, by arithmetic rather than by listing them."""
    if rule.count is not None:
        return rule.count
    assert rule.until is not None  # _validate guarantees exactly one of count and until
    if rule.frequency is Frequency.DAILY:
        return (rule.until - first).days // rule.interval + 1
    period = 7 * rule.interval
    total = 0
    for day in _first_week_days(rule, first):
        if day <= rule.until:
            total += (rule.until - day).days // period + 1
    return total


def _validate(rule: RecurrenceRule, first: date, duration: timedelta) -> None:
    if duration <= timedelta(0):
        raise InvalidRecurrence(v.end_before_start())
    if rule.interval < 1:
        raise InvalidRecurrence(v.bad_interval(rule.interval))
    if (rule.count is None) == (rule.until is None):
        raise InvalidRecurrence(v.bad_end_choice())
    if rule.count is not None and rule.count < 1:
        raise InvalidRecurrence(v.bad_count(rule.count))
    if rule.until is not None and rule.until < first:
        raise InvalidRecurrence(v.bad_until(rule.until, first))
    # Weekdays only mean something weekly; silently ignoring them on a daily rule would surprise the user.
    if rule.weekdays and (rule.frequency is Frequency.DAILY or not rule.weekdays <= frozenset(range(7))):
        raise InvalidRecurrence(v.bad_weekdays())


def _first_week_days(rule: RecurrenceRule, first: date) -> list[date]:
    """The first occurrence for each chosen weekday: this week if not before `first`, else a period later."""
    monday = first - timedelta(days=first.weekday())
    days = []
    for weekday in sorted(rule.weekdays or {first.weekday()}):
        day = monday + timedelta(days=weekday)
        if day < first:
            day += timedelta(weeks=rule.interval)
        days.append(day)
    return days


def _days(rule: RecurrenceRule, first: date) -> Iterator[date]:
    """Occurrence dates in order, without end; the caller takes as many as the rule allows."""
    if rule.frequency is Frequency.DAILY:
        day = first
        while True:
            yield day
            day += timedelta(days=rule.interval)
    monday = first - timedelta(days=first.weekday())
    weekdays = sorted(rule.weekdays or {first.weekday()})
    week = monday
    while True:
        for weekday in weekdays:
            day = week + timedelta(days=weekday)
            if day >= first:
                yield day
        week += timedelta(weeks=rule.interval)
