"""The reports' measures, defined once: how a booking and a day count, and how totals become rates.

Plain arithmetic on plain values. The nightly snapshot (booking.services.statistics) uses the per-day
definitions to write facility_day; the reports (booking.services.reports) use the rates to read it. The
"how these are counted" panel on the report pages says the same in words.
"""

import math
from collections.abc import Iterable

from models.enums import BookingStatus, Category, Mode

# Bookings whose hours count as booked: those that went ahead, those still holding their time, and
# no-shows (the time was taken from others all the same).
BOOKED = frozenset(
    {
        BookingStatus.PENDING,
        BookingStatus.CONFIRMED,
        BookingStatus.CHECKED_IN,
        BookingStatus.COMPLETED,
        BookingStatus.NO_SHOW,
    }
)
# Who is "the city" and who is "the campus", by the category a person books as.
CITY = frozenset({Category.RESIDENT, Category.ENTERPRISE})
CAMPUS = frozenset({Category.STUDENT})
HOURS_PER_DAY = 24.0


def offered(mode: Mode, capacity: int, open_hours: float) -> float:
    """What a facility offers on a day: its open hours (opening hours less closures); for placements,
    seat-days: every seat for the share of the day it is open."""
    if mode is Mode.PLACEMENT:
        return capacity * open_hours / HOURS_PER_DAY
    return open_hours


def booked(mode: Mode, capacity: int, party_size: int, hours: float) -> float:
    """What a booking's `hours` on a day count as booked: hours in an exclusive facility; in a shared
    one the share of the room it took (party size / capacity), so a full room is 100%, never more;
    for placements, seat-days."""
    if mode is Mode.SHARED:
        return hours * party_size / capacity
    if mode is Mode.PLACEMENT:
        return party_size * hours / HOURS_PER_DAY
    return hours


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None where there is nothing to divide by (shown as a dash, never as 0%)."""
    return part / whole if whole else None


def median(values: Iterable[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Iterable[float], percent: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `percent`% of values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return float(ordered[rank - 1])
