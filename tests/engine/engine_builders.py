"""Builders for the engine tests: a valid facility, requester and request unless a test says otherwise."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.engine import (
    BookingRequest,
    ClosureSpec,
    Decision,
    HoursSpec,
    LocalizedName,
    Occupancy,
    PolicySpec,
    QuotaSpec,
    RequesterSpec,
    ResourceSpec,
    UsageItem,
    evaluate,
)
from models.enums import Category, Mode, QuotaPeriod, QuotaScope, ResourceKind

SHANGHAI = "Asia/Shanghai"
BERLIN = "Europe/Berlin"
UNIVERSITY_ID = 10
HPU = LocalizedName("河南理工大学", "Henan Polytechnic University")
ALL_CATEGORIES = frozenset(Category)

# Monday 24 Nov 2025, 08:00 in Jiaozuo.
NOW = datetime(2025, 11, 24, 0, 0, tzinfo=UTC)
MONDAY = date(2025, 11, 24)


def at(day: date, clock: str, timezone: str = SHANGHAI) -> datetime:
    """The UTC instant of a local wall-clock time such as "14:30" (first occurrence if ambiguous)."""
    hour, minute = (int(part) for part in clock.split(":"))
    local = datetime.combine(day, time(hour % 24, minute)) + timedelta(days=hour // 24)
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def hours(opens: str, closes: str, weekdays: Sequence[int] = range(7)) -> tuple[HoursSpec, ...]:
    return tuple(HoursSpec(weekday, _time(opens), _time(closes)) for weekday in weekdays)


def _time(clock: str) -> time:
    hour, minute = (int(part) for part in clock.split(":"))
    return time(hour % 24, minute)


def policy(**changes: object) -> PolicySpec:
    return replace(PolicySpec(allowed_categories=ALL_CATEGORIES, approval_categories=frozenset()), **changes)


def resource(**changes: object) -> ResourceSpec:
    """A tennis court at HPU in Jiaozuo, open 08:00-22:00 every day, 30-minute slots."""
    policy_changes = changes.pop("policy", {})
    base = ResourceSpec(
        id=1,
        university_id=UNIVERSITY_ID,
        kind=ResourceKind.SPORTS_VENUE,
        mode=Mode.EXCLUSIVE,
        capacity=1,
        timezone=SHANGHAI,
        slot_minutes=30,
        active=True,
        name=LocalizedName("网球场", "Tennis court"),
        university_name=HPU,
        hours=hours("08:00", "22:00"),
        closures=(),
        policy=policy(**policy_changes),  # type: ignore[arg-type]
    )
    return replace(base, **changes)


def requester(**changes: object) -> RequesterSpec:
    base = RequesterSpec(
        user_id=100, organization_id=None, category=Category.RESIDENT, active=True, suspended_until=None
    )
    return replace(base, **changes)


def request(day: date, start: str, end: str, party_size: int = 1, timezone: str = SHANGHAI) -> BookingRequest:
    return BookingRequest(at(day, start, timezone), at(day, end, timezone), party_size)


def occupancy(day: date, start: str, end: str, party_size: int = 1, buffer: int = 0) -> Occupancy:
    return Occupancy(at(day, start), at(day, end) + timedelta(minutes=buffer), party_size)


def closure(start: datetime, end: datetime, reason: str = "Maintenance") -> ClosureSpec:
    return ClosureSpec(start, end, reason)


def quota(**changes: object) -> QuotaSpec:
    base = QuotaSpec(
        id=7,
        university_id=UNIVERSITY_ID,
        category=None,
        resource_kind=None,
        resource_id=None,
        scope=QuotaScope.USER,
        period=QuotaPeriod.WEEK,
        max_bookings=None,
        max_hours=None,
        university_name=HPU,
        resource_name=None,
    )
    return replace(base, **changes)


def used(
    start: datetime,
    end: datetime,
    *,
    user_id: int = 100,
    organization_id: int | None = None,
    resource_id: int = 1,
    kind: ResourceKind = ResourceKind.SPORTS_VENUE,
    university_id: int = UNIVERSITY_ID,
) -> UsageItem:
    return UsageItem(start, end, resource_id, kind, university_id, user_id, organization_id)


def decide(
    booking: BookingRequest,
    facility: ResourceSpec | None = None,
    who: RequesterSpec | None = None,
    existing: Sequence[Occupancy] = (),
    quotas: Sequence[QuotaSpec] = (),
    usage: Sequence[UsageItem] = (),
    now: datetime = NOW,
) -> Decision:
    return evaluate(booking, facility or resource(), who or requester(), existing, quotas, usage, now)


def codes(decision: Decision) -> list[str]:
    return [violation.code for violation in decision.violations]
