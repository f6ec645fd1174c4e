"""The reports' figures equal an independent count from the bookings themselves.

Seeded random data (several universities, every mode, closures, every booking status, pending requests,
decisions, waitlist entries, refusals) is snapshotted by the statistics backfill; then every figure the
reports show, for several periods and filters, is recomputed here from the raw rows with plain Python,
minute by minute, and must agree.
"""

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import refusals, reports, statistics
from models import (
    Booking,
    BookingStatus,
    Category,
    Closure,
    Mode,
    Resource,
    ResourceKind,
    User,
    Verification,
    WaitlistEntry,
    WaitlistStatus,
    db,
)
from tests.factories import (
    make_admin,
    make_closure,
    make_enterprise,
    make_resource,
    make_university,
    make_user,
)

TZ = ZoneInfo("Asia/Shanghai")
FIRST, LAST = date(2026, 10, 1), date(2026, 11, 29)
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
CREATED = datetime(2026, 9, 1, tzinfo=UTC)
BOOKED = {
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
}
WENT_AHEAD = {BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TZ).astimezone(UTC)


@dataclass
class World:
    universities: list
    refused: list[tuple[int, date, str]]  # (facility, local day, code) of each refusal recorded


def build_world(seed: int = 13) -> World:
    rng = random.Random(seed)
    universities = [make_university(name_en=f"University {n}") for n in "ABC"]
    company = make_enterprise()
    people = [
        make_user(),
        make_user(),
        make_user(Category.STUDENT),
        make_user(Category.STUDENT),
        # An unverified student books as a resident: the city.
        make_user(Category.STUDENT, verification=Verification.PENDING),
        make_user(Category.ENTERPRISE, organization_id=company.id),
    ]
    facilities = []
    for university in universities:
        evening = tuple((w, time(18), time(21)) for w in range(5))
        facilities += [
            make_resource(university, created_at=CREATED),
            make_resource(
                university,
                hours=((0, time(8), time(12)), (0, time(14), time(18)), *evening),
                created_at=CREATED,
            ),
            make_resource(
                university, kind=ResourceKind.LIBRARY, mode=Mode.SHARED, capacity=8, created_at=CREATED
            ),
            make_resource(
                university,
                kind=ResourceKind.TRAINING_BASE,
                mode=Mode.PLACEMENT,
                capacity=3,
                created_at=CREATED,
            ),
        ]
        make_closure(facilities[-4], at(date(2026, 10, 5), 10), at(date(2026, 10, 7), 12))
        db.session.add(
            Closure(
                university_id=university.id,
                resource_id=None,
                start_at=at(date(2026, 11, 11), 0),
                end_at=at(date(2026, 11, 12), 15),
                reason_zh="运动会",
                reason_en="Sports day",
            )
        )
    statuses = list(BookingStatus)
    for _ in range(260):
        facility = rng.choice(facilities)
        person = rng.choice(people)
        day = FIRST + timedelta(days=rng.randrange((LAST - FIRST).days + 3))
        status = rng.choice(statuses)
        created = at(day, 7) - timedelta(days=rng.randrange(1, 6), minutes=rng.randrange(600))
        if facility.mode == Mode.PLACEMENT:
            start, end = at(day, 0), at(day + timedelta(days=rng.randrange(1, 9)), 0)
            party = 1
        else:
            # Late evenings spill past midnight into the next day.
            hour = rng.choice([8, 9, 10, 13, 16, 20, 23])
            start = at(day, hour, rng.choice([0, 30]))
            end = start + timedelta(minutes=rng.choice([30, 60, 90, 120]))
            party = rng.randrange(1, 5) if facility.mode == Mode.SHARED else 1
        decided = None
        if (
            status in {BookingStatus.REJECTED, BookingStatus.CONFIRMED, BookingStatus.COMPLETED}
            and rng.random() < 0.6
        ):
            decided = created + timedelta(minutes=rng.randrange(5, 3000), seconds=rng.randrange(60))
        db.session.add(
            Booking.held_by(
                person,
                facility,
                start,
                end,
                blocked_until=end,
                exclusive=False,  # overlaps are allowed here: the reports count what is there
                party_size=party,
                status=status,
                created_at=created,
                decided_at=decided,
            )
        )
    for _ in range(40):
        facility = rng.choice(facilities)
        start = at(FIRST + timedelta(days=rng.randrange(60)), rng.choice([9, 15, 19]))
        db.session.add(
            WaitlistEntry(
                resource_id=facility.id,
                user_id=rng.choice(people).id,
                start_at=start,
                end_at=start + timedelta(hours=1),
                status=rng.choice(list(WaitlistStatus)),
            )
        )
    db.session.commit()
    refused = []
    for _ in range(30):
        facility = rng.choice(facilities)
        when = at(FIRST + timedelta(days=rng.randrange(60)), rng.randrange(24))
        codes = rng.sample(["outside_hours", "closed", "quota_exceeded", "conflict", "too_long"], 2)
        refusals.record(facility.id, codes, when)
        refused += [(facility.id, when.astimezone(TZ).date(), code) for code in codes]
    statistics.backfill(NOW, (NOW.date() - FIRST).days + 2)
    return World(universities, refused)


# --- the independent count ---------------------------------------------------------------------------


def open_minutes(facility: Resource, day: date, closures: list[Closure]) -> int:
    """Minutes of a local day the facility is open, counted minute by minute."""
    midnight = datetime.combine(day, time(0), TZ)
    if facility.mode == Mode.PLACEMENT:
        minutes = set(range(24 * 60))
    else:
        minutes = set()
        for hours in facility.hours:
            if hours.weekday == day.weekday():
                first = hours.opens.hour * 60 + hours.opens.minute
                last = 24 * 60 if hours.closes == time(0) else hours.closes.hour * 60 + hours.closes.minute
                minutes |= set(range(first, last))
    for closure in closures:
        if closure.resource_id not in (None, facility.id) or closure.university_id != facility.university_id:
            continue
        for m in list(minutes):
            instant = (midnight + timedelta(minutes=m)).astimezone(UTC)
            if closure.start_at <= instant < closure.end_at:
                minutes.discard(m)
    return len(minutes)


def overlap_hours(start: datetime, end: datetime, day: date) -> float:
    first = datetime.combine(day, time(0), TZ).astimezone(UTC)
    last = datetime.combine(day + timedelta(days=1), time(0), TZ).astimezone(UTC)
    return max(0.0, (min(end, last) - max(start, first)).total_seconds() / 3600)


def oracle(world: World, filters: reports.Filters, facility_ids: set[int] | None = None) -> dict:
    """Every figure, from the bookings, for the facilities matching the filters (or those given)."""
    period = filters.period
    days = [period.first + timedelta(days=n) for n in range(period.days)]
    facilities = [
        f
        for f in db.session.scalars(sa.select(Resource))
        if (filters.university_id is None or f.university_id == filters.university_id)
        and (filters.kind is None or f.kind == filters.kind)
        and (facility_ids is None or f.id in facility_ids)
    ]
    closures = list(db.session.scalars(sa.select(Closure)))
    ids = {f.id for f in facilities}
    by_id = {f.id: f for f in facilities}
    result: dict[str, dict] = {"hours": defaultdict(float), "seat_days": defaultdict(float)}
    lead: dict[str, list[int]] = {"hours": [], "seat_days": []}

    def unit(f: Resource) -> str:
        return "seat_days" if f.mode == Mode.PLACEMENT else "hours"

    for f in facilities:
        for day in days:
            minutes = open_minutes(f, day, closures)
            result[unit(f)]["offered"] += minutes / 60 * (f.capacity / 24 if f.mode == Mode.PLACEMENT else 1)
    for b in db.session.scalars(sa.select(Booking).where(Booking.resource_id.in_(ids))):
        f = by_id[b.resource_id]
        category = db.session.get(User, b.user_id).effective_category
        figures = result[unit(f)]
        if b.status in BOOKED:
            for day in days:
                hours = overlap_hours(b.start_at, b.end_at, day)
                if f.mode == Mode.SHARED:
                    weighted = hours * b.party_size / f.capacity
                elif f.mode == Mode.PLACEMENT:
                    weighted = hours / 24 * b.party_size
                else:
                    weighted = hours
                if filters.category in (None, category):
                    figures["booked"] += weighted
                    if category in (Category.RESIDENT, Category.ENTERPRISE):
                        figures["city"] += weighted
        start_day = b.start_at.astimezone(TZ).date()
        if period.first <= start_day <= period.last:
            figures["requests"] += 1
            figures["cancelled"] += b.status == BookingStatus.CANCELLED
            figures["went_ahead"] += b.status in WENT_AHEAD
            figures["no_shows"] += b.status == BookingStatus.NO_SHOW
            if b.decided_at is not None:
                lead[unit(f)].append(int((b.decided_at - b.created_at).total_seconds()) // 60)
    for entry in db.session.scalars(sa.select(WaitlistEntry).where(WaitlistEntry.resource_id.in_(ids))):
        if (
            entry.status != WaitlistStatus.PROMOTED
            and period.first <= entry.start_at.astimezone(TZ).date() <= period.last
        ):
            result[unit(by_id[entry.resource_id])]["waitlist"] += 1
    for facility_id, day, _code in world.refused:
        if facility_id in ids and period.first <= day <= period.last:
            result[unit(by_id[facility_id])]["refused"] += 1
    return {name: (dict(figures), sorted(lead[name])) for name, figures in result.items()}


def assert_matches(row: reports.Row, expected: tuple[dict, list[int]]) -> None:
    figures, lead = expected
    got = row.figures
    assert got.offered == pytest.approx(figures.get("offered", 0), abs=1e-3)
    assert got.booked == pytest.approx(figures.get("booked", 0), abs=1e-3)
    assert got.booked_city == pytest.approx(figures.get("city", 0), abs=1e-3)
    assert got.requests == figures.get("requests", 0)
    assert got.cancelled == figures.get("cancelled", 0)
    assert got.went_ahead == figures.get("went_ahead", 0)
    assert got.no_shows == figures.get("no_shows", 0)
    assert got.waitlist_unserved == figures.get("waitlist", 0)
    assert got.refused == figures.get("refused", 0)
    assert sorted(got.lead_minutes) == lead
    offered, booked = figures.get("offered", 0), figures.get("booked", 0)
    if offered:
        assert got.utilisation == pytest.approx(booked / offered, abs=1e-6)
    if booked:
        assert got.openness == pytest.approx(figures.get("city", 0) / booked, abs=1e-6)
    if figures.get("requests"):
        assert got.cancellation_rate == pytest.approx(figures.get("cancelled", 0) / figures["requests"])


@pytest.fixture
def world(app: Flask) -> Iterator[World]:
    yield build_world()


def filter_sets(world: World) -> list[reports.Filters]:
    a, b, _c = world.universities
    whole = reports.Period(FIRST, LAST)
    november = reports.period_of(reports.PeriodKind.MONTH, date(2026, 11, 15))
    week = reports.period_of(reports.PeriodKind.WEEK, date(2026, 11, 11))
    return [
        reports.Filters(whole),
        reports.Filters(november),
        reports.Filters(week, university_id=a.id),
        reports.Filters(november, university_id=b.id, kind=ResourceKind.SPORTS_VENUE),
        reports.Filters(whole, kind=ResourceKind.LIBRARY, category=Category.STUDENT),
        reports.Filters(november, category=Category.RESIDENT),
    ]


def test_totals_and_every_university_match_a_count_from_the_bookings(world: World) -> None:
    admin = make_admin()
    whole = reports.build(admin, filter_sets(world)[0])
    hours = next(row.figures for row in whole.totals if row.unit == reports.Unit.HOURS)
    assert 0 < hours.booked_city < hours.booked < hours.offered
    assert hours.no_shows and hours.cancelled and hours.waitlist_unserved and hours.refused
    for filters in filter_sets(world):
        report = reports.build(admin, filters)
        expected = oracle(world, filters)
        totals = {row.unit.value: row for row in report.totals}
        assert totals["hours"].figures.offered > 0
        for unit, figures in expected.items():
            if figures[0].get("offered") or figures[0].get("requests"):
                assert_matches(totals[unit], figures)
        for row in report.by_university:
            scoped = reports.Filters(filters.period, row.key, filters.kind, filters.category)
            assert_matches(row, oracle(world, scoped)[row.unit.value])


def test_every_kind_and_facility_matches_a_count_from_the_bookings(world: World) -> None:
    admin = make_admin()
    for filters in filter_sets(world)[:3]:
        report = reports.build(admin, filters)
        for row in report.by_kind:
            scoped = reports.Filters(filters.period, filters.university_id, row.key, filters.category)
            assert_matches(row, oracle(world, scoped)[row.unit.value])
        for row in report.by_facility:
            assert_matches(row, oracle(world, filters, {row.key})[row.unit.value])


def test_the_trend_adds_up_to_the_totals_and_each_step_matches_the_bookings(world: World) -> None:
    admin = make_admin()
    filters = reports.Filters(reports.Period(FIRST, LAST))
    report = reports.build(admin, filters)
    assert reports.trend_step(filters.period) == "week"
    for unit_total in report.totals:
        steps = [row for row in report.trend if row.unit == unit_total.unit]
        assert sum(r.figures.offered for r in steps) == pytest.approx(unit_total.figures.offered)
        assert sum(r.figures.booked for r in steps) == pytest.approx(unit_total.figures.booked)
    for row in report.trend[:4]:
        first = max(row.key, FIRST)
        week = reports.Filters(reports.Period(first, min(row.key + timedelta(days=6), LAST)))
        figures, _lead = oracle(world, week)[row.unit.value]
        assert row.figures.offered == pytest.approx(figures.get("offered", 0), abs=1e-3)
        assert row.figures.booked == pytest.approx(figures.get("booked", 0), abs=1e-3)


def test_refusals_by_rule_count_every_refusal_of_the_period(world: World) -> None:
    filters = reports.Filters(reports.period_of(reports.PeriodKind.MONTH, date(2026, 10, 20)))
    report = reports.build(make_admin(), filters)
    expected: dict[str, int] = defaultdict(int)
    for _facility, day, code in world.refused:
        if filters.period.first <= day <= filters.period.last:
            expected[code] += 1
    assert dict(report.refusals) == dict(expected)
    assert sum(expected.values()) > 0


def test_approval_lead_time_is_the_median_and_90th_percentile_of_decisions(world: World) -> None:
    filters = reports.Filters(reports.Period(FIRST, LAST))
    report = reports.build(make_admin(), filters)
    hours = next(row for row in report.totals if row.unit == reports.Unit.HOURS)
    _figures, lead = oracle(world, filters)["hours"]
    assert len(lead) > 10
    middle = len(lead) // 2
    expected_median = lead[middle] if len(lead) % 2 else (lead[middle - 1] + lead[middle]) / 2
    assert hours.figures.lead_median == expected_median
    assert hours.figures.lead_p90 == lead[-(-len(lead) * 9 // 10) - 1]
