"""Forms for verifying students: a verify button and a rejection with its reason."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from booking.web.forms import Form


class VerifyForm(Form):
    """A button with nothing but the CSRF token."""


class RejectForm(Form):
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(_l("Please give a reason; the person will read it.")), Length(max=300)],
    )
