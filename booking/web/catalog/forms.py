"""The catalog's filter form: query parameters parsed and validated, never trusted."""

from collections.abc import Sequence
from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from booking.services.catalog import Filters, FreeWindow
from booking.web.forms import Form
from booking.web.input import optional_id
from booking.web.labels import KIND_LABELS, localized, tag_label
from models import Organization, ResourceKind

MAX_CAPACITY = 100_000
MAX_TAGS = 10


class FacilityChoiceForm(Form):
    """The GET filters the catalog and the timeline share: a text search, a kind, a university."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name or description"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    university = SelectField(_l("University"), coerce=optional_id, validators=[Optional()])

    def __init__(self, *args: object, universities: Sequence[Organization] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _l("Any kind"))] + [(k.value, KIND_LABELS[k]) for k in ResourceKind]
        self.university.choices = [("", _l("Any university"))] + [(u.id, localized(u)) for u in universities]


class CatalogFilterForm(FacilityChoiceForm):
    """GET filters of /facilities/; the parameter names are the short ones shown in shared links."""

    campus = StringField(
        _l("Campus"), validators=[Optional(), Length(max=100)], render_kw={"list": "campus-options"}
    )
    capacity = IntegerField(
        _l("At least this many people"),
        validators=[Optional(), NumberRange(min=1, max=MAX_CAPACITY)],
        render_kw={"min": 1, "max": MAX_CAPACITY},
    )
    tag = SelectMultipleField(_l("Equipment and features"), validate_choice=False)
    date = DateField(_l("Free on"), validators=[Optional()])
    start = TimeField(_l("from"), validators=[Optional()])
    end = TimeField(_l("until"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1)])

    def __init__(
        self,
        *args: object,
        universities: Sequence[Organization] = (),
        tags: Sequence[str] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, universities=universities, **kwargs)
        # A tag from a shared link that no facility has any more still shows, ticked.
        self.tag.choices = [(t, tag_label(t)) for t in sorted({*tags, *(self.tag.data or [])})]

    def validate_tag(self, field: SelectMultipleField) -> None:
        if len(field.data or []) > MAX_TAGS:
            raise ValidationError(_l("Choose at most %(num)d features.", num=MAX_TAGS))
        if any(len(t) > 40 for t in field.data or []):
            raise ValidationError(_l("A feature name is at most 40 characters long."))

    def validate(self, extra_validators: object = None) -> bool:
        ok = super().validate(extra_validators)
        parts = (self.date, self.start, self.end)
        if any(f.errors for f in parts):
            return ok
        missing = [f for f in parts if f.data is None]
        if missing and len(missing) < len(parts):
            for f in missing:
                f.errors.append(_l("Give a date, a start and an end time to search for free facilities."))
            return False
        if not missing and not _end_after_start(self.start.data, self.end.data):
            self.end.errors.append(_l("The end time must be after the start time."))
            return False
        return ok

    def filters(self) -> Filters:
        """The validated filters, for the catalog service (call after `validate`)."""
        free = None
        if self.date.data and self.start.data and self.end.data:
            free = FreeWindow(day=self.date.data, start=self.start.data, end=self.end.data)
        return Filters(
            kind=ResourceKind(self.kind.data) if self.kind.data else None,
            university_id=self.university.data,
            campus=(self.campus.data or "").strip(),
            min_capacity=self.capacity.data,
            tags=tuple(sorted({t.strip().lower() for t in self.tag.data or [] if t.strip()})),
            text=(self.q.data or "").strip(),
            free=free,
        )

    @property
    def advanced_in_use(self) -> bool:
        """Whether any filter beyond the text search is set or wrong, so the page shows them all."""
        fields = (
            self.kind,
            self.university,
            self.campus,
            self.capacity,
            self.tag,
            self.date,
            self.start,
            self.end,
        )
        return any(f.errors or any(v.strip() for v in f.raw_data or ()) for f in fields)

    @property
    def page_number(self) -> int:
        return self.page.data or 1


def _end_after_start(start: time, end: time) -> bool:
    # 00:00 as the end means midnight at the end of the day, the way opening hours read.
    return end == time(0, 0) or end > start


class WeekForm(Form):
    """The `week` parameter of a facility page: any date of the week to show."""

    class Meta:
        csrf = False

    week = DateField(_l("Week of"), validators=[Optional()])


class TimelineForm(FacilityChoiceForm):
    """GET parameters of the timeline: which facilities (filtered as in the catalog), which day, how long."""

    day = DateField(_l("Day"), validators=[Optional()])
    span = SelectField(
        _l("Show"), choices=[("day", _l("One day")), ("week", _l("One week"))], validators=[Optional()]
    )

    def filters(self) -> Filters:
        return Filters(
            kind=ResourceKind(self.kind.data) if self.kind.data else None,
            university_id=self.university.data,
            text=(self.q.data or "").strip(),
        )

    @property
    def is_week(self) -> bool:
        return self.span.data == "week"
