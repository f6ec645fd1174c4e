"""Managers' pages for facility applications: the forms of each kind of facility and of each facility
(every save is a new version), and a facility's requests with their answers as a file.

For managers and the city office only (checked once for the blueprint); a university or facility the viewer
does not manage is a 404. The export carries personal data: only the university's own managers get it.
"""

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from booking import clock
from booking.services import applications, facilities
from booking.services.errors import Invalid
from booking.services.permissions import Role
from booking.web.applications.exports import requests_file
from booking.web.applications.forms import ApplicationFormForm
from booking.web.errors import refusals
from booking.web.guards import require_role
from booking.web.input import query_int
from booking.web.labels import KIND_LABELS, localized
from booking.web.reports import exports
from models import ApplicationForm, Organization, ResourceKind

bp = Blueprint("applications", __name__, url_prefix="/manage/applications")

Page = Response | str | tuple[str, int]


require_role(bp, Role.STAFF)


def _university() -> Organization:
    return facilities.university_for(current_user, request.args.get("university", type=query_int))


@bp.get("/")
def index() -> str:
    """Every kind of facility with its form's version, and the university's facilities with theirs."""
    university = _university()
    kinds = [
        (kind, label, applications.latest(university.id, applications.kind_scope(kind)))
        for kind, label in KIND_LABELS.items()
    ]
    own = [
        (resource, applications.latest(university.id, applications.resource_scope(resource.id)))
        for resource in facilities.facilities_of(university.id)
    ]
    return render_template(
        "applications/index.html",
        university=university,
        universities=facilities.universities_of(current_user) if current_user.is_admin else [],
        kinds=kinds,
        own=own,
    )


@bp.route("/kinds/<kind>", methods=["GET", "POST"])
def kind_form(kind: str) -> Page:
    if kind not in {k.value for k in ResourceKind}:
        abort(404)
    university = _university()
    chosen = ResourceKind(kind)
    current = applications.get_kind_form(current_user, university.id, chosen)
    return _edit(
        university.id,
        applications.kind_scope(chosen),
        current,
        title=_("Questions for every %(kind)s", kind=KIND_LABELS[chosen]),
        back=url_for("applications.index", university=university.id if current_user.is_admin else None),
    )


@bp.route("/facilities/<int:resource_id>", methods=["GET", "POST"])
def facility_form(resource_id: int) -> Page:
    resource = facilities.get_facility(current_user, resource_id)
    current = applications.latest(resource.university_id, applications.resource_scope(resource.id))
    return _edit(
        resource.university_id,
        applications.resource_scope(resource.id),
        current,
        title=_("Questions for %(facility)s", facility=localized(resource)),
        back=url_for("manage.facility_edit", resource_id=resource.id),
        resource=resource,
        kind_form=applications.latest(resource.university_id, applications.kind_scope(resource.kind)),
    )


def _edit(
    university_id: int,
    scope: str,
    current: ApplicationForm | None,
    *,
    title: str,
    back: str,
    **page: object,
) -> Page:
    form = ApplicationFormForm()
    context = {"form": form, "current": current, "title": title, "back": back, **page}
    if request.method == "GET":
        form.show(current)
        return render_template("applications/edit.html", **context)
    if not form.validate_on_submit():
        return render_template("applications/edit.html", **context), 422
    draft, rows = form.draft()
    with refusals() as refused:
        saved = applications.save_form(
            current_user, university_id=university_id, scope=scope, draft=draft, now=clock.now()
        )
    if isinstance(refused.error, Invalid):
        _attach(form, refused.error.errors, rows)
    if refused:
        return render_template("applications/edit.html", **context), 422
    flash(
        _("Saved as version %(v)d. Requests already made keep the version they answered.", v=saved.version),
        "success",
    )
    return redirect(request.full_path if request.query_string else request.path)


def _attach(form: ApplicationFormForm, errors: Iterable[tuple[str | None, Any]], rows: list[int]) -> None:
    """Each service message next to its field; a question's number in the draft is its row on the page."""
    for name, message in errors:
        target = None
        if name and name.startswith("questions-"):
            _prefix, n, field = name.split("-", 2)
            row = form.questions.entries[rows[int(n)]].form if int(n) < len(rows) else None
            target = row[field] if row is not None and field in row else None
        elif name:
            target = form._fields.get(name)
        if target is None:
            form.form_errors.append(_(str(message)))
        else:
            target.errors = [*target.errors, _(str(message))]


@bp.get("/facilities/<int:resource_id>/requests.<fmt>")
def export(resource_id: int, fmt: str) -> Response:
    """A facility's requests with their answers, as CSV or XLSX: for the university's own managers only."""
    if fmt not in exports.FORMATS:
        abort(404)
    return requests_file(current_user, resource_id, fmt)
