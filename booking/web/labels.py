"""How domain values read in the user's language: enum labels, bilingual names, local times, violations."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.lists import format_list
from babel.units import format_unit
from flask import Flask
from flask_babel import format_date, format_datetime, format_time, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from booking.engine.violations import N_
from booking.services.people import mask_email
from models import (
    BookingStatus,
    Category,
    Frequency,
    Mode,
    QuotaPeriod,
    ResourceKind,
    Verification,
    WaitlistStatus,
)

KIND_LABELS = {
    ResourceKind.SPORTS_VENUE: _l("Sports venue"),
    ResourceKind.LIBRARY: _l("Library"),
    ResourceKind.MUSEUM: _l("Museum"),
    ResourceKind.THEATRE: _l("Theatre"),
    ResourceKind.EXHIBITION_HALL: _l("Exhibition hall"),
    ResourceKind.CULTURAL_CENTER: _l("Cultural centre"),
    ResourceKind.MEETING_ROOM: _l("Meeting room"),
    ResourceKind.LAB: _l("Laboratory"),
    ResourceKind.TRAINING_BASE: _l("Training base"),
    ResourceKind.GREEN_SPACE: _l("Green space"),
}
# Plural forms used inside sentences ("bookings of sports venues at ...").
KIND_PLURALS = {
    ResourceKind.SPORTS_VENUE: _l("sports venues"),
    ResourceKind.LIBRARY: _l("libraries"),
    ResourceKind.MUSEUM: _l("museums"),
    ResourceKind.THEATRE: _l("theatres"),
    ResourceKind.EXHIBITION_HALL: _l("exhibition halls"),
    ResourceKind.CULTURAL_CENTER: _l("cultural centres"),
    ResourceKind.MEETING_ROOM: _l("meeting rooms"),
    ResourceKind.LAB: _l("laboratories"),
    ResourceKind.TRAINING_BASE: _l("training bases"),
    ResourceKind.GREEN_SPACE: _l("green spaces"),
}
CATEGORY_LABELS = {
    Category.RESIDENT: _l("Resident"),
    Category.STUDENT: _l("Student"),
    Category.ENTERPRISE: _l("Enterprise member"),
}
CATEGORY_PLURALS = {
    Category.RESIDENT: _l("residents"),
    Category.STUDENT: _l("students"),
    Category.ENTERPRISE: _l("enterprise members"),
}
VERIFICATION_LABELS = {
    Verification.NONE: _l("No verification needed"),
    Verification.PENDING: _l("Awaiting verification"),
    Verification.VERIFIED: _l("Verified"),
    Verification.REJECTED: _l("Verification refused"),
}
MODE_LABELS = {
    Mode.EXCLUSIVE: _l("One booking at a time"),
    Mode.SHARED: _l("Shared, limited places"),
    Mode.PLACEMENT: _l("Placement by application"),
}
STATUS_LABELS = {
    BookingStatus.PENDING: _l("Awaiting approval"),
    BookingStatus.CONFIRMED: _l("Confirmed"),
    BookingStatus.CHECKED_IN: _l("Checked in"),
    BookingStatus.COMPLETED: _l("Completed"),
    BookingStatus.REJECTED: _l("Rejected"),
    BookingStatus.CANCELLED: _l("Cancelled"),
    BookingStatus.EXPIRED: _l("Expired"),
    BookingStatus.NO_SHOW: _l("No-show"),
}
WAITLIST_LABELS = {
    WaitlistStatus.WAITING: _l("Waiting"),
    WaitlistStatus.PROMOTED: _l("Booked for you"),
    WaitlistStatus.LEFT: _l("Left"),
}
FREQUENCY_LABELS = {Frequency.WEEKLY: _l("Weekly"), Frequency.DAILY: _l("Daily")}
WEEKDAY_NAMES = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


# Equipment and feature tags are stored as lower-case English slugs; known ones read in the user's language.
TAG_LABELS = {
    "3d-printer": _l("3D printer"),
    "accessible": _l("Step-free access"),
    "air-conditioning": _l("Air conditioning"),
    "artificial-turf": _l("Artificial turf"),
    "battery-cyclers": _l("Battery cyclers"),
    "changing-rooms": _l("Changing rooms"),
    "chassis-dynamometer": _l("Chassis dynamometer"),
    "climate-chamber": _l("Climate chamber"),
    "cmm": _l("Coordinate measuring machine"),
    "cnc-lathes": _l("CNC lathes"),
    "emissions-analyzer": _l("Emissions analyser"),
    "floodlights": _l("Floodlights"),
    "fume-hood": _l("Fume hood"),
    "guided-tours": _l("Guided tours"),
    "hard-court": _l("Hard court"),
    "hardness-tester": _l("Hardness tester"),
    "heated": _l("Heated"),
    "indoor": _l("Indoor"),
    "industrial-robots": _l("Industrial robots"),
    "internship": _l("Internship"),
    "laser-cutter": _l("Laser cutter"),
    "lawn": _l("Lawn"),
    "lifeguard": _l("Lifeguard"),
    "lighting-rig": _l("Lighting rig"),
    "lockers": _l("Lockers"),
    "machine-vision": _l("Machine vision"),
    "machining-centre": _l("Machining centre"),
    "mentor": _l("Mentor"),
    "mirrors": _l("Mirrors"),
    "outdoor": _l("Outdoor"),
    "parking": _l("Parking"),
    "piano": _l("Piano"),
    "plc": _l("PLC training kits"),
    "power-outlets": _l("Power outlets"),
    "projector": _l("Projector"),
    "quiet": _l("Quiet"),
    "running-track": _l("Running track"),
    "safety-training": _l("Safety training"),
    "sem": _l("Scanning electron microscope"),
    "showers": _l("Showers"),
    "soldering": _l("Soldering stations"),
    "sound-system": _l("Sound system"),
    "stage": _l("Stage"),
    "tensile-tester": _l("Tensile tester"),
    "touch-screen": _l("Touch screen"),
    "vehicle-lift": _l("Vehicle lift"),
    "video-conferencing": _l("Video conferencing"),
    "whiteboard": _l("Whiteboard"),
    "wifi": _l("Wi-Fi"),
    "wooden-floor": _l("Wooden floor"),
}


def tag_label(tag: str) -> str:
    label = TAG_LABELS.get(tag)
    return str(label) if label is not None else tag.replace("-", " ")


def locale_code() -> str:
    return str(get_locale() or "zh_CN")


def is_chinese() -> bool:
    return locale_code().startswith("zh")


def localized(obj: Any, field: str = "name") -> str:
    """Pick `name_zh` or `name_en` (or any bilingual pair) for the current language."""
    zh, en = getattr(obj, f"{field}_zh", None), getattr(obj, f"{field}_en", None)
    if zh is None and en is None:  # engine LocalizedName(zh, en)
        zh, en = getattr(obj, "zh", ""), getattr(obj, "en", "")
    return str((zh or en) if is_chinese() else (en or zh))


def place(resource: Any, field: str) -> str:
    """A facility's campus or address: the English one on English pages where given, else the one stored."""
    english = getattr(resource, f"{field}_en", "") or ""
    return english if english and not is_chinese() else getattr(resource, field) or ""


def local_datetime(value: datetime, timezone: str) -> datetime:
    return value.astimezone(ZoneInfo(timezone))


def format_local(value: datetime | None, timezone: str, fmt: str = "medium") -> str:
    """A UTC instant shown as wall-clock time in the facility's zone."""
    if value is None:
        return ""
    return format_datetime(local_datetime(value, timezone).replace(tzinfo=None), fmt, rebase=False)


def format_param(value: Any) -> str:
    """Render one violation parameter in the current language."""
    from booking import engine

    if isinstance(value, ResourceKind):
        return str(KIND_PLURALS[value])
    if isinstance(value, Category):
        return str(CATEGORY_PLURALS[value])
    if isinstance(value, engine.LocalizedName):
        return localized(value)
    if isinstance(value, engine.QuotaSubject):
        university = localized(value.university)
        if value.resource is not None:
            return _(
                "%(resource)s at %(university)s", resource=localized(value.resource), university=university
            )
        if value.kind is not None:
            return _("%(kind)s at %(university)s", kind=KIND_PLURALS[value.kind], university=university)
        return _("all facilities at %(university)s", university=university)
    if isinstance(value, engine.PeriodWindow):
        return period_phrase(value.period, value.start)
    if isinstance(value, datetime):
        return format_datetime(value, "short", rebase=False)
    if isinstance(value, date):
        return format_date(value, "medium")
    if isinstance(value, time):
        return format_time(value, "HH:mm", rebase=False)
    if isinstance(value, frozenset | set | list | tuple):
        return ", ".join(format_param(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def period_phrase(period: QuotaPeriod, start: date) -> str:
    if period == QuotaPeriod.DAY:
        return _("on %(day)s", day=format_date(start, "medium"))
    if period == QuotaPeriod.WEEK:
        return _("in the week of %(day)s", day=format_skeleton("MMMd", start, locale=locale_code()))
    if period == QuotaPeriod.MONTH:
        return _("in %(month)s", month=format_skeleton("yMMMM", start, locale=locale_code()))
    return _("at once")


# Units a length of time is said in, largest first: (minutes in one, CLDR unit). A month here is 30 days,
# as booking windows are set ("90 days ahead" reads "3 months").
_DURATION_UNITS = (
    (30 * 1440, "duration-month"),
    (7 * 1440, "duration-week"),
    (1440, "duration-day"),
    (60, "duration-hour"),
    (1, "duration-minute"),
)


def duration_words(minutes: int) -> str:
    """A length of time in words, exactly ("1 week", "3 months", "1 hour 30 minutes"), not "10080 minutes"."""
    minutes = int(minutes)
    locale = get_locale()
    if minutes <= 0:
        return format_unit(0, "duration-minute", length="long", locale=locale)
    size, unit = next((size, unit) for size, unit in _DURATION_UNITS if minutes >= size)
    if minutes % size == 0:
        return format_unit(minutes // size, unit, length="long", locale=locale)
    parts = []
    for size, unit in _DURATION_UNITS[2:]:  # days, hours, minutes
        if minutes >= size:
            parts.append(format_unit(minutes // size, unit, length="long", locale=locale))
            minutes %= size
    return format_list(parts, style="unit-narrow", locale=locale)


# Violations whose lengths of time read better in words: code -> (message, {param: minutes in one}).
_IN_WORDS = {
    "too_long": (N_("You can book at most %(max)s at once."), {"max": 1}),
    "too_short": (N_("Bookings must last at least %(min)s."), {"min": 1}),
    "min_notice": (N_("Bookings must be made at least %(minutes)s ahead."), {"minutes": 1}),
    "max_advance": (N_("Bookings open at most %(days)s ahead."), {"days": 1440}),
    "cancel_deadline": (
        N_(
            "Bookings here can be cancelled up to %(minutes)s before the start; "
            "the deadline was %(deadline)s."
        ),
        {"minutes": 1},
    ),
}


def render_violation(violation: Any) -> str:
    """The engine's message template, translated, with its parameters rendered in the same language."""
    params = {key: format_param(value) for key, value in violation.params.items()}
    message = violation.message
    if violation.code in _IN_WORDS:
        message, lengths = _IN_WORDS[violation.code]
        for key, size in lengths.items():
            if isinstance(violation.params.get(key), int):
                params[key] = duration_words(violation.params[key] * size)
    return _(message, **params)


_QUOTA_PERIODS = {
    QuotaPeriod.DAY: _l("per day"),
    QuotaPeriod.WEEK: _l("per week"),
    QuotaPeriod.MONTH: _l("per month"),
    QuotaPeriod.ACTIVE: _l("at once"),
}


def quota_text(quota: Any) -> str:
    """A quota in one line, as its row in the quota list reads: who, where, counted for, limit."""
    who = str(CATEGORY_LABELS[quota.category]) if quota.category else _("Everyone")
    if quota.resource is not None:
        where = localized(quota.resource)
    elif quota.resource_kind is not None:
        where = str(KIND_LABELS[quota.resource_kind])
    else:
        where = _("All facilities")
    counted = _("Each organization") if quota.scope.value == "organization" else _("Each person")
    limits = []
    if quota.max_bookings is not None:
        limits.append(ngettext("%(num)d booking", "%(num)d bookings", quota.max_bookings))
    if quota.max_hours is not None:
        limits.append(_("%(hours)s hours", hours=f"{quota.max_hours:g}"))
    limit = " / ".join(limits) + " " + str(_QUOTA_PERIODS[quota.period])
    return " · ".join([who, where, counted, limit])


def standing_text(standing: Any) -> str:
    """One pooled quota's usage: "3 of 5 bookings of labs at HPU used in the week of 23 Nov"."""
    from booking import engine

    quota = standing.quota
    subject = format_param(
        engine.QuotaSubject(
            university=quota.university_name,
            kind=quota.resource_kind,
            resource=quota.resource_name if quota.resource_id is not None else None,
        )
    )
    window = format_param(standing.window) if standing.window is not None else _("at once")
    parts = []
    if quota.max_bookings is not None:
        parts.append(
            _(
                "%(used)s of %(limit)s bookings of %(subject)s used %(window)s",
                used=standing.bookings,
                limit=quota.max_bookings,
                subject=subject,
                window=window,
            )
        )
    if quota.max_hours is not None:
        parts.append(
            _(
                "%(used)s of %(limit)s hours of %(subject)s used %(window)s",
                used=f"{standing.hours:g}",
                limit=f"{quota.max_hours:g}",
                subject=subject,
                window=window,
            )
        )
    return "; ".join(parts)


def status_label(booking: Any) -> str:
    """A booking's status; a placement application someone cancelled reads "Withdrawn"."""
    if booking.status == BookingStatus.CANCELLED and booking.resource.mode == Mode.PLACEMENT:
        return str(_("Withdrawn"))
    return str(STATUS_LABELS[booking.status])


EVENT_LABELS = {
    "booking.created": _l("Requested"),
    "booking.approved": _l("Approved"),
    "booking.rejected": _l("Rejected"),
    "booking.cancelled": _l("Cancelled"),
    "booking.moved": _l("Moved to another time"),
    "booking.expired": _l("Expired without a decision"),
    "booking.checked_in": _l("Checked in"),
    "booking.no_show": _l("Marked as a no-show"),
    "booking.completed": _l("Completed"),
}


def event_label(event: Any) -> str:
    """One line of a booking's history."""
    details = event.details or {}
    if event.action == "booking.created":
        if details.get("on_behalf_of"):
            return _("Booked by a manager on your behalf")
        if details.get("status") == "confirmed":
            return _("Booked and confirmed")
        return _("Requested; awaiting approval")
    if event.action == "booking.cancelled" and details.get("by_manager"):
        return _("Cancelled by a manager")
    if event.action == "booking.moved" and details.get("by_manager"):
        return _("Moved to another time by a manager")
    return str(EVENT_LABELS.get(event.action, event.action))


def email_shown(email: str) -> str:
    """An address on a manager's page: in full for the city office, masked for a university's managers,
    whose tasks there (choosing whom to book for, reading the audit log, lifting a suspension) need the
    person recognised, not their mailbox (booking.services.people)."""
    return email if current_user.is_authenticated and current_user.is_admin else mask_email(email)


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        KIND_LABELS=KIND_LABELS,
        CATEGORY_LABELS=CATEGORY_LABELS,
        VERIFICATION_LABELS=VERIFICATION_LABELS,
        MODE_LABELS=MODE_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        WAITLIST_LABELS=WAITLIST_LABELS,
        status_label=status_label,
        place=place,
        standing_text=standing_text,
        duration_words=duration_words,
        WEEKDAY_NAMES=WEEKDAY_NAMES,
        localized=localized,
        tag_label=tag_label,
        format_local=format_local,
        locale_code=locale_code,
        render_violation=render_violation,
        event_label=event_label,
        email_shown=email_shown,
        timedelta_day=timedelta(days=1),
    )
