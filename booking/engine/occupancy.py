"""Occupancy: conflicts on exclusive facilities and peak use of shared ones, buffers included."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from booking.engine.types import Interval, Occupancy, PolicySpec


def blocked_span(start: datetime, end: datetime, policy: PolicySpec) -> Interval:
    """The span a booking keeps from others: its own time plus the buffer after it."""
    return Interval(start, end + timedelta(minutes=policy.buffer_minutes))


def conflicts(span: Interval, existing: Sequence[Occupancy]) -> list[Occupancy]:
    """The occupancies whose blocked span [start, blocked_until) overlaps `span`, earliest first."""
    hits = [o for o in existing if o.start < span.end and span.start < o.blocked_until]
    return sorted(hits, key=lambda o: o.start)


def peak_occupancy(span: Interval, existing: Sequence[Occupancy]) -> int:
    """The largest number of places taken at any one instant within `span`.

    A sweep over start and end events: two bookings that never meet do not add up, however full each is.
    """
    events: list[tuple[datetime, int]] = []
    for occupancy in existing:
        start = max(occupancy.start, span.start)
        end = min(occupancy.blocked_until, span.end)
        if start < end:
            events.append((start, occupancy.party_size))
            events.append((end, -occupancy.party_size))
    # Ends sort before starts at the same instant: the spans are half-open, so back-to-back never meet.
    events.sort(key=lambda event: (event[0], event[1]))
    current = peak = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak
