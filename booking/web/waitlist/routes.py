"""Waitlist: join a slot that is taken or full, see my waitlist, leave it."""

from collections.abc import Sequence

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking import clock
from booking.engine.localtime import to_utc, zone
from booking.engine.violations import Violation
from booking.services import bookings, waitlist
from booking.web.bookings.forms import BookingForm
from booking.web.errors import refusals
from booking.web.forms import posted
from booking.web.waitlist.forms import JoinForm, LeaveForm

bp = Blueprint("waitlist", __name__)


def waitlist_offer(form: BookingForm, violations: Sequence[Violation] | None) -> bool:
    """Whether a refused booking form offers the waitlist: one date (not a series), refused for room alone."""
    return bool(
        violations
        and not form.repeat.data
        and form.day.data
        and form.start_time.data
        and form.end_time.data
        and all(v.code in waitlist.ROOM_CODES for v in violations)
    )


@bp.app_context_processor
def _waitlist_helpers() -> dict[str, object]:
    return {"waitlist_offer": waitlist_offer}


@bp.post("/facilities/<int:resource_id>/waitlist")
@login_required
def join(resource_id: int) -> Response:
    resource = bookings.get_bookable_resource(resource_id)
    form = JoinForm()
    if not form.validate_on_submit():
        flash(_("Please choose the time again, then join the waitlist from the answer."), "error")
        return redirect(url_for("bookings.new", resource_id=resource_id))
    tz = zone(resource.timezone)
    with refusals() as refused:
        waitlist.join(
            current_user,
            resource_id,
            to_utc(form.local_start(), tz),
            to_utc(form.local_end(), tz),
            party_size=form.party_size.data or 1,
            purpose=form.purpose.data or "",
            now=clock.now(),
        )
    if refused:
        refused.flash()
        start = form.local_start().isoformat(timespec="minutes")
        return redirect(url_for("bookings.new", resource_id=resource_id, start=start))
    flash(
        _(
            "You are on the waitlist. If a place frees up and every rule still allows it, "
            "we book it for you and tell you."
        ),
        "success",
    )
    return redirect(url_for("waitlist.mine"))


@bp.get("/waitlist")
@login_required
def mine() -> str:
    now = clock.now()
    return render_template(
        "waitlist/mine.html",
        entries=waitlist.entries_of(current_user, now),
        is_open=lambda entry: waitlist.is_open(entry, now),
        form=LeaveForm(),
    )


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def leave(entry_id: int) -> Response:
    posted(LeaveForm())
    with refusals() as refused:
        waitlist.leave(current_user, entry_id, now=clock.now())
    if refused:
        refused.flash()
    else:
        flash(_("You left the waitlist."), "success")
    return redirect(url_for("waitlist.mine"))
