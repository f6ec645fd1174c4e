"""Rule evaluation: every rule and quota checked against a request, in the order of docs/architecture.md,
"Domain rules"."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from booking.engine import violations as v
from booking.engine.hours import hours_violation
from booking.engine.localtime import MIDNIGHT, on_grid, require_aware, to_local, zone
from booking.engine.occupancy import blocked_span, conflicts, peak_occupancy
from booking.engine.quotas import check_quotas
from booking.engine.types import (
    BookingRequest,
    Interval,
    Occupancy,
    QuotaSpec,
    RequesterSpec,
    ResourceSpec,
    UsageItem,
)
from booking.engine.violations import Violation
from models.enums import Category, Mode


@dataclass(frozen=True)
class Decision:
    """The verdict on one request: every violation found, and whether a person must approve it."""

    violations: tuple[Violation, ...]
    requires_approval: bool

    @property
    def ok(self) -> bool:
        return not self.violations

    def blocking(self, override: bool) -> tuple[Violation, ...]:
        """The violations that still refuse the request; a manager's override lifts the overridable ones."""
        if not override:
            return self.violations
        return tuple(violation for violation in self.violations if not violation.overridable)

    def codes(self) -> list[str]:
        return [violation.code for violation in self.violations]


def evaluate(
    request: BookingRequest,
    resource: ResourceSpec,
    requester: RequesterSpec,
    existing: Sequence[Occupancy],
    quotas: Sequence[QuotaSpec],
    usage: Sequence[UsageItem],
    now: datetime,
) -> Decision:
    """Check a request against account, facility, window, shape, hours, closures, party, room and quotas.

    Every violation is returned, not just the first; checks that make no sense once the interval is empty
    (duration, hours, closures, room, quotas) are skipped.
    """
    require_aware(request.start, request.end, now)
    found: list[Violation] = []
    found += _account(resource, requester, now)
    if not resource.active:
        found.append(v.resource_inactive(resource.name))
    found += _window(request, resource, now)
    if request.end <= request.start:
        found.append(v.end_before_start())
    else:
        found += _shape(request, resource)
        if resource.mode is not Mode.PLACEMENT:
            outside = hours_violation(resource, Interval(request.start, request.end))
            if outside is not None:
                found.append(outside)
        found += _closures(request, resource)
    party = _party(request, resource)
    found += party
    if request.end > request.start:
        found += _room(request, resource, existing, party_checked=not party)
        found += _duplicate(request, requester, existing)
        found += check_quotas(request, resource, requester, quotas, usage, now)
    needs_person = requires_approval(requester.category, resource.policy.approval_categories, resource.mode)
    return Decision(tuple(found), requires_approval=needs_person)


def requires_approval(category: Category, approval_categories: Collection[Category], mode: Mode) -> bool:
    """Whether a person must approve a booking by someone of `category`: the policy asks it of that
    category, or the facility is a placement (always decided by a person)."""
    return category in approval_categories or mode == Mode.PLACEMENT


def evaluate_series(
    requests: Sequence[BookingRequest],
    resource: ResourceSpec,
    requester: RequesterSpec,
    existing: Sequence[Occupancy],
    quotas: Sequence[QuotaSpec],
    usage: Sequence[UsageItem],
    now: datetime,
    *,
    override: bool = False,
) -> list[Decision]:
    """Evaluate occurrences in order; each accepted one holds room and counts toward later quotas.

    With `override`, an occurrence is accepted when nothing non-overridable blocks it (a manager's booking).
    """
    occupied = list(existing)
    used = list(usage)
    decisions = []
    for request in requests:
        decision = evaluate(request, resource, requester, occupied, quotas, used, now)
        decisions.append(decision)
        if not decision.blocking(override):
            span = blocked_span(request.start, request.end, resource.policy)
            occupied.append(Occupancy(span.start, span.end, request.party_size))
            used.append(
                UsageItem(
                    start=request.start,
                    end=request.end,
                    resource_id=resource.id,
                    resource_kind=resource.kind,
                    university_id=resource.university_id,
                    user_id=requester.user_id,
                    organization_id=requester.organization_id,
                )
            )
    return decisions


def _account(resource: ResourceSpec, requester: RequesterSpec, now: datetime) -> list[Violation]:
    found = []
    if not requester.active:
        found.append(v.account_inactive())
    if requester.suspended_until is not None and now < requester.suspended_until:
        found.append(v.account_suspended(to_local(requester.suspended_until, zone(resource.timezone))))
    if not requester.email_verified:
        found.append(v.email_unverified())
    if requester.category not in resource.policy.allowed_categories:
        pending = requester.pending_category
        if pending is not None and pending in resource.policy.allowed_categories:
            found.append(v.verification_pending(requester.category, pending, requester.pending_at))
        else:
            found.append(v.category_not_allowed(requester.category))
    return found


def _window(request: BookingRequest, resource: ResourceSpec, now: datetime) -> list[Violation]:
    """Booking window: not in the past, at least min notice ahead, at most max_advance_days x 24 h ahead.

    Both edges are inclusive: start == now + notice and start == now + max_advance_days days are allowed.
    """
    policy = resource.policy
    found = []
    if request.start < now:
        found.append(v.in_past())
    elif request.start - now < timedelta(minutes=policy.min_notice_minutes):
        found.append(v.min_notice(policy.min_notice_minutes))
    if request.start > now + timedelta(days=policy.max_advance_days):
        found.append(v.max_advance(policy.max_advance_days))
    return found


def _shape(request: BookingRequest, resource: ResourceSpec) -> list[Violation]:
    """Duration and slot alignment; for placements, whole local days instead of slots."""
    tz = zone(resource.timezone)
    start, end = to_local(request.start, tz), to_local(request.end, tz)
    policy = resource.policy
    if resource.mode is Mode.PLACEMENT:
        if not (start.time() == end.time() == MIDNIGHT and end.date() > start.date()):
            return [v.placement_whole_days()]
        # Counted in local days so a week across a DST change is still 7 x 1440 minutes.
        duration = timedelta(days=(end.date() - start.date()).days)
        aligned = True
    else:
        duration = request.end - request.start
        aligned = on_grid(start, resource.slot_minutes) and on_grid(end, resource.slot_minutes)
    minutes = int(duration.total_seconds() // 60)
    found = []
    if duration < timedelta(minutes=policy.min_minutes):
        found.append(v.too_short(policy.min_minutes, minutes))
    if policy.max_minutes is not None and duration > timedelta(minutes=policy.max_minutes):
        found.append(v.too_long(policy.max_minutes, minutes))
    if not aligned:
        found.append(v.misaligned(resource.slot_minutes))
    return found


def _closures(request: BookingRequest, resource: ResourceSpec) -> list[Violation]:
    tz = zone(resource.timezone)
    return [
        v.closed(closure.reason, to_local(closure.start, tz), to_local(closure.end, tz))
        for closure in sorted(resource.closures, key=lambda c: c.start)
        if closure.start < request.end and request.start < closure.end
    ]


def _party(request: BookingRequest, resource: ResourceSpec) -> list[Violation]:
    """Party size: at least one, within the policy maximum (overridable) and what the facility holds."""
    size = request.party_size
    if size < 1:
        return [v.party_size_invalid(size)]
    if resource.mode is Mode.EXCLUSIVE:
        structural = None
    else:
        structural = resource.capacity if resource.mode is Mode.SHARED else 1
    limits = [limit for limit in (resource.policy.max_party_size, structural) if limit is not None]
    if not limits or size <= min(limits):
        return []
    beyond_structure = structural is not None and size > structural
    return [v.party_size_too_large(min(limits), size, overridable=not beyond_structure)]


def _duplicate(
    request: BookingRequest, requester: RequesterSpec, existing: Sequence[Occupancy]
) -> list[Violation]:
    """One person may not hold two active bookings of one facility from the same start to the same end."""
    for booking in existing:
        if (booking.user_id, booking.start, booking.end) == (requester.user_id, request.start, request.end):
            return [v.duplicate()]
    return []


def _room(
    request: BookingRequest, resource: ResourceSpec, existing: Sequence[Occupancy], *, party_checked: bool
) -> list[Violation]:
    """Conflicts (exclusive) or capacity (shared, placement) over the request plus its buffer."""
    span = blocked_span(request.start, request.end, resource.policy)
    tz = zone(resource.timezone)
    if resource.mode is Mode.EXCLUSIVE:
        hits = conflicts(span, existing)
        if not hits:
            return []
        until = max(hit.blocked_until for hit in hits)
        return [v.conflict(to_local(hits[0].start, tz), to_local(until, tz))]
    if not party_checked and request.party_size > resource.capacity:
        # Already refused as too large for the facility; "only N left" would repeat it.
        return []
    left = resource.capacity - peak_occupancy(span, existing)
    if request.party_size > left:
        return [v.capacity(left, request.party_size)]
    return []
