"""The shapes of the managers' operations (booking/web/api/manage_routes.py): facilities with their hours
and rules, quotas, closures, bulk decisions, booking on someone's behalf, the desk and suspensions.

Inputs are typed and bounded to what the database holds; the rules themselves (ranges of a facility's rules,
overlapping hours, a quota's limit, a closure's reason) are the services' `*_problems` checks, answered as
422 problem+json with each field's message."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from booking.engine.answers import QUESTION_TYPES
from booking.services import facilities
from booking.services.checkin import CheckinState
from booking.web.api.schemas import (
    FIRST_DAY,
    LAST_DAY,
    Booking,
    Facility,
    Id,
    Names,
    Page,
    PageQuery,
    Strict,
    Text,
    When,
)
from models import Category, Mode, QuotaPeriod, QuotaScope, ResourceKind

CATEGORIES = [c.value for c in Category]
KINDS = [k.value for k in ResourceKind]


def _in_calendar(value: Any) -> None:
    if not FIRST_DAY.year <= value.year <= LAST_DAY.year:
        raise ValidationError("Give a time between the years 2000 and 2099.")


def Instant(**kw: Any) -> fields.AwareDateTime:
    """A time with its offset, inside the calendar the platform reasons about."""
    return When(validate=_in_calendar, **kw)


def Number(**kw: Any) -> fields.Integer:
    """A whole number (a JSON integer); its range is the service's rule."""
    return fields.Integer(strict=True, validate=validate.Range(min=-(2**31), max=2**31 - 1), **kw)


def ForUniversity() -> fields.Integer:
    """The university something new is for."""
    return Id(
        metadata={"description": "which university (default: yours; for the city office, the first by name)"}
    )


class UniversityQuery(PageQuery):
    university = Id(strict=False, metadata={"description": "one university (default: every one you manage)"})


# --- facilities --------------------------------------------------------------------------------------


def _bilingual(name: str, max_length: int) -> type[Strict]:
    """Text in Chinese and English, {"zh": ..., "en": ...}, as the facility's answer shows it."""
    return type(
        name, (Strict,), {"zh": Text(max_length, load_default=""), "en": Text(max_length, load_default="")}
    )


def _empty() -> dict[str, str]:
    return {"zh": "", "en": ""}


class FacilityFields(Strict):
    """A facility as a manager describes it: both languages, kind, mode, size, slot, place, tags."""

    name = fields.Nested(_bilingual("FacilityName", 200), required=True)
    description = fields.Nested(_bilingual("FacilityDescription", 5000), load_default=_empty)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    mode = fields.String(required=True, validate=validate.OneOf([m.value for m in Mode]))
    capacity = Number(load_default=1)
    slot_minutes = Number(load_default=30)
    timezone = Text(64, load_default="Asia/Shanghai")
    campus = fields.Nested(_bilingual("Campus", 100), load_default=_empty)
    address = fields.Nested(_bilingual("Address", 300), load_default=_empty)
    latitude = fields.Float(allow_none=True, load_default=None)
    longitude = fields.Float(allow_none=True, load_default=None)
    tags = fields.List(Text(facilities.MAX_TAG_LENGTH), validate=validate.Length(max=100), load_default=list)


class NewFacility(FacilityFields):
    university = ForUniversity()


class OpeningSpan(Strict):
    weekday = fields.Integer(strict=True, required=True, metadata={"description": "0 = Monday … 6 = Sunday"})
    opens = fields.Time(required=True, metadata={"description": "local time, e.g. 08:00"})
    closes = fields.Time(required=True, metadata={"description": "local time; 00:00 closes at midnight"})


class Hours(Strict):
    hours = fields.List(
        fields.Nested(OpeningSpan),
        required=True,
        validate=validate.Length(max=7 * 48),
        metadata={"description": "every opening of the week; a weekday without one is closed"},
    )


class Rules(Strict):
    """A facility's booking rules, as on its rules page (empty max_minutes/max_party_size: no limit)."""

    allowed_categories = fields.List(
        fields.String(validate=validate.OneOf(CATEGORIES)), required=True, validate=validate.Length(max=10)
    )
    approval_categories = fields.List(
        fields.String(validate=validate.OneOf(CATEGORIES)),
        load_default=list,
        validate=validate.Length(max=10),
    )
    min_minutes = Number(load_default=30)
    max_minutes = Number(allow_none=True, load_default=120)
    min_notice_minutes = Number(load_default=0)
    max_advance_days = Number(load_default=14)
    buffer_minutes = Number(load_default=0)
    max_party_size = Number(allow_none=True, load_default=None)
    cancel_deadline_minutes = Number(load_default=120)
    checkin_required = fields.Boolean(load_default=False)
    checkin_opens_minutes = Number(load_default=15)
    checkin_closes_minutes = Number(load_default=15)


class ManagedFacility(Facility):
    active = fields.Boolean(required=True, metadata={"description": "open for booking"})
    hours = fields.List(fields.Nested(OpeningSpan), required=True)
    rules = fields.Nested(Rules, allow_none=True, required=True)


class ManagedFacilityPage(Page):
    items = fields.List(fields.Nested(ManagedFacility), required=True)


# --- quotas ------------------------------------------------------------------------------------------


class QuotaFields(Strict):
    """A quota: at most so many bookings or hours per period, for everyone or one group, on every facility,
    one kind of facility or one facility."""

    category = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(CATEGORIES))
    facility_kind = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(KINDS))
    facility = Id(allow_none=True, load_default=None)
    scope = fields.String(
        load_default=QuotaScope.USER.value, validate=validate.OneOf([s.value for s in QuotaScope])
    )
    period = fields.String(
        load_default=QuotaPeriod.WEEK.value, validate=validate.OneOf([p.value for p in QuotaPeriod])
    )
    max_bookings = Number(allow_none=True, load_default=None)
    max_hours = fields.Float(allow_none=True, load_default=None)


class NewQuota(QuotaFields):
    university = ForUniversity()


class Quota(Schema):
    id = fields.Integer(required=True)
    university = fields.Integer(required=True)
    category = fields.String(allow_none=True, required=True)
    facility_kind = fields.String(allow_none=True, required=True)
    facility = fields.Integer(allow_none=True, required=True)
    scope = fields.String(required=True)
    period = fields.String(required=True)
    max_bookings = fields.Integer(allow_none=True, required=True)
    max_hours = fields.Float(allow_none=True, required=True)


class QuotaPage(Page):
    items = fields.List(fields.Nested(Quota), required=True)


# --- closures ----------------------------------------------------------------------------------------


class ClosureFields(Strict):
    facility = Id(allow_none=True, load_default=None, metadata={"description": "none: the whole university"})
    university = Id(metadata={"description": "the city office: which university (default: the facility's)"})
    start = Instant(required=True)
    end = Instant(required=True)
    reason = fields.Nested(_bilingual("ClosureReason", 200), required=True)


class NewClosure(ClosureFields):
    cancel_booking_ids = fields.List(
        Id(),
        validate=validate.Length(max=5000),
        metadata={
            "description": "which of the bookings the closure covers to cancel (see "
            "/manage/closures/preview); [] keeps them all. Required when the closure covers bookings."
        },
    )
    cancel_reason = Text(500, load_default="", metadata={"description": "what their owners read"})


class Closure(Schema):
    id = fields.Integer(required=True)
    university = fields.Integer(required=True)
    facility = fields.Integer(allow_none=True, required=True)
    start = When(required=True)
    end = When(required=True)
    reason = fields.Nested(Names, required=True)
    created_at = When(allow_none=True, required=True)


class ClosurePage(Page):
    items = fields.List(fields.Nested(Closure), required=True)


class Covered(Booking):
    requester = fields.String(required=True)
    cancellable = fields.Boolean(required=True, metadata={"description": "whether the closure may cancel it"})


class ClosurePreview(Schema):
    covered = fields.List(fields.Nested(Covered), required=True)


class ClosureResult(Schema):
    closure = fields.Nested(Closure, required=True)
    cancelled = fields.List(fields.Nested(Booking), required=True)
    kept = fields.List(fields.Nested(Booking), required=True, metadata={"description": "still inside it"})


# --- decisions and bookings --------------------------------------------------------------------------


class BulkDecision(Strict):
    booking_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=200))
    action = fields.String(required=True, validate=validate.OneOf(["approve", "decline"]))
    reason = Text(
        500, load_default="", metadata={"description": "required to decline; the requesters read it"}
    )
    note = Text(500, load_default="", metadata={"description": "to approve: a note to the requesters"})

    @validates_schema
    def _reason_to_decline(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("action") == "decline" and not data.get("reason", "").strip():
            raise ValidationError("Give the reason for declining; the requesters read it.", "reason")


class OnBehalf(Strict):
    person = Id(metadata={"description": "a person you may act for (in your university's scope)"})
    contact = Text(
        200, metadata={"description": "or the exact email address or phone number the person gave you"}
    )
    facility = Id(required=True)
    start = Instant(required=True)
    end = Instant(required=True)
    party_size = fields.Integer(strict=True, validate=validate.Range(min=1, max=10000), load_default=1)
    purpose = Text(500, load_default="")
    reason = Text(500, min_length=1, required=True, metadata={"description": "kept in the audit log"})

    @validates_schema
    def _one_person(self, data: dict[str, Any], **_: Any) -> None:
        if ("person" in data) == ("contact" in data):
            raise ValidationError("Give exactly one of person and contact.", "person")


# --- the desk and suspensions ------------------------------------------------------------------------


class OneUniversity(Strict):
    university = Id(strict=False, metadata={"description": "the city office: one university"})


class Checkin(Schema):
    state = fields.String(required=True, validate=validate.OneOf([s.value for s in CheckinState]))
    opens = When(allow_none=True, required=True)
    closes = When(allow_none=True, required=True)


class DeskRow(Booking):
    person = fields.String(required=True, metadata={"description": "who booked"})
    checkin = fields.Nested(Checkin, required=True)


class DeskDay(Schema):
    day = fields.Date(required=True, metadata={"description": "the local day"})
    items = fields.List(fields.Nested(DeskRow), required=True)


class Empty(Strict):
    pass


class Suspended(Schema):
    person = fields.Integer(required=True)
    name = fields.String(required=True)
    suspended_until = When(allow_none=True, required=True)


class Suspensions(Schema):
    items = fields.List(fields.Nested(Suspended), required=True)


class Lift(Strict):
    note = Text(500, load_default="")


# --- application forms: what a facility asks -----------------------------------------------------------


class Question(Strict):
    key = Text(
        20,
        load_default="",
        metadata={"description": "an existing question's key keeps its answers together; new ones get one"},
    )
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    label = fields.Nested(_bilingual("QuestionLabel", 1000), required=True)
    required = fields.Boolean(load_default=False)
    choices = fields.List(
        fields.Nested(_bilingual("Choice", 1000)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "for a choice: the answers offered; an answer is a choice's index"},
    )


class ApplicationFormFields(Strict):
    questions = fields.List(fields.Nested(Question), load_default=list, validate=validate.Length(max=100))
    terms = fields.Nested(_bilingual("Terms", 20000), load_default=_empty)
    attachment = fields.String(
        load_default="none", metadata={"description": "whether a file is asked for: none, optional, required"}
    )
    attachment_hint = fields.Nested(_bilingual("AttachmentHint", 1000), load_default=_empty)


class ApplicationForm(ApplicationFormFields):
    """What requests for a kind of facility or one facility must answer (version None: nothing asked yet).
    Every save is a new version; requests already made keep the version they answered."""

    scope = fields.String(required=True, metadata={"description": "kind:<kind> or resource:<facility id>"})
    version = fields.Integer(allow_none=True, required=True)
    created_at = When(allow_none=True, required=True)
