"""What every blueprint's forms share: the project's base `Form`, whose fields refuse hostile input by type.
(A service's Invalid is shown next to the field it names by booking.web.errors.show_invalid.)

Every form derives from `Form`, never from FlaskForm directly, so a new field gets the same defaults:
- text (StringField and its kinds): no control characters, no text-direction overrides, not only invisible
  characters; one line unless it is a TextAreaField. Passwords (hashed, never shown) and hidden fields (never
  typed; each view parses its own: ids with `parse_id`, `next` with `safe_next_url`) are left alone;
- IntegerField: within PostgreSQL's integer unless the form sets its own NumberRange;
- FloatField/DecimalField: a finite number;
- DateField/DateTimeField: a date between 2000 and 2100;
- select fields: a coerced number within PostgreSQL's integer.
A form re-rendered with errors answers 422 (or 400 for a GET filter form), set once in `register`.
"""

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from flask import Flask, abort, has_request_context, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    DateField,
    DateTimeField,
    DecimalField,
    Field,
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, StopValidation

from booking.text import text_problem
from booking.web.input import EARLIEST_DATE, INT_MAX, INT_MIN, LATEST_DATE

Validator = Any
_FORMS_KEY = "booking.forms"  # the forms made during a request, kept in its WSGI environ


def _text(multiline: bool) -> Validator:
    def check(form: FlaskForm, field: Field) -> None:
        problem = text_problem(field.data, multiline=multiline) if isinstance(field.data, str) else None
        if problem is not None:
            # The text is unusable as it stands: no other message about it would help.
            field.errors[:] = []
            raise StopValidation(_(problem))

    return check


def _finite(form: FlaskForm, field: Field) -> None:
    data = field.data
    if data is None:
        return
    # Decimal("sNaN") cannot even be turned into a float to ask.
    if not (data.is_finite() if isinstance(data, Decimal) else math.isfinite(data)):
        raise StopValidation(_("Enter a number, such as 2 or 2.5."))


def _in_date_range(form: FlaskForm, field: Field) -> None:
    value = field.data
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise StopValidation(_("Choose a date between 2000 and 2100."))


def _chosen_numbers_in_range(form: FlaskForm, field: Field) -> None:
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    if any(isinstance(v, int) and not isinstance(v, bool) and not INT_MIN <= v <= INT_MAX for v in values):
        raise StopValidation(_("Not a valid choice."))


def _int_range(form: FlaskForm, field: Field) -> None:
    # A value that did not parse already says so; NumberRange would add a second message.
    if field.data is not None and not INT_MIN <= field.data <= INT_MAX:
        raise StopValidation(_("This number is too large or too small."))


def default_validators(field: Field) -> list[Validator]:
    """The validators every field of this type gets, run before the form's own."""
    if isinstance(field, PasswordField | HiddenField):
        return []
    if isinstance(field, TextAreaField):
        return [_text(multiline=True)]
    if isinstance(field, StringField):
        return [_text(multiline=False)]
    if isinstance(field, IntegerField):
        return [] if any(isinstance(v, NumberRange) for v in field.validators) else [_int_range]
    if isinstance(field, FloatField | DecimalField):
        return [_finite]
    if isinstance(field, DateField | DateTimeField):
        return [_in_date_range]
    if isinstance(field, SelectField | SelectMultipleField):
        return [_chosen_numbers_in_range]
    return []


class Form(FlaskForm):
    """The base of every form in the project (see the module's docstring)."""

    class Meta:
        def bind_field(self, form: FlaskForm, unbound_field: Any, options: dict[str, Any]) -> Field:
            field = unbound_field.bind(form=form, **options)
            extra = default_validators(field)
            if extra:
                # A new list: the unbound field's list is shared by every instance of the form.
                field.validators = [*extra, *field.validators]
            return field

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_request_context():
            request.environ.setdefault(_FORMS_KEY, []).append(self)


F = TypeVar("F", bound=FlaskForm)


def posted(form: F) -> F:
    """A button's form as posted: one that does not validate (no or a stale CSRF token, a forged hidden
    field) is a bad request, answered 400 before anything is done."""
    if not form.validate_on_submit():
        abort(400)
    return form


def _form_errors_are_client_errors(response: Response) -> Response:
    """A page re-rendered with a form's errors is the answer to bad input: 422 for a sent form, 400 for a
    GET filter form. Views may set the code themselves; a 200 is corrected here, once for every view."""
    if response.status_code != 200 or not any(form.errors for form in request.environ.get(_FORMS_KEY, ())):
        return response
    response.status_code = 400 if request.method == "GET" else 422
    return response


def register(app: Flask) -> None:
    app.after_request(_form_errors_are_client_errors)
