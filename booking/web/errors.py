"""Friendly error pages in the reader's language; never a raw stack trace."""

import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, g, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden as werkzeug_forbidden
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as werkzeug_not_found

from booking.database import end_session
from booking.extensions import limiter, login_manager
from booking.services.errors import NotAllowed, NotFound
from booking.web.locales import visitor_locale
from models import db

log = logging.getLogger(__name__)

T = TypeVar("T")


def or_404(load: Callable[[], T]) -> T:
    """What `load` returns, or the 404 page when a service says NotFound."""
    try:
        return load()
    except NotFound:
        abort(404)


def register(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> tuple[str, int]:
        # A service's "not there, or not yours to see": the same page as any unknown address.
        return http_error(werkzeug_not_found())[:2]

    @app.errorhandler(NotAllowed)
    def not_allowed(error: NotAllowed) -> tuple[str, int]:
        return http_error(werkzeug_forbidden())[:2]

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = _("The form expired or was sent from elsewhere. Please reload the page and try again.")
        return render_template("errors/error.html", code=400, title=_("Bad request"), message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int, dict[str, str]]:
        code = error.code or 500
        titles = {
            400: _("Bad request"),
            403: _("Not allowed"),
            404: _("Page not found"),
            405: _("Method not allowed"),
            413: _("Upload too large"),
            429: _("Too many attempts"),
        }
        messages = {
            400: _("Something in the request was not valid."),
            403: _("You do not have permission to do that."),
            404: _("We could not find that page. It may have moved or never existed."),
            405: _("That action is not available here."),
            413: _("The file is too large."),
        }
        # A description given with abort(code, description) is specific and already translated by the view.
        # Rate-limit errors describe the limit ("10 per 1 minute"); people get the friendly sentence.
        if code != 429 and error.description and error.description != type(error).description:
            message = error.description
        else:
            message = messages.get(code, _("Something went wrong."))
        title = titles.get(code, _("Error"))
        headers = {}
        if code == 429:
            wait = _seconds_until_allowed()
            message = _too_many_attempts(wait)
            headers["Retry-After"] = str(wait)
        return render_template("errors/error.html", code=code, title=title, message=message), code, headers

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str, int]:
        log.exception("unhandled error", exc_info=error)
        try:
            db.session.rollback()
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
