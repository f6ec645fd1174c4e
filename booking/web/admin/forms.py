"""City-office forms: a university, granting manager rights, decisions with a reason."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from booking.web.forms import Form


def _required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


class ButtonForm(Form):
    """A button with nothing but the CSRF token."""


class UniversityForm(Form):
    name_zh = StringField(_l("Name in Chinese"), validators=[_required(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[_required(), Length(max=200)])
    code = StringField(_l("Short code"), validators=[_required(), Length(max=32)])


class GrantManagerForm(Form):
    email = EmailField(_l("Email of an existing account"), validators=[_required(), Length(max=254)])
    university_id = SelectField(_l("University"), coerce=int, validators=[_required()])


class ReasonForm(Form):
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(_l("Please give a reason; the person will read it.")), Length(max=300)],
    )
