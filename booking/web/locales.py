"""Which language a request is answered in: the account's choice, the session's, the browser's."""

import flask_babel
from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

from booking.locales import babel_locale


def select_locale() -> Locale:
    """A saved preference wins, then the session's choice, then the browser's Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs: the configured default
        return babel_locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    if request.path.startswith("/api/"):
        # The API reads no cookie, session or account: only the request's Accept-Language.
        return babel_locale(browser_locale())
    if current_user.is_authenticated and current_user.locale in languages:
        return babel_locale(current_user.locale)
    return babel_locale(visitor_locale())


def visitor_locale() -> str:
    """The language this request asks for without looking up the account: the session's choice, else the
    browser's Accept-Language. Used directly where the database may be unreachable."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    return browser_locale()


def browser_locale() -> str:
    """The language the request's Accept-Language prefers, else the configured default."""
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best == "en":
        return "en"
    if best in {"zh_CN", "zh"}:
        return "zh_CN"
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def install_template_gettext(app: Flask) -> None:
    """Templates' _(), ngettext(), pgettext() and npgettext() with the request's catalog looked up once.

    Flask-Babel's own look the locale and its catalog up again at every call (a page makes a hundred or
    more); these keep the catalog where Flask-Babel keeps a request's translations (`babel_translations`,
    which its `refresh()` and `force_locale()` clear and restore), so a changed locale is still obeyed.
    """
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def request_translations() -> Translations | NullTranslations:
    """flask_babel.get_translations(), remembered for the rest of the request (or app context)."""
    context = flask_babel._get_current_context()
    if context is None:
        return flask_babel.get_translations()
    translations = getattr(context, "babel_translations", None)
    if translations is None:
        translations = context.babel_translations = flask_babel.get_translations()
    return translations
