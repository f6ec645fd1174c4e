"""The profile's API tokens: create one (its secret shown once), see them, revoke one."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking import clock
from booking.services import api_tokens
from booking.services.api_tokens import Scope
from booking.web.auth.forms import ApiTokenForm, RevokeTokenForm
from booking.web.auth.routes import bp
from booking.web.errors import refusals


@bp.route("/profile/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> str | Response | tuple[str, int]:
    form = ApiTokenForm()
    secret = None
    if form.validate_on_submit():
        scopes = {scope for scope in Scope if getattr(form, scope.value).data}
        with refusals(form) as refused:
            made = api_tokens.create(current_user, form.name.data, scopes, now=clock.now())
        if not refused:
            secret = made.secret
            flash(_("Your token has been created. Copy it now: it will not be shown again."), "success")
            form = ApiTokenForm(formdata=None)
    page = render_template(
        "auth/tokens.html",
        form=form,
        revoke_form=RevokeTokenForm(),
        secret=secret,
        tokens=api_tokens.tokens_of(current_user),
    )
    return (page, 422) if form.errors else page


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    form = RevokeTokenForm()
    if form.validate_on_submit():
        token = api_tokens.revoke(current_user, token_id, now=clock.now())
        flash(_("The token “%(name)s” has been revoked.", name=token.name), "success")
    return redirect(url_for("auth.tokens"))
