"""Manager forms: decisions on requests, facilities with their hours and rules, quotas, closures, on-behalf.

Each form parses its fields into the service's draft; the rules themselves are the service's `*_problems`
checks, attached here to the field they concern so the message shows next to it.
"""

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking.services import facilities
from booking.services.errors import Invalid
from booking.web.bookings.forms import VisitForm
from booking.web.errors import show_invalid
from booking.web.forms import Form
from booking.web.input import optional_id, parse_id
from booking.web.labels import CATEGORY_LABELS, KIND_LABELS, MODE_LABELS, WEEKDAY_NAMES
from models import Category, Mode, Quota, QuotaPeriod, QuotaScope, ResourceKind

REASON_LENGTH = 500


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _passes(form: Form, problems: Mapping[str, str]) -> bool:
    """True if the service's checks found nothing; else False, with each message shown next to its field."""
    if problems:
        show_invalid(form, Invalid(problems))
    return not problems


def _untouched(form: Form, problems: Mapping[str, str]) -> dict[str, str]:
    """The problems of fields that parsed; a field that failed to parse already says why."""
    return {k: v for k, v in problems.items() if k not in form._fields or not form._fields[k].errors}


# --- deciding requests -------------------------------------------------------------------------------


class ApproveForm(Form):
    note = StringField(_l("Note to the requester"), validators=[Optional(), Length(max=REASON_LENGTH)])
    next = HiddenField()


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            InputRequired(_l("Give the reason for declining; the requester reads it.")),
            Length(max=REASON_LENGTH, message=_l("Write at most 500 characters.")),
        ],
    )
    next = HiddenField()

    def validate_reason(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Give the reason for declining; the requester reads it."))


class BulkForm(Form):
    booking_ids = SelectMultipleField(_l("Requests"), coerce=parse_id, validate_choice=False)
    action = SelectField(
        _l("Decision"),
        choices=[("approve", _l("Approve")), ("reject", _l("Decline"))],
        validate_choice=True,
    )
    reason = StringField(
        _l("Reason (required to decline)"),
        validators=[Length(max=REASON_LENGTH, message=_l("Write at most 500 characters."))],
    )
    next = HiddenField()

    def validate_booking_ids(self, field: SelectMultipleField) -> None:
        if not field.data:
            raise ValidationError(_l("Tick at least one request."))

    def validate_reason(self, field: StringField) -> None:
        if self.action.data == "reject" and not (field.data or "").strip():
            raise ValidationError(_l("Give the reason for declining; the requesters read it."))


class ConfirmForm(Form):
    """A button that changes something: only the CSRF token."""


# --- facilities --------------------------------------------------------------------------------------


class FacilityForm(Form):
    university_id = SelectField(_l("University"), coerce=optional_id, validate_choice=False)
    name_zh = StringField(
        _l("Name in Chinese"),
        validators=[InputRequired(_l("Give the facility a Chinese name.")), Length(max=200)],
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[InputRequired(_l("Give the facility an English name.")), Length(max=200)],
    )
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in KIND_LABELS.items()])
    mode = SelectField(_l("How it is booked"), choices=[(m.value, label) for m, label in MODE_LABELS.items()])
    capacity = IntegerField(
        _l("Capacity"),
        default=1,
        validators=[
            InputRequired(_l("Say how many people or seats it holds.")),
            NumberRange(
                min=1,
                max=facilities.MAX_CAPACITY,
                message=_l("The capacity is at least 1 (and at most 100000)."),
            ),
        ],
    )
    slot_minutes = IntegerField(
        _l("Time slot (minutes)"),
        default=30,
        validators=[
            InputRequired(_l("Give the slot length in minutes.")),
            NumberRange(
                min=5, max=facilities.DAY_MINUTES, message=_l("Time slots are 5 to 1440 minutes long.")
            ),
        ],
    )
    timezone = StringField(
        _l("Time zone"),
        default="Asia/Shanghai",
        validators=[InputRequired(_l("Give a time zone.")), Length(max=64)],
    )
    campus = StringField(_l("Campus"), validators=[Optional(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    campus_en = StringField(_l("Campus in English"), validators=[Optional(), Length(max=100)])
    address_en = StringField(_l("Address in English"), validators=[Optional(), Length(max=300)])
    latitude = FloatField(_l("Latitude"), validators=[Optional()])
    longitude = FloatField(_l("Longitude"), validators=[Optional()])
    tags = StringField(_l("Tags and equipment"), validators=[Optional(), Length(max=1000)])
    description_zh = TextAreaField(_l("Description in Chinese"), validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=5000)])

    def draft(self) -> facilities.FacilityDraft:
        return facilities.FacilityDraft(
            kind=ResourceKind(self.kind.data),
            mode=Mode(self.mode.data),
            name_zh=(self.name_zh.data or "").strip(),
            name_en=(self.name_en.data or "").strip(),
            capacity=self.capacity.data if self.capacity.data is not None else 1,
            timezone=(self.timezone.data or "").strip(),
            slot_minutes=self.slot_minutes.data if self.slot_minutes.data is not None else 30,
            description_zh=(self.description_zh.data or "").strip(),
            description_en=(self.description_en.data or "").strip(),
            campus=(self.campus.data or "").strip(),
            address=(self.address.data or "").strip(),
            campus_en=(self.campus_en.data or "").strip(),
            address_en=(self.address_en.data or "").strip(),
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            tags=facilities.normalize_tags(self.tags.data or ""),
        )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.kind.errors or self.mode.errors:
            return False
        return _passes(self, _untouched(self, facilities.facility_problems(self.draft()))) and ok

    def fill(self, resource: Any) -> None:
        for name in (
            "name_zh",
            "name_en",
            "capacity",
            "slot_minutes",
            "timezone",
            "campus",
            "address",
            "campus_en",
            "address_en",
            "latitude",
            "longitude",
            "description_zh",
            "description_en",
        ):
            self[name].data = getattr(resource, name)
        self.kind.data = resource.kind.value
        self.mode.data = resource.mode.value
        self.tags.data = ", ".join(resource.tag_names)


_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–—~至到]\s*(\d{1,2}):(\d{2})$")


def parse_day_hours(text: str) -> list[tuple[time, time]]:
    """'08:00-12:00, 14:00-22:00' -> [(08:00, 12:00), (14:00, 22:00)]; 24:00 is written back as 00:00.

    Raises ValueError for anything else. An empty text is a closed day.
    """
    spans = []
    for part in re.split(r"[,，;；]", text):
        part = part.strip()
        if not part:
            continue
        match = _SPAN.match(part)
        if not match:
            raise ValueError(part)
        oh, om, ch, cm = (int(g) for g in match.groups())
        if oh > 23 or ch > 24 or om > 59 or cm > 59 or (ch == 24 and cm != 0):
            raise ValueError(part)
        spans.append((time(oh, om), time(0, 0) if ch == 24 else time(ch, cm)))
    return spans


def format_day_hours(spans: list[tuple[time, time]]) -> str:
    return ", ".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in spans)


class HoursForm(Form):
    """One text field per weekday: '08:00-12:00, 14:00-22:00'; empty for closed."""

    day_0 = StringField(WEEKDAY_NAMES[0], validators=[Optional(), Length(max=300)])
    day_1 = StringField(WEEKDAY_NAMES[1], validators=[Optional(), Length(max=300)])
    day_2 = StringField(WEEKDAY_NAMES[2], validators=[Optional(), Length(max=300)])
    day_3 = StringField(WEEKDAY_NAMES[3], validators=[Optional(), Length(max=300)])
    day_4 = StringField(WEEKDAY_NAMES[4], validators=[Optional(), Length(max=300)])
    day_5 = StringField(WEEKDAY_NAMES[5], validators=[Optional(), Length(max=300)])
    day_6 = StringField(WEEKDAY_NAMES[6], validators=[Optional(), Length(max=300)])

    def day_fields(self) -> list[StringField]:
        return [self[f"day_{d}"] for d in range(7)]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for field in self.day_fields():
            if field.errors:
                continue
            try:
                spans = parse_day_hours(field.data or "")
            except ValueError:
                field.errors = [*field.errors, _("Write the hours like 08:00-12:00, 14:00-22:00.")]
                ok = False
                continue
            problem = facilities.day_hours_problem(spans)
            if problem:
                field.errors = [*field.errors, _(problem)]
                ok = False
        return ok

    def hours(self) -> list[tuple[int, time, time]]:
        return [
            (d, opens, closes)
            for d in range(7)
            for opens, closes in parse_day_hours(self[f"day_{d}"].data or "")
        ]

    def fill(self, resource: Any) -> None:
        for d in range(7):
            spans = [(h.opens, h.closes) for h in resource.hours if h.weekday == d]
            self[f"day_{d}"].data = format_day_hours(sorted(spans))


_CATEGORY_CHOICES = [(c.value, label) for c, label in CATEGORY_LABELS.items()]
_MINUTES = _l("Enter a whole number of minutes.")


def _policy_range(name: str) -> NumberRange:
    """The service's range for a rule, checked as the form is read so the message shows next to the field."""
    low, high, message = facilities.POLICY_RANGES[name]
    return NumberRange(min=low, max=high, message=_l(message))


def _minutes_field(label: Any, name: str, default: int, *, required: bool = True) -> IntegerField:
    validators = [InputRequired(_MINUTES)] if required else [Optional()]
    return IntegerField(label, default=default, validators=[*validators, _policy_range(name)])


class PolicyForm(Form):
    allowed_categories = MultiCheckboxField(_l("Who may book"), choices=_CATEGORY_CHOICES)
    approval_categories = MultiCheckboxField(_l("Whose requests need approval"), choices=_CATEGORY_CHOICES)
    min_minutes = _minutes_field(_l("Shortest booking (minutes)"), "min_minutes", 30)
    max_minutes = _minutes_field(_l("Longest booking (minutes)"), "max_minutes", 120, required=False)
    min_notice_minutes = _minutes_field(_l("Minimum notice (minutes)"), "min_notice_minutes", 60)
    max_advance_days = IntegerField(
        _l("Bookable up to (days ahead)"),
        default=14,
        validators=[InputRequired(_l("Enter a number of days.")), _policy_range("max_advance_days")],
    )
    buffer_minutes = _minutes_field(_l("Changeover after each booking (minutes)"), "buffer_minutes", 0)
    max_party_size = IntegerField(
        _l("Largest group"), validators=[Optional(), _policy_range("max_party_size")]
    )
    cancel_deadline_minutes = _minutes_field(
        _l("Cancel at least (minutes before the start)"), "cancel_deadline_minutes", 120
    )
    checkin_required = BooleanField(_l("Check-in required"))
    checkin_opens_minutes = _minutes_field(
        _l("Check-in opens (minutes before the start)"), "checkin_opens_minutes", 15
    )
    checkin_closes_minutes = _minutes_field(
        _l("Check-in closes (minutes after the start)"), "checkin_closes_minutes", 15
    )

    def draft(self) -> facilities.PolicyDraft:
        def number(field: IntegerField, fallback: int) -> int:
            return field.data if field.data is not None else fallback

        return facilities.PolicyDraft(
            allowed_categories=frozenset(Category(c) for c in self.allowed_categories.data or []),
            approval_categories=frozenset(Category(c) for c in self.approval_categories.data or []),
            min_minutes=number(self.min_minutes, 1),
            max_minutes=self.max_minutes.data,
            min_notice_minutes=number(self.min_notice_minutes, 0),
            max_advance_days=number(self.max_advance_days, 1),
            buffer_minutes=number(self.buffer_minutes, 0),
            max_party_size=self.max_party_size.data,
            cancel_deadline_minutes=number(self.cancel_deadline_minutes, 0),
            checkin_required=bool(self.checkin_required.data),
            checkin_opens_minutes=number(self.checkin_opens_minutes, 0),
            checkin_closes_minutes=number(self.checkin_closes_minutes, 0),
        )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.allowed_categories.errors or self.approval_categories.errors:
            return False
        return _passes(self, _untouched(self, facilities.policy_problems(self.draft()))) and ok

    def fill(self, policy: Any) -> None:
        for name in (
            "min_minutes",
            "max_minutes",
            "min_notice_minutes",
            "max_advance_days",
            "buffer_minutes",
            "max_party_size",
            "cancel_deadline_minutes",
            "checkin_required",
            "checkin_opens_minutes",
            "checkin_closes_minutes",
        ):
            self[name].data = getattr(policy, name)
        self.allowed_categories.data = list(policy.allowed_categories)
        self.approval_categories.data = list(policy.approval_categories)


# --- quotas ------------------------------------------------------------------------------------------


class PhotoForm(Form):
    photo = FileField(_l("Photo"), validators=[FileRequired(_l("Choose a photo."))])
    alt_zh = StringField(_l("What it shows, in Chinese"), validators=[Optional(), Length(max=300)])
    alt_en = StringField(_l("What it shows, in English"), validators=[Optional(), Length(max=300)])

    def fill(self, resource: Any) -> None:
        self.alt_zh.data, self.alt_en.data = resource.photo_alt_zh, resource.photo_alt_en


class QuotaForm(Form):
    category = SelectField(
        _l("Who"),
        choices=[("", _l("Everyone")), *_CATEGORY_CHOICES],
    )
    # Not checked against the offered choices: a facility of another university must be a 404, which the
    # service decides, not a form error.
    applies_to = SelectField(_l("Where"), validate_choice=False)
    scope = SelectField(
        _l("Counted for"),
        choices=[
            (QuotaScope.USER.value, _l("Each person")),
            (QuotaScope.ORGANIZATION.value, _l("Each organization, members together")),
        ],
    )
    period = SelectField(
        _l("Per"),
        choices=[
            (QuotaPeriod.DAY.value, _l("Day")),
            (QuotaPeriod.WEEK.value, _l("Week (Monday to Sunday)")),
            (QuotaPeriod.MONTH.value, _l("Month")),
            (QuotaPeriod.ACTIVE.value, _l("At once (bookings to come)")),
        ],
        default=QuotaPeriod.WEEK.value,
    )
    max_bookings = IntegerField(
        _l("At most this many bookings"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=facilities.MAX_QUOTA_BOOKINGS,
                message=_l("Enter a number from 1 to 10000 bookings."),
            ),
        ],
    )
    max_hours = FloatField(
        _l("At most this many hours"),
        validators=[
            Optional(),
            NumberRange(
                min=facilities.MIN_QUOTA_HOURS,
                max=facilities.MAX_QUOTA_HOURS,
                message=_l("Enter a number from 0.5 to 10000 hours."),
            ),
        ],
    )

    def target(self) -> tuple[ResourceKind | None, int | None]:
        """(resource kind, facility id) from `applies_to`: '', 'kind:lab' or 'resource:12'."""
        value = self.applies_to.data or ""
        if not value:
            return None, None
        prefix, _sep, rest = value.partition(":")
        if prefix == "kind" and rest in ResourceKind.__members__.values():
            return ResourceKind(rest), None
        if prefix == "resource":
            return None, parse_id(rest)
        raise ValueError(value)

    def validate_applies_to(self, field: SelectField) -> None:
        try:
            self.target()
        except ValueError as exc:
            raise ValidationError(_l("Choose where the quota applies.")) from exc

    def draft(self, university_id: int) -> facilities.QuotaDraft:
        kind, resource_id = self.target()
        return facilities.QuotaDraft(
            university_id=university_id,
            scope=QuotaScope(self.scope.data),
            period=QuotaPeriod(self.period.data),
            category=Category(self.category.data) if self.category.data else None,
            resource_kind=kind,
            resource_id=resource_id,
            max_bookings=self.max_bookings.data,
            max_hours=self.max_hours.data,
        )

    def fill(self, quota: Quota) -> None:
        """Show a stored quota for editing."""
        self.category.data = quota.category.value if quota.category else ""
        if quota.resource_id is not None:
            self.applies_to.data = f"resource:{quota.resource_id}"
        elif quota.resource_kind is not None:
            self.applies_to.data = f"kind:{quota.resource_kind.value}"
        else:
            self.applies_to.data = ""
        self.scope.data = quota.scope.value
        self.period.data = quota.period.value
        self.max_bookings.data = quota.max_bookings
        self.max_hours.data = quota.max_hours

    def check(self, university_id: int) -> bool:
        """validate() plus the quota rules, which need the university."""
        ok = self.validate()
        if self.applies_to.errors or self.category.errors or self.scope.errors or self.period.errors:
            return False
        return _passes(self, _untouched(self, facilities.quota_problems(self.draft(university_id)))) and ok


# --- closures ----------------------------------------------------------------------------------------


class ClosureForm(Form):
    target = SelectField(_l("What closes"), validate_choice=False)
    start_day = DateField(_l("From (date)"), validators=[InputRequired(_l("Choose the first day."))])
    start_time = TimeField(
        _l("From (time)"), default=time(0, 0), validators=[InputRequired(_l("Choose a time."))]
    )
    end_day = DateField(_l("Until (date)"), validators=[InputRequired(_l("Choose the last day."))])
    end_time = TimeField(
        _l("Until (time)"), default=time(0, 0), validators=[InputRequired(_l("Choose a time."))]
    )
    reason_zh = StringField(_l("Reason in Chinese"), validators=[Optional(), Length(max=200)])
    reason_en = StringField(_l("Reason in English"), validators=[Optional(), Length(max=200)])
    cancel_ids = MultiCheckboxField(_l("Cancel these bookings"), coerce=parse_id, validate_choice=False)
    cancel_reason = TextAreaField(
        _l("Message to the people whose bookings are cancelled"),
        validators=[Optional(), Length(max=REASON_LENGTH, message=_l("Write at most 500 characters."))],
    )
    reviewed = HiddenField(default="")

    def resource_id(self) -> int | None:
        value = (self.target.data or "").strip()
        if not value:
            return None
        return parse_id(value)

    def validate_target(self, field: SelectField) -> None:
        try:
            self.resource_id()
        except ValueError as exc:
            raise ValidationError(_l("Choose the whole university or one facility.")) from exc

    def local_start(self) -> datetime:
        return datetime.combine(self.start_day.data, self.start_time.data)

    def local_end(self) -> datetime:
        # 00:00 on the last day means the end of that day, as people say "closed until the 7th".
        day = self.end_day.data + timedelta(days=1) if self.end_time.data == time(0, 0) else self.end_day.data
        return datetime.combine(day, self.end_time.data)

    def draft(self, university_id: int) -> facilities.ClosureDraft:
        return facilities.ClosureDraft(
            university_id=university_id,
            resource_id=self.resource_id(),
            local_start=self.local_start(),
            local_end=self.local_end(),
            reason_zh=(self.reason_zh.data or "").strip(),
            reason_en=(self.reason_en.data or "").strip(),
        )

    def check(self, university_id: int) -> bool:
        ok = self.validate()
        dates: list[Field] = [self.target, self.start_day, self.start_time, self.end_day, self.end_time]
        if any(f.errors for f in dates):
            return False
        return _passes(self, _untouched(self, facilities.closure_problems(self.draft(university_id)))) and ok


# --- booking on someone's behalf ---------------------------------------------------------------------


class OnBehalfForm(VisitForm):
    """A booking a manager makes for someone: the visit (VisitForm), where, for whom, and why."""

    user_id = HiddenField(validators=[InputRequired(_l("Find and choose the person first."))])
    resource_id = SelectField(_l("Facility"), coerce=optional_id, validate_choice=False)
    reason = TextAreaField(
        _l("Reason for booking on their behalf"),
        validators=[
            InputRequired(_l("Give the reason; it is kept in the audit log.")),
            Length(max=REASON_LENGTH, message=_l("Write at most 500 characters.")),
        ],
    )

    def validate_resource_id(self, field: SelectField) -> None:
        if field.data is None:
            raise ValidationError(_l("Choose a facility."))

    def validate_reason(self, field: TextAreaField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Give the reason; it is kept in the audit log."))

    def person_id(self) -> int | None:
        try:
            return parse_id(self.user_id.data or "")
        except ValueError:
            return None
