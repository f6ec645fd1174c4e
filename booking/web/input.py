"""Numbers and addresses from outside, bounded before they reach the database.

Ids and counts are PostgreSQL `integer` columns (int4): a larger number in a URL, a query parameter or a form
field is simply not a row, so it is a 404 or "not a valid choice", never a database error. Dates are kept to
2000–2100, where every booking rule's arithmetic stays far from the limits of Python's `date`.
"""

import unicodedata
from datetime import date
from typing import Any

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, Map

from booking.text import BIDI_CONTROLS

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: at most INT_MAX, so a larger id is a 404 without asking the database."""

    def __init__(
        self, url_map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None
    ) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=INT_MAX if max is None else max)


def parse_int(value: Any, *, low: int = INT_MIN, high: int = INT_MAX) -> int:
    """An integer written in ASCII digits (optionally signed) within [low, high], else ValueError.

    `int()` alone takes any size and exotic spellings ("１２", "1_000"); `str.isdigit()` is true for "²",
    which `int()` then refuses with an error nobody caught.
    """
    text = str(value).strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdecimal()) or len(digits) > 10:
        raise ValueError(value)
    number = int(text)
    if not low <= number <= high:
        raise ValueError(value)
    return number


def parse_id(value: Any) -> int:
    """A row id (1..INT_MAX) from a form value or a query parameter, else ValueError."""
    return parse_int(value, low=1)


def optional_id(value: Any) -> int | None:
    """A select field's coerce for an optional id: '' is None, anything but an id a ValueError."""
    if value in (None, "", "None"):
        return None
    return parse_id(value)


def parse_index(value: Any) -> int:
    """A position in a list (0..INT_MAX), else ValueError."""
    return parse_int(value, low=0)


def query_int(value: str) -> int:
    """`request.args.get(name, type=query_int)`: a page number or id; anything else is the default."""
    return parse_int(value, low=0)


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS for ch in value)


def _refuse_control_characters() -> None:
    """The last line of defence: a path or query string with control characters is a bad request.

    Forms check their own fields and show a message next to each; this catches the parameters views read
    directly (searches, `next`, `?user=`) before any of them reaches the database or a header.
    """
    values = [request.path]
    for key, items in request.args.lists():
        values.append(key)
        values.extend(items)
    if any(_has_control_characters(value) for value in values):
        abort(400, _("The address contains control characters. Please check the link and try again."))


def register_converters(app: Flask) -> None:
    """Before any route is added: `<int:...>` becomes the bounded IdConverter."""
    app.url_map.converters["int"] = IdConverter


def register(app: Flask) -> None:
    app.before_request(_refuse_control_characters)
