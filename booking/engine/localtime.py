"""Conversions between UTC instants and wall-clock time in a facility's time zone, DST included."""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MIDNIGHT = time(0, 0)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def require_aware(*instants: datetime) -> None:
    """Refuse naive datetimes at the engine's edge: a naive value here is a bug in the caller."""
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"expected a timezone-aware datetime, got {instant!r}")


@lru_cache(maxsize=8192)
def to_local(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall-clock time of a UTC instant."""
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


# Grids convert the same wall-clock times (slot starts, opening hours) over and over: pure, so cached.
@lru_cache(maxsize=8192)
def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall-clock time.

    An ambiguous time (the repeated hour in autumn) is its first occurrence. A time that does not exist (the
    skipped hour in spring) is the moment the clocks jump, so an opening at 02:30 on that day opens at 03:00.
    """
    instant = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if to_local(instant, tz) == local.replace(fold=0):
        return instant
    return _end_of_gap(local, tz)


def _end_of_gap(local: datetime, tz: ZoneInfo) -> datetime:
    # Inside a gap fold=1 lands before the jump and fold=0 after it; bisect seconds for the jump itself.
    before = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    offset_after = after.astimezone(tz).utcoffset()
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (before + timedelta(seconds=middle)).astimezone(tz).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return before + timedelta(seconds=high)


def local_midnight(day: date) -> datetime:
    """Naive local midnight at the start of `day`."""
    return datetime.combine(day, MIDNIGHT)


def day_start_utc(day: date, tz: ZoneInfo) -> datetime:
    return to_utc(local_midnight(day), tz)


def minute_of_day(local: datetime) -> int:
    return local.hour * 60 + local.minute


def on_grid(local: datetime, slot_minutes: int) -> bool:
    """Whether a local wall-clock time is on the slot grid counted from local midnight."""
    return local.second == 0 and local.microsecond == 0 and minute_of_day(local) % max(1, slot_minutes) == 0
