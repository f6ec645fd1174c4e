"""Plain value types the booking engine takes in: facilities, rules, requests, bookings and quota usage.

Every `datetime` here is timezone-aware UTC unless its docstring says otherwise; wall-clock values (opening
hours) are local to the facility's time zone.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from models.enums import Category, Mode, QuotaPeriod, QuotaScope, ResourceKind


@dataclass(frozen=True)
class Interval:
    """A half-open span of time [start, end), UTC aware."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: "Interval") -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class LocalizedName:
    """A name in both languages; the web layer picks one for the reader."""

    zh: str
    en: str


@dataclass(frozen=True)
class HoursSpec:
    """One opening interval on one weekday (0 = Monday), local wall clock; closes 00:00 means 24:00."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class ClosureSpec:
    """A period the facility is closed, UTC aware; it may span midnight, days or weeks."""

    start: datetime
    end: datetime
    reason: str | LocalizedName


@dataclass(frozen=True)
class PolicySpec:
    """The booking rules of one facility (docs/architecture.md, "Domain rules")."""

    allowed_categories: frozenset[Category]
    approval_categories: frozenset[Category]
    min_minutes: int = 30
    max_minutes: int | None = 120
    min_notice_minutes: int = 0
    max_advance_days: int = 14
    buffer_minutes: int = 0
    max_party_size: int | None = None
    cancel_deadline_minutes: int = 120
    checkin_required: bool = False
    checkin_opens_minutes: int = 15
    checkin_closes_minutes: int = 15


@dataclass(frozen=True)
class ResourceSpec:
    """A bookable facility with everything the engine needs to judge a request on it."""

    id: int
    university_id: int
    kind: ResourceKind
    mode: Mode
    capacity: int
    timezone: str
    slot_minutes: int
    active: bool
    name: LocalizedName
    university_name: LocalizedName
    hours: tuple[HoursSpec, ...]
    closures: tuple[ClosureSpec, ...]
    policy: PolicySpec


@dataclass(frozen=True)
class RequesterSpec:
    """The person a booking is for; `category` is the effective one (unverified ones book as residents)."""

    user_id: int
    organization_id: int | None
    category: Category
    active: bool
    suspended_until: datetime | None
    # The category a person claimed but is not yet verified for, and the organization that verifies it.
    pending_category: Category | None = None
    pending_at: LocalizedName | None = None
    # Whether the person has confirmed their email address; until then they may browse but not book.
    email_verified: bool = True


@dataclass(frozen=True)
class BookingRequest:
    """One requested booking, UTC aware."""

    start: datetime
    end: datetime
    party_size: int = 1


@dataclass(frozen=True)
class Occupancy:
    """An active booking on the same facility; `blocked_until` is its end plus its buffer.

    `user_id` and `end` (the booking's own end, without the buffer) say whose it is and exactly when, so the
    engine can refuse the same person the same booking twice; left out, they take part in no such check.
    """

    start: datetime
    blocked_until: datetime
    party_size: int
    booking_id: int | None = None
    user_id: int | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class QuotaSpec:
    """A limit on bookings and/or hours, applying when category, university and kind/resource match."""

    id: int
    university_id: int
    category: Category | None
    resource_kind: ResourceKind | None
    resource_id: int | None
    scope: QuotaScope
    period: QuotaPeriod
    max_bookings: int | None
    max_hours: float | None
    university_name: LocalizedName
    resource_name: LocalizedName | None


@dataclass(frozen=True)
class UsageItem:
    """A booking counting toward quotas (active or no-show): the requester's own or their organization's."""

    start: datetime
    end: datetime
    resource_id: int
    resource_kind: ResourceKind
    university_id: int
    user_id: int
    organization_id: int | None


@dataclass(frozen=True)
class QuotaSubject:
    """What a quota covers, for messages: a university, optionally narrowed to a kind or one facility."""

    university: LocalizedName
    kind: ResourceKind | None = None
    resource: LocalizedName | None = None


@dataclass(frozen=True)
class PeriodWindow:
    """A quota period for messages: the period and the local date it starts ("in the week of 23 Nov")."""

    period: QuotaPeriod
    start: date
