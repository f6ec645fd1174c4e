"""The request's language: the locale selector Flask-Babel asks, and language codes parsed once."""

import functools

from babel import Locale
from flask import current_app, has_request_context, request, session
from flask_login import current_user


@functools.lru_cache(maxsize=16)
def babel_locale(identifier: str) -> Locale:
    """A language code as Babel's `Locale`, parsed once per process.

    Flask-Babel parses the code it is given on every request and every `force_locale`, and Babel finds
    "zh_CN" (its data is filed as zh_Hans_CN) only by scanning its list of some thousand locales: about a
    millisecond each time. Give it the parsed `Locale` instead.
    """
    return Locale.parse(identifier)


def select_locale() -> Locale:
    """A saved preference wins, then the session's choice, then the browser's Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs: the configured default
        return babel_locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user.is_authenticated and current_user.locale in languages:
        return babel_locale(current_user.locale)
    return babel_locale(visitor_locale())


def visitor_locale() -> str:
    """The language this request asks for without looking up the account: the session's choice, else the
    browser's Accept-Language. Used directly where the database may be unreachable."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best == "en":
        return "en"
    if best in {"zh_CN", "zh"}:
        return "zh_CN"
    return current_app.config["BABEL_DEFAULT_LOCALE"]
