"""Campus sign-on pages: "Sign in with <university>", the CAS callback, a new account's details, and the
person's own connections.

The way out and back: the button (a CSRF-protected POST) keeps in the session which university the sign-in
is for, when it began and where to go afterwards (a local path only); the person signs in at the university;
its CAS server sends them back to the callback with a ticket, which is validated once with that server.
The callback's address (the CAS "service") is fixed per university and built on BASE_URL, never taken from
the request, so neither `service` nor `next` can send anyone elsewhere. A callback that this browser did not
start here, or started too long ago, is refused before any ticket is looked at.
"""

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from booking import clock
from booking.notify import absolute_url
from booking.services import campus_sso
from booking.services.errors import Invalid
from booking.web.auth import sessions
from booking.web.errors import refusals
from booking.web.labels import locale_code, localized
from booking.web.safety import safe_next_url
from booking.web.sso.forms import NewAccountForm, SignOnForm
from models import CampusRole, CampusSignOn

bp = Blueprint("sso", __name__, url_prefix="/sso")

PENDING = "campus_sign_on"  # session key: a sign-in started here, waiting for the university's answer
NEW_ACCOUNT = "campus_new_account"  # session key: a confirmed identity waiting for a name and address
PENDING_SECONDS = 15 * 60  # time to sign in at the university (its own two-factor step included)
NEW_ACCOUNT_SECONDS = 30 * 60
FAILURE_STATUS = {
    campus_sso.TICKET_REFUSED: 400,
    campus_sso.ATTRIBUTE_MISSING: 400,
    campus_sso.SERVER_FAILED: 502,
    "account": 409,
}


@bp.app_template_global()
def campus_sign_ons() -> list[CampusSignOn]:
    """The enabled universities, for the buttons on the login page (queried only where they are shown)."""
    return campus_sso.enabled_sign_ons()


def _service_url(university_id: int) -> str:
    # The CAS "service": the same address at the start and at the validation, as the protocol requires.
    return absolute_url("sso.callback", university_id=university_id)


def _now() -> int:
    return int(clock.now().timestamp())


def _timeout() -> float:
    return float(current_app.config["CAS_TIMEOUT_SECONDS"])


@bp.post("/<int:university_id>/start")
def start(university_id: int) -> Response | str:
    settings = campus_sso.enabled_sign_on(university_id)
    form = SignOnForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.login"))
    session[PENDING] = {
        "university_id": settings.university_id,
        "next": safe_next_url(form.next.data) or "",
        "at": _now(),
    }
    # A page that moves on by itself rather than a redirect: the CSP's form-action 'self' forbids a form
    # submission to end on another site, while a refresh (or the link, without it) is a navigation of its own.
    return render_template(
        "sso/leaving.html",
        settings=settings,
        login_url=campus_sso.login_url(settings, _service_url(settings.university_id)),
    )


def _failed(university_id: int | None, message: Any, status: int, next_url: str = "") -> tuple[str, int]:
    settings = None
    if university_id is not None:
        settings = next((s for s in campus_sso.enabled_sign_ons() if s.university_id == university_id), None)
    retry = SignOnForm(formdata=None, next=next_url)
    return render_template("sso/failed.html", message=message, settings=settings, retry=retry), status


def _pending(university_id: int) -> dict[str, Any] | None:
    """The sign-in this browser started for this university, taken out of the session (used once)."""
    pending = session.pop(PENDING, None)
    if (
        not isinstance(pending, dict)
        or pending.get("university_id") != university_id
        or not isinstance(pending.get("at"), int)
        or not 0 <= _now() - pending["at"] <= PENDING_SECONDS
    ):
        return None
    return pending


@bp.get("/<int:university_id>/callback")
def callback(university_id: int) -> Response | tuple[str, int]:
    pending = _pending(university_id)
    if pending is None:
        message = _("This sign-in was not started on this site, or took too long.")
        return _failed(university_id, message, 400)
    next_url = safe_next_url(pending.get("next")) or ""
    settings = campus_sso.enabled_sign_on(university_id)
    with refusals() as refused:
        assertion = campus_sso.validate_ticket(
            settings, request.args.get("ticket", ""), _service_url(university_id), timeout=_timeout()
        )
        outcome = campus_sso.sign_in(
            assertion, current=current_user if current_user.is_authenticated else None, now=clock.now()
        )
    if refused:
        field = refused.error.field if isinstance(refused.error, Invalid) else None
        message = " ".join(refused.messages())
        return _failed(university_id, message, FAILURE_STATUS.get(field or "", 400), next_url)
    if outcome.user is None:
        session[NEW_ACCOUNT] = {**assertion.as_dict(), "at": _now(), "next": next_url}
        return redirect(url_for("sso.new_account"))
    university = localized(settings.university)
    if current_user.is_authenticated and current_user.id == outcome.user.id:
        if outcome.linked_now:
            message = _("Your account is now connected to %(university)s's sign-on.", university=university)
            flash(message, "success")
    else:
        sessions.begin(outcome.user, remember=False)
        flash(_("Signed in with %(university)s.", university=university), "success")
    if outcome.verified_now:
        flash(_verified_message(assertion.role, university), "info")
    return redirect(next_url or url_for("main.home"))


def _verified_message(role: str, university: str) -> str:
    if role == CampusRole.STAFF:
        return _(
            "%(university)s confirmed that you work there: you book as campus staff.", university=university
        )
    return _("%(university)s confirmed that you study there: you book as its student.", university=university)


def _new_account_state() -> tuple[campus_sso.Assertion | None, dict[str, Any]]:
    state = session.get(NEW_ACCOUNT)
    if not isinstance(state, dict) or not isinstance(state.get("at"), int):
        return None, {}
    if not 0 <= _now() - state["at"] <= NEW_ACCOUNT_SECONDS:
        return None, {}
    fields = {k: v for k, v in state.items() if k not in ("at", "next")}
    return campus_sso.Assertion.from_dict(fields), state


@bp.route("/new-account", methods=["GET", "POST"])
def new_account() -> Response | str | tuple[str, int]:
    assertion, state = _new_account_state()
    if assertion is None:
        session.pop(NEW_ACCOUNT, None)
        return _failed(None, _("There is no university sign-in waiting here, or it took too long."), 400)
    settings = campus_sso.enabled_sign_on(assertion.university_id)
    form = NewAccountForm()
    if request.method == "GET":
        form.display_name.data = assertion.name
        form.email.data = assertion.email
    if form.validate_on_submit():
        with refusals(form) as refused:
            user = campus_sso.create_account(
                assertion,
                display_name=form.display_name.data,
                email=form.email.data,
                locale=session.get("locale") or locale_code(),
                now=clock.now(),
            )
        if not refused:
            next_url = safe_next_url(state.get("next")) or ""
            sessions.begin(user, remember=False)  # a fresh session: the waiting identity goes with the old
            university = localized(settings.university)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
            flash(_verified_message(assertion.role, university), "info")
            return redirect(next_url or url_for("main.home"))
    return render_template("sso/new_account.html", form=form, settings=settings, assertion=assertion)


@bp.get("/")
@login_required
def connections() -> str:
    return render_template(
        "sso/connections.html",
        identities=campus_sso.identities_of(current_user),
        sign_ons=campus_sso.enabled_sign_ons(),
        button=SignOnForm(formdata=None, next=url_for("sso.connections")),
    )
