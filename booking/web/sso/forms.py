"""Campus sign-on forms: the sign-in button, a new account's name and address, the city office's settings."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from booking.web.forms import Form


def _required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


class SignOnForm(Form):
    """ "Sign in with <university>": a button (CSRF-protected, so no other site can start a sign-in here)."""

    next = HiddenField()


class NewAccountForm(Form):
    display_name = StringField(_l("Your name"), validators=[_required(), Length(max=100)])
    email = EmailField(_l("Email"), validators=[_required(), Length(max=254)])
    submit = SubmitField(_l("Create my account"))


class SettingsForm(Form):
    server_url = StringField(_l("CAS server address"), validators=[_required(), Length(max=300)])
    protocol = SelectField(
        _l("Protocol"),
        coerce=int,
        choices=[SelectChoice(3, _l("CAS 3.0")), SelectChoice(2, _l("CAS 2.0"))],
        validators=[_required()],
    )
    number_attribute = StringField(
        _l("Attribute with the student or staff number"), validators=[_required(), Length(max=64)]
    )
    role_attribute = StringField(
        _l("Attribute telling students from staff"), validators=[Optional(), Length(max=64)]
    )
    staff_values = StringField(_l("Values of it that mean staff"), validators=[Optional(), Length(max=300)])
    name_attribute = StringField(
        _l("Attribute with the person's name"), validators=[Optional(), Length(max=64)]
    )
    email_attribute = StringField(
        _l("Attribute with the email address"), validators=[Optional(), Length(max=64)]
    )
    enabled = BooleanField(_l("Show “Sign in with this university” on the login page"))
