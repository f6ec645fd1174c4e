"""Inbox routes: the signed-in person's notifications, marking them read, a manager's email setting."""

from typing import cast

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking import clock
from booking.services import inbox
from booking.services.permissions import Role, has_role
from booking.web.forms import posted
from booking.web.inbox import labels
from booking.web.inbox.forms import ButtonForm, DigestForm
from booking.web.input import query_int

bp = Blueprint("inbox", __name__)


@bp.record_once
def _register_labels(state: BlueprintSetupState) -> None:
    labels.register(cast("Flask", state.app))


def _back() -> Response:
    return redirect(url_for("inbox.index", page=request.args.get("page", type=query_int) or None))


@bp.get("/notifications")
@login_required
def index() -> str:
    pagination = inbox.page(current_user, request.args.get("page", 1, type=query_int))
    digest_form = None
    if has_role(current_user, Role.MANAGER):
        digest_form = DigestForm(emails="digest" if current_user.notify_digest else "each")
    return render_template(
        "inbox/index.html",
        pagination=pagination,
        notifications=pagination.items,
        button=ButtonForm(),
        digest_form=digest_form,
    )


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int) -> Response:
    posted(ButtonForm())
    inbox.mark_read(current_user, notification_id, now=clock.now())
    return _back()


@bp.post("/notifications/read-all")
@login_required
def mark_all_read() -> Response:
    posted(ButtonForm())
    count = inbox.mark_all_read(current_user, now=clock.now())
    flash(
        ngettext("%(num)d notification marked as read.", "%(num)d notifications marked as read.", count),
        "success",
    )
    return _back()


@bp.post("/notifications/settings")
@login_required
def settings() -> Response:
    if not has_role(current_user, Role.MANAGER):
        abort(403)
    form = DigestForm()
    if not form.validate_on_submit():
        for message in form.emails.errors:
            flash(message, "error")
        return redirect(url_for("inbox.index"))
    inbox.set_digest(current_user, form.emails.data == "digest")
    if form.emails.data == "digest":
        flash(_("New requests will come in one summary email per scheduled run."), "success")
    else:
        flash(_("You will get one email for each new request."), "success")
    return redirect(url_for("inbox.index"))
