"""Quotas: which limits apply to a request, the period they count in, and the usage that counts."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from booking.engine import violations as v
from booking.engine.localtime import day_start_utc, to_local, zone
from booking.engine.types import (
    BookingRequest,
    Interval,
    PeriodWindow,
    QuotaSpec,
    QuotaSubject,
    RequesterSpec,
    ResourceSpec,
    UsageItem,
)
from booking.engine.violations import Violation
from models.enums import QuotaPeriod, QuotaScope

# Float hours compare with a hair of slack so 1.5 h of 90 minutes never fails on rounding.
_EPSILON_HOURS = 1e-9


def period_window(instant: datetime, period: QuotaPeriod, timezone: str) -> Interval | None:
    """The UTC span of the local day, week (from Monday 00:00) or month holding `instant`; None for ACTIVE."""
    if period is QuotaPeriod.ACTIVE:
        return None
    tz = zone(timezone)
    first, after = _period_days(to_local(instant, tz).date(), period)
    return Interval(day_start_utc(first, tz), day_start_utc(after, tz))


def _period_days(day: date, period: QuotaPeriod) -> tuple[date, date]:
    """The first local date of the period holding `day`, and the first date after it."""
    if period is QuotaPeriod.DAY:
        return day, day + timedelta(days=1)
    if period is QuotaPeriod.WEEK:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    first = day.replace(day=1)
    after = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return first, after


def quota_applies(quota: QuotaSpec, resource: ResourceSpec, requester: RequesterSpec) -> bool:
    return (
        quota.university_id == resource.university_id
        and (quota.category is None or quota.category == requester.category)
        and (quota.resource_kind is None or quota.resource_kind == resource.kind)
        and (quota.resource_id is None or quota.resource_id == resource.id)
    )


def _counts_toward(quota: QuotaSpec, item: UsageItem, requester: RequesterSpec) -> bool:
    if item.university_id != quota.university_id:
        return False
    if quota.resource_kind is not None and item.resource_kind != quota.resource_kind:
        return False
    if quota.resource_id is not None and item.resource_id != quota.resource_id:
        return False
    if _pooled(quota, requester):
        return item.organization_id == requester.organization_id
    return item.user_id == requester.user_id


def _pooled(quota: QuotaSpec, requester: RequesterSpec) -> bool:
    # Someone with no organization has nothing to pool with: an organization quota is then their own.
    return quota.scope is QuotaScope.ORGANIZATION and requester.organization_id is not None


def quota_usage(
    quota: QuotaSpec,
    request: BookingRequest,
    requester: RequesterSpec,
    usage: Sequence[UsageItem],
    timezone: str,
    now: datetime,
) -> list[UsageItem]:
    """The existing bookings that count toward `quota` for this request: those starting in the request's
    period, or for ACTIVE those not yet over at `now`."""
    window = period_window(request.start, quota.period, timezone)
    counted = []
    for item in usage:
        if not _counts_toward(quota, item, requester):
            continue
        if window is None:
            if item.end > now:
                counted.append(item)
        elif window.start <= item.start < window.end:
            counted.append(item)
    return counted


@dataclass(frozen=True)
class Standing:
    """How much of a quota is used in the period holding an instant (for ACTIVE: bookings not yet over)."""

    quota: QuotaSpec
    bookings: int
    hours: float
    window: PeriodWindow | None


def standing(
    quota: QuotaSpec, requester: RequesterSpec, usage: Sequence[UsageItem], timezone: str, now: datetime
) -> Standing:
    """The quota's usage now, counted exactly as a request made now would count it."""
    counted = quota_usage(quota, BookingRequest(now, now), requester, usage, timezone, now)
    return Standing(
        quota,
        len(counted),
        round(sum(_hours(item.start, item.end) for item in counted), 2),
        _window_for_message(now, quota.period, timezone),
    )


def pooled(quota: QuotaSpec, requester: RequesterSpec) -> bool:
    """Whether the quota counts the requester's organization's bookings together."""
    return _pooled(quota, requester)


def check_quotas(
    request: BookingRequest,
    resource: ResourceSpec,
    requester: RequesterSpec,
    quotas: Sequence[QuotaSpec],
    usage: Sequence[UsageItem],
    now: datetime,
) -> list[Violation]:
    """One violation per matching quota the request would break."""
    found: list[Violation] = []
    for quota in quotas:
        if not quota_applies(quota, resource, requester):
            continue
        counted = quota_usage(quota, request, requester, usage, resource.timezone, now)
        subject = QuotaSubject(
            university=quota.university_name,
            kind=quota.resource_kind,
            resource=quota.resource_name if quota.resource_id is not None else None,
        )
        window = _window_for_message(request.start, quota.period, resource.timezone)
        pooled = _pooled(quota, requester)
        if quota.max_bookings is not None and len(counted) + 1 > quota.max_bookings:
            found.append(
                v.quota_bookings(
                    quota.id, len(counted), quota.max_bookings, subject, window, organization=pooled
                )
            )
        if quota.max_hours is not None:
            used = sum(_hours(item.start, item.end) for item in counted)
            asked = _hours(request.start, request.end)
            if used + asked > quota.max_hours + _EPSILON_HOURS:
                found.append(
                    v.quota_hours(
                        quota.id,
                        round(used, 2),
                        quota.max_hours,
                        round(asked, 2),
                        subject,
                        window,
                        organization=pooled,
                    )
                )
    return found


def _window_for_message(instant: datetime, period: QuotaPeriod, timezone: str) -> PeriodWindow | None:
    if period is QuotaPeriod.ACTIVE:
        return None
    first, _ = _period_days(to_local(instant, zone(timezone)).date(), period)
    return PeriodWindow(period, first)


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600
