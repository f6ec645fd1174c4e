"""The week grid tells the truth: a cell offered as bookable is one the booking service accepts at that
instant for that person, and a refused cell names the rule the engine gives.

Property tests (hypothesis): random facilities, policies, bookings, viewers and instants. The engine part
judges every cell; the service part (both databases) books the cells the page offers.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.engine import (
    CellState,
    HoursSpec,
    LocalizedName,
    Occupancy,
    PolicySpec,
    RequesterSpec,
    ResourceSpec,
    Viewer,
    evaluate,
    minimal_request,
    state_of,
    week_grid,
)
from booking.services import bookings, catalog
from booking.services.errors import Refused
from models import BookingStatus, Category, Mode, QuotaPeriod, QuotaScope, ResourceKind
from tests.factories import make_booking, make_quota, make_resource, make_university, make_user

# Monday 23 Nov 2026 in Jiaozuo (UTC+8, no DST).
MONDAY = date(2026, 11, 23)
ORIGIN = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Monday 00:00 local
WEEK_SLOTS = 7 * 24 * 4  # quarter hours


@st.composite
def facilities(draw: st.DrawFn) -> dict:
    mode = draw(st.sampled_from([Mode.EXCLUSIVE, Mode.EXCLUSIVE, Mode.SHARED]))
    slot = draw(st.sampled_from([30, 60]))
    opens = draw(st.integers(6, 12))
    closes = draw(st.integers(opens + 2, 22))
    weekdays = draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
    return {
        "mode": mode,
        "capacity": 1 if mode is Mode.EXCLUSIVE else draw(st.integers(1, 3)),
        "slot_minutes": slot,
        "hours": tuple((w, time(opens), time(closes)) for w in sorted(weekdays)),
        "policy": {
            "min_minutes": draw(st.sampled_from([slot, 2 * slot])),
            "max_minutes": 240,
            "min_notice_minutes": draw(st.sampled_from([0, 90, 600])),
            "max_advance_days": draw(st.sampled_from([1, 3, 14])),
            "buffer_minutes": draw(st.sampled_from([0, 30])),
            "allowed": draw(
                st.sampled_from(
                    [
                        [Category.RESIDENT, Category.STUDENT, Category.ENTERPRISE],
                        [Category.STUDENT, Category.ENTERPRISE],
                    ]
                )
            ),
        },
    }


@st.composite
def scenes(draw: st.DrawFn) -> dict:
    return {
        "facility": draw(facilities()),
        # Existing bookings: start (quarter hours into the week), length in quarter hours, places.
        "bookings": draw(
            st.lists(
                st.tuples(st.integers(0, WEEK_SLOTS - 16), st.integers(2, 8), st.integers(1, 2)), max_size=4
            )
        ),
        "category": draw(st.sampled_from([Category.RESIDENT, Category.STUDENT])),
        "suspended": draw(st.sampled_from([False, False, False, True])),
        "weekly_limit": draw(st.sampled_from([None, None, 1])),
        "now": ORIGIN + timedelta(minutes=15 * draw(st.integers(0, 5 * 24 * 4))),
    }


def _spec(facility: dict) -> ResourceSpec:
    policy = facility["policy"]
    return ResourceSpec(
        id=1,
        university_id=1,
        kind=ResourceKind.SPORTS_VENUE,
        mode=facility["mode"],
        capacity=facility["capacity"],
        timezone="Asia/Shanghai",
        slot_minutes=facility["slot_minutes"],
        active=True,
        name=LocalizedName("球场", "Court"),
        university_name=LocalizedName("焦作大学", "Jiaozuo University"),
        hours=tuple(HoursSpec(w, o, c) for w, o, c in facility["hours"]),
        closures=(),
        policy=PolicySpec(
            allowed_categories=frozenset(policy["allowed"]),
            approval_categories=frozenset(),
            min_minutes=policy["min_minutes"],
            max_minutes=policy["max_minutes"],
            min_notice_minutes=policy["min_notice_minutes"],
            max_advance_days=policy["max_advance_days"],
            buffer_minutes=policy["buffer_minutes"],
        ),
    )


@settings(max_examples=60, deadline=None)
@given(scene=scenes())
def test_engine_grid_cells_agree_with_evaluating_their_smallest_booking(scene: dict) -> None:
    spec = _spec(scene["facility"])
    buffer = timedelta(minutes=spec.policy.buffer_minutes)
    existing = [
        Occupancy(
            ORIGIN + timedelta(minutes=15 * at), ORIGIN + timedelta(minutes=15 * (at + n)) + buffer, places
        )
        for at, n, places in scene["bookings"]
    ]
    suspended = scene["now"] + timedelta(days=3) if scene["suspended"] else None
    who = RequesterSpec(7, None, scene["category"], True, suspended)

    grid = week_grid(spec, MONDAY, existing, scene["now"], Viewer(who))
    for day in grid.days:
        for cell in day.cells:
            decision = evaluate(minimal_request(spec, cell.start), spec, who, existing, (), (), scene["now"])
            assert cell.bookable == decision.ok
            assert cell.state == state_of(decision.violations)
            assert [v.code for v in cell.violations] == decision.codes()


def _make_scene(scene: dict):
    facility = scene["facility"]
    policy = dict(facility["policy"])
    allowed = policy.pop("allowed")
    university = make_university()
    resource = make_resource(
        university,
        mode=facility["mode"],
        capacity=facility["capacity"],
        slot_minutes=facility["slot_minutes"],
        hours=facility["hours"],
        policy={**policy, "allowed_categories": [c.value for c in allowed]},
    )
    someone = make_user()
    kept: list[tuple[int, int]] = []
    buffer_slots = policy["buffer_minutes"] // 15
    for at, n, places in scene["bookings"]:
        if facility["mode"] is Mode.EXCLUSIVE and any(
            at < end + buffer_slots and start < at + n + buffer_slots for start, end in kept
        ):
            continue  # an exclusive facility never holds two overlapping bookings (the database says so too)
        kept.append((at, at + n))
        start = ORIGIN + timedelta(minutes=15 * at)
        make_booking(
            resource,
            someone,
            start,
            start + timedelta(minutes=15 * n),
            party_size=min(places, facility["capacity"]),
        )
    suspended = scene["now"] + timedelta(days=3) if scene["suspended"] else None
    viewer = make_user(scene["category"], suspended_until=suspended)
    if scene["weekly_limit"]:
        make_quota(
            university,
            category=None,
            scope=QuotaScope.USER,
            period=QuotaPeriod.WEEK,
            max_bookings=scene["weekly_limit"],
        )
        # Used up this week by a no-show early on Monday.
        make_booking(resource, viewer, ORIGIN + timedelta(hours=1), status=BookingStatus.NO_SHOW)
    return resource, viewer


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scene=scenes(), data=st.data())
def test_cells_offered_are_booked_and_cells_refused_name_the_services_rule(
    app: Flask, scene: dict, data: st.DataObject
) -> None:
    resource, viewer = _make_scene(scene)
    now = scene["now"]
    view = catalog.facility_week(resource.id, MONDAY, now, user=viewer)
    assert view is not None
    cells = [cell for day in view.grid.days for cell in day.cells if cell.end > cell.start]
    refused = [cell for cell in cells if not cell.bookable]
    offered = sorted((cell for cell in cells if cell.bookable), key=lambda c: c.start)
    for cell in data.draw(st.lists(st.sampled_from(refused), max_size=3, unique=True)) if refused else []:
        request = minimal_request(view.spec, cell.start)
        with pytest.raises(Refused) as refusal:
            bookings.request_booking(viewer, resource.id, request.start, request.end, now=now)
        assert cell.state == state_of(refusal.value.violations)
        assert cell.state is not CellState.FREE
    # The earliest and the latest cell offered are where notice and window bite; then one at random. The
    # page is drawn again after each booking, which takes room (and perhaps quota) from the next.
    for pick in ("earliest", "latest", "any"):
        if not offered:
            break
        cell = {"earliest": offered[0], "latest": offered[-1]}.get(pick) or data.draw(
            st.sampled_from(offered)
        )
        request = minimal_request(view.spec, cell.start)
        booking = bookings.request_booking(viewer, resource.id, request.start, request.end, now=now)
        assert booking.start_at == cell.start
        view = catalog.facility_week(resource.id, MONDAY, now, user=viewer)
        assert view is not None
        offered = sorted(
            (cell for day in view.grid.days for cell in day.cells if cell.bookable), key=lambda c: c.start
        )
