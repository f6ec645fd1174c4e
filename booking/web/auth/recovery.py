"""Pages of password recovery: ask for a reset link, and set a new password with it."""

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from booking.services import recovery
from booking.services.errors import Invalid
from booking.web.auth.forms import ForgotPasswordForm, ResetPasswordForm
from booking.web.auth.routes import _account, bp, posts_limited
from booking.web.errors import refusals, show_invalid
from models import User


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_LIMIT"]


def _reset_account_limit() -> str:
    return current_app.config["PASSWORD_RESET_ACCOUNT_LIMIT"]


def _signed_in() -> User | None:
    """The signed-in person, or None: a link of someone else's is refused while signed in."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def link_problem(error: Invalid) -> tuple[str, int]:
    """The page for a link that cannot be used: why, and what to do; nothing was changed."""
    return render_template("auth/link_problem.html", message=str(error.message)), 400


@bp.route("/password/forgot", methods=["GET", "POST"])
@posts_limited(_reset_limit, key_func=lambda: "reset:" + get_remote_address())
@posts_limited(_reset_account_limit, key_func=lambda: "reset-" + _account())
def forgot_password() -> str | Response:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        recovery.request_reset(form.email.data)
        # The same answer whether or not the address has an account.
        flash(
            _(
                "If an account uses %(email)s, we have sent it a link to choose a new password. "
                "The link works once, for %(minutes)d minutes.",
                email=form.email.data,
                minutes=int(current_app.config["PASSWORD_RESET_MINUTES"]),
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response | tuple[str, int]:
    with refusals() as refused:
        recovery.check_link(token, signed_in=_signed_in())
    if isinstance(refused.error, Invalid):
        return link_problem(refused.error)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with refusals() as refused:
            recovery.reset_password(token, form.password.data, signed_in=_signed_in())
        if isinstance(refused.error, Invalid):
            if refused.error.field == "token":
                return link_problem(refused.error)
            show_invalid(form, refused.error)
        elif not refused:
            # Every login of the person ended, this browser's too: they sign in with the new password.
            session.clear()
            logout_user()
            flash(
                _("Your password has been changed, and you are signed out everywhere. Log in with it."),
                "success",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, token=token)
