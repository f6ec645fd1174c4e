"""Admin routes (city office): universities, managers, enterprise verification. Admins only."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from booking import clock
from booking.services import organizations, reports, verification
from booking.services.permissions import Role
from booking.web.admin.forms import ButtonForm, GrantManagerForm, ReasonForm, UniversityForm
from booking.web.errors import flash_outcome, refusals
from booking.web.forms import posted
from booking.web.guards import require_role
from booking.web.input import query_int
from booking.web.labels import localized
from booking.web.reports.forms import TargetForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


require_role(bp, Role.ADMIN)


@bp.get("/")
def index() -> str:
    return render_template(
        "admin/index.html",
        universities=organizations.universities(),
        managers=len(organizations.managers()),
        pending_enterprises=verification.pending_enterprise_count(),
    )


# --- universities ------------------------------------------------------------------------------------


@bp.get("/universities")
def universities() -> str:
    return render_template("admin/universities.html", universities=organizations.universities())


@bp.route("/universities/new", methods=["GET", "POST"], endpoint="new_university")
@bp.route("/universities/<int:university_id>/edit", methods=["GET", "POST"], endpoint="edit_university")
def university_form(university_id: int | None = None) -> Response | str:
    """Add a university, or edit one: the same form, saved by create or update."""
    university = None if university_id is None else organizations.get_university(university_id)
    form = UniversityForm(obj=university)
    if form.validate_on_submit():
        names = {"name_zh": form.name_zh.data, "name_en": form.name_en.data, "code": form.code.data}
        with refusals(form) as refused:
            if university is None:
                added = organizations.create_university(current_user, **names, now=clock.now())
                saved = _("%(name)s was added.", name=localized(added))
            else:
                organizations.update_university(current_user, university.id, **names, now=clock.now())
                saved = _("Saved.")
        if not refused:
            flash(saved, "success")
            return redirect(url_for("admin.universities"))
    return render_template("admin/university_form.html", form=form, university=university)


# --- managers ----------------------------------------------------------------------------------------


def _grant_form() -> GrantManagerForm:
    form = GrantManagerForm()
    form.university_id.choices = [
        SelectChoice(org.id, localized(org)) for org, _managers, _facilities in organizations.universities()
    ]
    return form


@bp.route("/managers", methods=["GET", "POST"])
def managers() -> Response | str:
    form = _grant_form()
    if form.validate_on_submit():
        with refusals(form) as refused:
            user = organizations.grant_manager(
                current_user, email=form.email.data, university_id=form.university_id.data, now=clock.now()
            )
        if not refused:
            flash(
                _(
                    "%(name)s now manages %(university)s.",
                    name=user.display_name,
                    university=localized(user.manages),
                ),
                "success",
            )
            return redirect(url_for("admin.managers"))
    return render_template(
        "admin/managers.html", form=form, managers=organizations.managers(), button=ButtonForm()
    )


@bp.get("/managers/<int:user_id>/revoke")
def confirm_revoke_manager(user_id: int) -> str:
    manager = organizations.get_manager(current_user, user_id)
    return render_template(
        "_confirm.html",
        question=_("Revoke %(name)s's manager rights?", name=manager.display_name),
        details=[manager.email, localized(manager.manages)],
        action=url_for("admin.revoke_manager", user_id=manager.id),
        back=url_for("admin.managers"),
        button=_("Yes, revoke"),
        consequence=_("They keep their account and bookings, but can no longer manage the university."),
    )


@bp.post("/managers/<int:user_id>/revoke")
def revoke_manager(user_id: int) -> Response:
    posted(ButtonForm())
    user = organizations.revoke_manager(current_user, user_id, now=clock.now())
    flash(_("%(name)s no longer has manager rights.", name=user.display_name), "success")
    return redirect(url_for("admin.managers"))


# --- enterprises -------------------------------------------------------------------------------------


@bp.get("/enterprises")
def enterprises() -> str:
    status = request.args.get("status", "pending")
    if status not in verification.ENTERPRISE_FILTERS:
        status = "pending"
    query = request.args.get("q", "").strip()[:100]
    pagination, rows = verification.enterprises(
        current_user, status=status, query=query, page=request.args.get("page", 1, type=query_int)
    )
    return render_template(
        "admin/enterprises.html", pagination=pagination, rows=rows, args={"status": status, "q": query}
    )


def _enterprise_page(organization_id: int, reject_form: ReasonForm | None = None) -> str:
    organization, members = verification.enterprise(current_user, organization_id)
    return render_template(
        "admin/enterprise.html",
        organization=organization,
        members=members,
        waiting=sum(1 for m in members if m.verification.value == "pending"),
        verify_form=ButtonForm(),
        reject_form=reject_form or ReasonForm(),
    )


@bp.get("/enterprises/<int:organization_id>")
def enterprise(organization_id: int) -> str:
    return _enterprise_page(organization_id)


@bp.post("/enterprises/<int:organization_id>/verify")
def verify_enterprise(organization_id: int) -> Response:
    posted(ButtonForm())
    flash_outcome(
        lambda: verification.verify_enterprise(current_user, organization_id, now=clock.now()),
        lambda verified: ngettext(
            "The enterprise is verified; %(num)d member can now book as an enterprise member.",
            "The enterprise is verified; %(num)d members can now book as enterprise members.",
            len(verified),
        ),
    )
    return redirect(url_for("admin.enterprise", organization_id=organization_id))


@bp.post("/enterprises/<int:organization_id>/reject")
def reject_enterprise(organization_id: int) -> Response | tuple[str, int]:
    form = ReasonForm()
    if not form.validate_on_submit():
        return _enterprise_page(organization_id, reject_form=form), 422
    flash_outcome(
        lambda: verification.reject_enterprise(
            current_user, organization_id, reason=form.reason.data, now=clock.now()
        ),
        lambda rejected: ngettext(
            "Verification declined; %(num)d member was told why.",
            "Verification declined; %(num)d members were told why.",
            len(rejected),
        ),
    )
    return redirect(url_for("admin.enterprise", organization_id=organization_id))


# --- openness targets --------------------------------------------------------------------------------


def _targets_page(failed: tuple[int, TargetForm] | None = None) -> str:
    current = reports.targets()
    rows = []
    for university in reports.visible_universities(current_user):
        if failed is not None and failed[0] == university.id:
            form = failed[1]
        else:
            form = TargetForm(formdata=None, percent=current.get(university.id))
        rows.append((university, form))
    return render_template("admin/targets.html", rows=rows)


@bp.get("/targets")
def targets() -> str:
    return _targets_page()


@bp.post("/targets/<int:university_id>")
def set_target(university_id: int) -> Response | tuple[str, int]:
    form = TargetForm()
    if not form.validate_on_submit():
        return _targets_page((university_id, form)), 422
    reports.set_target(current_user, university_id, form.percent.data, now=clock.now())
    flash(_("Saved."), "success")
    return redirect(url_for("admin.targets"))
