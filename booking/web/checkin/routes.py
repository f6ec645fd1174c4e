"""Check-in: a person checks in with the code shown at the venue; managers check people in from today's list.

Managers also print a booking's door sign (its code and a QR code that opens the person's check-in page),
and lift suspensions. Manager pages answer 404 for bookings and people outside the viewer's university.
"""

import io
from dataclasses import dataclass
from datetime import datetime

import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking import clock
from booking.engine.localtime import to_local, zone
from booking.extensions import limiter
from booking.services import bookings, checkin, strikes
from booking.services.checkin import CheckinState, CheckinStatus
from booking.services.permissions import Role, can_manage
from booking.web.checkin.forms import CheckinForm, ConfirmForm, LiftForm
from booking.web.errors import refusals
from booking.web.forms import posted
from booking.web.guards import require_role
from booking.web.input import query_int
from booking.web.safety import safe_next_url
from models import Booking, User

bp = Blueprint("checkin", __name__)

Page = Response | str | tuple[str, int]


# The person's own check-in pages are for anyone signed in; every other page here is for managers.
require_role(bp, Role.STAFF, open_to_all=("check_in", "submit_check_in"))


def _back(default: str) -> Response:
    return redirect(safe_next_url(request.form.get("next")) or default)


# --- the booking page's check-in panel ------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """What the booking page shows about check-in, for the person or a manager looking at it."""

    booking: Booking
    status: CheckinStatus
    owner: bool
    manager: bool
    form: CheckinForm

    @property
    def state(self) -> str:
        return self.status.state.value


def checkin_panel(booking: Booking) -> Panel | None:
    """The check-in panel for `booking`, or None where check-in does not apply (nothing to show)."""
    status = checkin.status(booking, clock.now())
    if status.state in (CheckinState.NOT_REQUIRED, CheckinState.NOT_CONFIRMED):
        return None
    form = CheckinForm(formdata=None, code=request.args.get("code", "")[:6])
    return Panel(
        booking=booking,
        status=status,
        owner=booking.user_id == current_user.id,
        manager=can_manage(current_user, booking),
        form=form,
    )


def suspension_of(user: User) -> datetime | None:
    """When the person's suspension ends, if they are suspended now (for the profile page)."""
    if not user.is_authenticated or not strikes.is_suspended(user, clock.now()):
        return None
    return user.suspended_until


@bp.app_context_processor
def _checkin_helpers() -> dict[str, object]:
    return {
        "checkin_panel": checkin_panel,
        "checkin_window_of": checkin.window,
        "suspension_of": suspension_of,
    }


# --- the person checks in -------------------------------------------------------------------------


@bp.get("/bookings/<int:booking_id>/check-in")
@login_required
def check_in(booking_id: int) -> str:
    """Where the QR code on the venue's door leads: the booking with its check-in form, code filled in."""
    booking = bookings.get_visible_booking(current_user, booking_id)
    return render_template("checkin/check_in.html", booking=booking, resource=booking.resource)


@bp.post("/bookings/<int:booking_id>/check-in")
@login_required
@limiter.limit("10 per minute")
def submit_check_in(booking_id: int) -> Page:
    booking = bookings.get_visible_booking(current_user, booking_id)
    form = CheckinForm()
    if not form.validate_on_submit():
        return render_template(
            "checkin/check_in.html", booking=booking, resource=booking.resource, form=form
        ), 422
    with refusals(form) as refused:
        checkin.check_in(current_user, booking_id, form.code.data, now=clock.now())
    if refused:
        return render_template(
            "checkin/check_in.html",
            booking=booking,
            resource=booking.resource,
            form=form,
            violations=refused.violations,
        ), 422
    flash(_("You are checked in. Enjoy your visit!"), "success")
    return redirect(url_for("bookings.detail", booking_id=booking_id))


# --- a manager's day ------------------------------------------------------------------------------


@bp.get("/manage/today")
def today() -> str:
    now = clock.now()
    university_id = request.args.get("university", type=query_int)
    timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    rows = checkin.today(current_user, now, timezone=timezone, university_id=university_id)
    return render_template(
        "checkin/today.html",
        rows=[(b, checkin.status(b, now)) for b in rows],
        day=to_local(now, zone(timezone)).date(),
        universities=checkin.universities(current_user) if current_user.is_admin else [],
        university_id=university_id,
        form=ConfirmForm(),
        here=request.full_path if request.query_string else request.path,
    )


@bp.post("/manage/bookings/<int:booking_id>/check-in")
def manager_check_in(booking_id: int) -> Response:
    posted(ConfirmForm())
    with refusals() as refused:
        booking = checkin.check_in_by_manager(current_user, booking_id, now=clock.now())
    if refused:
        refused.flash()
    else:
        flash(_("%(person)s is checked in.", person=booking.user.display_name), "success")
    return _back(url_for("checkin.today"))


@bp.get("/manage/bookings/<int:booking_id>/door-sign")
def door_sign(booking_id: int) -> str:
    """A printable sign for the venue's door: the booking's check-in code and its QR code."""
    booking = checkin.manageable_booking(current_user, booking_id)
    if booking.checkin_code is None:
        abort(404)
    return render_template("checkin/door_sign.html", booking=booking, resource=booking.resource)


@bp.get("/manage/bookings/<int:booking_id>/checkin-qr.svg")
def qr_code(booking_id: int) -> Response:
    booking = checkin.manageable_booking(current_user, booking_id)
    if booking.checkin_code is None:
        abort(404)
    link = current_app.config["BASE_URL"].rstrip("/") + url_for(
        "checkin.check_in", booking_id=booking.id, code=booking.checkin_code
    )
    svg = io.BytesIO()
    segno.make(link, error="m").save(svg, kind="svg", scale=8, border=2, title=_("Check in"))
    response = current_app.response_class(svg.getvalue(), mimetype="image/svg+xml")
    # The code inside is a key to the booking: keep it out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- suspensions ----------------------------------------------------------------------------------


def _strike_rules() -> strikes.StrikeRules:
    return strikes.StrikeRules.from_config(current_app.config)


@bp.get("/manage/suspensions")
def suspensions() -> str:
    people = strikes.suspended_people(current_user, clock.now(), rules=_strike_rules())
    return render_template("checkin/suspensions.html", people=people, form=LiftForm())


@bp.post("/manage/people/<int:user_id>/lift-suspension")
def lift_suspension(user_id: int) -> Response:
    form = LiftForm()
    if not form.validate_on_submit():
        for message in form.note.errors:
            flash(message, "error")
        return _back(url_for("checkin.suspensions"))
    with refusals() as refused:
        person: User = strikes.lift_suspension(
            current_user, user_id, clock.now(), note=form.note.data or "", rules=_strike_rules()
        )
    if refused:
        refused.flash()
    else:
        flash(_("The suspension of %(person)s was lifted.", person=person.display_name), "success")
    return _back(url_for("checkin.suspensions"))
