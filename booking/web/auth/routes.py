"""Account pages: register, log in, log out, profile and password change."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from booking import clock
from booking.extensions import limiter
from booking.services import accounts, pools
from booking.web.auth.forms import LoginForm, PasswordChangeForm, ProfileForm, RegistrationForm
from booking.web.forms import show_error
from booking.web.labels import locale_code, localized
from booking.web.safety import safe_next_url
from models import Category, User

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_LIMIT"]


def _submitted_account() -> str:
    """The per-account throttle key: guessing one account's password from many addresses is slowed too."""
    return "account:" + accounts.normalize_email(request.form.get("email", ""))


def _too_many_attempts() -> str:
    # Without this the limiter would describe the 429 with the bare limit ("10 per 1 minute").
    return _("Too many attempts in a short time. Please wait a minute and try again.")


def _limits_off() -> bool:
    # The limiter is one object shared by every app in the process; each app's own setting decides here.
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def _home_or_next(target: str | None) -> Response:
    return redirect(safe_next_url(target) or url_for("main.home"))


def _begin_session(user: User, remember: bool) -> None:
    """Log in on a fresh session (no fixation), keeping only the language the visitor chose."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"], exempt_when=_limits_off, error_message=_too_many_attempts)
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegistrationForm()
    form.set_universities(accounts.universities())
    if form.validate_on_submit():
        try:
            user = accounts.register(**form.registration())
        except accounts.AccountError as error:
            show_error(form, error)
        else:
            _begin_session(user, remember=False)
            flash(_welcome(user), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/register.html", form=form)


def _welcome(user: User) -> str:
    if user.category == Category.STUDENT and user.organization is not None:
        return _(
            "Welcome, %(name)s! Until %(university)s confirms that you study there, you book as a resident.",
            name=user.display_name,
            university=localized(user.organization),
        )
    if user.category == Category.ENTERPRISE and user.organization is not None:
        return _(
            "Welcome, %(name)s! Until the city office verifies your membership of %(company)s, "
            "you book as a resident.",
            name=user.display_name,
            company=localized(user.organization),
        )
    return _("Welcome, %(name)s! Your account is ready.", name=user.display_name)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], exempt_when=_limits_off, error_message=_too_many_attempts)
@limiter.limit(
    _login_limit,
    methods=["POST"],
    key_func=_submitted_account,
    exempt_when=_limits_off,
    error_message=_too_many_attempts,
)
def login() -> str | Response:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return _home_or_next(form.next.data)
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("Email or password is incorrect."))
        elif not user.is_active:
            form.form_errors.append(_("This account has been deactivated. Please contact the city office."))
        else:
            _begin_session(user, remember=form.remember.data)
            return _home_or_next(form.next.data or request.args.get("next"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    # Clear first: logout_user() then marks a remember-me cookie for deletion in the emptied session.
    session.clear()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> str | Response:
    form = ProfileForm(obj=current_user)
    if request.method == "GET" and current_user.locale is None:
        form.locale.data = session.get("locale") or locale_code()
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user,
                display_name=form.display_name.data,
                phone=form.phone.data,
                locale=form.locale.data,
            )
        except accounts.AccountError as error:
            show_error(form, error)
        else:
            session["locale"] = form.locale.data
            refresh()  # the confirmation already speaks the newly chosen language
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", form=form, pooled=pools.pooled_standing(current_user, clock.now())
    )


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, current_password=form.current_password.data, new_password=form.new_password.data
            )
        except accounts.AccountError as error:
            show_error(form, error)
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/change_password.html", form=form)
