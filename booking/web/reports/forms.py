"""The reports' filter form (GET; it changes nothing, so no CSRF token) and the city's target form."""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from booking.services import reports
from booking.services.reports import PeriodKind
from booking.web.forms import Form

PERIOD_LABELS = {
    PeriodKind.WEEK: _l("Week"),
    PeriodKind.MONTH: _l("Month"),
    PeriodKind.TERM: _l("Term"),
    PeriodKind.YEAR: _l("Year"),
    PeriodKind.CUSTOM: _l("Custom dates"),
}
RANK_LABELS = {"utilisation": _l("Utilisation"), "openness": _l("City share")}


class ReportFilterForm(Form):
    class Meta:
        csrf = False

    period = SelectField(
        _l("Period"),
        choices=[(kind.value, label) for kind, label in PERIOD_LABELS.items()],
        default=PeriodKind.TERM.value,
        validators=[Optional()],
    )
    on = DateField(_l("Including the day"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])
    university = SelectField(_l("University"), coerce=str, validators=[Optional()])
    kind = SelectField(_l("Kind"), coerce=str, validators=[Optional()])
    category = SelectField(_l("Booked by"), coerce=str, validators=[Optional()])
    rank = SelectField(
        _l("Rank facilities by"),
        choices=list(RANK_LABELS.items()),
        default="utilisation",
        validators=[Optional()],
    )

    def validate(self, extra_validators: dict | None = None) -> bool:
        # Checked here, not in a field validator: Optional() stops a field's chain when it is empty.
        valid = super().validate(extra_validators)
        if valid and self.period.data == PeriodKind.CUSTOM.value:
            problem = self._custom_dates_problem()
            if problem is not None:
                self.date_to.errors = [*self.date_to.errors, problem]
                valid = False
        return valid

    def _custom_dates_problem(self) -> str | None:
        first, last = self.date_from.data, self.date_to.data
        if not (first and last):
            return str(_l("Custom dates need a first and a last day."))
        if last < first:
            return str(_l("The end date is before the start date."))
        if (last - first).days >= reports.MAX_DAYS:
            return str(_l("A report covers at most two years."))
        return None

    def chosen_period(self, yesterday: date) -> reports.Period:
        """The period asked for; by default the term that holds yesterday (the last day measured)."""
        kind = PeriodKind(self.period.data or PeriodKind.TERM.value)
        if kind is PeriodKind.CUSTOM:
            return reports.Period(self.date_from.data, self.date_to.data, kind)
        on = self.on.data or yesterday
        if not date(2000, 1, 1) <= on <= yesterday + timedelta(days=3660):
            on = yesterday
        return reports.period_of(kind, on)


class TargetForm(Form):
    percent = IntegerField(
        _l("Target share of booked hours used by the city (%)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=100, message=_l("Enter a whole number from 0 to 100.")),
        ],
    )
