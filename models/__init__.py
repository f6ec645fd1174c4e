"""Persistence: SQLAlchemy 2 typed models and `db`. Knows nothing of the web or the booking rules."""

from models.activity import AuditEvent, Notification
from models.base import NAMING_CONVENTION, UTCDateTime, db, utcnow
from models.bookings import Booking, Series, WaitlistEntry, WindowReminder
from models.calendar import CalendarEvent
from models.enums import (
    ACTIVE_STATUSES,
    QUOTA_STATUSES,
    BookingStatus,
    Category,
    EmailStatus,
    Frequency,
    Mode,
    OrganizationKind,
    QuotaPeriod,
    QuotaScope,
    ResourceKind,
    Verification,
    WaitlistStatus,
)
from models.organizations import Organization
from models.outbox import EmailMessage
from models.resources import Closure, OpeningHours, Policy, Quota, Resource, ResourceTag
from models.statistics import FacilityDay, FacilityMonth, OpennessTarget, RefusalCount
from models.users import User

__all__ = [
    "ACTIVE_STATUSES",
    "NAMING_CONVENTION",
    "QUOTA_STATUSES",
    "AuditEvent",
    "Booking",
    "BookingStatus",
    "CalendarEvent",
    "Category",
    "Closure",
    "EmailMessage",
    "EmailStatus",
    "FacilityDay",
    "FacilityMonth",
    "Frequency",
    "Mode",
    "Notification",
    "OpeningHours",
    "OpennessTarget",
    "Organization",
    "OrganizationKind",
    "Policy",
    "Quota",
    "QuotaPeriod",
    "QuotaScope",
    "RefusalCount",
    "Resource",
    "ResourceKind",
    "ResourceTag",
    "Series",
    "UTCDateTime",
    "User",
    "Verification",
    "WaitlistEntry",
    "WaitlistStatus",
    "WindowReminder",
    "db",
    "utcnow",
]
