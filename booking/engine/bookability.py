"""Bookability: whether one person could book a slot now, and the one word that says why not.

The grids, the timeline, the free-between search and the API all ask `slot_verdict`: it judges the
smallest booking that could start at the slot with `evaluate`, the very function a booking request meets,
so a slot offered as bookable is one the booking service accepts at that instant.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from booking.engine.evaluation import evaluate
from booking.engine.localtime import day_start_utc, to_local, zone
from booking.engine.types import (
    BookingRequest,
    Occupancy,
    QuotaSpec,
    RequesterSpec,
    ResourceSpec,
    UsageItem,
)
from booking.engine.violations import Violation, ViolationCode
from models.enums import Category, Mode


class CellState(StrEnum):
    FREE = "free"
    CLOSED = "closed"  # outside opening hours, or a wall-clock time the DST change skips
    CLOSURE = "closure"  # a closure (exam week, maintenance); see `reason`
    BOOKED = "booked"  # exclusive facility taken (its buffer, and the buffer a booking here needs, included)
    FULL = "full"  # shared facility with no place left
    PAST = "past"  # would be open, but has started already
    TOO_SOON = "too_soon"  # inside the minimum notice
    NOT_OPEN_YET = "not_open_yet"  # beyond the booking window: bookable later
    NOT_FOR_YOU = "not_for_you"  # the viewer's category may not book this facility
    SUSPENDED = "suspended"  # the viewer's account is suspended or disabled
    UNCONFIRMED = "unconfirmed"  # the viewer has not confirmed their email address yet
    LIMIT_REACHED = "limit_reached"  # a quota of the viewer's is used up
    UNAVAILABLE = "unavailable"  # no booking fits the facility's rules here (e.g. its shortest booking)


# Which word a refused slot shows, by the violation codes the engine gave: the facility's own state first
# (a closed hall is "closed" for everyone), then the window, then what is about the viewer.
_STATE_BY_CODE: tuple[tuple[str, CellState], ...] = (
    (ViolationCode.RESOURCE_INACTIVE, CellState.CLOSED),
    (ViolationCode.OUTSIDE_HOURS, CellState.CLOSED),
    (ViolationCode.CLOSED, CellState.CLOSURE),
    (ViolationCode.IN_PAST, CellState.PAST),
    (ViolationCode.CONFLICT, CellState.BOOKED),
    (ViolationCode.CAPACITY, CellState.FULL),
    (ViolationCode.MIN_NOTICE, CellState.TOO_SOON),
    (ViolationCode.MAX_ADVANCE, CellState.NOT_OPEN_YET),
    (ViolationCode.ACCOUNT_INACTIVE, CellState.SUSPENDED),
    (ViolationCode.ACCOUNT_SUSPENDED, CellState.SUSPENDED),
    (ViolationCode.EMAIL_UNVERIFIED, CellState.UNCONFIRMED),
    (ViolationCode.CATEGORY_NOT_ALLOWED, CellState.NOT_FOR_YOU),
    (ViolationCode.QUOTA_BOOKINGS, CellState.LIMIT_REACHED),
    (ViolationCode.QUOTA_HOURS, CellState.LIMIT_REACHED),
)
# What only a signed-in person can be judged on; an anonymous reader sees the facility's own state.
_ABOUT_THE_PERSON = frozenset(
    {
        ViolationCode.ACCOUNT_INACTIVE,
        ViolationCode.ACCOUNT_SUSPENDED,
        ViolationCode.EMAIL_UNVERIFIED,
        ViolationCode.CATEGORY_NOT_ALLOWED,
        ViolationCode.QUOTA_BOOKINGS,
        ViolationCode.QUOTA_HOURS,
    }
)
_ANYONE = RequesterSpec(
    user_id=0, organization_id=None, category=Category.RESIDENT, active=True, suspended_until=None
)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person a grid is drawn for, with what their quotas need (loaded once per grid)."""

    requester: RequesterSpec
    quotas: tuple[QuotaSpec, ...] = ()
    usage: tuple[UsageItem, ...] = ()


@dataclass(frozen=True)
class SlotVerdict:
    """Whether the slot is bookable for the viewer; if not, the word (`state`) and every violation."""

    state: CellState
    request: BookingRequest
    violations: tuple[Violation, ...] = ()

    @property
    def bookable(self) -> bool:
        return self.state is CellState.FREE

    def codes(self) -> list[str]:
        return [violation.code for violation in self.violations]


def minimal_request(resource: ResourceSpec, start: datetime) -> BookingRequest:
    """The smallest booking of one person starting at `start`: the minimum duration rounded up to whole
    slots (at least one); for placements, whole local days from `start`'s day (at least one)."""
    if resource.mode is Mode.PLACEMENT:
        tz = zone(resource.timezone)
        days = max(1, -(-resource.policy.min_minutes // (24 * 60)))
        first = to_local(start, tz).date()
        return BookingRequest(start, day_start_utc(first + timedelta(days=days), tz))
    slot = max(1, resource.slot_minutes)
    slots_needed = max(1, -(-resource.policy.min_minutes // slot))
    return BookingRequest(start, start + timedelta(minutes=slots_needed * slot))


def slot_verdict(
    resource: ResourceSpec,
    start: datetime,
    viewer: Viewer | None,
    existing: Sequence[Occupancy],
    now: datetime,
) -> SlotVerdict:
    """Would the engine accept the smallest booking starting at `start` for `viewer` at `now`?

    Every rule a request meets is judged (hours, closures, room with buffers, notice, window, category,
    suspension, quotas). Without a viewer (nobody signed in) the rules about the person are left out.
    """
    return verdict(resource, minimal_request(resource, start), viewer, existing, now)


def verdict(
    resource: ResourceSpec,
    request: BookingRequest,
    viewer: Viewer | None,
    existing: Sequence[Occupancy],
    now: datetime,
) -> SlotVerdict:
    """Would the engine accept `request` for `viewer` at `now` (a span searched for, say)? The same
    judgement as `slot_verdict`, for a span of the reader's choosing."""
    if viewer is None:
        decision = evaluate(request, resource, _ANYONE, existing, (), (), now)
        violations = tuple(v for v in decision.violations if v.code not in _ABOUT_THE_PERSON)
    else:
        decision = evaluate(request, resource, viewer.requester, existing, viewer.quotas, viewer.usage, now)
        violations = decision.violations
    return SlotVerdict(state_of(violations), request, violations)


def state_of(violations: Sequence[Violation]) -> CellState:
    """The one word for a slot with these violations (FREE when there are none)."""
    if not violations:
        return CellState.FREE
    codes = {violation.code for violation in violations}
    for code, state in _STATE_BY_CODE:
        if code in codes:
            return state
    return CellState.UNAVAILABLE
