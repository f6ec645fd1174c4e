"""Waitlist forms: joining with the interval of a refused booking form, and leaving."""

from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from booking.web.forms import Form


class JoinForm(Form):
    """The booking form's own fields, sent again from its refusal: local date and times of the facility."""

    day = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("From"), validators=[InputRequired()])
    end_time = TimeField(_l("Until"), validators=[InputRequired()])
    party_size = IntegerField(_l("Number of people"), default=1, validators=[NumberRange(min=1, max=10000)])
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=500)])

    def local_start(self) -> datetime:
        return datetime.combine(self.day.data, self.start_time.data)

    def local_end(self) -> datetime:
        # An end of 00:00 means midnight at the end of the chosen day, as on the booking form.
        end_day = self.day.data + timedelta(days=1) if self.end_time.data == time(0) else self.day.data
        return datetime.combine(end_day, self.end_time.data)


class LeaveForm(Form):
    pass
