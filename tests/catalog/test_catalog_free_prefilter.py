"""Free-between search: the SQL prefilter with the engine's fallback agrees with the engine on full data.

A seeded random city: facilities of every mode in zones with and without DST (Lord Howe moves by half an
hour, Havana at midnight), touching, overlapping, overnight and empty opening hours, buffers, bookings in
every status, facility and whole-university closures across midnight; windows on ordinary and DST days,
ending at midnight, or already begun.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Flask

from booking import engine
from booking.services import catalog, specs
from models import ACTIVE_STATUSES, BookingStatus, Mode, Organization, Resource, db
from tests.factories import make_booking, make_closure, make_resource, make_university, make_user

NOW = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
ZONES = (
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "America/Havana",
    "Australia/Lord_Howe",
)
# The DST days of those zones in 2026 and days around them; 7 March has begun in some zones at NOW.
DAYS = (
    date(2026, 3, 7),
    date(2026, 3, 8),
    date(2026, 3, 9),
    date(2026, 3, 28),
    date(2026, 3, 29),
    date(2026, 3, 30),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
)
DST_DAYS = tuple(day for day in DAYS if day.weekday() == 6)
CLOCK = (0, 1, 2, 2.5, 3, 8, 10, 12, 14, 17, 18, 22, 23.5)
FACILITIES = 36
WINDOWS = 120


def at(hours: float) -> time:
    return time(int(hours), int(hours * 60) % 60)


def random_hours(rng: random.Random) -> tuple[tuple[int, time, time], ...]:
    hours = []
    for weekday in range(7):
        shape = rng.choice(
            ("day", "split", "touching", "overlapping", "night", "all", "none", "gap", "random")
        )
        if weekday == 6 and rng.random() < 0.5:
            shape = "gap"  # every DST change here falls on a Sunday
        spans = {
            "day": [(8, 22)],
            "split": [(8, 12), (14, 22)],
            "touching": [(8, 12), (12, 14), (14, 0)],
            "overlapping": [(8, 12), (10, 18)],
            "night": [(0, 3), (18, 0)],
            "all": [(0, 0)],
            "none": [],
            # Opening in or just after a skipped hour: 01:00 is the first hour of Havana's spring day.
            "gap": [(rng.choice((1, 2.5, 3)), rng.choice((2.5, 12)))],
            "random": [(rng.choice(CLOCK), rng.choice(CLOCK)) for _ in range(rng.randint(1, 3))],
        }[shape]
        hours += [(weekday, at(opens), at(closes)) for opens, closes in spans]
    return tuple(hours)


def random_city(rng: random.Random) -> None:
    universities: list[Organization] = [make_university(), make_university()]
    people = [make_user() for _ in range(3)]
    for n in range(FACILITIES):
        mode = rng.choice((Mode.EXCLUSIVE, Mode.EXCLUSIVE, Mode.SHARED, Mode.SHARED, Mode.PLACEMENT))
        buffer = rng.choice((0, 0, 15, 30))
        resource = make_resource(
            rng.choice(universities),
            mode=mode,
            hours=random_hours(rng),
            policy={"buffer_minutes": buffer},
            timezone=rng.choice(ZONES),
            capacity=1 if mode is Mode.EXCLUSIVE else rng.randint(1, 4),
            active=n % 12 != 0,
        )
        held: list[tuple[datetime, datetime]] = []
        for _ in range(rng.randint(0, 14)):
            day = rng.choice(DAYS) + timedelta(days=rng.choice((-1, 0, 0, 0)))
            start = datetime.combine(day, time(0), UTC) + timedelta(minutes=30 * rng.randint(-20, 60))
            end = start + timedelta(minutes=30 * rng.randint(1, 8))
            # A buffer changed since booking shows in blocked_until, which the engine takes as stored.
            blocked = end + timedelta(minutes=rng.choice((buffer, buffer, 0, 45)))
            status = rng.choice(list(BookingStatus))
            if mode is Mode.EXCLUSIVE and status in ACTIVE_STATUSES:
                # PostgreSQL refuses overlapping active bookings of an exclusive facility.
                if any(start < other_end and other_start < blocked for other_start, other_end in held):
                    continue
                held.append((start, blocked))
            make_booking(
                resource,
                rng.choice(people),
                start,
                end,
                status=status,
                party_size=rng.randint(1, 3),
                blocked_until=blocked,
            )
        for _ in range(rng.choice((0, 0, 1, 2))):
            start = datetime.combine(rng.choice(DAYS), time(0), UTC) + timedelta(hours=rng.randint(-6, 30))
            whole_university = rng.random() < 0.3
            make_closure(
                resource,
                start,
                start + timedelta(hours=rng.randint(1, 30)),
                **({"resource_id": None} if whole_university else {}),
            )


def random_window(rng: random.Random) -> catalog.FreeWindow:
    if rng.random() < 0.5:
        # Around the small hours of a DST day, where wall-clock and elapsed time part.
        start, end = rng.choice((0, 1, 2, 2.5)), rng.choice((0, 2.5, 3, 4, 12))
        return catalog.FreeWindow(rng.choice(DST_DAYS), at(start), at(end))
    start = rng.choice((*CLOCK, 9, 11, 13, 19, 20))
    end = rng.choice((0, min(24, start + rng.choice((0.5, 1, 2, 4, 6))))) % 24
    return catalog.FreeWindow(rng.choice((*DAYS, date(2026, 3, 6))), at(start), at(end))


def free_by_the_engine_alone(window: catalog.FreeWindow) -> list[int]:
    """What the search promises: every active facility's own spec, closures and bookings, and is_free."""
    resources = (
        db.session.scalars(
            sa.select(Resource)
            .where(Resource.active.is_(True))
            .order_by(Resource.university_id, Resource.id)  # the catalog's order
            .options(*specs.SPEC_LOAD_OPTIONS)
        )
        .unique()
        .all()
    )
    always = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    closures = specs.load_closures(resources, *always)
    occupancy = specs.load_occupancy([r.id for r in resources], *always)
    return [
        r.id
        for r in resources
        if (interval := window.interval(r.timezone)).start >= NOW
        and engine.is_free(specs.resource_spec(r, closures[r.id]), interval, occupancy[r.id])
    ]


def test_the_prefilter_agrees_with_the_engine_on_a_random_city(app: Flask) -> None:
    rng = random.Random(20260307)
    random_city(rng)
    free_somewhere = busy_somewhere = 0
    for _ in range(WINDOWS):
        window = random_window(rng)
        expected = free_by_the_engine_alone(window)
        db.session.expunge_all()  # the search loads its own facilities
        found = catalog.free_facility_ids(catalog.Filters(free=window), window, NOW)
        assert found == expected, window
        free_somewhere += bool(expected)
        busy_somewhere += len(expected) < FACILITIES
    assert free_somewhere > WINDOWS // 4 and busy_somewhere == WINDOWS


def test_the_prefilter_keeps_the_other_filters(app: Flask) -> None:
    rng = random.Random(7)
    random_city(rng)
    window = catalog.FreeWindow(date(2026, 3, 9), time(10), time(11))
    shared = catalog.Filters(kind=None, min_capacity=2, free=window)
    found = catalog.free_facility_ids(shared, window, NOW)
    capacities = {r.id: r.capacity for r in db.session.scalars(sa.select(Resource))}
    assert found == [rid for rid in free_by_the_engine_alone(window) if capacities[rid] >= 2]


def test_a_window_starting_in_the_skipped_hour_starts_when_the_clocks_jump(app: Flask) -> None:
    # On 29 March 2026 Berlin skips 02:00-03:00: a window from 02:00 begins at 03:00, when the court opens.
    court = make_resource(timezone="Europe/Berlin", hours=((6, time(3), time(12)),))
    window = catalog.FreeWindow(date(2026, 3, 29), time(2), time(4))
    assert free_by_the_engine_alone(window) == [court.id]
    assert catalog.free_facility_ids(catalog.Filters(free=window), window, NOW) == [court.id]


def test_havana_opens_at_one_on_the_day_its_midnight_is_skipped(app: Flask) -> None:
    # Havana moves from 00:00 to 01:00 on 8 March 2026: a window from midnight begins at 01:00.
    room = make_resource(timezone="America/Havana", mode=Mode.SHARED, hours=((6, time(1), time(0)),))
    window = catalog.FreeWindow(date(2026, 3, 8), time(0), time(0))
    assert free_by_the_engine_alone(window) == [room.id]
    assert catalog.free_facility_ids(catalog.Filters(free=window), window, NOW) == [room.id]


def free_on_wednesday(start: time, end: time) -> list[int]:
    window = catalog.FreeWindow(date(2026, 3, 11), start, end)
    found = catalog.free_facility_ids(catalog.Filters(free=window), window, NOW)
    assert found == free_by_the_engine_alone(window)
    return found


def test_touching_and_overlapping_opening_hours_count_as_one_opening(app: Flask) -> None:
    touching = make_resource(hours=((2, time(8), time(12)), (2, time(12), time(14))))
    overlapping = make_resource(hours=((2, time(8), time(12)), (2, time(10), time(0))))
    with_a_gap = make_resource(hours=((2, time(8), time(12)), (2, time(12, 30), time(14))))
    assert free_on_wednesday(time(11), time(13)) == [touching.id, overlapping.id]
    assert free_on_wednesday(time(11), time(0)) == [overlapping.id]
    assert free_on_wednesday(time(12, 30), time(14)) == [touching.id, overlapping.id, with_a_gap.id]


def test_shared_bookings_that_never_meet_do_not_add_up(app: Flask) -> None:
    room = make_resource(mode=Mode.SHARED, capacity=2)
    user = make_user()
    # Wednesday 10:00-10:30 and 10:30-11:00 in Jiaozuo: one place taken at any time, two in all.
    make_booking(
        room, user, datetime(2026, 3, 11, 2, 0, tzinfo=UTC), datetime(2026, 3, 11, 2, 30, tzinfo=UTC)
    )
    make_booking(
        room, user, datetime(2026, 3, 11, 2, 30, tzinfo=UTC), datetime(2026, 3, 11, 3, 0, tzinfo=UTC)
    )
    assert free_on_wednesday(time(10), time(11)) == [room.id]
    make_booking(
        room, user, datetime(2026, 3, 11, 2, 15, tzinfo=UTC), datetime(2026, 3, 11, 2, 45, tzinfo=UTC)
    )
    assert free_on_wednesday(time(10), time(11)) == []


def test_a_booking_starting_within_the_buffer_after_the_window_takes_the_facility_out(app: Flask) -> None:
    court = make_resource(policy={"buffer_minutes": 30})
    make_booking(court, make_user(), datetime(2026, 3, 11, 3, 0, tzinfo=UTC))  # Wednesday 11:00 in Jiaozuo
    assert free_on_wednesday(time(10), time(11)) == []
    assert free_on_wednesday(time(9), time(10, 30)) == [court.id]
