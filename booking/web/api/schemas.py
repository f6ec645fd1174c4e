"""The API's request and response shapes (marshmallow): every input field typed and bounded, unknown fields
refused, text free of control characters; times RFC 3339 with their offset."""

from datetime import date, time
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from booking.engine import CellState
from booking.engine.violations import N_
from booking.services.api_tokens import KEY_MAX
from booking.web.input import INT_MAX
from models import BookingStatus, Category, Frequency, Mode, ResourceKind

ID = validate.Range(min=1, max=INT_MAX)


def _no_control(value: str) -> None:
    if any((ord(c) < 32 and c not in "\n\r\t") or ord(c) == 127 for c in value):
        raise ValidationError(N_("Remove the control characters (such as NUL) from this text."))


def Text(max_length: int, min_length: int = 0, **kw: Any) -> fields.String:
    return fields.String(validate=[validate.Length(min=min_length, max=max_length), _no_control], **kw)


def Id(*, strict: bool = True, **kw: Any) -> fields.Integer:
    """An id: in a JSON body a JSON integer (strict), in a query string its digits."""
    return fields.Integer(strict=strict, validate=ID, **kw)


# Days the platform can reason about: weeks, periods and windows around them stay inside the calendar.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def Date(**kw: Any) -> fields.Date:
    return fields.Date(validate=validate.Range(min=FIRST_DAY, max=LAST_DAY), **kw)


def When(**kw: Any) -> fields.AwareDateTime:
    return fields.AwareDateTime(format="iso", **kw)


class Strict(Schema):
    class Meta:
        unknown = RAISE


# --- shared -----------------------------------------------------------------------------------------


class Names(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class Violation(Schema):
    code = fields.String(required=True, metadata={"description": "the rule's stable code"})
    message = fields.String(required=True, metadata={"description": "the rule in the requested language"})
    values = fields.Dict(keys=fields.String(), required=True)


class FieldError(Schema):
    field = fields.String(allow_none=True)
    message = fields.String(required=True)


class Problem(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    violations = fields.List(fields.Nested(Violation), metadata={"description": "every rule a refusal broke"})
    errors = fields.List(fields.Nested(FieldError), metadata={"description": "the fields that are not valid"})


class Page(Schema):
    next_cursor = fields.String(
        allow_none=True, required=True, metadata={"description": "pass as `cursor` for the next page"}
    )


class PageQuery(Strict):
    cursor = Text(100, metadata={"description": "the `next_cursor` of the previous page"})
    limit = fields.Integer(validate=validate.Range(min=1, max=50), load_default=20)


# --- catalog ----------------------------------------------------------------------------------------


class University(Schema):
    id = fields.Integer(required=True)
    name = fields.Nested(Names, required=True)


class Slot(Schema):
    start = When(required=True)
    end = When(required=True)


class Facility(Schema):
    id = fields.Integer(required=True)
    name = fields.Nested(Names, required=True)
    description = fields.Nested(Names, required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ResourceKind]))
    mode = fields.String(required=True, validate=validate.OneOf([m.value for m in Mode]))
    university = fields.Nested(University, required=True)
    campus = fields.Nested(Names, required=True)
    address = fields.Nested(Names, required=True)
    capacity = fields.Integer(required=True)
    slot_minutes = fields.Integer(required=True)
    timezone = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    latitude = fields.Float(allow_none=True, required=True)
    longitude = fields.Float(allow_none=True, required=True)


class CatalogEntry(Facility):
    next_free = fields.Nested(Slot, allow_none=True, metadata={"description": "the next bookable slot"})
    bookable = fields.Boolean(
        allow_none=True, metadata={"description": "free-between search: whether you may book that span"}
    )
    violations = fields.List(fields.Nested(Violation))


class CatalogPage(Page):
    items = fields.List(fields.Nested(CatalogEntry), required=True)
    total = fields.Integer(required=True)


class CatalogQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf([k.value for k in ResourceKind]))
    university = Id(strict=False)
    q = Text(100, metadata={"description": "words to search for, in either language"})
    min_capacity = fields.Integer(validate=validate.Range(min=1, max=100000))
    free_on = Date(metadata={"description": "free-between search: the local day"})
    free_from = fields.Time(metadata={"description": "free-between search: local start, e.g. 14:00"})
    free_to = fields.Time(metadata={"description": "free-between search: local end (00:00: midnight)"})

    @validates_schema
    def _whole_window(self, data: dict[str, Any], **_: Any) -> None:
        given = [name for name in ("free_on", "free_from", "free_to") if name in data]
        if given and len(given) != 3:
            raise ValidationError(N_("Give free_on, free_from and free_to together, or none."), "free_on")
        if given and data["free_to"] != time(0) and data["free_to"] <= data["free_from"]:
            raise ValidationError(N_("free_to must be after free_from."), "free_to")


class Cell(Schema):
    start = When(required=True)
    end = When(required=True)
    state = fields.String(required=True, validate=validate.OneOf([s.value for s in CellState]))
    reason = fields.String(allow_none=True, required=True)
    places_left = fields.Integer(allow_none=True, required=True)
    violations = fields.List(fields.Nested(Violation), required=True)


class Day(Schema):
    date = fields.Date(required=True)
    cells = fields.List(fields.Nested(Cell), required=True)


class Availability(Schema):
    facility = fields.Integer(required=True)
    week_start = fields.Date(required=True)
    previous_week = Date(required=True)
    next_week = Date(required=True)
    days = fields.List(fields.Nested(Day), required=True)


class WeekQuery(Strict):
    week = Date(metadata={"description": "any day of the week to show (default: this week)"})


# --- bookings ---------------------------------------------------------------------------------------


class Booking(Schema):
    id = fields.Integer(required=True)
    facility = fields.Nested(University, required=True, metadata={"description": "id and name"})
    start = When(required=True)
    end = When(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in BookingStatus]))
    party_size = fields.Integer(required=True)
    purpose = fields.String(required=True)
    series = fields.Integer(allow_none=True, required=True)
    checked_in_at = When(allow_none=True, required=True)
    created_at = When(required=True)


class BookingPage(Page):
    items = fields.List(fields.Nested(Booking), required=True)


class MyBookingsQuery(PageQuery):
    show = fields.String(validate=validate.OneOf(["upcoming", "past", "cancelled"]), load_default="upcoming")


class NewBooking(Strict):
    facility = Id(required=True)
    start = When(required=True)
    end = When(required=True)
    party_size = fields.Integer(strict=True, validate=validate.Range(min=1, max=10000), load_default=1)
    purpose = Text(500, load_default="")


class Repeat(Strict):
    frequency = fields.String(required=True, validate=validate.OneOf([f.value for f in Frequency]))
    interval = fields.Integer(strict=True, validate=validate.Range(min=1, max=52), load_default=1)
    weekdays = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=0, max=6)),
        validate=validate.Length(max=7),
        load_default=list,
        metadata={"description": "weekly: 0 = Monday"},
    )
    count = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    until = Date()

    @validates_schema
    def _count_or_until(self, data: dict[str, Any], **_: Any) -> None:
        if ("count" in data) == ("until" in data):
            raise ValidationError(N_("Give exactly one of count and until."), "count")


class NewSeries(NewBooking):
    repeat = fields.Nested(Repeat, required=True)


class Occurrence(Schema):
    start = When(required=True)
    end = When(required=True)
    bookable = fields.Boolean(required=True)
    violations = fields.List(fields.Nested(Violation), required=True)


class SeriesPreview(Schema):
    occurrences = fields.List(fields.Nested(Occurrence), required=True)
    bookable = fields.Integer(required=True)


class SeriesResult(Schema):
    series = fields.Integer(allow_none=True, required=True)
    booked = fields.List(fields.Nested(Booking), required=True)
    skipped = fields.List(fields.Nested(Occurrence), required=True)


class Move(Strict):
    start = When(required=True)
    end = When(required=True)


class Cancel(Strict):
    following = fields.Boolean(
        load_default=False, metadata={"description": "also cancel the later dates of its series"}
    )


class Cancelled(Schema):
    cancelled = fields.List(fields.Nested(Booking), required=True)


class CheckIn(Strict):
    code = Text(12, required=True, metadata={"description": "the code shown at the facility"})


class NewWaitlistEntry(Strict):
    facility = Id(required=True)
    start = When(required=True)
    end = When(required=True)
    party_size = fields.Integer(strict=True, validate=validate.Range(min=1, max=10000), load_default=1)


class WaitlistEntry(Schema):
    id = fields.Integer(required=True)
    facility = fields.Integer(required=True)
    start = When(required=True)
    end = When(required=True)
    status = fields.String(required=True)


# --- managers and the city office --------------------------------------------------------------------


class Request(Booking):
    requester = fields.String(required=True, metadata={"description": "the requester's name"})
    category = fields.String(required=True, validate=validate.OneOf([c.value for c in Category]))
    problems = fields.List(
        fields.Nested(Violation), required=True, metadata={"description": "what approving now would break"}
    )
    contested = fields.Boolean(required=True)


class Queue(Schema):
    items = fields.List(fields.Nested(Request), required=True)
    total = fields.Integer(required=True)


class Approve(Strict):
    note = Text(500, load_default="")


class Decline(Strict):
    reason = Text(500, min_length=1, required=True)


class Refusal(Schema):
    booking = fields.Integer(required=True)
    violations = fields.List(fields.Nested(Violation), required=True)


class Outcome(Schema):
    decided = fields.List(fields.Nested(Booking), required=True)
    refused = fields.List(fields.Nested(Refusal), required=True, metadata={"description": "and why"})


class WaitlistEntries(Schema):
    items = fields.List(fields.Nested(WaitlistEntry), required=True)


class ReportQuery(Strict):
    period = fields.String(validate=validate.OneOf(["week", "month", "term", "year"]), load_default="month")
    on = Date(metadata={"description": "a day in the period (default: yesterday)"})
    university = Id(strict=False)
    kind = fields.String(validate=validate.OneOf([k.value for k in ResourceKind]))


class Figures(Schema):
    key = fields.String(allow_none=True, required=True)
    unit = fields.String(required=True)
    offered = fields.Float(required=True, metadata={"description": "in `unit`"})
    booked = fields.Float(required=True, metadata={"description": "in `unit`"})
    requests = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)
    no_shows = fields.Integer(required=True)
    refused = fields.Integer(required=True)
    utilisation = fields.Float(allow_none=True, required=True)
    openness = fields.Float(allow_none=True, required=True)
    no_show_rate = fields.Float(allow_none=True, required=True)
    cancellation_rate = fields.Float(allow_none=True, required=True)


class Report(Schema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    totals = fields.List(fields.Nested(Figures), required=True)
    by_university = fields.List(fields.Nested(Figures), required=True)
    by_kind = fields.List(fields.Nested(Figures), required=True)


IDEMPOTENCY_KEY_MAX = KEY_MAX
