"""Audit log routes: managers read their university's events, the admin reads all."""

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from booking.services.permissions import Role
from booking.web.audit import events
from booking.web.audit.forms import AuditFilterForm
from booking.web.guards import require_role
from booking.web.input import query_int
from booking.web.labels import localized

bp = Blueprint("audit", __name__)


require_role(bp, Role.STAFF)


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.facility.choices = [SelectChoice("", _("All facilities"))] + [
        SelectChoice(
            str(r.id),
            f"{localized(r)} · {localized(r.university)}" if current_user.is_admin else localized(r),
        )
        for r in events.facilities(current_user)
    ]
    form.action.choices = [SelectChoice("", _("All actions"))] + [
        SelectChoice(action, events.action_label(action)) for action in events.actions(current_user)
    ]
    return form


@bp.get("/audit")
def index() -> tuple[str, int] | str:
    form = _filter_form()
    valid = form.validate()
    filters = events.Filters(timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"])
    if valid:
        filters = events.Filters(
            facility_id=int(form.facility.data) if form.facility.data else None,
            person=form.person.data or "",
            action=form.action.data or "",
            date_from=form.date_from.data,
            date_to=form.date_to.data,
            timezone=filters.timezone,
        )
    pagination = events.search(current_user, filters, request.args.get("page", 1, type=query_int))
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    page = render_template(
        "audit/index.html",
        form=form,
        pagination=pagination,
        rows=events.describe(current_user, pagination.items),
        args=args,
        timezone=filters.timezone,
    )
    return page if valid else (page, 422)
