"""Friendly error pages in the reader's language, never a raw stack trace; and the one way a view shows what a
service refused.

- `STATUS` is the one table from the service error family (booking.services.errors) to an HTTP status; the
  page's title and sentence come from `TITLES`/`MESSAGES` by status, as a JSON API's problem+json would.
- NotFound and NotAllowed are never caught by a view: the handler answers the 404 and 403 pages.
- Invalid and Refused are answers to one request, shown on the page the view renders: a view calls its
  service inside `with refusals(form) as refused:` and then re-renders (an Invalid's messages are already on
  the form, by `show_invalid`) or flashes `refused.flash()`. One that no view expected gets its status page.
"""

import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, flash, g, render_template, request
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from booking.database import end_session
from booking.extensions import limiter, login_manager
from booking.services.errors import Invalid, NotAllowed, NotFound, Refused, ServiceError
from booking.web.labels import render_violation
from booking.web.locales import visitor_locale
from models import db

log = logging.getLogger(__name__)

# What each service refusal answers, whoever asks (a page now, problem+json later); a subclass answers as
# its nearest listed base.
STATUS: dict[type[ServiceError], int] = {
    NotFound: 404,
    NotAllowed: 403,
    Invalid: 422,
    Refused: 409,
}

TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Not possible"),
    413: _l("Upload too large"),
    422: _l("Not valid"),
    429: _l("Too many attempts"),
}

MESSAGES = {
    400: _l("Something in the request was not valid."),
    403: _l("You do not have permission to do that."),
    404: _l("We could not find that page. It may have moved or never existed."),
    405: _l("That action is not available here."),
    413: _l("The file is too large."),
}

T = TypeVar("T")


def status_of(error: ServiceError) -> int:
    """The HTTP status of a service refusal (see `STATUS`)."""
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def _text(message: Any) -> str:
    """A service message in the reader's language: a lazy string as it is, an N_ template translated."""
    return _(message) if isinstance(message, str) else str(message)


def show_invalid(form: FlaskForm, error: Invalid) -> None:
    """Put each of the refusal's messages next to the field it names, or on the form when it names none of
    this form's fields. The one way a service's Invalid reaches a form."""
    for name, message in error.errors:
        field = form._fields.get(name) if name else None
        if field is None:
            form.form_errors.append(_text(message))
        else:
            field.errors = [*field.errors, _text(message)]


class Caught:
    """What `refusals` caught in its block: the service's Invalid or Refused, or nothing (falsy)."""

    def __init__(self) -> None:
        self.error: Invalid | Refused | None = None

    def __bool__(self) -> bool:
        return self.error is not None

    @property
    def violations(self) -> tuple[Any, ...]:
        """A Refused's violations, for a page that lists them (bookings/_violations.html)."""
        return self.error.violations if isinstance(self.error, Refused) else ()

    @property
    def code(self) -> str | None:
        return self.error.code if isinstance(self.error, Invalid) else None

    def messages(self) -> list[str]:
        """Each reason, translated: an Invalid's messages or a Refused's violations."""
        if isinstance(self.error, Refused):
            return [render_violation(v) for v in self.error.violations]
        if isinstance(self.error, Invalid):
            return [_text(message) for _field, message in self.error.errors]
        return []

    def flash(self, category: str = "error", lead: str | None = None, **params: Any) -> None:
        """Flash the reasons, each on its own, or all in one `lead` (see `flash_reasons`)."""
        flash_reasons(self.messages(), category, lead, **params)


def flash_violations(violations: Iterable[Any], lead: str | None = None, **params: Any) -> None:
    """Flash the violations of a refused request (one of a batch's, say) as errors, as `Caught.flash` does."""
    flash_reasons([render_violation(v) for v in violations], "error", lead, **params)


def flash_reasons(reasons: list[str], category: str, lead: str | None = None, **params: Any) -> None:
    """Each reason flashed on its own, or all of them in one `lead`: an N_ template with %(reasons)s."""
    if lead is None:
        for reason in reasons:
            flash(reason, category)
    else:
        flash(_(lead, reasons=" ".join(reasons), **params), category)


@contextmanager
def refusals(form: FlaskForm | None = None) -> Iterator[Caught]:
    """Run a service call; an Invalid or Refused it raises is caught (an Invalid's messages put on `form`).

        with refusals(form) as refused:
            facilities.update_policy(...)
        if refused:
            return page, 422

    Pass the page's form whenever there is one, so no Invalid goes unshown; without one the view shows the
    reasons itself (`refused.flash()`). NotFound, NotAllowed and anything else pass on to the handlers."""
    caught = Caught()
    try:
        yield caught
    except (Invalid, Refused) as error:
        caught.error = error
        if form is not None and isinstance(error, Invalid):
            show_invalid(form, error)


def flash_outcome(act: Callable[[], T], done: Callable[[T], str]) -> None:
    """Run `act` (a service call of a button with no form to show again): its refusal flashed as a warning,
    or what `done` says of its result as a success."""
    with refusals() as refused:
        result = act()
    if refused:
        refused.flash("warning")
    else:
        flash(done(result), "success")


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> tuple[str, int] | Response:
        if _api():
            return _api_problems().service_problem(error)
        code = status_of(error)
        if isinstance(error, NotFound) and "token" in (request.view_args or {}):
            # Plain text, not the HTML page, which would echo the requested path (and its secret token).
            return Response(_("Not found."), status=404, mimetype="text/plain")
        caught = Caught()
        caught.error = error if isinstance(error, Invalid | Refused) else None
        message = getattr(error, "message", None) if isinstance(error, NotFound) else None
        text = _text(message) if message is not None else " ".join(caught.messages())
        return _page(code, text or None)[:2]

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int] | Response:
        if _api():
            return _api_problems().http_problem(error)
        message = _("The form expired or was sent from elsewhere. Please reload the page and try again.")
        return render_template("errors/error.html", code=400, title=_("Bad request"), message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int, dict[str, str]] | Response:
        if _api():
            return _api_problems().http_problem(error)
        code = error.code or 500
        # A description given with abort(code, description) is specific and already translated by the view.
        # Rate-limit errors describe the limit ("10 per 1 minute"); people get the friendly sentence.
        specific = code != 429 and error.description and error.description != type(error).description
        return _page(code, error.description if specific else None)

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str | Response, int]:
        log.exception("unhandled error", exc_info=error)
        try:
            db.session.rollback()
            if _api():
                return _api_problems().problem(
                    500,
                    "server-error",
                    _("Something went wrong on our side. Nothing was changed; please try again."),
                ), 500
            return _server_error_page(), 500
        except Exception:
            # The database itself is what failed (a dropped connection, a restart): even the rollback or the
            # page's account lookups fail. Show the same page without touching it, in the language the
            # session or the browser asks for.
            log.warning("error page rendered without the database", exc_info=True)
            end_session(db.session)
            # Looking up the signed-in account needs the database: this page is shown as to a visitor.
            g._login_user = login_manager.anonymous_user()  # where Flask-Login keeps the request's user
            g.database_unavailable = True
            with force_locale(visitor_locale()):
                return _server_error_page(), 500


def _api() -> bool:
    """Whether the request is the public API's, answered with problem+json (booking/web/api/problems.py)."""
    return request.path.startswith("/api/")


def _api_problems() -> Any:
    from booking.web.api import problems  # the API builds on this module: imported when first needed

    return problems


def _page(code: int, message: str | None = None) -> tuple[str, int, dict[str, str]]:
    """The error page for `code`: its title, and `message` or the status's own sentence."""
    message = message or str(MESSAGES.get(code, _l("Something went wrong.")))
    headers = {}
    if code == 429:
        wait = _seconds_until_allowed()
        message = _too_many_attempts(wait)
        headers["Retry-After"] = str(wait)
    title = str(TITLES.get(code, _l("Error")))
    return render_template("errors/error.html", code=code, title=title, message=message), code, headers


def _seconds_until_allowed() -> int:
    """How long until every limit this request broke lets it through again, rounded up."""
    resets = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    return max(1, math.ceil(max(resets, default=0) - time.time()))


def _too_many_attempts(seconds: int) -> str:
    if seconds < 120:
        wait = ngettext("%(num)d second", "%(num)d seconds", seconds)
    else:
        wait = ngettext("%(num)d minute", "%(num)d minutes", math.ceil(seconds / 60))
    return _("Too many attempts in a short time. Please try again in %(wait)s.", wait=wait)


def _server_error_page() -> str:
    message = _("Something went wrong on our side. Nothing was changed; please try again.")
    return render_template("errors/error.html", code=500, title=_("Server error"), message=message)
