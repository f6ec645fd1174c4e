"""Booking forms: one booking or a repeating series, a new time for one, and a placement application."""

import re
import secrets
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking import engine
from booking.web.forms import Form
from booking.web.input import EARLIEST_DATE, LATEST_DATE
from booking.web.labels import FREQUENCY_LABELS
from models import Frequency

WEEKDAY_CHOICES = [
    (0, _l("Mon")),
    (1, _l("Tue")),
    (2, _l("Wed")),
    (3, _l("Thu")),
    (4, _l("Fri")),
    (5, _l("Sat")),
    (6, _l("Sun")),
]
MAX_OCCURRENCES = 100
_SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def _rendered_key_or_new(value: object) -> str:
    """The key as the form rendered it; anything else (missing, altered) is a fresh one, i.e. no replay."""
    return value if isinstance(value, str) and _SUBMISSION_KEY.fullmatch(value) else new_submission_key()


def submission_key_field() -> HiddenField:
    """A one-time key rendered with the form: sending the form twice books once (`bookings._sent_once`)."""
    # An explicit label, like `action`'s, spares WTForms translating a default one.
    return HiddenField("submission_key", default=new_submission_key, filters=[_rendered_key_or_new])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TimeSpanForm(Form):
    """One date with a start and an end time, in the facility's local wall-clock time."""

    day = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    start_time = TimeField(_l("From"), validators=[InputRequired(_l("Choose a start time."))])
    end_time = TimeField(_l("Until"), validators=[InputRequired(_l("Choose an end time."))])

    def validate_end_time(self, field: TimeField) -> None:
        if (
            self.start_time.data
            and field.data
            and field.data <= self.start_time.data
            and field.data != time(0)
        ):
            raise ValidationError(_l("The end must be after the start."))

    def local_start(self) -> datetime:
        return datetime.combine(self.day.data, self.start_time.data)

    def local_end(self) -> datetime:
        # An end of 00:00 means midnight at the end of the chosen day.
        end_day = self.day.data + timedelta(days=1) if self.end_time.data == time(0) else self.day.data
        return datetime.combine(end_day, self.end_time.data)

    def show(self, start: datetime, end: datetime) -> None:
        """Prefill with a local start and end (an end at midnight reads 00:00)."""
        self.day.data = start.date()
        self.start_time.data = start.time()
        self.end_time.data = end.time()


class VisitForm(TimeSpanForm):
    """The day and times (TimeSpanForm), how many people come and what for: what every booking form asks."""

    party_size = IntegerField(
        _l("Number of people"),
        default=1,
        validators=[
            InputRequired(_l("Say how many people will come.")),
            NumberRange(min=1, max=10000, message=_l("Enter a number from 1 to 10000.")),
        ],
    )
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=500)])


class BookingForm(VisitForm):
    """A booking, or a repeating series of them; date and times are the facility's local wall-clock time."""

    repeat = BooleanField(_l("Repeat this booking"))
    frequency = SelectField(
        _l("Repeats"),
        choices=[
            (frequency.value, FREQUENCY_LABELS[frequency])
            for frequency in (Frequency.WEEKLY, Frequency.DAILY)
        ],
        default=Frequency.WEEKLY.value,
    )
    interval = IntegerField(
        _l("Every"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=52, message=_l("Enter a number from 1 to 52."))],
    )
    weekdays = MultiCheckboxField(_l("On"), choices=WEEKDAY_CHOICES, coerce=int, validators=[Optional()])
    ends = RadioField(
        _l("Ends"),
        choices=[("count", _l("After a number of dates")), ("until", _l("On a date"))],
        default="count",
    )
    count = IntegerField(
        _l("Number of dates"),
        default=10,
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_OCCURRENCES, message=_l("A series has 1 to 100 dates.")),
        ],
    )
    until = DateField(_l("Last date"), validators=[Optional()])
    # Never shown (the pressed button sends `action`). An explicit label spares WTForms translating a default
    # one, which would load its message catalogue from disk on every request.
    action = HiddenField("action", default="book")
    submission_key = submission_key_field()

    def validate_count(self, field: IntegerField) -> None:
        if self.repeat.data and self.ends.data == "count" and field.data is None:
            raise ValidationError(_l("Say how many dates the series has."))

    def validate_until(self, field: DateField) -> None:
        if not (self.repeat.data and self.ends.data == "until"):
            return
        if field.data is None:
            raise ValidationError(_l("Choose the last date of the series."))
        if self.day.data and field.data < self.day.data:
            raise ValidationError(_l("The last date must not be before the first."))

    def rule(self) -> engine.RecurrenceRule:
        weekly = self.frequency.data == Frequency.WEEKLY.value
        return engine.RecurrenceRule(
            frequency=Frequency(self.frequency.data),
            interval=self.interval.data or 1,
            weekdays=frozenset(self.weekdays.data or []) if weekly else frozenset(),
            count=self.count.data if self.ends.data == "count" else None,
            until=self.until.data if self.ends.data == "until" else None,
        )


class PlacementForm(Form):
    """An application for one seat at a training base over whole days."""

    first_day = DateField(_l("First day"), validators=[InputRequired(_l("Choose the first day."))])
    last_day = DateField(_l("Last day"), validators=[InputRequired(_l("Choose the last day."))])
    statement = TextAreaField(
        _l("Statement"),
        validators=[
            InputRequired(_l("Tell the training base why you are applying.")),
            Length(min=20, max=2000, message=_l("Write between 20 and 2000 characters.")),
        ],
    )
    submission_key = submission_key_field()

    def validate_last_day(self, field: DateField) -> None:
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day must not be before the first."))
        if self.first_day.data and field.data and (field.data - self.first_day.data).days > 366:
            raise ValidationError(_l("A placement lasts at most one year."))


class MoveForm(TimeSpanForm):
    """A new time for an existing booking, in the facility's local wall-clock time."""


class WindowReminderForm(Form):
    """Ask to be told when the first date beyond the booking window can be booked."""

    first_start = HiddenField(validators=[InputRequired()])

    def first_start_utc(self) -> datetime | None:
        """The date asked about, as an aware UTC instant; None when it is not one."""
        try:
            value = datetime.fromisoformat(self.first_start.data or "")
        except ValueError:
            return None
        return value.astimezone(UTC) if value.tzinfo is not None else None


class CancelForm(Form):
    following = BooleanField(_l("Also cancel the later dates of this series"))


def default_day(value: str | None, today: date) -> tuple[date, time | None]:
    """Parse a `start` query parameter (local ISO datetime from a grid cell); fall back to today.

    A date outside 2000–2100 falls back too: the form would refuse it, and the end prefilled after it could
    run past the year 9999.
    """
    if value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return today, None
        if parsed.tzinfo is None and EARLIEST_DATE <= parsed.date() <= LATEST_DATE:
            return parsed.date(), parsed.time()
    return today, None


def default_end(value: str | None, start: datetime) -> time | None:
    """Parse an `end` query parameter (local ISO datetime, from a search card): its wall-clock time if it
    ends after `start` on the same day or at the next midnight; otherwise None (the form's default)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None or parsed <= start:
        return None
    next_midnight = datetime.combine(start.date() + timedelta(days=1), time(0, 0))
    if parsed.date() != start.date() and parsed != next_midnight:
        return None
    return parsed.time()
