"""Enumerations shared by the models and the booking engine (plain Python, no SQLAlchemy), and the one rule
both need over them (`effective_category`: models import nothing of booking/, the engine nothing but this)."""

from enum import StrEnum


class OrganizationKind(StrEnum):
    UNIVERSITY = "university"
    ENTERPRISE = "enterprise"


class Category(StrEnum):
    """Who a person is for booking purposes."""

    RESIDENT = "resident"
    STUDENT = "student"
    ENTERPRISE = "enterprise"


class Verification(StrEnum):
    NONE = "none"  # residents need no verification
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


def effective_category(
    category: Category, verification: Verification, organization_verified: bool
) -> Category:
    """The category a person books as: unverified students and enterprise members book as residents, and so
    do members of an enterprise the city has not verified (DESIGN.md, "Who uses it").

    The one statement of the rule, on plain values: `User.effective_category` asks it of a stored person,
    the engine (`booking.engine.effective_category`), statistics and the seeders of plain rows.
    """
    if category == Category.RESIDENT or verification != Verification.VERIFIED:
        return Category.RESIDENT
    if category == Category.ENTERPRISE and not organization_verified:
        return Category.RESIDENT
    return category


class ResourceKind(StrEnum):
    SPORTS_VENUE = "sports_venue"
    LIBRARY = "library"
    MUSEUM = "museum"
    THEATRE = "theatre"
    EXHIBITION_HALL = "exhibition_hall"
    CULTURAL_CENTER = "cultural_center"
    MEETING_ROOM = "meeting_room"
    LAB = "lab"
    TRAINING_BASE = "training_base"
    GREEN_SPACE = "green_space"


class Mode(StrEnum):
    EXCLUSIVE = "exclusive"  # one booking at a time
    SHARED = "shared"  # overlapping bookings up to capacity people
    PLACEMENT = "placement"  # day-granular seats, always approved by a person


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NO_SHOW = "no_show"


ACTIVE_STATUSES = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN})
# No-shows still count toward quotas (docs/architecture.md, "Booking statuses").
QUOTA_STATUSES = ACTIVE_STATUSES | {BookingStatus.NO_SHOW}


class QuotaScope(StrEnum):
    USER = "user"
    ORGANIZATION = "organization"  # an enterprise's pooled allowance


class QuotaPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"  # from Monday, in the resource's timezone
    MONTH = "month"
    ACTIVE = "active"  # bookings active at once, no period


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    PROMOTED = "promoted"
    LEFT = "left"


class EmailStatus(StrEnum):
    """An outbox row's delivery state (booking.mail)."""

    QUEUED = "queued"  # waiting to be sent, now or at next_attempt_at
    SENDING = "sending"  # claimed by one sender; a stale claim is retried after its lease
    SENT = "sent"
    FAILED = "failed"  # gave up after the configured number of attempts


class WebhookEvent(StrEnum):
    """What a university's systems may be told of (booking.services.webhooks); `test` only by hand."""

    BOOKING_CONFIRMED = "booking.confirmed"
    BOOKING_MOVED = "booking.moved"
    BOOKING_CANCELLED = "booking.cancelled"
    BOOKING_CHECKED_IN = "booking.checked_in"
    TEST = "webhook.test"


class DeliveryStatus(StrEnum):
    """A webhook delivery's state: the same life as an email's in the outbox."""

    QUEUED = "queued"  # waiting to be sent, at next_attempt_at
    SENDING = "sending"  # claimed by one sender; a stale claim is retried after its lease
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # gave up after WEBHOOK_MAX_ATTEMPTS attempts
