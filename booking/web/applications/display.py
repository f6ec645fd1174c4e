"""How an application's answers read on a page, in the reader's language; and the fields' error messages."""

from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask_babel import gettext as _

from booking.engine.answers import YES_NO, Question
from booking.services.applications import answers_of
from booking.web.labels import is_chinese, locale_code


def answer_text(question: Question, value: Any) -> str:
    """An answer as the reader reads it; "" when it was not answered."""
    if question.type == YES_NO and isinstance(value, bool):
        return _("Yes") if value else _("No")
    return question.shown(value, locale_code())


def choice_label(choice: tuple[str, str]) -> str:
    zh, en = choice
    return (zh or en) if is_chinese() else (en or zh)


def errors_by_field(errors: Iterable[tuple[str | None, Any]] | None) -> dict[str | None, list[str]]:
    """A service's Invalid errors, translated, by field (None: about the whole request)."""
    shown: dict[str | None, list[str]] = {}
    for name, message in errors or ():
        shown.setdefault(name, []).append(_(str(message)))
    return shown


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        answer_text=answer_text,
        choice_label=choice_label,
        errors_by_field=errors_by_field,
        application_answers=answers_of,
    )
