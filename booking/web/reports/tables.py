"""The report's tables as the page shows them and the exports write them: the same rounded numbers.

A value is a string, a rounded number, or None (nothing to divide by: shown as a dash, left empty in a
file). Percentages are in percent (12.5 for 12.5%), lead times in hours.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from booking.services import reports
from booking.services.reports import Figures, Report, Unit
from booking.web.labels import CATEGORY_LABELS, KIND_LABELS, is_chinese, localized

UNIT_LABELS = {Unit.HOURS: _l("hours"), Unit.SEAT_DAYS: _l("seat-days")}
RULE_LABELS = {
    "account_inactive": _l("Account not active"),
    "account_suspended": _l("Account suspended"),
    "email_unverified": _l("Email address not confirmed"),
    "category_not_allowed": _l("Not open to this group"),
    "resource_inactive": _l("Facility not taking bookings"),
    "in_past": _l("Time already passed"),
    "min_notice": _l("Too short notice"),
    "max_advance": _l("Too far ahead"),
    "end_before_start": _l("End before start"),
    "too_short": _l("Too short"),
    "too_long": _l("Too long"),
    "misaligned": _l("Not on the slot grid"),
    "placement_whole_days": _l("Placement not in whole days"),
    "outside_hours": _l("Outside opening hours"),
    "closed": _l("Closed"),
    "party_size_invalid": _l("Invalid party size"),
    "party_size_too_large": _l("Party too large"),
    "conflict": _l("Already booked"),
    "capacity": _l("Full"),
    "quota_bookings": _l("Booking quota used up"),
    "quota_hours": _l("Hours quota used up"),
    "series_too_long": _l("Series too long"),
    "invalid_recurrence": _l("Invalid repeat rule"),
    "override_reason_required": _l("Override without a reason"),
}
TABLE_NAMES = ("universities", "kinds", "facilities", "trend", "refusals")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = True


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list[object]]
    # How many rows there are in all, where only the first ones were made (the page shows fifty
    # facilities of thousands; the files have them all).
    total: int | None = None

    @property
    def count(self) -> int:
        return len(self.rows) if self.total is None else self.total


def one(value: float | None, scale: float = 1.0) -> float | None:
    return None if value is None else round(value * scale, 1)


def _measures(figures: Figures) -> list[object]:
    return [
        one(figures.offered),
        one(figures.booked),
        one(figures.utilisation, 100),
        one(figures.booked_city),
        one(figures.booked_campus),
        one(figures.openness, 100),
    ]


def _demand(figures: Figures) -> list[object]:
    return [
        figures.requests,
        one(figures.cancellation_rate, 100),
        one(figures.no_show_rate, 100),
        one(figures.lead_median, 1 / 60),
        one(figures.lead_p90, 1 / 60),
        figures.refused,
        figures.waitlist_unserved,
    ]


def _measure_columns() -> list[Column]:
    return [
        Column("unit", str(_l("Unit")), numeric=False),
        Column("offered", str(_l("Offered"))),
        Column("booked", str(_l("Booked"))),
        Column("utilisation", str(_l("Utilisation (%)"))),
        Column("city", str(_l("Booked by the city"))),
        Column("campus", str(_l("Booked by the campus"))),
        Column("openness", str(_l("City share (%)"))),
    ]


def _demand_columns() -> list[Column]:
    return [
        Column("requests", str(_l("Requests"))),
        Column("cancellation_rate", str(_l("Cancelled (%)"))),
        Column("no_show_rate", str(_l("No-shows (%)"))),
        Column("lead_median", str(_l("Approval time, median (h)"))),
        Column("lead_p90", str(_l("Approval time, 90% within (h)"))),
        Column("refused", str(_l("Refused requests"))),
        Column("waitlist_unserved", str(_l("Waitlist never served"))),
    ]


def build_tables(
    report: Report, rank: str = "utilisation", facility_limit: int | None = None
) -> dict[str, Table]:
    """The report's tables; with `facility_limit`, only that many facility rows are made (in rank order)."""
    names = {u.id: localized(u) for u in report.universities}
    universities = Table(
        "universities",
        str(_l("By university")),
        [
            Column("university", str(_l("University")), numeric=False),
            *_measure_columns(),
            Column("target", str(_l("Target city share (%)"))),
            *_demand_columns(),
        ],
        [
            [
                names.get(row.key, ""),
                str(UNIT_LABELS[row.unit]),
                *_measures(row.figures),
                report.targets.get(row.key) if row.unit is Unit.HOURS else None,
                *_demand(row.figures),
            ]
            for row in report.by_university
        ],
    )
    kinds = Table(
        "kinds",
        str(_l("By kind of facility")),
        [Column("kind", str(_l("Kind")), numeric=False), *_measure_columns(), *_demand_columns()],
        [
            [
                str(KIND_LABELS[row.key]),
                str(UNIT_LABELS[row.unit]),
                *_measures(row.figures),
                *_demand(row.figures),
            ]
            for row in report.by_kind
        ],
    )
    # Labels translated once, not once a facility (a city has thousands).
    kind_names = {kind: str(label) for kind, label in KIND_LABELS.items()}
    unit_names = {unit: str(label) for unit, label in UNIT_LABELS.items()}
    chinese = is_chinese()
    ranked = report.by_facility
    if rank == "openness":
        ranked = sorted(ranked, key=lambda r: -(r.figures.openness or 0))
    facilities = Table(
        "facilities",
        str(_l("Facilities ranked by utilisation"))
        if rank != "openness"
        else str(_l("Facilities ranked by city share")),
        [
            Column("facility", str(_l("Facility")), numeric=False),
            Column("university", str(_l("University")), numeric=False),
            Column("kind", str(_l("Kind")), numeric=False),
            *_measure_columns(),
            *_demand_columns(),
        ],
        [
            [
                _name(report.facilities[row.key], chinese),
                names.get(report.facilities[row.key].university_id, ""),
                kind_names[report.facilities[row.key].kind],
                unit_names[row.unit],
                *_measures(row.figures),
                *_demand(row.figures),
            ]
            for row in (ranked if facility_limit is None else ranked[:facility_limit])
        ],
        total=len(ranked),
    )
    trend = Table(
        "trend",
        str(_l("Over time")),
        [Column("from", str(_l("From")), numeric=False), *_measure_columns()],
        [[_day(row.key), str(UNIT_LABELS[row.unit]), *_measures(row.figures)] for row in report.trend],
    )
    refusals = Table(
        "refusals",
        str(_l("Refusals by rule")),
        [Column("rule", str(_l("Rule")), numeric=False), Column("count", str(_l("Refused requests")))],
        [[str(RULE_LABELS.get(code, code)), count] for code, count in report.refusals],
    )
    return {t.name: t for t in (universities, kinds, facilities, trend, refusals)}


def _name(facility: reports.Facility, chinese: bool) -> str:
    """As labels.localized has it, with the language looked up once for the whole table."""
    return (facility.name_zh or facility.name_en) if chinese else (facility.name_en or facility.name_zh)


def _day(day: object) -> str:
    assert isinstance(day, date)
    return day.isoformat()


def describe_filters(report: Report) -> list[tuple[str, str]]:
    """What the report covers, as (label, value) lines for the page and the files."""
    filters = report.filters
    lines = [
        (
            str(_l("Period")),
            f"{format_date(filters.period.first, 'medium')} – {format_date(filters.period.last, 'medium')}",
        )
    ]
    if filters.university_id is not None:
        lines.append((str(_l("University")), localized(report.universities[0])))
    if filters.kind is not None:
        lines.append((str(_l("Kind")), str(KIND_LABELS[filters.kind])))
    if filters.category is not None:
        lines.append((str(_l("Booked by")), str(CATEGORY_LABELS[filters.category])))
    return lines


def chart_data(report: Report, tables: dict[str, Table]) -> dict[str, object]:
    """What the charts draw (hours facilities only; seat-days are in the tables), with their labels in the
    page's language."""
    hours = [r for r in report.by_university if r.unit is Unit.HOURS]
    names = {u.id: localized(u) for u in report.universities}
    if len(report.universities) == 1:
        groups = [(str(KIND_LABELS[r.key]), r.figures) for r in report.by_kind if r.unit is Unit.HOURS]
    else:
        groups = [(names.get(r.key, ""), r.figures) for r in hours]
    trend = [r for r in report.trend if r.unit is Unit.HOURS]
    return {
        "groups": [label for label, _f in groups],
        "utilisation": [one(f.utilisation, 100) for _l_, f in groups],
        "city": [one(f.openness, 100) for _l_, f in groups],
        "campus": [None if f.openness is None else round(100 - f.openness * 100, 1) for _l_, f in groups],
        "steps": [r.key.isoformat() for r in trend],
        "trend_utilisation": [one(r.figures.utilisation, 100) for r in trend],
        "trend_city": [one(r.figures.openness, 100) for r in trend],
        "labels": {
            "utilisation": str(_l("Utilisation (%)")),
            "city": str(_l("Booked by the city")) + " (%)",
            "campus": str(_l("Booked by the campus")) + " (%)",
            "openness": str(_l("City share (%)")),
        },
    }


__all__ = ["TABLE_NAMES", "Table", "build_tables", "chart_data", "describe_filters", "reports"]
