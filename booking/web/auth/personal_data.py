"""Pages of personal data rights: see and download what is held about oneself, delete one's account."""

import json

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from booking import clock
from booking.services import personal_data, waitlist
from booking.web.auth import data_page
from booking.web.auth.forms import DeleteAccountForm
from booking.web.auth.routes import bp
from booking.web.errors import refusals


@bp.get("/profile/data")
@login_required
def my_data() -> str:
    data = personal_data.export(current_user._get_current_object())
    return render_template(
        "auth/my_data.html", account=data_page.account(data), tables=data_page.tables(data)
    )


@bp.get("/profile/data.json")
@login_required
def my_data_json() -> Response:
    data = personal_data.export(current_user._get_current_object())
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/profile/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> str | Response:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        now = clock.now()
        with refusals(form) as refused:
            cancelled = personal_data.delete_account(
                current_user._get_current_object(), password=form.password.data, now=now
            )
        if not refused:
            waitlist.promote_freed(cancelled, now=now)
            session.clear()
            logout_user()
            flash(_("Your account has been deleted. Thank you for using the platform."), "info")
            return redirect(url_for("main.home"))
    return render_template("auth/delete_account.html", form=form)
