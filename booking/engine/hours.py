"""Opening hours: when a facility is open on a local date, and why a span falls outside them."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.engine import violations as v
from booking.engine.localtime import MIDNIGHT, day_start_utc, to_local, to_utc, zone
from booking.engine.types import HoursSpec, Interval, ResourceSpec
from booking.engine.violations import Violation
from models.enums import Mode


def opening_intervals(resource: ResourceSpec, day: date) -> list[Interval]:
    """The UTC intervals a facility is open on a local date, sorted, with touching intervals merged.

    Each interval is converted on its own day, so 08:00 is 08:00 local on both sides of a DST change.
    Placements ignore opening hours: they are open the whole local day.
    """
    placement = resource.mode is Mode.PLACEMENT
    # A grid asks for the same day's openings once per slot. Keyed by the hours' identity (kept alive in
    # the entry, and checked), since hashing them each time cost as much as computing the answer.
    key = (id(resource.hours), resource.timezone, placement, day)
    hit = _OPENINGS.get(key)
    if hit is not None and hit[0] is resource.hours:
        return list(hit[1])
    found = _openings(resource.timezone, placement, resource.hours, day)
    if len(_OPENINGS) >= _OPENINGS_KEPT:
        _OPENINGS.clear()
    _OPENINGS[key] = (resource.hours, found)
    return list(found)


_OPENINGS: dict[tuple[int, str, bool, date], tuple[tuple[HoursSpec, ...], tuple[Interval, ...]]] = {}
_OPENINGS_KEPT = 4096


def _openings(
    timezone: str, placement: bool, hours_of_week: tuple[HoursSpec, ...], day: date
) -> tuple[Interval, ...]:
    tz = zone(timezone)
    if placement:
        return (Interval(day_start_utc(day, tz), day_start_utc(day + timedelta(days=1), tz)),)
    spans: list[Interval] = []
    for hours in hours_of_week:
        if hours.weekday != day.weekday():
            continue
        opens = to_utc(datetime.combine(day, hours.opens), tz)
        closes_day = day + timedelta(days=1) if hours.closes == MIDNIGHT else day
        closes = to_utc(datetime.combine(closes_day, hours.closes), tz)
        # Hours lying wholly inside a skipped DST hour come out empty: skip them.
        if closes > opens:
            spans.append(Interval(opens, closes))
    return tuple(_merge(spans))


def _merge(spans: list[Interval]) -> list[Interval]:
    # 08:00-12:00 plus 12:00-14:00 is one opening: a booking may run across the seam.
    merged: list[Interval] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, span.end))
        else:
            merged.append(span)
    return merged


def within_hours(resource: ResourceSpec, span: Interval) -> bool:
    """Whether a span lies inside one opening interval of the local day it starts on."""
    day = to_local(span.start, zone(resource.timezone)).date()
    return any(opening.contains(span) for opening in opening_intervals(resource, day))


def hours_violation(resource: ResourceSpec, span: Interval) -> Violation | None:
    """None when the span is within opening hours, else a violation naming the nearest opening/closing."""
    tz = zone(resource.timezone)
    day = to_local(span.start, tz).date()
    openings = opening_intervals(resource, day)
    if any(opening.contains(span) for opening in openings):
        return None
    if not openings:
        return v.closed_all_day(day)
    for opening in openings:
        if opening.start <= span.start < opening.end:
            return v.closes_earlier(day, _wall_time(opening.end, tz))
        if span.start < opening.start:
            return v.opens_later(day, _wall_time(opening.start, tz))
    return v.closes_earlier(day, _wall_time(openings[-1].end, tz))


def _wall_time(instant: datetime, tz: ZoneInfo) -> time:
    # Closing at the next midnight reads as 00:00, the way the hours were entered.
    return to_local(instant, tz).time()
