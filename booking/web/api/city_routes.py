"""The city office's operations (universities, managers, enterprises, openness targets), the public
transparency summary, the reports' files, the audit log, webhook endpoints and the booking-window reminder:
each the same service as its page (booking/web/admin, reports, audit, webhooks, bookings)."""

from typing import Any

from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from werkzeug.wrappers import Response

from booking import clock
from booking.services import (
    bookings,
    facilities,
    organizations,
    reminders,
    reports,
    verification,
    webhooks,
)
from booking.services.api_tokens import Scope
from booking.services.permissions import Role
from booking.web.api import city_schemas as schemas
from booking.web.api.auth import idempotent, need
from booking.web.api.render import names, university
from booking.web.api.routes import bookings_bp, cursor_for, manage_bp, page_of, protect, utc
from booking.web.applications.exports import requests_file
from booking.web.audit import events
from booking.web.reports import exports
from models import Category, Organization, ResourceKind, User, WebhookDelivery, WebhookEndpoint

city_bp = Blueprint(
    "api_city",
    __name__,
    url_prefix="/api/v1",
    description="The city office: universities, their managers, enterprises and openness targets.",
)
public_bp = Blueprint(
    "api_public", __name__, url_prefix="/api/v1", description="Public figures: no token needed."
)
BLUEPRINTS = (city_bp, public_bp)
protect(city_bp)
protect(public_bp, public=True)


@city_bp.before_request
def _city_office_only() -> None:
    """Before any input is read: the city office's administration is for the city office."""
    need(Scope.MANAGE, Role.ADMIN)


FILE_TYPES = {
    "200": {
        "description": "A table as a file (CSV in UTF-8 with a byte-order mark, or XLSX)",
        "content": {
            exports.CSV_TYPE.split(";")[0]: {"schema": {"type": "string"}},
            exports.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


# --- reports ----------------------------------------------------------------------------------------


@manage_bp.route("/reports/export", methods=["GET"])
@manage_bp.arguments(schemas.ExportQuery, location="query", as_kwargs=True)
@manage_bp.doc(responses=FILE_TYPES)
def export_report(period: str, table: str, format: str, rank: str, **query: Any) -> Response:
    """One table of the report (universities, kinds, facilities, trend, refusals) as the dashboard's CSV or
    XLSX file: the same figures, every facility."""
    user = need(Scope.MANAGE, Role.STAFF)
    on = query.get("on") or reports.yesterday(clock.now())
    filters = reports.Filters(
        reports.period_of(reports.PeriodKind(period), on),
        university_id=query.get("university"),
        kind=ResourceKind(query["kind"]) if "kind" in query else None,
        category=Category(query["category"]) if "category" in query else None,
    )
    return exports.download(reports.build(user, filters), table, format, rank)


@public_bp.route("/transparency", methods=["GET"])
@public_bp.response(200, schemas.Transparency)
@public_bp.doc(security=[])
def transparency() -> dict[str, Any]:
    """Public, without a token: per university, the hours offered to the city, the city's share of what was
    booked and its target, over the last twelve months. Sums only: no person, no purpose."""
    summary = reports.public_summary(reports.yesterday(clock.now()))
    return {
        "period_start": summary.period.first,
        "period_end": summary.period.last,
        "universities": [
            {
                "university": university(line.university),
                "offered_to_city": line.offered_to_city,
                "booked": line.hours.booked,
                "openness": line.hours.openness,
                "target": line.target,
                "by_month": [
                    {"month": row.key, "offered": row.figures.offered, "openness": row.figures.openness}
                    for row in line.by_month
                ],
            }
            for line in summary.lines
        ],
    }


@manage_bp.route("/facilities/<int:facility_id>/requests/export", methods=["GET"])
@manage_bp.arguments(schemas.FileQuery, location="query", as_kwargs=True)
@manage_bp.doc(responses=FILE_TYPES)
def export_requests(facility_id: int, format: str) -> Response:
    """A facility's requests with their application answers and files' names, newest first, as its page's
    CSV or XLSX file: personal data, for the managers of the facility's own university only."""
    return requests_file(need(Scope.MANAGE, Role.STAFF), facility_id, format)


# --- the audit log ----------------------------------------------------------------------------------


@manage_bp.route("/audit", methods=["GET"])
@manage_bp.arguments(schemas.AuditQuery, location="query", as_kwargs=True)
@manage_bp.response(200, schemas.AuditPage)
def audit_log(cursor: str | None = None, **query: Any) -> dict[str, Any]:
    """The audit log of your university (every university, for the city office), newest first, 50 a page:
    each action by its stable code and in words, with who did it, as far as you may see them."""
    user = need(Scope.MANAGE, Role.STAFF)
    if "facility" in query:
        facilities.get_facility(user, query["facility"])  # another university's facility is not found
    filters = events.Filters(
        facility_id=query.get("facility"),
        person=query.get("person", ""),
        action=query.get("action", ""),
        date_from=query.get("date_from"),
        date_to=query.get("date_to"),
        timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    page = page_of(cursor)
    found = events.search(user, filters, page)
    return {
        "items": [_event(view) for view in events.describe(user, found.items)],
        "total": found.total,
        "next_cursor": cursor_for(page + 1) if found.has_next else None,
    }


def _event(view: events.EventView) -> dict[str, Any]:
    event = view.event
    return {
        "id": event.id,
        "at": event.at,
        "action": event.action,
        "action_label": view.action,
        "actor": {"name": view.actor, "email": view.actor_detail} if event.actor_id is not None else None,
        "target": None
        if event.target_type is None
        else {"type": event.target_type, "id": event.target_id, "text": view.target},
        "notes": view.notes,
    }


# --- the city office: universities ------------------------------------------------------------------


def _university_line(org: Organization, managers: int, facility_count: int) -> dict[str, Any]:
    return university(org) | {"code": org.code, "managers": managers, "facilities": facility_count}


@city_bp.route("/universities", methods=["GET"])
@city_bp.response(200, schemas.Universities)
def list_universities() -> dict[str, Any]:
    """Every university with its number of managers and facilities."""
    return {"items": [_university_line(*row) for row in organizations.universities()]}


def _one_university(university_id: int) -> dict[str, Any]:
    return next(_university_line(*row) for row in organizations.universities() if row[0].id == university_id)


@city_bp.route("/universities", methods=["POST"])
@idempotent
@city_bp.arguments(schemas.UniversityDraft)
@city_bp.response(201, schemas.UniversityLine)
def create_university(data: dict[str, Any]) -> dict[str, Any]:
    """Add a university."""
    user = need(Scope.MANAGE, Role.ADMIN)
    made = organizations.create_university(user, **data, now=clock.now())
    return _one_university(made.id)


@city_bp.route("/universities/<int:university_id>", methods=["PUT"])
@city_bp.arguments(schemas.UniversityDraft)
@city_bp.response(200, schemas.UniversityLine)
def edit_university(data: dict[str, Any], university_id: int) -> dict[str, Any]:
    """Rename a university or change its short code."""
    user = need(Scope.MANAGE, Role.ADMIN)
    organizations.update_university(user, university_id, **data, now=clock.now())
    return _one_university(university_id)


# --- managers ---------------------------------------------------------------------------------------


def _manager(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.display_name,
        "email": user.email,
        "university": university(user.manages) if user.manages is not None else None,
    }


@city_bp.route("/managers", methods=["GET"])
@city_bp.response(200, schemas.Managers)
def list_managers() -> dict[str, Any]:
    """Everyone with manager rights, by university."""
    return {"items": [_manager(user) for user in organizations.managers()]}


@city_bp.route("/managers", methods=["POST"])
@idempotent
@city_bp.arguments(schemas.Grant)
@city_bp.response(201, schemas.Manager)
def grant_manager(data: dict[str, Any]) -> dict[str, Any]:
    """Make an existing account a manager of one university."""
    user = need(Scope.MANAGE, Role.ADMIN)
    granted = organizations.grant_manager(
        user, email=data["email"], university_id=data["university"], now=clock.now()
    )
    return _manager(granted)


@city_bp.route("/managers/<int:user_id>/revoke", methods=["POST"])
@idempotent
@city_bp.response(200, schemas.Manager)
def revoke_manager(user_id: int) -> dict[str, Any]:
    """Take a manager's rights away; they keep their account and bookings."""
    user = need(Scope.MANAGE, Role.ADMIN)
    return _manager(organizations.revoke_manager(user, user_id, now=clock.now()))


# --- enterprises ------------------------------------------------------------------------------------


@city_bp.route("/enterprises", methods=["GET"])
@city_bp.arguments(schemas.EnterpriseQuery, location="query", as_kwargs=True)
@city_bp.response(200, schemas.EnterprisePage)
def list_enterprises(status: str, cursor: str | None = None, q: str = "") -> dict[str, Any]:
    """Enterprises with their members: pending (someone waits for the decision), verified, rejected or all;
    30 a page."""
    user = need(Scope.MANAGE, Role.ADMIN)
    page = page_of(cursor)
    found, rows = verification.enterprises(user, status=status, query=q, page=page)
    return {
        "items": [
            {
                "id": row.organization.id,
                "name": names(row.organization.name_zh, row.organization.name_en),
                "code": row.organization.code,
                "verified_at": row.organization.verified_at,
                "members": row.members,
                "pending": row.pending,
            }
            for row in rows
        ],
        "total": found.total,
        "next_cursor": cursor_for(page + 1) if found.has_next else None,
    }


def _enterprise(user: User, organization_id: int) -> dict[str, Any]:
    organization, members = verification.enterprise(user, organization_id)
    return {
        "id": organization.id,
        "name": names(organization.name_zh, organization.name_en),
        "code": organization.code,
        "verified_at": organization.verified_at,
        "members": [
            {"id": m.id, "name": m.display_name, "email": m.email, "verification": m.verification.value}
            for m in members
        ],
    }


@city_bp.route("/enterprises/<int:organization_id>", methods=["GET"])
@city_bp.response(200, schemas.Enterprise)
def get_enterprise(organization_id: int) -> dict[str, Any]:
    """One enterprise and its members, for the decision."""
    return _enterprise(need(Scope.MANAGE, Role.ADMIN), organization_id)


@city_bp.route("/enterprises/<int:organization_id>/verify", methods=["POST"])
@idempotent
@city_bp.response(200, schemas.Enterprise)
def verify_enterprise(organization_id: int) -> dict[str, Any]:
    """Verify the company and every member waiting for it."""
    user = need(Scope.MANAGE, Role.ADMIN)
    verification.verify_enterprise(user, organization_id, now=clock.now())
    return _enterprise(user, organization_id)


@city_bp.route("/enterprises/<int:organization_id>/reject", methods=["POST"])
@idempotent
@city_bp.arguments(schemas.Reject)
@city_bp.response(200, schemas.Enterprise)
def reject_enterprise(data: dict[str, Any], organization_id: int) -> dict[str, Any]:
    """Refuse (or withdraw) the company's verification, saying why; its members book as residents."""
    user = need(Scope.MANAGE, Role.ADMIN)
    verification.reject_enterprise(user, organization_id, reason=data["reason"], now=clock.now())
    return _enterprise(user, organization_id)


# --- openness targets -------------------------------------------------------------------------------


@city_bp.route("/targets", methods=["GET"])
@city_bp.response(200, schemas.OpennessTargets)
def list_targets() -> dict[str, Any]:
    """Each university's target share of booked hours used by the city (null: none set)."""
    user = need(Scope.MANAGE, Role.ADMIN)
    current = reports.targets()
    return {
        "items": [
            {"university": university(org), "percent": current.get(org.id)}
            for org in reports.visible_universities(user)
        ]
    }


@city_bp.route("/targets/<int:university_id>", methods=["PUT"])
@city_bp.arguments(schemas.NewTarget)
@city_bp.response(200, schemas.OpennessTarget)
def set_target(data: dict[str, Any], university_id: int) -> dict[str, Any]:
    """Set a university's target (null removes it)."""
    user = need(Scope.MANAGE, Role.ADMIN)
    org = organizations.get_university(university_id)
    reports.set_target(user, university_id, data["percent"], now=clock.now())
    return {"university": university(org), "percent": reports.targets([university_id]).get(university_id)}


# --- webhooks ---------------------------------------------------------------------------------------


def _secret_once() -> None:
    """An answer holding a webhook's secret is not kept for a repeat (the idempotency store would hold the
    secret in clear, which is kept only encrypted): such a POST with an Idempotency-Key is refused."""
    if request.headers.get("Idempotency-Key") is not None:
        abort(
            422,
            _(
                "This answer holds a secret shown only once, so it is not kept for a repeat: "
                "send it without an Idempotency-Key."
            ),
        )


def _webhook(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "university": endpoint.university_id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events or []),
        "enabled": endpoint.enabled,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def _delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event": delivery.event,
        "booking": delivery.booking_id,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at,
    }


def _draft(data: dict[str, Any]) -> webhooks.Draft:
    return webhooks.Draft(
        url=data["url"].strip(),
        events=tuple(data["events"]),
        description=data["description"].strip(),
        enabled=data["enabled"],
    )


@manage_bp.route("/webhooks", methods=["GET"])
@manage_bp.arguments(schemas.WebhookQuery, location="query", as_kwargs=True)
@manage_bp.response(200, schemas.Webhooks)
def list_webhooks(university: int | None = None) -> dict[str, Any]:
    """Your university's webhook endpoints (the city office names the university)."""
    user = need(Scope.MANAGE, Role.STAFF)
    chosen = facilities.university_for(user, university)
    return {"items": [_webhook(e) for e in webhooks.endpoints_of(user, chosen.id)]}


@manage_bp.route("/webhooks", methods=["POST"])
@manage_bp.arguments(schemas.NewWebhook)
@manage_bp.response(201, schemas.WebhookWithSecret)
def create_webhook(data: dict[str, Any]) -> dict[str, Any]:
    """Register an endpoint of your university's systems; its signing secret is in this answer only, so this
    POST takes no Idempotency-Key (422)."""
    user = need(Scope.MANAGE, Role.STAFF)
    _secret_once()
    chosen = facilities.university_for(user, data.get("university"))
    endpoint, secret = webhooks.create(user, chosen.id, _draft(data), now=clock.now())
    return _webhook(endpoint) | {"secret": secret}


@manage_bp.route("/webhooks/<int:endpoint_id>", methods=["GET"])
@manage_bp.response(200, schemas.WebhookDetail)
def get_webhook(endpoint_id: int) -> dict[str, Any]:
    """One endpoint and its latest deliveries."""
    user = need(Scope.MANAGE, Role.STAFF)
    endpoint = webhooks.get_endpoint(user, endpoint_id)
    return _webhook(endpoint) | {
        "deliveries": [_delivery(d) for d in webhooks.deliveries_of(user, endpoint.id)]
    }


@manage_bp.route("/webhooks/<int:endpoint_id>", methods=["PUT"])
@manage_bp.arguments(schemas.WebhookDraft)
@manage_bp.response(200, schemas.Webhook)
def edit_webhook(data: dict[str, Any], endpoint_id: int) -> dict[str, Any]:
    """Change where an endpoint is, what it wants, or switch it off."""
    user = need(Scope.MANAGE, Role.STAFF)
    return _webhook(webhooks.update(user, endpoint_id, _draft(data), now=clock.now()))


@manage_bp.route("/webhooks/<int:endpoint_id>/test", methods=["POST"])
@idempotent
@manage_bp.response(200, schemas.Delivery)
def test_webhook(endpoint_id: int) -> dict[str, Any]:
    """Send a test event now and answer how it went (it is retried later if it failed)."""
    user = need(Scope.MANAGE, Role.STAFF)
    return _delivery(webhooks.send_test(user, endpoint_id, now=clock.now()))


@manage_bp.route("/webhooks/<int:endpoint_id>/secret", methods=["POST"])
@manage_bp.response(200, schemas.Secret)
def rotate_webhook_secret(endpoint_id: int) -> dict[str, Any]:
    """A new signing secret, in this answer only (so this POST takes no Idempotency-Key: 422); events not
    yet sent are signed with it."""
    user = need(Scope.MANAGE, Role.STAFF)
    _secret_once()
    return {"secret": webhooks.rotate_secret(user, endpoint_id, now=clock.now())}


@manage_bp.route("/webhooks/<int:endpoint_id>", methods=["DELETE"])
@manage_bp.response(204)
def delete_webhook(endpoint_id: int) -> None:
    """Remove an endpoint and its delivery log."""
    user = need(Scope.MANAGE, Role.STAFF)
    webhooks.delete(user, endpoint_id, now=clock.now())


# --- the booking window -----------------------------------------------------------------------------


@bookings_bp.route("/facilities/<int:facility_id>/window-reminder", methods=["POST"])
@idempotent
@bookings_bp.arguments(schemas.NewWindowReminder)
@bookings_bp.response(201, schemas.WindowReminder)
def window_reminder(data: dict[str, Any], facility_id: int) -> dict[str, Any]:
    """Be told when a date beyond the facility's booking window (such as the next dates of your series)
    opens for booking. A date that can already be booked, or lies too far ahead, is a 422."""
    user = need(Scope.BOOK)
    resource = bookings.get_bookable_resource(facility_id)
    reminder = reminders.remind_when_open(user, resource.id, utc(data["first_start"]), now=clock.now())
    if reminder is None:
        abort(422, _("That date can already be booked, or lies too far ahead for a reminder."))
    return {"facility": resource.id, "first_start": reminder.first_start, "remind_at": reminder.remind_at}
