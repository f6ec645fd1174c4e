"""Check-in forms: the person's code, a manager's one-click check-in, lifting a suspension."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from booking.web.forms import Form


class CheckinForm(Form):
    code = StringField(
        _l("Check-in code"),
        validators=[
            InputRequired(_l("Enter the code shown at the venue.")),
            Regexp(r"^\s*\d{6}\s*$", message=_l("The code has 6 digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )


class ConfirmForm(Form):
    """A button with CSRF protection; `next` brings the manager back where they were."""

    next = HiddenField()


class LiftForm(Form):
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])
    next = HiddenField()
