"""Report routes: the dashboards (city office: every university; a manager: their own), their exports,
and the public transparency page."""

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from booking import clock
from booking.services import reports
from booking.services.permissions import Role
from booking.web.guards import require_role
from booking.web.input import optional_id
from booking.web.labels import CATEGORY_LABELS, KIND_LABELS, localized
from booking.web.reports import exports
from booking.web.reports.forms import ReportFilterForm
from booking.web.reports.tables import TABLE_NAMES, build_tables, chart_data, describe_filters
from models import Category, ResourceKind

bp = Blueprint("reports", __name__)
# Facilities the dashboard lists, in rank order (the files have them all).
FACILITIES_SHOWN = 50


# The dashboards are for staff; the transparency page is public.
require_role(bp, Role.STAFF, open_to_all=("transparency",))


def _filter_form() -> ReportFilterForm:
    form = ReportFilterForm(request.args)
    universities = reports.visible_universities(current_user)
    form.university.choices = [SelectChoice("", _("All universities"))] if len(universities) > 1 else []
    form.university.choices += [SelectChoice(str(u.id), localized(u)) for u in universities]
    asked = request.args.get("university", "")
    if asked and asked not in {str(u.id) for u in universities}:
        abort(404)  # another university's figures are not found, as its objects are
    form.kind.choices = [SelectChoice("", _("All kinds"))] + [
        SelectChoice(k.value, str(label)) for k, label in KIND_LABELS.items()
    ]
    form.category.choices = [SelectChoice("", _("Everyone"))] + [
        SelectChoice(c.value, str(label)) for c, label in CATEGORY_LABELS.items()
    ]
    return form


def _report(form: ReportFilterForm) -> reports.Report:
    """The report the (valid) form asks for; a university out of the person's reach is not found."""
    yesterday = reports.yesterday(clock.now())
    university = form.university.data
    filters = reports.Filters(
        form.chosen_period(yesterday),
        university_id=optional_id(university),
        kind=ResourceKind(form.kind.data) if form.kind.data else None,
        category=Category(form.category.data) if form.category.data else None,
    )
    return reports.build(current_user, filters)


@bp.get("/reports")
def dashboard() -> str | tuple[str, int] | Response:
    form = _filter_form()
    status = 200
    if not form.validate():
        # The errors are shown beside the fields; the figures are the default report's.
        form.period.data, form.on.data, form.date_from.data, form.date_to.data = "term", None, None, None
        form.kind.data, form.category.data, form.rank.data = "", "", "utilisation"
        status = 422
    report = _report(form)
    # The page shows the first facilities; the files have them all.
    tables = build_tables(report, form.rank.data or "utilisation", facility_limit=FACILITIES_SHOWN)
    args = {k: v for k, v in request.args.items() if v}
    page = render_template(
        "reports/dashboard.html",
        form=form,
        report=report,
        tables=tables,
        charts=chart_data(report, tables),
        covers=describe_filters(report),
        facilities_shown=FACILITIES_SHOWN,
        args=args,
    )
    return page if status == 200 else (page, status)


@bp.get("/reports/<table>.<fmt>")
def export(table: str, fmt: str) -> Response:
    if table not in TABLE_NAMES or fmt not in exports.FORMATS:
        abort(404)
    form = _filter_form()
    if not form.validate():
        abort(400)
    return exports.download(_report(form), table, fmt, form.rank.data or "utilisation")


@bp.get("/transparency")
def transparency() -> str:
    """Public: per university, the hours offered, the city's share of what was booked, and its trend over
    the last twelve months. Sums only: no name, email or purpose can appear."""
    summary = reports.public_summary(reports.yesterday(clock.now()))
    return render_template("reports/transparency.html", summary=summary)
