"""Booking pages: request a booking or a series, my bookings, one booking, move it, cancel."""

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking import clock
from booking.engine import CellState
from booking.engine.localtime import to_local, to_utc, zone
from booking.services import applications, bookings, catalog, pools, reminders
from booking.services.errors import Invalid
from booking.web.bookings.forms import (
    BookingForm,
    CancelForm,
    MoveForm,
    PlacementForm,
    WindowReminderForm,
    default_day,
    default_end,
)
from booking.web.catalog.routes import cell_label, day_label, time_label
from booking.web.errors import Caught, refusals
from booking.web.forms import posted
from booking.web.input import query_int
from booking.web.labels import duration_words, locale_code, localized, render_violation
from models import Booking, BookingStatus, Mode, Resource

bp = Blueprint("bookings", __name__)
T = TypeVar("T")

SHOW_CHOICES = ("upcoming", "past", "cancelled")


def _utc(resource: Resource, local: datetime) -> datetime:
    return to_utc(local, zone(resource.timezone))


def _done(booking: Booking) -> Response:
    if booking.status == BookingStatus.PENDING:
        flash(_("Your request was sent for approval. We will tell you when a manager decides."), "info")
    else:
        flash(_("Booked and confirmed."), "success")
    return redirect(url_for("bookings.detail", booking_id=booking.id))


@bp.route("/facilities/<int:resource_id>/book", methods=["GET", "POST"])
@login_required
def new(resource_id: int) -> Response | str | tuple[str, int]:
    form = BookingForm()
    valid = request.method == "POST" and form.validate_on_submit()
    taken = False
    if valid and not form.repeat.data:
        # The facility, and whether the asked time is already someone else's, in one read (an opening rush).
        resource, taken = bookings.bookable_resource_for_request(
            resource_id, current_user, form.local_start(), form.local_end()
        )
    else:
        resource = bookings.get_bookable_resource(resource_id)
    if resource.mode == Mode.PLACEMENT:
        return _apply_for_placement(resource)
    now = clock.now()
    if request.method == "GET":
        _prefill(form, resource, now)
        return _form_page(resource, form)
    if not valid:
        return _form_page(resource, form), 422
    start, end = _utc(resource, form.local_start()), _utc(resource, form.local_end())
    with refusals() as refused:
        if form.repeat.data and form.action.data == "preview":
            return _series(resource, form, now, None)
        submission = _application()
        if form.repeat.data:
            return _series(resource, form, now, submission)
        booking = _request_booking(
            resource,
            start,
            end,
            submission,
            party_size=form.party_size.data,
            purpose=form.purpose.data or "",
            submission_key=form.submission_key.data,
            seen_taken=taken,
            now=now,
        )
    if refused and taken and {v.code for v in refused.violations} == {"conflict"}:
        # Only someone else's booking stands in the way: the refusal without the whole form, the cheap answer
        # of a rush. Any other reason needs the form to change the request.
        page = render_template(
            "bookings/taken.html",
            resource=resource,
            form=form,
            application_form=applications.form_in_force(resource),  # no waitlist where questions are asked
            **_refusal(refused),
        )
        return page, 422
    if refused:
        return _form_page(resource, form, **_refusal(refused)), 422
    return _done(booking)


def _refusal(refused: Caught) -> dict[str, object]:
    """What a refused request shows: the engine's violations, or the facility's questions' messages (an
    Invalid names the question fields: `application_errors` puts each next to its question)."""
    if refused.violations:
        return {"violations": refused.violations}
    return {"application_errors": refused.error.errors if isinstance(refused.error, Invalid) else ()}


def _application() -> applications.Submission:
    """What the form sent for the facility's own questions; the files' types told by their content."""
    uploads = [
        applications.Upload(f.filename or "", f.read(current_app.config["ATTACHMENT_MAX_BYTES"] + 1))
        for f in request.files.getlist(applications.ATTACHMENT_FIELD)
    ]
    limits = applications.Limits(
        max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"],
        max_files=current_app.config["ATTACHMENT_MAX_FILES"],
    )
    return applications.collect(request.form, uploads, limits=limits)


def _with_files(resource: Resource, submission: applications.Submission | None, book: Callable[[], T]) -> T:
    return applications.kept_if_booked(resource, submission, Path(current_app.config["ATTACHMENT_DIR"]), book)


def _request_booking(
    resource: Resource,
    start: datetime,
    end: datetime,
    submission: applications.Submission,
    **details: Any,
) -> Booking:
    """Request one booking with the facility's answers, their files kept only if it is booked."""
    return _with_files(
        resource,
        submission,
        lambda: bookings.request_booking(
            current_user, resource.id, start, end, application=submission, **details
        ),
    )


def _form_page(resource: Resource, form: BookingForm, **extra: object) -> str:
    """The booking form, with the company's pooled allowance where one applies and the facility's own
    questions."""
    pooled = pools.pooled_standing(current_user, clock.now(), resource=resource)
    return render_template(
        "bookings/new.html",
        resource=resource,
        form=form,
        pooled=pooled,
        **_application_page(resource),
        **extra,
    )


def _application_page(resource: Resource) -> dict[str, object]:
    """What the form's application part shows: the form in force, its questions, and what was sent."""
    form = applications.form_in_force(resource)
    return {
        "application_form": form,
        "questions": applications.questions_of(form),
        "sent": request.form if request.method == "POST" else {},
    }


def _prefill(form: BookingForm, resource: Resource, now: datetime) -> None:
    today = to_local(now, zone(resource.timezone)).date()
    day, start = default_day(request.args.get("start"), today)
    form.day.data = day
    if start is not None:
        length = max(resource.policy.min_minutes, resource.slot_minutes)
        form.start_time.data = start
        form.end_time.data = (datetime.combine(day, start) + timedelta(minutes=length)).time()
        end = default_end(request.args.get("end"), datetime.combine(day, start))
        if end is not None:
            form.end_time.data = end
    form.weekdays.data = [day.weekday()]


def _series(
    resource: Resource, form: BookingForm, now: datetime, submission: applications.Submission | None
) -> Response | str:
    # The rule, the first start and each occurrence's length: what the preview shows is what is booked.
    series = (form.rule(), form.local_start(), form.local_end() - form.local_start())
    if form.action.data == "preview":
        occurrences = bookings.preview_series(
            current_user, resource.id, *series, party_size=form.party_size.data, now=now
        )
        return render_template(
            "bookings/preview.html",
            resource=resource,
            form=form,
            occurrences=occurrences,
            available=sum(1 for o in occurrences if o.ok),
            cut=bookings.window_cut(resource, occurrences),
            window_cut_text=window_cut_text,
            reminder=WindowReminderForm(),
            **_application_page(resource),
        )
    result = _with_files(
        resource,
        submission,
        lambda: bookings.request_series(
            current_user,
            resource.id,
            *series,
            party_size=form.party_size.data,
            purpose=form.purpose.data or "",
            only_available=True,
            submission_key=form.submission_key.data,
            application=submission,
            now=now,
        ),
    )
    booked = len(result.booked)
    flash(
        ngettext("Booked %(num)d date of the series.", "Booked %(num)d dates of the series.", booked)
        + " "
        + (
            ngettext(
                "%(num)d date could not be booked.", "%(num)d dates could not be booked.", len(result.skipped)
            )
            if result.skipped
            else ""
        ),
        "success",
    )
    cut = bookings.window_cut(resource, result.skipped)
    if cut is not None:
        flash(window_cut_text(resource, cut), "info")
    return redirect(url_for("bookings.detail", booking_id=result.booked[0].id))


def window_cut_text(resource: Resource, cut: bookings.WindowCut) -> str:
    """Why a series stopped short: its later dates lie beyond the booking window, and when they open."""
    return ngettext(
        "%(num)d date lies beyond the booking window (%(window)s ahead) and cannot be booked yet; "
        "it can be booked from %(opens)s.",
        "%(num)d dates lie beyond the booking window (%(window)s ahead) and cannot be booked yet; "
        "the first of them can be booked from %(opens)s.",
        cut.dates,
        window=duration_words(resource.policy.max_advance_days * 1440),
        opens=to_local(cut.first_opens, zone(resource.timezone)).strftime("%Y-%m-%d %H:%M"),
    )


def _apply_for_placement(resource: Resource) -> Response | str | tuple[str, int]:
    form = PlacementForm()
    if request.method == "GET":
        default, _start = default_day(
            request.args.get("start"), to_local(clock.now(), zone(resource.timezone)).date()
        )
        form.first_day.data = default
        return _placement_page(resource, form)
    if not form.validate_on_submit():
        return _placement_page(resource, form), 422
    start = _utc(resource, datetime.combine(form.first_day.data, datetime.min.time()))
    end = _utc(resource, datetime.combine(form.last_day.data + timedelta(days=1), datetime.min.time()))
    with refusals() as refused:
        submission = _application()
        booking = _request_booking(
            resource,
            start,
            end,
            submission,
            purpose=form.statement.data.strip(),
            submission_key=form.submission_key.data,
            now=clock.now(),
        )
    if refused:
        return _placement_page(resource, form, **_refusal(refused)), 422
    return _done(booking)


def _placement_page(resource: Resource, form: PlacementForm, **extra: object) -> str:
    return render_template(
        "bookings/placement.html", resource=resource, form=form, **_application_page(resource), **extra
    )


@bp.post("/facilities/<int:resource_id>/window-reminder")
@login_required
def window_reminder(resource_id: int) -> Response:
    """Remember to tell the person when the first date beyond the booking window opens."""
    resource = bookings.get_bookable_resource(resource_id)
    form = WindowReminderForm()
    first_start = form.first_start_utc() if form.validate_on_submit() else None
    if first_start is None:
        abort(400)
    reminder = reminders.remind_when_open(current_user, resource.id, first_start, now=clock.now())
    if reminder is None:
        flash(_("That date can already be booked, or lies too far ahead for a reminder."), "info")
    else:
        opens = to_local(reminder.remind_at, zone(resource.timezone)).strftime("%Y-%m-%d %H:%M")
        flash(_("We will tell you on %(opens)s, when it opens for booking.", opens=opens), "success")
    return redirect(url_for("bookings.new", resource_id=resource.id))


@bp.get("/bookings")
@login_required
def mine() -> str:
    show = request.args.get("show", "upcoming")
    if show not in SHOW_CHOICES:
        show = "upcoming"
    pagination = bookings.my_bookings(
        current_user, show, clock.now(), page=request.args.get("page", 1, type=query_int) or 1
    )
    return render_template("bookings/mine.html", bookings=pagination.items, pagination=pagination, show=show)


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int) -> str:
    booking = bookings.get_visible_booking(current_user, booking_id)
    now = clock.now()
    return render_template(
        "bookings/detail.html",
        booking=booking,
        resource=booking.resource,
        history=bookings.history(booking),
        can_cancel=bookings.can_cancel(current_user, booking, now),
        can_move=bookings.can_move(current_user, booking, now),
        deadline=bookings.cancel_deadline(booking),
        form=CancelForm(),
        application=applications.application_for(booking)
        if applications.may_read(current_user, booking)
        else None,
    )


@bp.get("/bookings/<int:booking_id>/attachments/<int:attachment_id>")
@login_required
def attachment(booking_id: int, attachment_id: int) -> Response:
    """A file attached to a request, for its holder and its facility's managers; kept out of every cache."""
    found, path = applications.attachment_file(
        current_user, booking_id, attachment_id, Path(current_app.config["ATTACHMENT_DIR"])
    )
    response = send_file(
        path,
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.original_name,
        max_age=0,
        conditional=False,
        etag=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/bookings/<int:booking_id>/move", methods=["GET", "POST"])
@login_required
def move(booking_id: int) -> Response | str | tuple[str, int]:
    booking = bookings.get_visible_booking(current_user, booking_id)
    resource = booking.resource
    now = clock.now()
    refusal = bookings.move_refusal(current_user, booking, now)
    if refusal is not None:
        flash(render_violation(refusal), "error")
        return redirect(url_for("bookings.detail", booking_id=booking.id))
    form = MoveForm()
    page = {
        "booking": booking,
        "resource": resource,
        "form": form,
        "needs_approval": bookings.move_needs_approval(current_user, booking),
        "cell_label": cell_label,
        "day_label": day_label,
        "time_label": time_label,
        "CellState": CellState,
    }
    page["around"] = catalog.around_booking(booking, now, locale_code())
    if request.method == "GET":
        tz = zone(resource.timezone)
        start, end = to_local(booking.start_at, tz), to_local(booking.end_at, tz)
        day, chosen = default_day(request.args.get("start"), start.date())
        if chosen is not None:
            # A slot picked from the availability below: the same length at the new start.
            new_start = datetime.combine(day, chosen)
            start, end = new_start, new_start + (end - start)
        form.show(start, end)
        return render_template("bookings/move.html", **page)
    if not form.validate_on_submit():
        return render_template("bookings/move.html", **page), 422
    with refusals(form) as refused:
        moved = bookings.move(
            current_user,
            booking_id,
            _utc(resource, form.local_start()),
            _utc(resource, form.local_end()),
            now=now,
        )
    if refused:
        return render_template("bookings/move.html", violations=refused.violations, **page), 422
    if moved.status == BookingStatus.PENDING:
        flash(_("Moved. The new time awaits a manager's approval; we will tell you of the decision."), "info")
    else:
        flash(_("Moved to the new time. Your calendar will show the change."), "success")
    return redirect(url_for("bookings.detail", booking_id=moved.id))


@bp.get("/bookings/<int:booking_id>/cancel")
@login_required
def confirm_cancel(booking_id: int) -> Response | str:
    """Cancelling asks first: a page that names the booking, with the button that cancels it."""
    booking = bookings.get_visible_booking(current_user, booking_id)
    if not bookings.can_cancel(current_user, booking, clock.now()):
        return redirect(url_for("bookings.detail", booking_id=booking.id))
    return render_template(
        "bookings/cancel.html",
        booking=booking,
        resource=booking.resource,
        form=CancelForm(following=request.args.get("following") == "1"),
        later=bookings.later_in_series(booking),
    )


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int) -> Response:
    bookings.get_visible_booking(current_user, booking_id)
    form = posted(CancelForm())
    with refusals() as refused:
        cancelled = bookings.cancel(current_user, booking_id, now=clock.now(), following=form.following.data)
    if refused:
        refused.flash()
        return redirect(url_for("bookings.detail", booking_id=booking_id))
    if (
        len(cancelled) == 1
        and cancelled[0].resource.mode == Mode.PLACEMENT
        and cancelled[0].user_id == current_user.id
    ):
        flash(_("Application withdrawn: %(booking)s.", booking=describe(cancelled[0])), "success")
    elif len(cancelled) == 1:
        flash(_("Cancelled: %(booking)s.", booking=describe(cancelled[0])), "success")
    else:
        flash(
            ngettext("%(num)d booking cancelled:", "%(num)d bookings cancelled:", len(cancelled))
            + " "
            + "; ".join(describe(b) for b in cancelled),
            "success",
        )
    return redirect(url_for("bookings.detail", booking_id=booking_id))


def describe(booking: Booking) -> str:
    """A booking in a line: the facility and its local date and times."""
    resource = booking.resource
    tz = zone(resource.timezone)
    start, end = to_local(booking.start_at, tz), to_local(booking.end_at, tz)
    if resource.mode == Mode.PLACEMENT:
        last = end - timedelta(days=1)
        return f"{localized(resource)}, {start:%Y-%m-%d} – {last:%Y-%m-%d}"
    return f"{localized(resource)}, {start:%Y-%m-%d %H:%M}–{end:%H:%M}"
