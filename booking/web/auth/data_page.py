"""The readable page of a person's data (/profile/data): the same export as the download
(booking.services.personal_data.export), with headings and values in the reader's language instead of field
names, codes and ISO timestamps."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask import current_app
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from booking.engine import LocalizedName
from booking.notify import message_text
from booking.web.audit.events import action_label, notes_of
from booking.web.labels import (
    CATEGORY_LABELS,
    FREQUENCY_LABELS,
    STATUS_LABELS,
    VERIFICATION_LABELS,
    WAITLIST_LABELS,
    WEEKDAY_NAMES,
    duration_words,
    format_local,
    localized,
)
from models import EmailStatus

NOTHING = "—"
Shown = Callable[[Any], str]


@dataclass(frozen=True)
class Table:
    title: str
    id: str
    headings: list[str]
    rows: list[list[str]]


def _when(value: str | None) -> str:
    """An instant of the export (UTC, ISO 8601) as wall-clock time in the platform's zone."""
    if not value:
        return NOTHING
    return format_local(
        datetime.fromisoformat(value), current_app.config["BABEL_DEFAULT_TIMEZONE"], "yyyy-MM-dd HH:mm"
    )


def _day(value: str | None) -> str:
    return format_date(date.fromisoformat(value), "medium") if value else NOTHING


def _clock(value: str) -> str:
    return format_time(time.fromisoformat(value), "HH:mm", rebase=False)


def _yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def _named(value: Mapping[str, Any] | None) -> str:
    """A facility, university or company of the export: its name in the reader's language."""
    if not value:
        return NOTHING
    return localized(LocalizedName(zh=value["name_zh"] or "", en=value["name_en"] or ""))


def _text(value: Any) -> str:
    return NOTHING if value is None or value == "" else str(value)


def _label(labels: Mapping[Any, Any]) -> Shown:
    """A stored code (a status, a category) by its label; a code this version does not know, as it is.
    The labels are keyed by str enums, which equal (and hash as) their codes."""
    return lambda value: NOTHING if value is None else str(labels.get(value, value))


_EMAIL = {
    EmailStatus.QUEUED: _l("Waiting to be sent"),
    EmailStatus.SENDING: _l("Being sent"),
    EmailStatus.SENT: _l("Sent"),
    EmailStatus.FAILED: _l("Could not be delivered"),
}
_LANGUAGES = {"zh": "中文", "en": "English"}


def _weekdays(value: list[int] | None) -> str:
    return ", ".join(str(WEEKDAY_NAMES[day]) for day in value) if value else NOTHING


def _duration(value: int) -> str:
    return duration_words(value)


def _language(value: str | None) -> str:
    return _LANGUAGES.get((value or "")[:2], _text(value))


# The account, field by field: heading, how the value reads.
ACCOUNT: tuple[tuple[str, Any, Shown], ...] = (
    ("email", _l("Email address"), _text),
    ("email_confirmed_at", _l("Address confirmed"), _when),
    ("pending_email", _l("New address awaiting confirmation"), _text),
    ("display_name", _l("Your name"), _text),
    ("phone", _l("Phone"), _text),
    ("category", _l("Who you are"), _label(CATEGORY_LABELS)),
    ("organization", _l("University or company"), _named),
    ("student_number", _l("Student or staff number"), _text),
    ("verification", _l("Verification"), _label(VERIFICATION_LABELS)),
    ("verified_at", _l("Verified on"), _when),
    ("manager_of", _l("Manager of"), _named),
    ("is_admin", _l("City office"), _yes_no),
    ("language", _l("Language of emails"), _language),
    ("manager_digest_email", _l("Daily digest email"), _yes_no),
    ("calendar_feed", _l("Calendar subscription"), _yes_no),
    ("suspended_until", _l("Booking suspended until"), _when),
    ("active", _l("Account active"), _yes_no),
    ("created_at", _l("Account created"), _when),
)

# Each list of the export: its title, the anchor tests and links use, and its columns.
TABLES: tuple[tuple[str, Any, str, tuple[tuple[str, Any, Shown], ...]], ...] = (
    (
        "bookings",
        _l("Bookings"),
        "data-bookings",
        (
            ("facility", _l("Facility"), _named),
            ("start", _l("Start time"), _when),
            ("end", _l("End time"), _when),
            ("party_size", _l("People"), _text),
            ("purpose", _l("Purpose"), _text),
            ("status", _l("Status"), _label(STATUS_LABELS)),
            ("decision_note", _l("Manager's note"), _text),
        ),
    ),
    (
        "series",
        _l("Repeat series"),
        "data-series",
        (
            ("facility", _l("Facility"), _named),
            ("frequency", _l("Repeats"), _label(FREQUENCY_LABELS)),
            ("interval", _l("Every"), _text),
            ("weekdays", _l("On"), _weekdays),
            ("count", _l("Times"), _text),
            ("until", _l("Until"), _day),
            ("local_start", _l("Starts at"), _clock),
            ("duration_minutes", _l("Length"), _duration),
        ),
    ),
    (
        "waitlist",
        _l("Waitlist"),
        "data-waitlist",
        (
            ("facility", _l("Facility"), _named),
            ("start", _l("Start time"), _when),
            ("end", _l("End time"), _when),
            ("party_size", _l("People"), _text),
            ("purpose", _l("Purpose"), _text),
            ("status", _l("Status"), _label(WAITLIST_LABELS)),
        ),
    ),
    (
        "window_reminders",
        _l("Reminders you asked for"),
        "data-reminders",
        (
            ("facility", _l("Facility"), _named),
            ("first_start", _l("First date not yet open"), _when),
            ("sent_at", _l("Reminder sent"), _when),
        ),
    ),
    (
        "emails",
        _l("Emails to you"),
        "data-emails",
        (
            ("to", _l("To"), _text),
            ("subject", _l("Subject"), _text),
            ("status", _l("Status"), _label(_EMAIL)),
            ("created_at", _l("Written"), _when),
            ("sent_at", _l("Sent"), _when),
        ),
    ),
)


def account(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(heading), shown(data["account"].get(key))) for key, heading, shown in ACCOUNT]


def tables(data: Mapping[str, Any]) -> list[Table]:
    """Every list of the export as a table; notifications and activity read as sentences."""
    shown = [
        Table(
            str(title),
            anchor,
            [str(heading) for _key, heading, _shown in columns],
            [[show(row.get(key)) for key, _heading, show in columns] for row in data[name]],
        )
        for name, title, anchor, columns in TABLES
    ]
    shown.insert(
        4,
        Table(
            _("Notifications"),
            "data-notifications",
            [_("Notification"), _("Received"), _("Read")],
            [
                [message_text(n["kind"], n["params"] or {}), _when(n["created_at"]), _when(n["read_at"])]
                for n in data["notifications"]
            ],
        ),
    )
    shown.append(
        Table(
            _("Activity in the audit log"),
            "data-activity",
            [_("When"), _("What"), _("By you"), _("Details")],
            [
                [
                    _when(e["at"]),
                    action_label(e["action"]),
                    _yes_no(e["by_you"]),
                    "; ".join(notes_of(e["details"] or {})) or NOTHING,
                ]
                for e in data["activity"]
            ],
        ),
    )
    return shown
