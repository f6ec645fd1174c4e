"""The shapes of the city office's operations, the reports' files, the public summary, the audit log, webhook
endpoints and the booking-window reminder (marshmallow; the conventions of schemas.py)."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from booking.engine.violations import N_
from booking.services import verification, webhooks
from booking.web.api.schemas import Date, Id, Names, Page, ReportQuery, Strict, Text, University, When
from booking.web.reports.exports import FORMATS
from booking.web.reports.forms import RANK_LABELS
from booking.web.reports.tables import TABLE_NAMES
from models import Category, DeliveryStatus, Verification
from models.webhooks import URL_LENGTH

# --- reports ----------------------------------------------------------------------------------------


class ExportQuery(ReportQuery):
    table = fields.String(validate=validate.OneOf(TABLE_NAMES), load_default="universities")
    format = fields.String(validate=validate.OneOf(FORMATS), load_default="csv")
    category = fields.String(
        validate=validate.OneOf([c.value for c in Category]),
        metadata={"description": "count only what this group booked"},
    )
    rank = fields.String(validate=validate.OneOf(list(RANK_LABELS)), load_default="utilisation")


class FileQuery(Strict):
    format = fields.String(validate=validate.OneOf(FORMATS), load_default="csv")


class MonthShare(Schema):
    month = fields.Date(required=True, metadata={"description": "the month's first day"})
    offered = fields.Float(required=True, metadata={"description": "hours"})
    openness = fields.Float(allow_none=True, required=True, metadata={"description": "the city's share"})


class PublicLine(Schema):
    university = fields.Nested(University, required=True)
    offered_to_city = fields.Float(required=True, metadata={"description": "hours the city may book"})
    booked = fields.Float(required=True, metadata={"description": "hours booked"})
    openness = fields.Float(allow_none=True, required=True, metadata={"description": "the city's share"})
    target = fields.Integer(allow_none=True, required=True, metadata={"description": "percent"})
    by_month = fields.List(fields.Nested(MonthShare), required=True)


class Transparency(Schema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    universities = fields.List(fields.Nested(PublicLine), required=True)


# --- the audit log ----------------------------------------------------------------------------------


class AuditQuery(Strict):
    cursor = Text(100, metadata={"description": "the `next_cursor` of the previous page"})
    facility = Id(strict=False, metadata={"description": "events about this facility and its bookings"})
    person = Text(100, metadata={"description": "part of the acting person's name or email"})
    action = Text(100, metadata={"description": "an action's code, such as booking.cancelled"})
    date_from = Date(metadata={"description": "from this day (the platform's time zone)"})
    date_to = Date(metadata={"description": "until this day, included"})

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_: Any) -> None:
        if "date_from" in data and "date_to" in data and data["date_to"] < data["date_from"]:
            raise ValidationError(N_("The end date is before the start date."), "date_to")


class Person(Schema):
    name = fields.String(required=True, metadata={"description": "or the role, where you may not see who"})
    email = fields.String(required=True, metadata={"description": "masked; empty where not shown"})


class Target(Schema):
    type = fields.String(required=True)
    id = fields.Integer(allow_none=True, required=True)
    text = fields.String(required=True, metadata={"description": "what it is, in the requested language"})


class AuditEvent(Schema):
    id = fields.Integer(required=True)
    at = When(required=True)
    action = fields.String(required=True, metadata={"description": "the action's stable code"})
    action_label = fields.String(required=True, metadata={"description": "in the requested language"})
    actor = fields.Nested(
        Person, allow_none=True, required=True, metadata={"description": "null: the system"}
    )
    target = fields.Nested(Target, allow_none=True, required=True)
    notes = fields.List(fields.String(), required=True)


class AuditPage(Page):
    items = fields.List(fields.Nested(AuditEvent), required=True)
    total = fields.Integer(required=True)


# --- the city office --------------------------------------------------------------------------------


class UniversityLine(Schema):
    id = fields.Integer(required=True)
    name = fields.Nested(Names, required=True)
    code = fields.String(required=True)
    managers = fields.Integer(required=True)
    facilities = fields.Integer(required=True)


class Universities(Schema):
    items = fields.List(fields.Nested(UniversityLine), required=True)


class UniversityDraft(Strict):
    name_zh = Text(200, min_length=1, required=True)
    name_en = Text(200, min_length=1, required=True)
    code = Text(32, min_length=1, required=True)


class Manager(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    university = fields.Nested(University, allow_none=True, required=True)


class Managers(Schema):
    items = fields.List(fields.Nested(Manager), required=True)


class Grant(Strict):
    email = Text(254, min_length=1, required=True, metadata={"description": "of an existing account"})
    university = Id(required=True)


class EnterpriseQuery(Strict):
    cursor = Text(100, metadata={"description": "the `next_cursor` of the previous page"})
    status = fields.String(validate=validate.OneOf(verification.ENTERPRISE_FILTERS), load_default="pending")
    q = Text(100, metadata={"description": "part of the name or code"})


class EnterpriseLine(Schema):
    id = fields.Integer(required=True)
    name = fields.Nested(Names, required=True)
    code = fields.String(required=True)
    verified_at = When(allow_none=True, required=True)
    members = fields.Integer(required=True)
    pending = fields.Integer(required=True, metadata={"description": "members waiting for the decision"})


class EnterprisePage(Page):
    items = fields.List(fields.Nested(EnterpriseLine), required=True)
    total = fields.Integer(required=True)


class Member(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    verification = fields.String(required=True, validate=validate.OneOf([v.value for v in Verification]))


class Enterprise(Schema):
    id = fields.Integer(required=True)
    name = fields.Nested(Names, required=True)
    code = fields.String(required=True)
    verified_at = When(allow_none=True, required=True)
    members = fields.List(fields.Nested(Member), required=True)


class Reject(Strict):
    reason = Text(300, min_length=1, required=True, metadata={"description": "the members read it"})


class OpennessTarget(Schema):
    university = fields.Nested(University, required=True)
    percent = fields.Integer(allow_none=True, required=True)


class OpennessTargets(Schema):
    items = fields.List(fields.Nested(OpennessTarget), required=True)


class NewTarget(Strict):
    percent = fields.Integer(
        strict=True,
        allow_none=True,
        required=True,
        validate=validate.Range(min=0, max=100),
        metadata={"description": "the city's share of booked hours to aim for; null removes it"},
    )


# --- webhooks ---------------------------------------------------------------------------------------


class WebhookQuery(Strict):
    university = Id(strict=False, metadata={"description": "for the city office: which university"})


class WebhookDraft(Strict):
    url = Text(URL_LENGTH, required=True, metadata={"description": "https; where the events are sent"})
    events = fields.List(
        fields.String(validate=validate.OneOf([e.value for e in webhooks.SUBSCRIBABLE])),
        required=True,
        validate=validate.Length(min=1, max=len(webhooks.SUBSCRIBABLE)),
    )
    description = Text(webhooks.DESCRIPTION_LENGTH, load_default="")
    enabled = fields.Boolean(load_default=True)


class NewWebhook(WebhookDraft):
    university = Id(metadata={"description": "for the city office: which university (default: your own)"})


class Delivery(Schema):
    id = fields.Integer(required=True)
    event = fields.String(required=True)
    booking = fields.Integer(allow_none=True, required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in DeliveryStatus]))
    attempts = fields.Integer(required=True)
    last_status_code = fields.Integer(allow_none=True, required=True)
    last_error = fields.String(allow_none=True, required=True)
    created_at = When(required=True)
    next_attempt_at = When(required=True)
    delivered_at = When(allow_none=True, required=True)


class Webhook(Schema):
    id = fields.Integer(required=True)
    university = fields.Integer(required=True)
    url = fields.String(required=True)
    description = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    enabled = fields.Boolean(required=True)
    created_at = When(required=True)
    updated_at = When(required=True)


class WebhookWithSecret(Webhook):
    secret = fields.String(required=True, metadata={"description": "shown this once: keep it"})


class WebhookDetail(Webhook):
    deliveries = fields.List(fields.Nested(Delivery), required=True, metadata={"description": "latest 100"})


class Webhooks(Schema):
    items = fields.List(fields.Nested(Webhook), required=True)


class Secret(Schema):
    secret = fields.String(required=True, metadata={"description": "shown this once: keep it"})


# --- the booking window -----------------------------------------------------------------------------


class NewWindowReminder(Strict):
    first_start = When(required=True, metadata={"description": "the date beyond the booking window"})


class WindowReminder(Schema):
    facility = fields.Integer(required=True)
    first_start = When(required=True)
    remind_at = When(required=True, metadata={"description": "when the date opens for booking"})
