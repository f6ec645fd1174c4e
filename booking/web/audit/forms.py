"""The audit log's filter form (GET; it changes nothing, so no CSRF token)."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from booking.web.forms import Form


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    facility = SelectField(_l("Facility"), coerce=str, validators=[Optional()])
    person = StringField(_l("Person (name or email)"), validators=[Optional(), Length(max=100)])
    action = SelectField(_l("Action"), coerce=str, validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))
