"""Deadlines around a booking's start: the last moment to cancel and the check-in window."""

from datetime import datetime, timedelta

from booking.engine.types import Interval, PolicySpec


def cancel_deadline(start: datetime, policy: PolicySpec) -> datetime:
    """The last instant a user may cancel on their own (cancelling at exactly this instant is allowed)."""
    return start - timedelta(minutes=policy.cancel_deadline_minutes)


def checkin_window(start: datetime, policy: PolicySpec) -> Interval:
    """When check-in is accepted: from `checkin_opens_minutes` before the start to `checkin_closes_minutes`
    after it, half-open."""
    return Interval(
        start - timedelta(minutes=policy.checkin_opens_minutes),
        start + timedelta(minutes=policy.checkin_closes_minutes),
    )
