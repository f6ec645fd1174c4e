"""Persistence: SQLAlchemy 2 typed models and `db`. Knows nothing of the web or the booking rules.

`models.enums` is plain Python: the pure engine imports it without loading SQLAlchemy, so this package loads
its mapped classes only when one of them (or `db`) is first asked for (`from models import User`).
"""

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

from models.enums import (
    ACTIVE_STATUSES,
    QUOTA_STATUSES,
    BookingStatus,
    Category,
    DeliveryStatus,
    EmailStatus,
    Frequency,
    Mode,
    OrganizationKind,
    QuotaPeriod,
    QuotaScope,
    ResourceKind,
    Verification,
    WaitlistStatus,
    WebhookEvent,
)

if TYPE_CHECKING:
    from models.activity import AuditEvent, Notification
    from models.api import ApiToken, IdempotentAnswer
    from models.applications import Application, ApplicationForm, Attachment
    from models.base import NAMING_CONVENTION, UTCDateTime, db, utcnow
    from models.bookings import Booking, Series, WaitlistEntry, WindowReminder
    from models.calendar import CalendarEvent
    from models.campus import CampusIdentity, CampusRole, CampusSignOn
    from models.organizations import Organization
    from models.outbox import EmailMessage
    from models.resources import Closure, OpeningHours, Policy, Quota, Resource, ResourceTag
    from models.statistics import FacilityDay, FacilityMonth, OpennessTarget, RefusalCount
    from models.tokens import AccountToken
    from models.users import User
    from models.webhooks import WebhookDelivery, WebhookEndpoint

# Every mapped module, loaded together: relationships name each other's classes.
_MAPPED = [module.name for module in pkgutil.iter_modules(__path__) if module.name != "enums"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for module in _MAPPED:
        loaded = importlib.import_module(f"models.{module}")
        globals().update({key: getattr(loaded, key) for key in __all__ if hasattr(loaded, key)})
    return globals()[name]


__all__ = [
    "ACTIVE_STATUSES",
    "NAMING_CONVENTION",
    "QUOTA_STATUSES",
    "AccountToken",
    "ApiToken",
    "Application",
    "ApplicationForm",
    "Attachment",
    "AuditEvent",
    "Booking",
    "BookingStatus",
    "CalendarEvent",
    "CampusIdentity",
    "CampusRole",
    "CampusSignOn",
    "Category",
    "Closure",
    "DeliveryStatus",
    "EmailMessage",
    "EmailStatus",
    "FacilityDay",
    "FacilityMonth",
    "Frequency",
    "IdempotentAnswer",
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
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WindowReminder",
    "db",
    "utcnow",
]
