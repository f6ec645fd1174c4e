"""The city's reports: utilisation, openness and demand per university, kind and facility, read from the
nightly statistics (facility_month for whole months, facility_day for the days around them,
refusal_count) and never from the bookings.

booking.engine.measures defines how each booking and day counts; this module sums facility-days over a
period and filters, and turns the sums into rates. Every figure of the pages and exports comes from here.
"""

import calendar
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from booking.engine import measures
from booking.engine.localtime import to_local, zone
from booking.services import audit
from booking.services.audit import AuditAction
from booking.services.errors import Invalid, NotFound
from booking.services.transactions import write_transaction
from models import (
    Category,
    FacilityDay,
    FacilityMonth,
    Mode,
    OpennessTarget,
    Organization,
    OrganizationKind,
    Policy,
    RefusalCount,
    Resource,
    ResourceKind,
    User,
    db,
)

# The city's own days: a report's periods and "yesterday" are Jiaozuo's.
CITY_ZONE = "Asia/Shanghai"
# The longest custom period a report covers.
MAX_DAYS = 731


class Unit(StrEnum):
    """Facilities are measured in hours, placements in seat-days; the two are never added together."""

    HOURS = "hours"
    SEAT_DAYS = "seat_days"


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    TERM = "term"
    YEAR = "year"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """Local days from `first` to `last`, both included."""

    first: date
    last: date
    kind: PeriodKind = PeriodKind.CUSTOM

    @property
    def slug(self) -> str:
        """For file names: 2026-09-01_2027-01-31."""
        return f"{self.first.isoformat()}_{self.last.isoformat()}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def period_of(kind: PeriodKind, on: date) -> Period:
    """The week (from Monday), month, term or calendar year that contains `on`.

    Terms follow the Chinese academic year: the autumn term is September to January, the spring term
    February to August (the summer included, when the campus is most open to the city)."""
    if kind is PeriodKind.WEEK:
        first = on - timedelta(days=on.weekday())
        return Period(first, first + timedelta(days=6), kind)
    if kind is PeriodKind.MONTH:
        return Period(on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1]), kind)
    if kind is PeriodKind.YEAR:
        return Period(date(on.year, 1, 1), date(on.year, 12, 31), kind)
    if kind is PeriodKind.TERM:
        if on.month >= 9:
            return Period(date(on.year, 9, 1), date(on.year + 1, 1, 31), kind)
        if on.month == 1:
            return Period(date(on.year - 1, 9, 1), date(on.year, 1, 31), kind)
        return Period(date(on.year, 2, 1), date(on.year, 8, 31), kind)
    raise ValueError(kind)


@dataclass(frozen=True)
class Filters:
    period: Period
    university_id: int | None = None
    kind: ResourceKind | None = None
    # Narrows booked hours (and so utilisation and openness) to what this category booked.
    category: Category | None = None


# Iterating an enum is slow, and a city's report makes thousands of Figures.
_CATEGORIES = tuple(Category)


@dataclass
class Figures:
    """Sums over facility-days, and the rates made of them."""

    offered: float = 0.0
    booked_by: dict[Category, float] = field(default_factory=lambda: dict.fromkeys(_CATEGORIES, 0.0))
    requests: int = 0
    cancelled: int = 0
    went_ahead: int = 0
    no_shows: int = 0
    waitlist_unserved: int = 0
    refused: int = 0
    lead_minutes: list[int] = field(default_factory=list)
    category: Category | None = None

    @property
    def booked(self) -> float:
        if self.category is not None:
            return self.booked_by[self.category]
        return sum(self.booked_by.values())

    @property
    def booked_city(self) -> float:
        return sum(v for c, v in self.booked_by.items() if c in measures.CITY and self._counts(c))

    @property
    def booked_campus(self) -> float:
        return sum(v for c, v in self.booked_by.items() if c in measures.CAMPUS and self._counts(c))

    def _counts(self, category: Category) -> bool:
        return self.category is None or self.category is category

    @property
    def utilisation(self) -> float | None:
        return measures.ratio(self.booked, self.offered)

    @property
    def openness(self) -> float | None:
        """The city's share of booked hours."""
        return measures.ratio(self.booked_city, self.booked)

    @property
    def no_show_rate(self) -> float | None:
        return measures.ratio(self.no_shows, self.went_ahead + self.no_shows)

    @property
    def cancellation_rate(self) -> float | None:
        return measures.ratio(self.cancelled, self.requests)

    @property
    def lead_median(self) -> float | None:
        return measures.median(self._lead_sorted())

    @property
    def lead_p90(self) -> float | None:
        return measures.percentile(self._lead_sorted(), 90)

    def _lead_sorted(self) -> list[int]:
        # Sorted in place once: the measures' own sorting of a sorted list is then one linear pass (a
        # city's year holds a hundred thousand decisions, and every row asks for two percentiles).
        self.lead_minutes.sort()
        return self.lead_minutes

    @property
    def unmet(self) -> int:
        """Unmet demand: refused requests and waitlist entries never served."""
        return self.refused + self.waitlist_unserved

    def add(self, other: "Figures") -> None:
        self.offered += other.offered
        for category, value in other.booked_by.items():
            self.booked_by[category] += value
        self.requests += other.requests
        self.cancelled += other.cancelled
        self.went_ahead += other.went_ahead
        self.no_shows += other.no_shows
        self.waitlist_unserved += other.waitlist_unserved
        self.refused += other.refused
        self.lead_minutes += other.lead_minutes


@dataclass(frozen=True)
class Facility:
    id: int
    university_id: int
    kind: ResourceKind
    unit: Unit
    name_zh: str
    name_en: str


@dataclass
class Row:
    """One line of a table: what it is about (a university, kind, facility, day), its unit, its figures."""

    key: object
    unit: Unit
    figures: Figures


@dataclass
class Report:
    filters: Filters
    universities: list[Organization]
    totals: list[Row]
    by_university: list[Row]
    by_kind: list[Row]
    by_facility: list[Row]
    facilities: dict[int, Facility]
    trend: list[Row]
    refusals: list[tuple[str, int]]
    targets: dict[int, int]


def visible_universities(user: User | None) -> list[Organization]:
    """The universities a person's reports cover: all for the city office, their own for a manager."""
    query = sa.select(Organization).where(Organization.kind == OrganizationKind.UNIVERSITY)
    if user is not None and not user.is_admin:
        query = query.where(Organization.id == user.manages_id)
    return list(db.session.scalars(query.order_by(Organization.id)))


def build(user: User | None, filters: Filters, *, open_to_city: bool = False) -> Report:
    """The report for `filters` over the universities `user` may see (None: the public, all of them);
    with `open_to_city`, only over the facilities residents or enterprise members may book.

    A university outside the person's scope is NotFound."""
    universities = visible_universities(user)
    allowed = [u.id for u in universities]
    if filters.university_id is not None:
        if filters.university_id not in allowed:
            raise NotFound
        allowed = [filters.university_id]
    facilities = _facilities(allowed, filters.kind, open_to_city=open_to_city)
    subset = filters.kind is not None or open_to_city
    per_facility = _per_facility(facilities, filters, subset)
    by_university: dict[tuple[int, Unit], Figures] = {}
    by_kind: dict[tuple[ResourceKind, Unit], Figures] = {}
    totals: dict[Unit, Figures] = {}
    for facility_id, figures in per_facility.items():
        facility = facilities[facility_id]
        for table, key in (
            (by_university, (facility.university_id, facility.unit)),
            (by_kind, (facility.kind, facility.unit)),
            (totals, facility.unit),
        ):
            table.setdefault(key, Figures(category=filters.category)).add(figures)
    order = {u.id: n for n, u in enumerate(universities)}
    kinds = list(ResourceKind)
    return Report(
        filters=filters,
        universities=[u for u in universities if u.id in allowed],
        totals=[Row(unit, unit, f) for unit, f in sorted(totals.items())],
        by_university=[
            Row(uid, unit, f)
            for (uid, unit), f in sorted(by_university.items(), key=lambda i: (order[i[0][0]], i[0][1]))
        ],
        by_kind=[
            Row(kind, unit, f)
            for (kind, unit), f in sorted(by_kind.items(), key=lambda i: (kinds.index(i[0][0]), i[0][1]))
        ],
        by_facility=[
            Row(fid, facilities[fid].unit, f)
            for fid, f in sorted(
                per_facility.items(),
                key=lambda i: (-(i[1].utilisation or 0), facilities[i[0]].name_en, i[0]),
            )
        ],
        facilities=facilities,
        trend=_trend(facilities, filters, subset),
        refusals=_refusals(facilities, filters),
        targets=targets([u.id for u in universities]),
    )


def _facilities(
    university_ids: Sequence[int], kind: ResourceKind | None, *, open_to_city: bool = False
) -> dict[int, Facility]:
    query = (
        sa.select(
            Resource.id,
            Resource.university_id,
            Resource.kind,
            Resource.mode,
            Resource.name_zh,
            Resource.name_en,
            Policy.allowed_categories,
        )
        .outerjoin(Policy, Policy.resource_id == Resource.id)
        .where(Resource.university_id.in_(list(university_ids)))
    )
    if kind is not None:
        query = query.where(Resource.kind == kind)
    rows = db.session.execute(query).all()
    if open_to_city:
        city = {c.value for c in measures.CITY}
        rows = [row for row in rows if city & set(row.allowed_categories or ())]
    return {
        row.id: Facility(
            row.id,
            row.university_id,
            row.kind,
            Unit.SEAT_DAYS if row.mode is Mode.PLACEMENT else Unit.HOURS,
            row.name_zh,
            row.name_en,
        )
        for row in rows
    }


@dataclass(frozen=True)
class _Source:
    """Where a stretch of the period is read from: facility_month for its whole months, facility_day for
    the days before the first and after the last whole month."""

    table: type[FacilityDay] | type[FacilityMonth]
    first: date
    last: date

    @property
    def when(self) -> sa.ColumnElement[date]:
        return self.table.day if self.table is FacilityDay else self.table.month


def _sources(period: Period) -> list[_Source]:
    """The period as at most three stretches: days, whole months, days."""
    first_month = period.first if period.first.day == 1 else _next_month(period.first)
    end_month = (period.last + timedelta(days=1)).replace(day=1)  # the first month not wholly inside
    if first_month >= end_month:
        return [_Source(FacilityDay, period.first, period.last)]
    sources = []
    if period.first < first_month:
        sources.append(_Source(FacilityDay, period.first, first_month - timedelta(days=1)))
    sources.append(_Source(FacilityMonth, first_month, end_month - timedelta(days=1)))
    if end_month <= period.last:
        sources.append(_Source(FacilityDay, end_month, period.last))
    return sources


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _where(source: _Source, facilities: dict[int, Facility], subset: bool) -> list[sa.ColumnElement[bool]]:
    """The source's rows of its stretch and the facilities: by university (as indexed), and by facility
    only where some of the universities' facilities are left out (`subset`)."""
    table = source.table
    conditions = [source.when.between(source.first, source.last)]
    universities = sorted({f.university_id for f in facilities.values()})
    conditions.append(table.university_id.in_(universities))
    if subset:
        conditions.append(table.resource_id.in_(sorted(facilities)))
    return conditions


def _sums(table: type[FacilityDay] | type[FacilityMonth]) -> tuple[sa.Label, ...]:
    return (
        sa.func.sum(table.offered).label("offered"),
        sa.func.sum(table.booked_resident).label("booked_resident"),
        sa.func.sum(table.booked_student).label("booked_student"),
        sa.func.sum(table.booked_enterprise).label("booked_enterprise"),
        sa.func.sum(table.requests).label("requests"),
        sa.func.sum(table.cancelled).label("cancelled"),
        sa.func.sum(table.bookings).label("went_ahead"),
        sa.func.sum(table.no_shows).label("no_shows"),
        sa.func.sum(table.waitlist_unserved).label("waitlist_unserved"),
    )


def _figures(row: sa.Row, category: Category | None) -> Figures:
    return Figures(
        offered=float(row.offered or 0),
        booked_by={
            Category.RESIDENT: float(row.booked_resident or 0),
            Category.STUDENT: float(row.booked_student or 0),
            Category.ENTERPRISE: float(row.booked_enterprise or 0),
        },
        requests=int(row.requests or 0),
        cancelled=int(row.cancelled or 0),
        went_ahead=int(row.went_ahead or 0),
        no_shows=int(row.no_shows or 0),
        waitlist_unserved=int(row.waitlist_unserved or 0),
        category=category,
    )


def _per_facility(facilities: dict[int, Facility], filters: Filters, subset: bool) -> dict[int, Figures]:
    """Each facility's sums over the period: per stretch of it, one grouped query and one for the
    approval lead times (only the rows with decisions); then one for the refusals."""
    if not facilities:
        return {}
    result: dict[int, Figures] = {}
    for source in _sources(filters.period):
        table, conditions = source.table, _where(source, facilities, subset)
        for row in db.session.execute(
            sa.select(table.resource_id, *_sums(table)).where(*conditions).group_by(table.resource_id)
        ):
            if row.resource_id in facilities:
                figures = _figures(row, filters.category)
                if row.resource_id in result:
                    result[row.resource_id].add(figures)
                else:
                    result[row.resource_id] = figures
        # Each facility's lead times as one string ("12, 40,7"): the rows' lists with their brackets cut,
        # joined in the database, parsed here once a facility rather than once a row.
        lead = sa.cast(table.lead_minutes, sa.Text)
        joined = sa.func.aggregate_strings(sa.func.substr(lead, 2, sa.func.length(lead) - 2), ",")
        for row in db.session.execute(
            sa.select(table.resource_id, joined.label("lead"))
            .where(*conditions, table.requests > 0, lead != "[]")
            .group_by(table.resource_id)
        ):
            if row.resource_id in result and row.lead:
                result[row.resource_id].lead_minutes += json.loads(f"[{row.lead}]")
    for resource_id, count in _refused_by(RefusalCount.resource_id, facilities, filters):
        result.setdefault(resource_id, Figures(category=filters.category)).refused += count
    return result


def _refused_by(
    column: sa.ColumnElement, facilities: dict[int, Facility], filters: Filters
) -> Iterable[tuple]:
    query = (
        sa.select(column, RefusalCount.resource_id, sa.func.sum(RefusalCount.count))
        .where(
            RefusalCount.day.between(filters.period.first, filters.period.last),
            RefusalCount.university_id.in_(sorted({f.university_id for f in facilities.values()})),
        )
        .group_by(column, RefusalCount.resource_id)
    )
    for key, resource_id, count in db.session.execute(query):
        if resource_id in facilities:
            yield key, int(count)


def _refusals(facilities: dict[int, Facility], filters: Filters) -> list[tuple[str, int]]:
    """Refused requests by rule code, most frequent first."""
    if not facilities:
        return []
    counts: dict[str, int] = defaultdict(int)
    for code, count in _refused_by(RefusalCount.code, facilities, filters):
        counts[code] += count
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def trend_step(period: Period) -> str:
    """Trends go by day for up to a month, by week up to half a year, else by month."""
    if period.days <= 31:
        return "day"
    if period.days <= 183:
        return "week"
    return "month"


def bucket_of(day: date, step: str) -> date:
    """The first day of the trend's step that `day` falls in."""
    if step == "week":
        return day - timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    return day


def _trend(facilities: dict[int, Facility], filters: Filters, subset: bool) -> list[Row]:
    """Sums per step of the period (day, week or month) and unit, in order; by month, whole months come
    from facility_month."""
    if not facilities:
        return []
    step = trend_step(filters.period)
    sources = _sources(filters.period)
    if step != "month":
        sources = [_Source(FacilityDay, filters.period.first, filters.period.last)]
    buckets: dict[tuple[date, Unit], Figures] = {}
    placements = {fid for fid, f in facilities.items() if f.unit is Unit.SEAT_DAYS}
    for source in sources:
        table = source.table
        # Placements apart (their unit is seat-days): by facility id, known here, rather than a join.
        placement = (
            table.resource_id.in_(sorted(placements)) if placements else sa.literal(False, sa.Boolean)
        ).label("placement")
        query = (
            sa.select(source.when.label("day"), placement, *_sums(table))
            .where(*_where(source, facilities, subset))
            .group_by(source.when, placement)
        )
        for row in db.session.execute(query):
            key = (bucket_of(row.day, step), Unit.SEAT_DAYS if row.placement else Unit.HOURS)
            buckets.setdefault(key, Figures(category=filters.category)).add(_figures(row, filters.category))
    return [Row(day, unit, f) for (day, unit), f in sorted(buckets.items())]


@dataclass
class PublicLine:
    """One university on the public transparency page: sums only, no facility or person."""

    university: Organization
    hours: Figures
    # Hours offered by the facilities that residents or enterprise members may book.
    offered_to_city: float
    by_month: list[Row]
    target: int | None


@dataclass
class PublicSummary:
    period: Period
    lines: list[PublicLine]


def public_summary(yesterday: date) -> PublicSummary:
    """The last twelve months (this one so far and the eleven before), per university, hours only."""
    first = yesterday.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    period = Period(first, yesterday, PeriodKind.CUSTOM)
    lines = []
    for university in visible_universities(None):
        report = build(None, Filters(period, university_id=university.id))
        hours = next((r.figures for r in report.totals if r.unit is Unit.HOURS), Figures())
        city = build(None, Filters(period, university_id=university.id), open_to_city=True)
        offered = next((r.figures.offered for r in city.totals if r.unit is Unit.HOURS), 0.0)
        lines.append(
            PublicLine(
                university,
                hours,
                offered,
                [r for r in report.trend if r.unit is Unit.HOURS],
                report.targets.get(university.id),
            )
        )
    return PublicSummary(period, lines)


# --- openness targets ----------------------------------------------------------------------------------


def targets(university_ids: Sequence[int] | None = None) -> dict[int, int]:
    """The city's openness target (percent of booked hours by the city) per university that has one."""
    query = sa.select(OpennessTarget.university_id, OpennessTarget.percent)
    if university_ids is not None:
        query = query.where(OpennessTarget.university_id.in_(list(university_ids)))
    return dict(db.session.execute(query).tuples().all())


def set_target(actor: User, university_id: int, percent: int | None, *, now: datetime) -> None:
    """Set (or with None, remove) a university's openness target. City office only."""
    if not actor.is_admin:
        raise NotFound
    if percent is not None and not 0 <= percent <= 100:
        raise Invalid(_l("Enter a whole number from 0 to 100."), "percent")
    with write_transaction():
        university = db.session.get(Organization, university_id)
        if university is None or university.kind != OrganizationKind.UNIVERSITY:
            raise NotFound
        target = db.session.get(OpennessTarget, university_id)
        if percent is None:
            if target is not None:
                db.session.delete(target)
        elif target is None:
            db.session.add(OpennessTarget(university_id=university_id, percent=percent, updated_at=now))
        else:
            target.percent = percent
            target.updated_at = now
        audit.record(
            AuditAction.OPENNESS_TARGET_SET,
            "organization",
            university_id,
            actor_id=actor.id,
            university_id=university_id,
            at=now,
            percent=percent,
        )


def yesterday(now: datetime) -> date:
    """The last day the statistics can hold (today is measured tonight), in the city's zone."""
    return to_local(now.astimezone(UTC), zone(CITY_ZONE)).date() - timedelta(days=1)
