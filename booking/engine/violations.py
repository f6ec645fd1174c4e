"""Violations: the code, values and translatable message of every rule a request can break.

Messages are English templates with `%(name)s` placeholders, marked with `N_` for Babel extraction
(`pybabel extract -k N_`); the web layer translates the template and renders each parameter in the reader's
language. Parameter values are only int, float, str, local (naive) date/time/datetime in the facility's zone,
`Category`, `ResourceKind`, `LocalizedName`, `QuotaSubject` and `PeriodWindow`.

| code                  | params                                                   | overridable |
|-----------------------|----------------------------------------------------------|-------------|
| account_inactive      | (none)                                                   | yes         |
| account_suspended     | until (local datetime)                                   | yes         |
| email_unverified      | (none): the person has not confirmed their email address | no          |
| category_not_allowed  | category (Category); when a claimed category awaits      | yes         |
|                       | verification: pending (Category), organization (Name)    |             |
| resource_inactive     | resource (LocalizedName)                                 | yes         |
| in_past               | (none)                                                   | yes         |
| min_notice            | minutes (int)                                            | yes         |
| max_advance           | days (int)                                               | yes         |
| end_before_start      | (none)                                                   | no          |
| too_short             | min (int minutes), minutes (int, asked)                  | yes         |
| too_long              | max (int minutes), minutes (int, asked)                  | yes         |
| misaligned            | minutes (int, the slot length)                           | yes         |
| placement_whole_days  | (none)                                                   | yes         |
| outside_hours         | day (local date); opens or closes (local time), or       | yes         |
|                       | neither when the facility is closed all that day         |             |
| closed                | reason (str or LocalizedName), start, end (local dt)     | yes         |
| party_size_invalid    | party_size (int)                                         | no          |
| party_size_too_large  | max (int), party_size (int)                              | yes if only |
|                       |                                                          | the policy  |
|                       |                                                          | limit broke |
| conflict              | start, until (local datetime: the taken span, buffer in) | no          |
| capacity              | left (int), asked (int)                                  | no          |
| duplicate             | (none): the person already holds this very booking       | no          |
| quota_bookings        | quota_id, used, limit (int), subject (QuotaSubject),     | yes         |
|                       | window (PeriodWindow; absent for "active at once")       |             |
| quota_hours           | quota_id (int), used, limit, asked (float hours),        | yes         |
|                       | subject, window (as quota_bookings)                      |             |
| series_too_long       | limit, requested (int)                                   | no          |
| invalid_recurrence    | field (str: interval, count, until, weekdays)            | no          |
|                       | plus that field's value where it has one                 |             |

Durations in too_short/too_long are elapsed minutes; for placements, whole local days x 1440.
Conflicts and capacity are never overridable (docs/architecture.md, "No double booking"); nor is a
duplicate (a second active booking of the same person, facility, start and end: a form sent twice, which a
larger party size would express); nor are malformed requests (end before start, fewer than one person, more
people than the facility holds), which no override can make meaningful.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from booking.engine.types import LocalizedName, PeriodWindow, QuotaSubject
from models.enums import Category


def N_(message: str) -> str:
    """Mark a message for extraction without translating it; the web layer translates at render time."""
    return message


class ViolationCode(StrEnum):
    ACCOUNT_INACTIVE = "account_inactive"
    ACCOUNT_SUSPENDED = "account_suspended"
    EMAIL_UNVERIFIED = "email_unverified"
    CATEGORY_NOT_ALLOWED = "category_not_allowed"
    RESOURCE_INACTIVE = "resource_inactive"
    IN_PAST = "in_past"
    MIN_NOTICE = "min_notice"
    MAX_ADVANCE = "max_advance"
    END_BEFORE_START = "end_before_start"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    MISALIGNED = "misaligned"
    PLACEMENT_WHOLE_DAYS = "placement_whole_days"
    OUTSIDE_HOURS = "outside_hours"
    CLOSED = "closed"
    PARTY_SIZE_INVALID = "party_size_invalid"
    PARTY_SIZE_TOO_LARGE = "party_size_too_large"
    CONFLICT = "conflict"
    CAPACITY = "capacity"
    DUPLICATE = "duplicate"
    QUOTA_BOOKINGS = "quota_bookings"
    QUOTA_HOURS = "quota_hours"
    SERIES_TOO_LONG = "series_too_long"
    INVALID_RECURRENCE = "invalid_recurrence"


@dataclass(frozen=True)
class Violation:
    """One broken rule: a machine-readable code, an English template, its values, and whether a manager may
    override it."""

    code: str
    message: str
    params: dict[str, object] = field(default_factory=dict, hash=False)
    overridable: bool = True

    def __str__(self) -> str:
        # Plain English for logs and exceptions; users see the web layer's translated rendering.
        return self.message % {key: _plain(value) for key, value in self.params.items()}


def _plain(value: object) -> object:
    if isinstance(value, LocalizedName):
        return value.en
    if isinstance(value, QuotaSubject):
        return value.resource.en if value.resource else value.university.en
    if isinstance(value, PeriodWindow):
        return f"in the {value.period} of {value.start.isoformat()}"
    return value


def account_inactive() -> Violation:
    return Violation(ViolationCode.ACCOUNT_INACTIVE, N_("This account is disabled."))


def account_suspended(until: datetime) -> Violation:
    return Violation(
        ViolationCode.ACCOUNT_SUSPENDED,
        N_("Your booking rights are suspended until %(until)s."),
        {"until": until},
    )


def email_unverified() -> Violation:
    # Not overridable: a manager cannot find an unconfirmed address to book for (booking.services.people).
    return Violation(
        ViolationCode.EMAIL_UNVERIFIED,
        N_(
            "Confirm your email address before booking: open the link or enter the 6-digit code we sent "
            "you (your profile can send it again)."
        ),
        overridable=False,
    )


def category_not_allowed(category: Category) -> Violation:
    return Violation(
        ViolationCode.CATEGORY_NOT_ALLOWED,
        N_("This facility is not open to %(category)s."),
        {"category": category},
    )


# A claimed category whose verification is pending would be allowed here (category_not_allowed's code).
_VERIFICATION_PENDING = {
    Category.STUDENT: N_(
        "Your student verification is pending at %(organization)s. Until it is confirmed you book as a "
        "resident, and this facility is not open to %(category)s."
    ),
    Category.ENTERPRISE: N_(
        "The verification of your company, %(organization)s, is pending with the city office. Until it is "
        "confirmed you book as a resident, and this facility is not open to %(category)s."
    ),
}


def verification_pending(
    category: Category, pending: Category, organization: LocalizedName | None
) -> Violation:
    return Violation(
        ViolationCode.CATEGORY_NOT_ALLOWED,
        _VERIFICATION_PENDING[pending],
        {"category": category, "pending": pending, "organization": organization or LocalizedName("-", "-")},
    )


def resource_inactive(resource: LocalizedName) -> Violation:
    return Violation(
        ViolationCode.RESOURCE_INACTIVE,
        N_("%(resource)s cannot be booked at the moment."),
        {"resource": resource},
    )


def in_past() -> Violation:
    return Violation(ViolationCode.IN_PAST, N_("This time has already passed."))


def min_notice(minutes: int) -> Violation:
    return Violation(
        ViolationCode.MIN_NOTICE,
        N_("Bookings must be made at least %(minutes)s minutes ahead."),
        {"minutes": minutes},
    )


def max_advance(days: int) -> Violation:
    return Violation(
        ViolationCode.MAX_ADVANCE, N_("Bookings open at most %(days)s days ahead."), {"days": days}
    )


def end_before_start() -> Violation:
    return Violation(
        ViolationCode.END_BEFORE_START, N_("The end must be after the start."), overridable=False
    )


def too_short(min_minutes: int, minutes: int) -> Violation:
    return Violation(
        ViolationCode.TOO_SHORT,
        N_("Bookings must last at least %(min)s minutes."),
        {"min": min_minutes, "minutes": minutes},
    )


def too_long(max_minutes: int, minutes: int) -> Violation:
    return Violation(
        ViolationCode.TOO_LONG,
        N_("You can book at most %(max)s minutes at once."),
        {"max": max_minutes, "minutes": minutes},
    )


def misaligned(slot_minutes: int) -> Violation:
    return Violation(
        ViolationCode.MISALIGNED,
        N_("Bookings start and end on the facility's %(minutes)s-minute time slots."),
        {"minutes": slot_minutes},
    )


def placement_whole_days() -> Violation:
    return Violation(
        ViolationCode.PLACEMENT_WHOLE_DAYS,
        N_("Placements are booked in whole days, from midnight to midnight."),
    )


def closed_all_day(day: date) -> Violation:
    return Violation(ViolationCode.OUTSIDE_HOURS, N_("This facility is closed on %(day)s."), {"day": day})


def opens_later(day: date, opens: time) -> Violation:
    return Violation(
        ViolationCode.OUTSIDE_HOURS,
        N_("This facility opens at %(opens)s on %(day)s."),
        {"day": day, "opens": opens},
    )


def closes_earlier(day: date, closes: time) -> Violation:
    return Violation(
        ViolationCode.OUTSIDE_HOURS,
        N_("This facility closes at %(closes)s on %(day)s."),
        {"day": day, "closes": closes},
    )


def closed(reason: str | LocalizedName, start: datetime, end: datetime) -> Violation:
    return Violation(
        ViolationCode.CLOSED, N_("Closed: %(reason)s."), {"reason": reason, "start": start, "end": end}
    )


def party_size_invalid(party_size: int) -> Violation:
    return Violation(
        ViolationCode.PARTY_SIZE_INVALID,
        N_("A booking is for at least one person."),
        {"party_size": party_size},
        overridable=False,
    )


def party_size_too_large(limit: int, party_size: int, *, overridable: bool) -> Violation:
    return Violation(
        ViolationCode.PARTY_SIZE_TOO_LARGE,
        N_("The group is too large: the limit is %(max)s, you asked for %(party_size)s."),
        {"max": limit, "party_size": party_size},
        overridable=overridable,
    )


def conflict(start: datetime, until: datetime) -> Violation:
    return Violation(
        ViolationCode.CONFLICT,
        N_("This time is already booked."),
        {"start": start, "until": until},
        overridable=False,
    )


def capacity(left: int, asked: int) -> Violation:
    if left <= 0:
        message = N_("This time is fully booked.")
    else:
        message = N_("Only %(left)s places are left at that time; you asked for %(asked)s.")
    return Violation(
        ViolationCode.CAPACITY, message, {"left": max(0, left), "asked": asked}, overridable=False
    )


def duplicate() -> Violation:
    return Violation(
        ViolationCode.DUPLICATE,
        N_("You already have this booking: the same facility at the same time."),
        overridable=False,
    )


# Quota messages by (counted for the organization?, within a period?).
_QUOTA_BOOKINGS = {
    (False, True): N_("You have used %(used)s of your %(limit)s bookings of %(subject)s %(window)s."),
    (True, True): N_(
        "Your organization has used %(used)s of its %(limit)s bookings of %(subject)s %(window)s."
    ),
    (False, False): N_("You already have %(used)s of your %(limit)s active bookings of %(subject)s."),
    (True, False): N_(
        "Your organization already has %(used)s of its %(limit)s active bookings of %(subject)s."
    ),
}
_QUOTA_HOURS = {
    (False, True): N_(
        "You have booked %(used)s of your %(limit)s hours of %(subject)s %(window)s; "
        "this booking needs %(asked)s more."
    ),
    (True, True): N_(
        "Your organization has booked %(used)s of its %(limit)s hours of %(subject)s %(window)s; "
        "this booking needs %(asked)s more."
    ),
    (False, False): N_(
        "Your active bookings of %(subject)s already take %(used)s of your %(limit)s hours; "
        "this booking needs %(asked)s more."
    ),
    (True, False): N_(
        "Your organization's active bookings of %(subject)s already take %(used)s of its %(limit)s hours; "
        "this booking needs %(asked)s more."
    ),
}


def quota_bookings(
    quota_id: int,
    used: int,
    limit: int,
    subject: QuotaSubject,
    window: PeriodWindow | None,
    *,
    organization: bool,
) -> Violation:
    params: dict[str, object] = {"quota_id": quota_id, "used": used, "limit": limit, "subject": subject}
    if window is not None:
        params["window"] = window
    return Violation(ViolationCode.QUOTA_BOOKINGS, _QUOTA_BOOKINGS[organization, window is not None], params)


def quota_hours(
    quota_id: int,
    used: float,
    limit: float,
    asked: float,
    subject: QuotaSubject,
    window: PeriodWindow | None,
    *,
    organization: bool,
) -> Violation:
    params: dict[str, object] = {
        "quota_id": quota_id,
        "used": used,
        "limit": limit,
        "asked": asked,
        "subject": subject,
    }
    if window is not None:
        params["window"] = window
    return Violation(ViolationCode.QUOTA_HOURS, _QUOTA_HOURS[organization, window is not None], params)


def series_too_long(limit: int, requested: int) -> Violation:
    return Violation(
        ViolationCode.SERIES_TOO_LONG,
        N_("A series can have at most %(limit)s occurrences; this one would have %(requested)s."),
        {"limit": limit, "requested": requested},
        overridable=False,
    )


def bad_interval(interval: int) -> Violation:
    return Violation(
        ViolationCode.INVALID_RECURRENCE,
        N_("The repeat interval must be at least 1; it is %(interval)s."),
        {"field": "interval", "interval": interval},
        overridable=False,
    )


def bad_end_choice() -> Violation:
    return Violation(
        ViolationCode.INVALID_RECURRENCE,
        N_("Choose either a number of occurrences or a last date for the series, not both."),
        {"field": "count"},
        overridable=False,
    )


def bad_count(count: int) -> Violation:
    return Violation(
        ViolationCode.INVALID_RECURRENCE,
        N_("A series has at least one occurrence; you asked for %(count)s."),
        {"field": "count", "count": count},
        overridable=False,
    )


def bad_until(until: date, first: date) -> Violation:
    return Violation(
        ViolationCode.INVALID_RECURRENCE,
        N_("The series cannot end on %(until)s, before its first day %(first)s."),
        {"field": "until", "until": until, "first": first},
        overridable=False,
    )


def bad_weekdays() -> Violation:
    return Violation(
        ViolationCode.INVALID_RECURRENCE,
        N_("Choose weekdays from Monday to Sunday, and only for a weekly series."),
        {"field": "weekdays"},
        overridable=False,
    )
