"""Pages of email confirmation: the emailed link, the 6-digit code, sending them again, changing address."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking.extensions import limiter
from booking.services import email_verification
from booking.services.errors import Invalid
from booking.web.auth.forms import EmailChangeForm, VerificationCodeForm
from booking.web.auth.recovery import _signed_in, link_problem
from booking.web.auth.routes import _limits_off, _too_many_attempts, bp, posts_limited
from booking.web.errors import refusals


def _resend_limit() -> str:
    return current_app.config["VERIFY_RESEND_LIMIT"]


def _code_limit() -> str:
    return current_app.config["VERIFY_CODE_LIMIT"]


def _person() -> str:
    return f"person:{current_user.get_id() if current_user.is_authenticated else ''}"


@bp.route("/verify", methods=["GET", "POST"])
@login_required
@posts_limited(_code_limit, key_func=_person)
def verify_email() -> str | Response:
    form = VerificationCodeForm()
    waiting = current_user.pending_email or (None if current_user.email_verified else current_user.email)
    if waiting is not None and form.validate_on_submit():
        with refusals(form) as refused:
            email_verification.confirm_code(current_user._get_current_object(), form.code.data)
        if not refused:
            flash(_("Your email address is confirmed. You can book now."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/verify_email.html", form=form, waiting=waiting)


@bp.get("/verify/<token>")
def confirm_email(token: str) -> Response | tuple[str, int]:
    with refusals() as refused:
        user = email_verification.confirm_link(token, signed_in=_signed_in())
    if isinstance(refused.error, Invalid):
        return link_problem(refused.error)
    flash(_("%(email)s is confirmed. You can book now.", email=user.email), "success")
    return redirect(url_for("main.home") if current_user.is_authenticated else url_for("auth.login"))


@bp.post("/verify/resend")
@login_required
@limiter.limit(_resend_limit, key_func=_person, exempt_when=_limits_off, error_message=_too_many_attempts)
def resend_verification() -> Response:
    with refusals() as refused:
        email_verification.resend(current_user._get_current_object())
    if refused:
        refused.flash("info")
    else:
        flash(
            _(
                "We sent a new link and code to %(email)s.",
                email=current_user.pending_email or current_user.email,
            ),
            "success",
        )
    return redirect(url_for("auth.verify_email"))


@bp.route("/profile/email", methods=["GET", "POST"])
@login_required
def change_email() -> str | Response:
    form = EmailChangeForm()
    if form.validate_on_submit():
        with refusals(form) as refused:
            address = email_verification.request_change(
                current_user._get_current_object(), new_email=form.email.data, password=form.password.data
            )
        if not refused:
            flash(
                _(
                    "We sent a link and a code to %(email)s. Your account moves to that address once you "
                    "confirm it; until then it keeps the current one.",
                    email=address,
                ),
                "info",
            )
            return redirect(url_for("auth.verify_email"))
    return render_template("auth/change_email.html", form=form)
