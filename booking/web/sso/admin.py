"""The city office's campus sign-on settings: each university's CAS server. Admins only; audited."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from booking import clock
from booking.notify import absolute_url
from booking.services import campus_sso
from booking.services.permissions import Role
from booking.web.errors import refusals
from booking.web.guards import require_role
from booking.web.labels import localized
from booking.web.sso.forms import SettingsForm

bp = Blueprint("sso_admin", __name__, url_prefix="/admin/sign-on")


require_role(bp, Role.ADMIN)


@bp.get("/")
def index() -> str:
    return render_template("sso/admin_index.html", rows=campus_sso.settings_overview(current_user))


@bp.route("/<int:university_id>", methods=["GET", "POST"])
def edit(university_id: int) -> Response | str:
    university, settings = campus_sso.settings_of(current_user, university_id)
    form = SettingsForm(obj=settings)
    if settings is None and request.method == "GET":
        form.protocol.data = 3
    if form.validate_on_submit():
        with refusals(form) as refused:
            campus_sso.configure(
                current_user,
                university.id,
                server_url=form.server_url.data,
                protocol=form.protocol.data,
                number_attribute=form.number_attribute.data,
                role_attribute=form.role_attribute.data,
                staff_values=form.staff_values.data,
                name_attribute=form.name_attribute.data,
                email_attribute=form.email_attribute.data,
                enabled=form.enabled.data,
                now=clock.now(),
            )
        if not refused:
            flash(_("Sign-on settings of %(name)s saved.", name=localized(university)), "success")
            return redirect(url_for("sso_admin.index"))
    return render_template(
        "sso/admin_edit.html",
        form=form,
        university=university,
        service_url=absolute_url("sso.callback", university_id=university.id),
    )
