"""The /api/v1 operations: each parses its input (schemas), asks for a scope, calls the same service as the
page does, and answers JSON. Errors are problem+json (booking/web/api/problems.py)."""

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import abort, current_app
from flask_babel import gettext as _
from flask_smorest import Blueprint

from booking import clock, engine
from booking.engine.localtime import to_local, zone
from booking.extensions import csrf, limiter
from booking.services import approvals, bookings, catalog, checkin, reports, waitlist
from booking.services.api_tokens import Scope
from booking.services.errors import NotFound
from booking.services.permissions import Role
from booking.web.api import render, schemas
from booking.web.api.auth import authenticate, idempotent, need, rate_key, submission_key
from booking.web.labels import locale_code
from models import Frequency, ResourceKind

facilities_bp = Blueprint(
    "api_facilities", __name__, url_prefix="/api/v1", description="The catalog and availability."
)
bookings_bp = Blueprint(
    "api_bookings", __name__, url_prefix="/api/v1", description="Your bookings, series and waitlist places."
)
manage_bp = Blueprint(
    "api_manage", __name__, url_prefix="/api/v1", description="For managers and the city office."
)
BLUEPRINTS = (facilities_bp, bookings_bp, manage_bp)
_limit = limiter.limit(lambda: current_app.config["API_LIMIT"], key_func=rate_key)


def protect(blueprint: Blueprint, *, public: bool = False) -> None:
    """The token (unless `public`: no token, no personal data) and the rate limit, before every operation."""
    if not public:
        blueprint.before_request(authenticate)
    _limit(blueprint)
    # No cookie authenticates the API (`authenticate` reads only the bearer token): no CSRF surface.
    csrf.exempt(blueprint)


for _blueprint in BLUEPRINTS:
    protect(_blueprint)


@manage_bp.before_request
def _staff_only() -> None:
    """Before any input is read: the management operations are for managers and the city office."""
    need(Scope.MANAGE, Role.STAFF)


# --- cursors, times ---------------------------------------------------------------------------------


def cursor_for(page: int) -> str:
    return base64.urlsafe_b64encode(f"p{page}".encode()).decode().rstrip("=")


def page_of(cursor: str | None) -> int:
    """The page an opaque cursor names; a cursor that names none is a 400."""
    if not cursor:
        return 1
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        page = int(text[1:]) if text.startswith("p") and text[1:].isdigit() else 0
    except (ValueError, UnicodeDecodeError):
        page = 0
    if not 1 <= page <= 100_000:
        abort(400, _("This cursor is not valid: pass the next_cursor of the previous page."))
    return page


def utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        abort(422, _("This time is out of range."))


# --- the catalog --------------------------------------------------------------------------------------


@facilities_bp.route("/facilities", methods=["GET"])
@facilities_bp.arguments(schemas.CatalogQuery, location="query", as_kwargs=True)
@facilities_bp.response(200, schemas.CatalogPage)
def list_facilities(limit: int, cursor: str | None = None, **query: Any) -> dict[str, Any]:
    """The catalog: active facilities matching every filter, each with its next free slot; with free_on,
    free_from and free_to, only those free then, each with whether you may book it."""
    user = need(Scope.READ)
    free = None
    if "free_on" in query:
        free = catalog.FreeWindow(query["free_on"], query["free_from"], query["free_to"])
    filters = catalog.Filters(
        kind=ResourceKind(query["kind"]) if "kind" in query else None,
        university_id=query.get("university"),
        min_capacity=query.get("min_capacity"),
        text=query.get("q", ""),
        free=free,
    )
    page = page_of(cursor)
    found = catalog.search(
        filters, page=page, per_page=limit, now=clock.now(), locale=locale_code(), user=user
    )
    return {
        "items": [render.catalog_entry(entry) for entry in found.entries],
        "total": found.total,
        "next_cursor": cursor_for(page + 1) if found.has_next else None,
    }


@facilities_bp.route("/facilities/<int:facility_id>", methods=["GET"])
@facilities_bp.response(200, schemas.Facility)
def get_facility(facility_id: int) -> dict[str, Any]:
    """One facility, in both languages."""
    need(Scope.READ)
    resource = catalog.active_facility(facility_id)
    if resource is None:
        raise NotFound
    return render.facility(resource)


@facilities_bp.route("/facilities/<int:facility_id>/availability", methods=["GET"])
@facilities_bp.arguments(schemas.WeekQuery, location="query", as_kwargs=True)
@facilities_bp.response(200, schemas.Availability)
def availability(facility_id: int, week: Any = None) -> dict[str, Any]:
    """One week of the facility's slots (Monday to Sunday, its time zone), each judged for you with the
    engine's reasons, as the facility page shows them."""
    user = need(Scope.READ)
    shown = catalog.facility_week(facility_id, week, clock.now(), locale_code(), user)
    if shown is None:
        raise NotFound
    return {
        "facility": facility_id,
        "week_start": shown.grid.week_start,
        "previous_week": shown.previous_week,
        "next_week": shown.next_week,
        "days": [
            {"date": day.day, "cells": [render.cell(cell) for cell in day.cells]} for day in shown.grid.days
        ],
    }


# --- bookings -----------------------------------------------------------------------------------------


@bookings_bp.route("/bookings", methods=["GET"])
@bookings_bp.arguments(schemas.MyBookingsQuery, location="query", as_kwargs=True)
@bookings_bp.response(200, schemas.BookingPage)
def my_bookings(show: str, limit: int, cursor: str | None = None) -> dict[str, Any]:
    """Your bookings: upcoming (default), past, or cancelled and declined; 50 a page."""
    user = need(Scope.READ)
    page = page_of(cursor)
    found = bookings.my_bookings(user, show, clock.now(), page=page)
    return {
        "items": [render.booking(b) for b in found.items],
        "next_cursor": cursor_for(page + 1) if found.has_next else None,
    }


@bookings_bp.route("/bookings/<int:booking_id>", methods=["GET"])
@bookings_bp.response(200, schemas.Booking)
def get_booking(booking_id: int) -> dict[str, Any]:
    """One of your bookings (or, for its managers, one at their university)."""
    user = need(Scope.READ)
    return render.booking(bookings.get_visible_booking(user, booking_id))


@bookings_bp.route("/bookings", methods=["POST"])
@idempotent
@bookings_bp.arguments(schemas.NewBooking)
@bookings_bp.response(201, schemas.Booking)
def create_booking(data: dict[str, Any]) -> dict[str, Any]:
    """Book one slot: confirmed, or pending where a manager approves. A refusal (409) lists every rule it
    broke. Send an Idempotency-Key: a repeated send returns the same booking."""
    user = need(Scope.BOOK)
    booking = bookings.request_booking(
        user,
        data["facility"],
        utc(data["start"]),
        utc(data["end"]),
        party_size=data["party_size"],
        purpose=data["purpose"],
        submission_key=submission_key(),
        now=clock.now(),
    )
    return render.booking(booking)


def _series_request(data: dict[str, Any]) -> tuple[Any, engine.RecurrenceRule, datetime, timedelta]:
    resource = bookings.get_bookable_resource(data["facility"])
    start, end = utc(data["start"]), utc(data["end"])
    repeat = data["repeat"]
    rule = engine.RecurrenceRule(
        Frequency(repeat["frequency"]),
        interval=repeat["interval"],
        weekdays=frozenset(repeat["weekdays"]),
        count=repeat.get("count"),
        until=repeat.get("until"),
    )
    first = to_local(start, zone(resource.timezone)).replace(tzinfo=None)
    return resource, rule, first, end - start


@bookings_bp.route("/series/preview", methods=["POST"])
@idempotent
@bookings_bp.arguments(schemas.NewSeries)
@bookings_bp.response(200, schemas.SeriesPreview)
def preview_series(data: dict[str, Any]) -> dict[str, Any]:
    """Every date of a repeating series with its verdict; books nothing."""
    user = need(Scope.READ)
    resource, rule, first, duration = _series_request(data)
    occurrences = bookings.preview_series(
        user, resource.id, rule, first, duration, party_size=data["party_size"], now=clock.now()
    )
    return {
        "occurrences": [render.occurrence(o) for o in occurrences],
        "bookable": sum(1 for o in occurrences if o.ok),
    }


@bookings_bp.route("/series", methods=["POST"])
@idempotent
@bookings_bp.arguments(schemas.NewSeries)
@bookings_bp.response(201, schemas.SeriesResult)
def create_series(data: dict[str, Any]) -> dict[str, Any]:
    """Book the dates of a repeating series that pass every rule; the others are listed with why."""
    user = need(Scope.BOOK)
    resource, rule, first, duration = _series_request(data)
    result = bookings.request_series(
        user,
        resource.id,
        rule,
        first,
        duration,
        party_size=data["party_size"],
        purpose=data["purpose"],
        only_available=True,
        submission_key=submission_key(),
        now=clock.now(),
    )
    return {
        "series": result.series.id if result.series is not None else None,
        "booked": [render.booking(b) for b in result.booked],
        "skipped": [render.occurrence(o) for o in result.skipped],
    }


@bookings_bp.route("/bookings/<int:booking_id>/move", methods=["POST"])
@idempotent
@bookings_bp.arguments(schemas.Move)
@bookings_bp.response(200, schemas.Booking)
def move_booking(data: dict[str, Any], booking_id: int) -> dict[str, Any]:
    """Move a booking to another time, judged as a new request."""
    user = need(Scope.BOOK)
    bookings.get_visible_booking(user, booking_id)
    moved = bookings.move(user, booking_id, utc(data["start"]), utc(data["end"]), now=clock.now())
    return render.booking(moved)


@bookings_bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@idempotent
@bookings_bp.arguments(schemas.Cancel)
@bookings_bp.response(200, schemas.Cancelled)
def cancel_booking(data: dict[str, Any], booking_id: int) -> dict[str, Any]:
    """Cancel a booking (and, with following, the later dates of its series)."""
    user = need(Scope.BOOK)
    bookings.get_visible_booking(user, booking_id)
    cancelled = bookings.cancel(user, booking_id, now=clock.now(), following=data["following"])
    return {"cancelled": [render.booking(b) for b in cancelled]}


@bookings_bp.route("/bookings/<int:booking_id>/check-in", methods=["POST"])
@idempotent
@bookings_bp.arguments(schemas.CheckIn)
@bookings_bp.response(200, schemas.Booking)
def check_in(data: dict[str, Any], booking_id: int) -> dict[str, Any]:
    """Check in with the code shown at the facility, within the check-in window."""
    user = need(Scope.BOOK)
    return render.booking(checkin.check_in(user, booking_id, data["code"], now=clock.now()))


@bookings_bp.route("/waitlist", methods=["POST"])
@idempotent
@bookings_bp.arguments(schemas.NewWaitlistEntry)
@bookings_bp.response(201, schemas.WaitlistEntry)
def join_waitlist(data: dict[str, Any]) -> dict[str, Any]:
    """Wait for a taken or full slot; you get it if it frees up."""
    user = need(Scope.BOOK)
    entry = waitlist.join(
        user,
        data["facility"],
        utc(data["start"]),
        utc(data["end"]),
        party_size=data["party_size"],
        now=clock.now(),
    )
    return render.waitlist_entry(entry)


@bookings_bp.route("/waitlist", methods=["GET"])
@bookings_bp.response(200, schemas.WaitlistEntries)
def my_waitlist() -> dict[str, Any]:
    """Your waitlist places: every one still waiting, then those of the last 30 days."""
    user = need(Scope.READ)
    return {"items": [render.waitlist_entry(e) for e in waitlist.entries_of(user, clock.now())]}


@bookings_bp.route("/waitlist/<int:entry_id>/leave", methods=["POST"])
@idempotent
@bookings_bp.response(200, schemas.WaitlistEntry)
def leave_waitlist(entry_id: int) -> dict[str, Any]:
    """Stop waiting."""
    user = need(Scope.BOOK)
    return render.waitlist_entry(waitlist.leave(user, entry_id, now=clock.now()))


# --- managers and the city office ---------------------------------------------------------------------


@manage_bp.route("/approvals", methods=["GET"])
@manage_bp.response(200, schemas.Queue)
def approval_queue() -> dict[str, Any]:
    """The requests awaiting your decision, oldest first (at most 200), each with what approving it would
    break now."""
    user = need(Scope.MANAGE, Role.STAFF)
    queue = approvals.queue(user, now=clock.now())
    return {"items": [render.request(item) for item in queue.items], "total": queue.total}


@manage_bp.route("/approvals/<int:booking_id>/approve", methods=["POST"])
@idempotent
@manage_bp.arguments(schemas.Approve)
@manage_bp.response(200, schemas.Booking)
def approve(data: dict[str, Any], booking_id: int) -> dict[str, Any]:
    """Approve a pending request."""
    user = need(Scope.MANAGE, Role.STAFF)
    return render.booking(approvals.approve(user, booking_id, now=clock.now(), note=data["note"]))


@manage_bp.route("/approvals/<int:booking_id>/decline", methods=["POST"])
@idempotent
@manage_bp.arguments(schemas.Decline)
@manage_bp.response(200, schemas.Booking)
def decline(data: dict[str, Any], booking_id: int) -> dict[str, Any]:
    """Decline a pending request, saying why."""
    user = need(Scope.MANAGE, Role.STAFF)
    return render.booking(approvals.reject(user, booking_id, reason=data["reason"], now=clock.now()))


@manage_bp.route("/series/<int:series_id>/approve", methods=["POST"])
@idempotent
@manage_bp.arguments(schemas.Approve)
@manage_bp.response(200, schemas.Outcome)
def approve_series(data: dict[str, Any], series_id: int) -> dict[str, Any]:
    """Approve every pending date of a series; the dates that cannot be approved now are listed with why."""
    user = need(Scope.MANAGE, Role.STAFF)
    return render.outcome(approvals.approve_series(user, series_id, now=clock.now(), note=data["note"]))


@manage_bp.route("/series/<int:series_id>/decline", methods=["POST"])
@idempotent
@manage_bp.arguments(schemas.Decline)
@manage_bp.response(200, schemas.Outcome)
def decline_series(data: dict[str, Any], series_id: int) -> dict[str, Any]:
    """Decline every pending date of a series, saying why."""
    user = need(Scope.MANAGE, Role.STAFF)
    return render.outcome(approvals.reject_series(user, series_id, reason=data["reason"], now=clock.now()))


@manage_bp.route("/reports", methods=["GET"])
@manage_bp.arguments(schemas.ReportQuery, location="query", as_kwargs=True)
@manage_bp.response(200, schemas.Report)
def report(period: str, **query: Any) -> dict[str, Any]:
    """The report figures of the universities you may see (all, for the city office)."""
    user = need(Scope.MANAGE, Role.STAFF)
    on = query.get("on") or reports.yesterday(clock.now())
    filters = reports.Filters(
        reports.period_of(reports.PeriodKind(period), on),
        university_id=query.get("university"),
        kind=ResourceKind(query["kind"]) if "kind" in query else None,
    )
    built = reports.build(user, filters)
    return {
        "period_start": filters.period.first,
        "period_end": filters.period.last,
        "totals": [render.figures(r) for r in built.totals],
        "by_university": [render.figures(r) for r in built.by_university],
        "by_kind": [render.figures(r) for r in built.by_kind],
    }
