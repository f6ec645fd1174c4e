"""The pure booking engine: rules, quotas, availability and recurrence over plain values.

No Flask, no database, no clock: services load what the engine needs into the value types below, call it,
and act on the decision.
"""

from booking.engine.availability import (
    DayClosure,
    GridCell,
    GridDay,
    WeekGrid,
    is_free,
    next_free_slot,
    week_grid,
)
from booking.engine.bookability import (
    CellState,
    SlotVerdict,
    Viewer,
    minimal_request,
    slot_verdict,
    state_of,
    verdict,
)
from booking.engine.deadlines import cancel_deadline, checkin_window
from booking.engine.evaluation import Decision, evaluate, evaluate_series, requires_approval
from booking.engine.hours import opening_intervals
from booking.engine.occupancy import blocked_span, peak_occupancy
from booking.engine.quotas import period_window, quota_applies
from booking.engine.recurrence import (
    InvalidRecurrence,
    RecurrenceError,
    RecurrenceRule,
    SeriesTooLong,
    expand,
    occurrence_count,
)
from booking.engine.statuses import (
    MOVABLE_STATUSES,
    TRANSITIONS,
    can_transition,
    cancel_refusal,
    move_refusal,
)
from booking.engine.types import (
    BookingRequest,
    ClosureSpec,
    HoursSpec,
    Interval,
    LocalizedName,
    Occupancy,
    PeriodWindow,
    PolicySpec,
    QuotaSpec,
    QuotaSubject,
    RequesterSpec,
    ResourceSpec,
    UsageItem,
)
from booking.engine.violations import N_, Violation, ViolationCode
from models.enums import effective_category

__all__ = [
    "MOVABLE_STATUSES",
    "N_",
    "TRANSITIONS",
    "BookingRequest",
    "CellState",
    "ClosureSpec",
    "DayClosure",
    "Decision",
    "GridCell",
    "GridDay",
    "HoursSpec",
    "Interval",
    "InvalidRecurrence",
    "LocalizedName",
    "Occupancy",
    "PeriodWindow",
    "PolicySpec",
    "QuotaSpec",
    "QuotaSubject",
    "RecurrenceError",
    "RecurrenceRule",
    "RequesterSpec",
    "ResourceSpec",
    "SeriesTooLong",
    "SlotVerdict",
    "UsageItem",
    "Viewer",
    "Violation",
    "ViolationCode",
    "WeekGrid",
    "blocked_span",
    "can_transition",
    "cancel_deadline",
    "cancel_refusal",
    "checkin_window",
    "effective_category",
    "evaluate",
    "evaluate_series",
    "expand",
    "is_free",
    "minimal_request",
    "move_refusal",
    "next_free_slot",
    "occurrence_count",
    "opening_intervals",
    "peak_occupancy",
    "period_window",
    "quota_applies",
    "requires_approval",
    "slot_verdict",
    "state_of",
    "verdict",
    "week_grid",
]
