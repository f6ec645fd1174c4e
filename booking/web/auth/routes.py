"""Account pages: register, log in, log out, profile and password change (recovery, confirmation and
personal data pages live in their own modules on this blueprint)."""

import hashlib
from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_limiter import RouteLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from booking import clock
from booking.extensions import limiter
from booking.mailbox import normalize_email
from booking.services import accounts, pools
from booking.web.auth import devices, sessions
from booking.web.auth.forms import LoginForm, PasswordChangeForm, ProfileForm, RegistrationForm
from booking.web.errors import refusals
from booking.web.labels import locale_code, localized
from booking.web.safety import safe_next_url
from models import Category, User

bp = Blueprint("auth", __name__)


def _register_limit() -> str:
    return current_app.config["REGISTER_LIMIT"]


# Login throttling counts failed attempts only (a wrong email or password), never successful ones, under
# three keys: the (account, address) pair, the address, and the account. The owner is never slowed by
# someone else's failures: not from another address (a pair of its own), and not through the account's
# count either if their browser has signed in to the account before (devices.py). The address is the
# client's as the trusted proxies report it (TRUSTED_PROXIES), not the proxy's.


def _pair_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_LIMIT"]


def _submitted_email() -> str:
    return normalize_email(request.form.get("email", ""))


def _account_key() -> str:
    # A digest: counters name no address in Redis, and a huge "email" makes no huge key.
    return hashlib.sha256(_submitted_email().encode()).hexdigest()[:32]


def _account_and_address() -> str:
    return f"pair:{_account_key()}|{get_remote_address()}"


def _account() -> str:
    return "account:" + _account_key()


def _failed_login(response: Response) -> bool:
    # A failed login shows the form again with its errors (422); a successful one redirects, a refused one
    # is a 429.
    return response.status_code in {200, 422}


def _known_browser_or_limits_off() -> bool:
    return _limits_off() or devices.is_known(_submitted_email())


def _too_many_attempts() -> str:
    # Without this the limiter would describe the 429 with the bare limit ("10 per 1 minute"); the error
    # page says how long to wait.
    return _("Too many attempts in a short time.")


def _limits_off() -> bool:
    # The limiter is one object shared by every app in the process; each app's own setting decides here.
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def posts_limited(
    limit: Callable[[], str],
    *,
    key_func: Callable[[], str] | None = None,
    deduct_when: Callable[[Response], bool] | None = None,
    exempt_when: Callable[[], bool] = _limits_off,
) -> RouteLimit:
    """The limiter on a page's form posts: off where the app turns limits off, its 429 said in words."""
    return limiter.limit(
        limit,
        methods=["POST"],
        key_func=key_func,
        deduct_when=deduct_when,
        exempt_when=exempt_when,
        error_message=_too_many_attempts,
    )


def _home_or_next(target: str | None) -> Response:
    return redirect(safe_next_url(target) or url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
@posts_limited(_register_limit)
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    # The language of pages and emails: the one chosen here, else the one the visitor reads (their
    # choice on the site, or their browser's).
    language = "zh_CN" if locale_code().startswith("zh") else "en"
    form = RegistrationForm(locale=language)
    form.set_universities(accounts.universities())
    if form.validate_on_submit():
        with refusals(form) as refused:
            user = accounts.register(**form.registration())
        if not refused:
            sessions.begin(user, remember=False)
            session["locale"] = user.locale
            refresh()
            flash(_welcome(user), "success")
            flash(
                _(
                    "We sent a link and a 6-digit code to %(email)s. Confirm your address with either to "
                    "start booking; until then you can look around.",
                    email=user.email,
                ),
                "info",
            )
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
@posts_limited(_pair_limit, key_func=_account_and_address, deduct_when=_failed_login)
@posts_limited(_address_limit, deduct_when=_failed_login)
@posts_limited(
    _account_limit, key_func=_account, deduct_when=_failed_login, exempt_when=_known_browser_or_limits_off
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
            sessions.begin(user, remember=form.remember.data)
            response = _home_or_next(form.next.data or request.args.get("next"))
            devices.remember(response, _submitted_email())
            return response
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        accounts.end_sessions(current_user.id)  # copies of this login (and the person's others) end too
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
        with refusals(form) as refused:
            accounts.update_profile(
                current_user,
                display_name=form.display_name.data,
                phone=form.phone.data,
                locale=form.locale.data,
            )
        if not refused:
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
        with refusals(form) as refused:
            accounts.change_password(
                current_user, current_password=form.current_password.data, new_password=form.new_password.data
            )
        if not refused:
            # The change ended every login of this person; this browser, which proved the password, stays.
            remembered = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
            sessions.begin(current_user._get_current_object(), remember=remembered)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/change_password.html", form=form)


# The account pages of their own modules put their routes on this blueprint when imported.
from booking.web.auth import confirmation, personal_data, recovery, tokens  # noqa: E402, F401
