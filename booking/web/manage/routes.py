"""Campus manager pages: the approval queue, facility administration, booking on someone's behalf.

Every route is for managers and admins only (checked once for the whole blueprint); what belongs to a
university the viewer does not manage is a 404, whether asked for by URL or by a form field.
"""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from booking import clock
from booking.engine.localtime import to_local, to_utc, zone
from booking.engine.violations import N_
from booking.services import applications, approvals, bookings, facilities, people, photos
from booking.services.approvals import Outcome
from booking.services.permissions import Role
from booking.web.errors import flash_violations, refusals
from booking.web.forms import posted
from booking.web.guards import require_role
from booking.web.input import query_int
from booking.web.labels import KIND_LABELS, is_chinese, localized, quota_text
from booking.web.manage.forms import (
    ApproveForm,
    BulkForm,
    ClosureForm,
    ConfirmForm,
    FacilityForm,
    HoursForm,
    OnBehalfForm,
    PhotoForm,
    PolicyForm,
    QuotaForm,
    RejectForm,
)
from booking.web.safety import safe_next_url
from models import Booking, Mode, Organization, Resource, User

bp = Blueprint("manage", __name__, url_prefix="/manage")

Page = Response | str | tuple[str, int]


require_role(bp, Role.STAFF)


def _university_arg() -> int | None:
    return request.args.get("university", type=query_int)


def _university() -> Organization:
    """The university a page is about (`?university=` for admins); another's is a 404."""
    return facilities.university_for(current_user, _university_arg())


def _back(default: str, target: str | None = None) -> Response:
    return redirect(safe_next_url(target) or default)


# --- the approval queue ------------------------------------------------------------------------------


@bp.get("/")
def queue() -> str:
    university_id = _university_arg()
    result = approvals.queue(current_user, now=clock.now(), university_id=university_id)
    return render_template(
        "manage/queue.html",
        queue=result,
        universities=facilities.universities_of(current_user) if current_user.is_admin else [],
        university_id=university_id,
        bulk=BulkForm(),
        here=request.full_path if request.query_string else request.path,
        applications=applications.readable_applications(current_user, [i.booking for i in result.items]),
    )


@bp.post("/requests/<int:booking_id>/approve")
def approve(booking_id: int) -> Response:
    approvals.get_request(current_user, booking_id)
    form = posted(ApproveForm())
    with refusals() as refused:
        booking = approvals.approve(current_user, booking_id, now=clock.now(), note=form.note.data or "")
    if refused:
        what = _describe(approvals.get_request(current_user, booking_id))
        refused.flash(lead=N_("Not approved: %(booking)s. %(reasons)s"), booking=what)
    else:
        flash(_("Approved: %(booking)s.", booking=_describe(booking)), "success")
    return _back(url_for("manage.queue"), form.next.data)


@bp.route("/requests/<int:booking_id>/reject", methods=["GET", "POST"])
def reject(booking_id: int) -> Page:
    booking = approvals.get_request(current_user, booking_id)
    form = RejectForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("manage/reject.html", form=form, bookings=[booking], series=None)
    with refusals() as refused:
        booking = approvals.reject(current_user, booking_id, reason=form.reason.data, now=clock.now())
    if refused:
        refused.flash(lead=N_("Not declined: %(booking)s. %(reasons)s"), booking=_describe(booking))
    else:
        flash(_("Declined: %(booking)s.", booking=_describe(booking)), "success")
    return _back(url_for("manage.queue"), form.next.data)


@bp.post("/series/<int:series_id>/approve")
def approve_series(series_id: int) -> Response:
    approvals.get_series(current_user, series_id)
    form = posted(ApproveForm())
    outcome = approvals.approve_series(current_user, series_id, now=clock.now(), note=form.note.data or "")
    _report(outcome, approved=True)
    return _back(url_for("manage.queue"), form.next.data)


@bp.route("/series/<int:series_id>/reject", methods=["GET", "POST"])
def reject_series(series_id: int) -> Page:
    series = approvals.get_series(current_user, series_id)
    form = RejectForm()
    if request.method == "GET" or not form.validate_on_submit():
        pending = [b for b in series.bookings if b.status.value == "pending"]
        return render_template("manage/reject.html", form=form, bookings=pending, series=series)
    outcome = approvals.reject_series(current_user, series_id, reason=form.reason.data, now=clock.now())
    _report(outcome, approved=False)
    return _back(url_for("manage.queue"), form.next.data)


@bp.post("/requests/bulk")
def bulk() -> Page:
    form = BulkForm()
    if not form.validate_on_submit():
        for error in [*form.booking_ids.errors, *form.reason.errors, *form.action.errors]:
            flash(error, "error")
        return _back(url_for("manage.queue"), form.next.data)
    ids = form.booking_ids.data
    if form.action.data == "approve":
        outcome = approvals.approve_many(current_user, ids, now=clock.now())
    else:
        outcome = approvals.reject_many(current_user, ids, reason=form.reason.data, now=clock.now())
    _report(outcome, approved=form.action.data == "approve")
    return _back(url_for("manage.queue"), form.next.data)


def _describe(booking: Booking) -> str:
    resource = booking.resource
    return "{} · {} · {}".format(
        localized(resource),
        to_local(booking.start_at, zone(resource.timezone)).strftime("%Y-%m-%d %H:%M"),
        booking.user.display_name,
    )


def _report(outcome: Outcome, *, approved: bool) -> None:
    done = len(outcome.decided)
    if approved:
        message = ngettext("%(num)d request approved.", "%(num)d requests approved.", done)
    else:
        message = ngettext("%(num)d request declined.", "%(num)d requests declined.", done)
    flash(message, "success" if done else "info")
    for booking_id, violations in outcome.refused.items():
        booking = _describe(outcome.bookings[booking_id])
        flash_violations(violations, lead=N_("Not decided: %(booking)s. %(reasons)s"), booking=booking)


# --- facilities --------------------------------------------------------------------------------------


@bp.get("/facilities")
def facility_list() -> str:
    university = _university()
    return render_template(
        "manage/facilities.html",
        university=university,
        universities=facilities.universities_of(current_user),
        resources=facilities.facilities_of(university.id),
        toggle=ConfirmForm(),
    )


def _facility(resource_id: int) -> Resource:
    return facilities.get_facility(current_user, resource_id)


@bp.route("/facilities/new", methods=["GET", "POST"])
def facility_new() -> Page:
    university = _university()
    form = FacilityForm()
    form.university_id.choices = [(u.id, localized(u)) for u in facilities.universities_of(current_user)]
    if request.method == "GET":
        form.university_id.data = university.id
        return render_template("manage/facility.html", form=form, resource=None, university=university)
    if not form.validate_on_submit():
        return render_template("manage/facility.html", form=form, resource=None, university=university), 422
    university_id = form.university_id.data or university.id
    with refusals(form) as refused:
        resource = facilities.create_facility(current_user, university_id, form.draft(), now=clock.now())
    if refused:
        return render_template("manage/facility.html", form=form, resource=None, university=university), 422
    flash(_("Facility created. Set its opening hours and rules, then open it for booking."), "success")
    return redirect(url_for("manage.facility_hours", resource_id=resource.id))


@bp.route("/facilities/<int:resource_id>", methods=["GET", "POST"])
def facility_edit(resource_id: int) -> Page:
    resource = _facility(resource_id)
    form = FacilityForm()
    del form.university_id
    if request.method == "GET":
        form.fill(resource)
        return _facility_page(form, resource)
    if not form.validate_on_submit():
        return _facility_page(form, resource), 422
    with refusals(form) as refused:
        facilities.update_facility(current_user, resource.id, form.draft(), now=clock.now())
    if refused:
        return _facility_page(form, resource), 422
    flash(_("Saved."), "success")
    return redirect(url_for("manage.facility_edit", resource_id=resource.id))


def _facility_page(form: FacilityForm, resource: Resource) -> str:
    return render_template(
        "manage/facility.html",
        form=form,
        resource=resource,
        university=resource.university,
        toggle=ConfirmForm(),
    )


@bp.get("/facilities/<int:resource_id>/deactivate")
def confirm_facility_deactivate(resource_id: int) -> str:
    resource = _facility(resource_id)
    return _confirm(
        _("Make %(name)s not bookable?", name=localized(resource)),
        [],
        url_for("manage.facility_deactivate", resource_id=resource.id),
        url_for("manage.facility_edit", resource_id=resource.id),
        _("Yes, make it not bookable"),
        _("It disappears from the catalog and from booking; bookings already made stay."),
    )


@bp.post("/facilities/<int:resource_id>/deactivate")
def facility_deactivate(resource_id: int) -> Response:
    return _set_active(resource_id, False)


@bp.post("/facilities/<int:resource_id>/activate")
def facility_activate(resource_id: int) -> Response:
    return _set_active(resource_id, True)


def _set_active(resource_id: int, active: bool) -> Response:
    _facility(resource_id)
    posted(ConfirmForm())
    resource = facilities.set_active(current_user, resource_id, active, now=clock.now())
    if active:
        flash(_("%(name)s is open for booking.", name=localized(resource)), "success")
    else:
        flash(
            _("%(name)s is no longer bookable; its existing bookings stay.", name=localized(resource)),
            "success",
        )
    return redirect(url_for("manage.facility_edit", resource_id=resource_id))


@bp.route("/facilities/<int:resource_id>/hours", methods=["GET", "POST"])
def facility_hours(resource_id: int) -> Page:
    resource = _facility(resource_id)
    form = HoursForm()
    return _facility_settings(
        resource,
        form,
        "manage/hours.html",
        filled_from=resource,
        save=lambda: facilities.set_hours(current_user, resource.id, form.hours(), now=clock.now()),
        saved=_("Opening hours saved."),
    )


@bp.route("/facilities/<int:resource_id>/rules", methods=["GET", "POST"])
def facility_policy(resource_id: int) -> Page:
    resource = _facility(resource_id)
    form = PolicyForm()
    return _facility_settings(
        resource,
        form,
        "manage/policy.html",
        filled_from=resource.policy,
        save=lambda: facilities.update_policy(current_user, resource.id, form.draft(), now=clock.now()),
        saved=_("Booking rules saved."),
    )


@bp.route("/facilities/<int:resource_id>/photo", methods=["GET", "POST"])
def facility_photo(resource_id: int) -> Page:
    resource = _facility(resource_id)
    form = PhotoForm()
    return _facility_settings(
        resource,
        form,
        "manage/photo.html",
        filled_from=resource,
        save=lambda: photos.set_photo(
            current_user,
            resource.id,
            form.photo.data.read(current_app.config["PHOTO_MAX_BYTES"] + 1),
            alt_zh=form.alt_zh.data or "",
            alt_en=form.alt_en.data or "",
            directory=Path(current_app.config["PHOTO_DIR"]),
            max_bytes=current_app.config["PHOTO_MAX_BYTES"],
            now=clock.now(),
        ),
        saved=_("Photo saved."),
    )


def _facility_settings(
    resource: Resource,
    form: HoursForm | PolicyForm | PhotoForm,
    template: str,
    *,
    filled_from: object | None,
    save: Callable[[], object],
    saved: str,
) -> Page:
    """A page of a facility's settings: the form filled from `filled_from` (if any) when opened; a valid post
    saved by `save` (a refusal shown on the form), said, and the page shown again."""
    if request.method == "GET":
        if filled_from is not None:
            form.fill(filled_from)
    elif form.validate_on_submit():
        with refusals(form) as refused:
            save()
        if not refused:
            flash(saved, "success")
            return redirect(url_for(str(request.endpoint), resource_id=resource.id))
    return render_template(template, form=form, resource=resource)


# --- quotas ------------------------------------------------------------------------------------------


def _quota_form(university: Organization) -> QuotaForm:
    form = QuotaForm()
    form.applies_to.choices = [
        ("", _("All facilities")),
        *[(f"kind:{kind.value}", label) for kind, label in KIND_LABELS.items()],
        *[(f"resource:{r.id}", localized(r)) for r in facilities.facilities_of(university.id)],
    ]
    return form


def _confirm(
    question: str, details: list[str], action: str, back: str, button: str, consequence: str = ""
) -> str:
    """The page that asks before a destructive action; its button posts to `action`."""
    return render_template(
        "_confirm.html",
        question=question,
        details=details,
        action=action,
        back=back,
        button=button,
        consequence=consequence,
    )


@bp.route("/quotas", methods=["GET", "POST"])
def quotas() -> Page:
    university = _university()
    form = _quota_form(university)
    if request.method == "POST" and form.check(university.id):
        with refusals(form) as refused:
            facilities.add_quota(current_user, form.draft(university.id), now=clock.now())
        if not refused:
            flash(_("Quota added."), "success")
            return redirect(url_for("manage.quotas", university=_university_arg()))
    page = render_template(
        "manage/quotas.html",
        form=form,
        university=university,
        universities=facilities.universities_of(current_user),
        quotas=facilities.quotas_of(university.id),
        delete=ConfirmForm(),
    )
    return (page, 422) if request.method == "POST" else page


@bp.route("/quotas/<int:quota_id>/edit", methods=["GET", "POST"])
def quota_edit(quota_id: int) -> Page:
    quota = facilities.get_quota(current_user, quota_id)
    university = quota.university
    form = _quota_form(university)
    back = url_for("manage.quotas", university=_university_arg())
    if request.method == "GET":
        form.fill(quota)
        return render_template(
            "manage/quota_edit.html", form=form, quota=quota, university=university, back=back
        )
    if form.check(university.id):
        with refusals(form) as refused:
            facilities.update_quota(current_user, quota.id, form.draft(university.id), now=clock.now())
        if not refused:
            flash(_("Quota saved."), "success")
            return redirect(back)
    page = render_template("manage/quota_edit.html", form=form, quota=quota, university=university, back=back)
    return page, 422


@bp.get("/quotas/<int:quota_id>/delete")
def confirm_quota_delete(quota_id: int) -> str:
    quota = facilities.get_quota(current_user, quota_id)
    return _confirm(
        _("Delete this quota?"),
        [quota_text(quota)],
        url_for("manage.quota_delete", quota_id=quota.id, university=_university_arg()),
        url_for("manage.quotas", university=_university_arg()),
        _("Yes, delete the quota"),
        _("Bookings already made stay; new requests are no longer counted against it."),
    )


@bp.post("/quotas/<int:quota_id>/delete")
def quota_delete(quota_id: int) -> Response:
    posted(ConfirmForm())
    facilities.delete_quota(current_user, quota_id, now=clock.now())
    flash(_("Quota deleted."), "success")
    return redirect(url_for("manage.quotas", university=_university_arg()))


# --- closures ----------------------------------------------------------------------------------------


@bp.route("/closures", methods=["GET", "POST"])
def closures() -> Page:
    university = _university()
    form = ClosureForm()
    form.target.choices = [
        ("", _("The whole university")),
        *[(str(r.id), localized(r)) for r in facilities.facilities_of(university.id)],
    ]
    if request.method == "GET":
        return _closures_page(form, university)
    if not form.check(university.id):
        return _closures_page(form, university), 422
    draft = form.draft(university.id)
    overlaps: list[Booking] | None = None
    with refusals(form) as refused:
        overlaps = facilities.closure_overlaps(current_user, draft)
        # The bookings a closure covers are shown before anything is written, and again whenever the
        # closure changed since the manager last saw them.
        if overlaps and form.reviewed.data != _fingerprint(draft):
            _prepare_review(form, draft, overlaps)
            return _closures_page(form, university, overlaps)
        result = facilities.add_closure(
            current_user,
            draft,
            cancel_ids=form.cancel_ids.data or [],
            cancel_reason=form.cancel_reason.data or "",
            now=clock.now(),
        )
    if refused:
        return _closures_page(form, university, overlaps), 422
    _report_closure(result)
    return redirect(url_for("manage.closures", university=_university_arg()))


def _fingerprint(draft: facilities.ClosureDraft) -> str:
    return f"{draft.resource_id or ''}|{draft.local_start.isoformat()}|{draft.local_end.isoformat()}"


def _prepare_review(form: ClosureForm, draft: facilities.ClosureDraft, overlaps: list[Booking]) -> None:
    # Every booking that can be cancelled starts ticked, and the message starts as the closure's reason.
    form.reviewed.data = _fingerprint(draft)
    form.cancel_ids.data = [b.id for b in overlaps if facilities.can_cancel_for_closure(b)]
    if not (form.cancel_reason.data or "").strip():
        first, second = (
            (draft.reason_zh, draft.reason_en) if is_chinese() else (draft.reason_en, draft.reason_zh)
        )
        form.cancel_reason.data = first or second


def _closures_page(form: ClosureForm, university: Organization, overlaps: list[Booking] | None = None) -> str:
    upcoming = facilities.upcoming_closures(university.id, clock.now())
    return render_template(
        "manage/closures.html",
        form=form,
        university=university,
        universities=facilities.universities_of(current_user),
        closures=upcoming,
        closure_resources=facilities.closure_resources(upcoming),
        overlaps=overlaps,
        can_cancel=facilities.can_cancel_for_closure,
        delete=ConfirmForm(),
        city_zone=facilities.CLOSURE_TIMEZONE,
    )


def _report_closure(result: facilities.ClosureResult) -> None:
    flash(_("Closure added."), "success")
    if result.cancelled:
        flash(
            ngettext(
                "%(num)d booking cancelled; its owner was told.",
                "%(num)d bookings cancelled; their owners were told.",
                len(result.cancelled),
            ),
            "success",
        )
    if result.kept:
        flash(
            ngettext(
                "%(num)d booking inside the closure was kept.",
                "%(num)d bookings inside the closure were kept.",
                len(result.kept),
            ),
            "warning",
        )


@bp.get("/closures/<int:closure_id>/delete")
def confirm_closure_delete(closure_id: int) -> str:
    closure = facilities.get_closure(current_user, closure_id)
    resource = (
        facilities.closure_resources([closure]).get(closure.resource_id) if closure.resource_id else None
    )
    tz = zone(resource.timezone if resource else facilities.CLOSURE_TIMEZONE)
    span = "{} – {}".format(
        to_local(closure.start_at, tz).strftime("%Y-%m-%d %H:%M"),
        to_local(closure.end_at, tz).strftime("%Y-%m-%d %H:%M"),
    )
    return _confirm(
        _("Remove this closure?"),
        [localized(resource) if resource else _("The whole university"), span, localized(closure, "reason")],
        url_for("manage.closure_delete", closure_id=closure.id, university=_university_arg()),
        url_for("manage.closures", university=_university_arg()),
        _("Yes, remove the closure"),
        _("The times open for booking again; bookings it cancelled stay cancelled."),
    )


@bp.post("/closures/<int:closure_id>/delete")
def closure_delete(closure_id: int) -> Response:
    posted(ConfirmForm())
    facilities.delete_closure(current_user, closure_id, now=clock.now())
    flash(_("Closure removed."), "success")
    return redirect(url_for("manage.closures", university=_university_arg()))


# --- booking on someone's behalf ---------------------------------------------------------------------


def _bookable_choices() -> list[tuple[int, str]]:
    choices = []
    universities = facilities.universities_of(current_user)
    for university in universities:
        for resource in facilities.facilities_of(university.id, active_only=True):
            if resource.mode == Mode.PLACEMENT:
                continue
            label = localized(resource)
            if len(universities) > 1:
                label = f"{localized(university)} · {label}"
            choices.append((resource.id, label))
    return choices


# The people this manager identified by their exact email or phone (booking.services.people), so they
# can then be chosen; bound to the manager, and only the last few.
_IDENTIFIED = "identified_people"
_IDENTIFIED_KEPT = 20


def _identified() -> list[int]:
    remembered = session.get(_IDENTIFIED) or {}
    return list(remembered.get("ids", [])) if remembered.get("by") == current_user.id else []


def _remember_identified(user: User) -> None:
    ids = [i for i in _identified() if i != user.id] + [user.id]
    session[_IDENTIFIED] = {"by": current_user.id, "ids": ids[-_IDENTIFIED_KEPT:]}


@bp.route("/book", methods=["GET", "POST"])
def book_on_behalf() -> Page:
    form = OnBehalfForm()
    form.resource_id.choices = [("", _("Choose a facility")), *_bookable_choices()]
    search = (request.args.get("q") or "").strip()[:100]
    person_id = request.args.get("user", type=query_int) if request.method == "GET" else form.person_id()
    person = people.person(current_user, person_id, identified=_identified()) if person_id else None
    found: list[User] = []
    if search and person is None:
        found, identified = people.find(current_user, search)
        if identified is not None:
            _remember_identified(identified)
    violations: tuple = ()
    if request.method == "GET":
        if person is not None:
            form.user_id.data = str(person.id)
        form.day.data = form.day.data or to_local(clock.now(), zone(facilities.CLOSURE_TIMEZONE)).date()
    elif form.validate_on_submit() and person is not None:
        with refusals(form) as refused:
            booking = _book(form, person)
        violations = refused.violations
        if not refused:
            flash(
                _(
                    "Booked for %(person)s: %(booking)s.",
                    person=person.display_name,
                    booking=_describe(booking),
                ),
                "success",
            )
            return redirect(url_for("bookings.detail", booking_id=booking.id))
    page = render_template(
        "manage/book.html", form=form, person=person, people=found, search=search, violations=violations
    )
    return (page, 422) if request.method == "POST" else page


def _book(form: OnBehalfForm, person: User) -> Booking:
    resource = facilities.get_facility(current_user, form.resource_id.data)
    tz = zone(resource.timezone)
    start: datetime = to_utc(form.local_start(), tz)
    end: datetime = to_utc(form.local_end(), tz)
    return bookings.book_on_behalf(
        current_user,
        person,
        resource.id,
        start,
        end,
        party_size=form.party_size.data,
        purpose=(form.purpose.data or "").strip(),
        reason=form.reason.data,
        now=clock.now(),
    )
