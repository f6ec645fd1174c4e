"""Rule evaluation: every rule at its boundaries, and every violation found at once."""

from datetime import date, datetime, time, timedelta

import pytest
from engine_builders import (
    ALL_CATEGORIES,
    BERLIN,
    MONDAY,
    NOW,
    at,
    closure,
    codes,
    decide,
    hours,
    occupancy,
    quota,
    request,
    requester,
    resource,
    used,
)

from booking.engine import BookingRequest, LocalizedName, Occupancy, ViolationCode
from models.enums import Category, Mode

TUESDAY = MONDAY + timedelta(days=1)
ALWAYS_OPEN = hours("00:00", "00:00")  # 00:00 closing means 24:00


def test_valid_request_is_accepted_without_approval():
    decision = decide(request(TUESDAY, "10:00", "11:00"))

    assert decision.ok
    assert decision.violations == ()
    assert not decision.requires_approval


# Account state


def test_disabled_account_is_refused():
    assert codes(decide(request(TUESDAY, "10:00", "11:00"), who=requester(active=False))) == [
        "account_inactive"
    ]


def test_suspended_account_is_refused_until_the_suspension_ends():
    suspended = requester(suspended_until=NOW + timedelta(minutes=1))

    decision = decide(request(TUESDAY, "10:00", "11:00"), who=suspended)

    assert codes(decision) == ["account_suspended"]
    # Shown in the facility's local time: 08:01 in Jiaozuo.
    assert decision.violations[0].params == {"until": datetime(2025, 11, 24, 8, 1)}
    assert decision.violations[0].overridable


def test_unconfirmed_email_is_refused_and_no_manager_can_override_it():
    decision = decide(request(TUESDAY, "10:00", "11:00"), who=requester(email_verified=False))

    assert codes(decision) == ["email_unverified"]
    assert not decision.violations[0].overridable


def test_suspension_ending_exactly_now_no_longer_blocks():
    assert decide(request(TUESDAY, "10:00", "11:00"), who=requester(suspended_until=NOW)).ok


def test_category_not_allowed_by_policy_is_refused():
    lab = resource(policy={"allowed_categories": frozenset({Category.ENTERPRISE})})

    decision = decide(request(TUESDAY, "10:00", "11:00"), lab, requester(category=Category.STUDENT))

    assert codes(decision) == ["category_not_allowed"]
    assert decision.violations[0].params == {"category": Category.STUDENT}


def test_inactive_facility_is_refused():
    decision = decide(request(TUESDAY, "10:00", "11:00"), resource(active=False))

    assert codes(decision) == ["resource_inactive"]
    assert decision.violations[0].params == {"resource": LocalizedName("网球场", "Tennis court")}


# Booking window


def test_start_one_minute_in_the_past_is_refused():
    open_all_day = resource(slot_minutes=1, hours=ALWAYS_OPEN)
    late = BookingRequest(NOW - timedelta(minutes=1), NOW + timedelta(minutes=59))

    assert codes(decide(late, open_all_day)) == ["in_past"]


def test_start_exactly_now_is_allowed_without_min_notice():
    open_all_day = resource(slot_minutes=1, hours=ALWAYS_OPEN)

    assert decide(BookingRequest(NOW, NOW + timedelta(hours=1)), open_all_day).ok


@pytest.mark.parametrize(("minutes_ahead", "allowed"), [(59, False), (60, True), (61, True)])
def test_min_notice_boundary(minutes_ahead, allowed):
    facility = resource(slot_minutes=1, hours=ALWAYS_OPEN, policy={"min_notice_minutes": 60})
    start = NOW + timedelta(minutes=minutes_ahead)

    decision = decide(BookingRequest(start, start + timedelta(hours=1)), facility)

    assert decision.ok is allowed
    if not allowed:
        assert codes(decision) == ["min_notice"]
        assert decision.violations[0].params == {"minutes": 60}


@pytest.mark.parametrize(
    ("ahead", "allowed"), [(timedelta(days=14), True), (timedelta(days=14, minutes=1), False)]
)
def test_max_advance_edge_is_exactly_max_advance_days_after_now(ahead, allowed):
    facility = resource(slot_minutes=1, hours=ALWAYS_OPEN, policy={"max_advance_days": 14})
    start = NOW + ahead

    decision = decide(BookingRequest(start, start + timedelta(hours=1)), facility)

    assert decision.ok is allowed
    if not allowed:
        assert codes(decision) == ["max_advance"]
        assert decision.violations[0].params == {"days": 14}


# Duration and alignment


def test_end_equal_to_start_is_refused_without_duration_checks():
    decision = decide(request(TUESDAY, "10:00", "10:00"))

    assert codes(decision) == ["end_before_start"]
    assert not decision.violations[0].overridable


def test_end_before_start_is_refused():
    assert codes(decide(request(TUESDAY, "11:00", "10:00"))) == ["end_before_start"]


@pytest.mark.parametrize(("end", "violation"), [("10:29", "too_short"), ("10:30", None)])
def test_min_duration_boundary(end, violation):
    facility = resource(slot_minutes=1, policy={"min_minutes": 30})

    assert codes(decide(request(TUESDAY, "10:00", end), facility)) == ([violation] if violation else [])


@pytest.mark.parametrize(("end", "violation"), [("12:00", None), ("12:01", "too_long")])
def test_max_duration_boundary(end, violation):
    facility = resource(slot_minutes=1, policy={"max_minutes": 120})

    decision = decide(request(TUESDAY, "10:00", end), facility)

    assert codes(decision) == ([violation] if violation else [])
    if violation:
        assert decision.violations[0].params == {"max": 120, "minutes": 121}


def test_no_max_duration_allows_a_whole_day():
    assert decide(request(TUESDAY, "08:00", "22:00"), resource(policy={"max_minutes": None})).ok


@pytest.mark.parametrize(("start", "end"), [("10:15", "11:00"), ("10:00", "10:45")])
def test_start_or_end_off_the_slot_grid_is_refused(start, end):
    decision = decide(request(TUESDAY, start, end))

    assert codes(decision) == ["misaligned"]
    assert decision.violations[0].params == {"minutes": 30}


def test_slot_grid_counts_from_local_midnight_not_utc():
    # Kolkata is UTC+05:30: 10:00-11:00 local sits on an hour grid locally, half past in UTC.
    facility = resource(timezone="Asia/Kolkata", slot_minutes=60)

    decision = decide(request(TUESDAY, "10:00", "11:00", timezone="Asia/Kolkata"), facility)

    assert decision.ok
    assert at(TUESDAY, "10:00", "Asia/Kolkata").minute == 30


def test_seconds_off_the_grid_are_misaligned():
    start = at(TUESDAY, "10:00") + timedelta(seconds=1)

    assert codes(decide(BookingRequest(start, at(TUESDAY, "11:00")))) == ["misaligned"]


# Opening hours

TWO_SESSIONS = hours("08:00", "12:00") + hours("14:00", "22:00")


def test_booking_in_the_morning_session_is_allowed():
    assert decide(request(TUESDAY, "11:00", "12:00"), resource(hours=TWO_SESSIONS)).ok


def test_booking_running_past_the_lunch_closing_is_refused():
    decision = decide(request(TUESDAY, "11:30", "12:30"), resource(hours=TWO_SESSIONS))

    assert codes(decision) == ["outside_hours"]
    assert decision.violations[0].params == {"day": TUESDAY, "closes": time(12, 0)}


def test_booking_over_the_lunch_break_is_refused():
    decision = decide(request(TUESDAY, "12:00", "14:00"), resource(hours=TWO_SESSIONS))

    assert codes(decision) == ["outside_hours"]
    assert decision.violations[0].params == {"day": TUESDAY, "opens": time(14, 0)}
    assert decision.violations[0].message == "This facility opens at %(opens)s on %(day)s."


def test_booking_ending_exactly_at_closing_is_allowed():
    assert decide(request(TUESDAY, "21:00", "22:00")).ok


def test_booking_running_past_closing_is_refused():
    decision = decide(request(TUESDAY, "21:30", "22:30"))

    assert decision.violations[0].params == {"day": TUESDAY, "closes": time(22, 0)}


def test_booking_before_opening_names_the_opening_time():
    decision = decide(request(TUESDAY, "07:00", "08:00"))

    assert decision.violations[0].params == {"day": TUESDAY, "opens": time(8, 0)}


def test_day_without_hours_is_closed_all_day():
    weekdays_only = resource(hours=hours("08:00", "22:00", weekdays=range(5)))
    saturday = MONDAY + timedelta(days=5)

    decision = decide(request(saturday, "10:00", "11:00"), weekdays_only)

    assert codes(decision) == ["outside_hours"]
    assert decision.violations[0].params == {"day": saturday}


def test_facility_without_any_hours_is_always_closed():
    assert codes(decide(request(TUESDAY, "10:00", "11:00"), resource(hours=()))) == ["outside_hours"]


def test_closing_at_midnight_allows_the_last_hour_of_the_day():
    late = resource(hours=hours("18:00", "00:00"))

    assert decide(request(TUESDAY, "23:00", "24:00"), late).ok


def test_booking_across_midnight_is_refused_even_when_open_on_both_sides():
    always = resource(hours=ALWAYS_OPEN)

    decision = decide(request(TUESDAY, "23:00", "25:00"), always)

    assert codes(decision) == ["outside_hours"]
    assert decision.violations[0].params == {"day": TUESDAY, "closes": time(0, 0)}


def test_touching_opening_intervals_form_one_opening():
    split_day = resource(hours=hours("08:00", "12:00") + hours("12:00", "18:00"))

    assert decide(request(TUESDAY, "11:00", "13:00"), split_day).ok


# Opening hours across DST (Europe/Berlin: 30 March and 26 October 2025)

SPRING_FORWARD = date(2025, 3, 30)
FALL_BACK = date(2025, 10, 26)


def berlin(**changes):
    return resource(timezone=BERLIN, **changes)


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_berlin_opening_hours_hold_in_local_time_on_dst_days(day):
    morning = request(day, "08:00", "09:00", timezone=BERLIN)
    evening = request(day, "21:00", "22:00", timezone=BERLIN)
    early = request(day, "07:30", "08:30", timezone=BERLIN)
    now = at(day, "00:00", BERLIN) - timedelta(days=1)

    assert decide(morning, berlin(), now=now).ok
    assert decide(evening, berlin(), now=now).ok
    assert codes(decide(early, berlin(), now=now)) == ["outside_hours"]


def test_berlin_opening_is_at_different_utc_times_either_side_of_spring_forward():
    saturday = request(SPRING_FORWARD - timedelta(days=1), "08:00", "09:00", timezone=BERLIN)
    sunday = request(SPRING_FORWARD, "08:00", "09:00", timezone=BERLIN)
    now = at(SPRING_FORWARD, "00:00", BERLIN) - timedelta(days=2)

    assert (saturday.start.hour, sunday.start.hour) == (7, 6)
    assert decide(saturday, berlin(), now=now).ok
    assert decide(sunday, berlin(), now=now).ok


def test_berlin_booking_across_the_skipped_hour_lasts_one_hour():
    # 01:00-03:00 on the spring-forward night is one hour long and on the local grid.
    night = berlin(hours=ALWAYS_OPEN, slot_minutes=60, policy={"min_minutes": 60, "max_minutes": 60})
    booking = request(SPRING_FORWARD, "01:00", "03:00", timezone=BERLIN)

    assert booking.end - booking.start == timedelta(hours=1)
    assert decide(booking, night, now=at(SPRING_FORWARD, "00:00", BERLIN) - timedelta(days=1)).ok


def test_berlin_booking_across_the_repeated_hour_lasts_three_hours():
    night = berlin(hours=ALWAYS_OPEN, slot_minutes=60, policy={"max_minutes": 120})
    booking = request(FALL_BACK, "01:00", "03:00", timezone=BERLIN)

    decision = decide(booking, night, now=at(FALL_BACK, "00:00", BERLIN) - timedelta(days=1))

    assert codes(decision) == ["too_long"]
    assert decision.violations[0].params == {"max": 120, "minutes": 180}


# Closures


def test_booking_overlapping_a_closure_is_refused_with_its_reason():
    exam_week = closure(at(TUESDAY, "09:00"), at(TUESDAY, "10:30"), "Exam week")

    decision = decide(request(TUESDAY, "10:00", "11:00"), resource(closures=(exam_week,)))

    assert codes(decision) == ["closed"]
    violation = decision.violations[0]
    assert violation.params["reason"] == "Exam week"
    assert violation.params["start"].time() == time(9, 0)
    assert violation.message % {"reason": "Exam week"} == "Closed: Exam week."


def test_closure_ending_exactly_at_start_does_not_block():
    maintenance = closure(at(TUESDAY, "08:00"), at(TUESDAY, "10:00"))

    assert decide(request(TUESDAY, "10:00", "11:00"), resource(closures=(maintenance,))).ok


def test_each_overlapping_closure_is_its_own_violation():
    first = closure(at(TUESDAY, "10:00"), at(TUESDAY, "10:30"), "Cleaning")
    second = closure(at(TUESDAY, "10:30"), at(TUESDAY, "11:00"), "Inspection")

    decision = decide(request(TUESDAY, "10:00", "11:00"), resource(closures=(second, first)))

    assert [v.params["reason"] for v in decision.violations] == ["Cleaning", "Inspection"]


def test_closure_spanning_midnight_blocks_both_evenings_and_mornings():
    overnight = closure(at(MONDAY, "21:00"), at(TUESDAY, "09:00"), "Floor repair")
    facility = resource(closures=(overnight,))

    assert codes(decide(request(MONDAY, "21:00", "22:00"), facility)) == ["closed"]
    assert codes(decide(request(TUESDAY, "08:00", "09:00"), facility)) == ["closed"]
    assert decide(request(MONDAY, "20:00", "21:00"), facility).ok
    assert decide(request(TUESDAY, "09:00", "10:00"), facility).ok


def test_bilingual_closure_reason_is_passed_through():
    reason = LocalizedName("春节", "Spring Festival")
    festival = closure(at(TUESDAY, "00:00"), at(TUESDAY + timedelta(days=7), "00:00"), reason)

    decision = decide(request(TUESDAY, "10:00", "11:00"), resource(closures=(festival,)))

    assert decision.violations[0].params["reason"] == reason


# Party size


def test_party_of_zero_is_invalid_and_not_overridable():
    decision = decide(request(TUESDAY, "10:00", "11:00", party_size=0))

    assert codes(decision) == ["party_size_invalid"]
    assert decision.blocking(override=True) == decision.violations


def test_party_above_the_policy_maximum_is_refused_but_overridable():
    facility = resource(policy={"max_party_size": 4})

    decision = decide(request(TUESDAY, "10:00", "11:00", party_size=5), facility)

    assert codes(decision) == ["party_size_too_large"]
    assert decision.violations[0].params == {"max": 4, "party_size": 5}
    assert decision.blocking(override=True) == ()


def test_party_at_the_policy_maximum_is_allowed():
    assert decide(request(TUESDAY, "10:00", "11:00", party_size=4), resource(policy={"max_party_size": 4})).ok


def test_exclusive_facility_ignores_capacity_for_party_size():
    # A court with capacity 1 still takes a doubles game of four.
    assert decide(request(TUESDAY, "10:00", "11:00", party_size=4), resource(capacity=1)).ok


def test_shared_party_larger_than_capacity_is_refused_once_and_not_overridable():
    reading_room = resource(mode=Mode.SHARED, capacity=10)

    decision = decide(request(TUESDAY, "10:00", "11:00", party_size=11), reading_room)

    assert codes(decision) == ["party_size_too_large"]
    assert decision.violations[0].params == {"max": 10, "party_size": 11}
    assert not decision.violations[0].overridable


# Conflicts with buffers (exclusive)


def test_back_to_back_booking_is_allowed_without_buffer():
    taken = [occupancy(TUESDAY, "10:00", "11:00")]

    assert decide(request(TUESDAY, "11:00", "12:00"), existing=taken).ok
    assert decide(request(TUESDAY, "09:00", "10:00"), existing=taken).ok


def test_overlapping_booking_is_a_conflict_that_no_override_lifts():
    taken = [occupancy(TUESDAY, "10:00", "11:00")]

    decision = decide(request(TUESDAY, "10:30", "11:30"), existing=taken)

    assert codes(decision) == ["conflict"]
    assert decision.violations[0].message == "This time is already booked."
    assert decision.blocking(override=True) == decision.violations


def test_back_to_back_after_a_booking_is_refused_when_its_buffer_is_running():
    facility = resource(slot_minutes=15, policy={"buffer_minutes": 15})
    taken = [occupancy(TUESDAY, "10:00", "11:00", buffer=15)]

    assert codes(decide(request(TUESDAY, "11:00", "12:00"), facility, existing=taken)) == ["conflict"]
    assert decide(request(TUESDAY, "11:15", "12:15"), facility, existing=taken).ok


def test_back_to_back_before_a_booking_is_refused_when_our_buffer_would_run_into_it():
    facility = resource(slot_minutes=15, policy={"buffer_minutes": 15})
    taken = [occupancy(TUESDAY, "10:00", "11:00", buffer=15)]

    assert codes(decide(request(TUESDAY, "09:00", "10:00"), facility, existing=taken)) == ["conflict"]
    assert decide(request(TUESDAY, "08:45", "09:45"), facility, existing=taken).ok


def test_gap_longer_than_the_buffer_is_allowed():
    facility = resource(slot_minutes=15, policy={"buffer_minutes": 15})
    taken = [occupancy(TUESDAY, "10:00", "11:00", buffer=15)]

    assert decide(request(TUESDAY, "11:30", "12:30"), facility, existing=taken).ok


# Capacity (shared)


def reading_room(capacity=10, **changes):
    return resource(mode=Mode.SHARED, capacity=capacity, kind=resource().kind, **changes)


def test_capacity_counts_the_peak_not_the_sum_of_bookings_that_never_meet():
    taken = [
        occupancy(TUESDAY, "10:00", "11:00", party_size=6),
        occupancy(TUESDAY, "11:00", "12:00", party_size=6),
    ]

    assert decide(request(TUESDAY, "10:00", "12:00", party_size=4), reading_room(), existing=taken).ok

    decision = decide(request(TUESDAY, "10:00", "12:00", party_size=5), reading_room(), existing=taken)
    assert codes(decision) == ["capacity"]
    assert decision.violations[0].params == {"left": 4, "asked": 5}
    assert not decision.violations[0].overridable


def test_capacity_adds_up_bookings_that_do_meet():
    taken = [
        occupancy(TUESDAY, "10:00", "11:00", party_size=6),
        occupancy(TUESDAY, "10:30", "12:00", party_size=3),
    ]

    decision = decide(request(TUESDAY, "11:30", "12:00", party_size=1), reading_room(), existing=taken)
    assert decision.ok
    decision = decide(request(TUESDAY, "10:00", "12:00", party_size=2), reading_room(), existing=taken)
    assert decision.violations[0].params == {"left": 1, "asked": 2}


def test_full_shared_facility_says_it_is_fully_booked():
    taken = [occupancy(TUESDAY, "10:00", "11:00", party_size=10)]

    decision = decide(request(TUESDAY, "10:30", "11:30"), reading_room(), existing=taken)

    assert decision.violations[0].message == "This time is fully booked."
    assert decision.violations[0].params == {"left": 0, "asked": 1}


def test_shared_buffer_keeps_the_places_after_a_booking():
    facility = reading_room(capacity=2, policy={"buffer_minutes": 30})
    taken = [occupancy(TUESDAY, "10:00", "11:00", party_size=2, buffer=30)]

    assert codes(decide(request(TUESDAY, "11:00", "12:00"), facility, existing=taken)) == ["capacity"]
    assert decide(request(TUESDAY, "11:30", "12:30"), facility, existing=taken).ok


# The same booking twice


def held_by(user_id: int, day: date, start: str, end: str, buffer: int = 0) -> Occupancy:
    return Occupancy(
        at(day, start), at(day, end) + timedelta(minutes=buffer), 1, user_id=user_id, end=at(day, end)
    )


def test_the_same_person_cannot_hold_the_same_booking_twice():
    taken = [held_by(100, TUESDAY, "10:00", "11:00", buffer=30)]

    decision = decide(
        request(TUESDAY, "10:00", "11:00"),
        reading_room(policy={"buffer_minutes": 30}),
        requester(),
        existing=taken,
    )

    assert codes(decision) == ["duplicate"]
    assert not decision.violations[0].overridable
    assert decision.blocking(override=True) == decision.violations


def test_someone_else_in_the_same_slot_or_the_same_person_at_another_time_is_no_duplicate():
    room = reading_room()

    assert decide(
        request(TUESDAY, "10:00", "11:00"), room, existing=[held_by(101, TUESDAY, "10:00", "11:00")]
    ).ok
    assert decide(
        request(TUESDAY, "10:00", "11:30"), room, existing=[held_by(100, TUESDAY, "10:00", "11:00")]
    ).ok
    assert decide(
        request(TUESDAY, "10:30", "11:00"), room, existing=[held_by(100, TUESDAY, "10:00", "11:00")]
    ).ok


def test_the_same_booking_twice_on_an_exclusive_facility_is_both_taken_and_a_duplicate():
    taken = [held_by(100, TUESDAY, "10:00", "11:00")]

    assert codes(decide(request(TUESDAY, "10:00", "11:00"), existing=taken)) == ["conflict", "duplicate"]


# Placement


def placement(**changes):
    base = {
        "mode": Mode.PLACEMENT,
        "kind": resource().kind,
        "capacity": 3,
        "hours": (),
        "policy": {"max_minutes": None, "max_advance_days": 120},
    }
    base.update(changes)
    return resource(**base)


def test_placement_of_whole_days_is_accepted_and_always_needs_approval():
    term = BookingRequest(at(date(2025, 12, 1), "00:00"), at(date(2026, 1, 10), "00:00"))

    decision = decide(term, placement())

    assert decision.ok
    assert decision.requires_approval


def test_placement_must_start_and_end_at_local_midnight():
    not_whole = BookingRequest(at(date(2025, 12, 1), "09:00"), at(date(2025, 12, 5), "00:00"))
    utc_midnight = BookingRequest(at(date(2025, 12, 1), "08:00"), at(date(2025, 12, 5), "08:00"))

    assert codes(decide(not_whole, placement())) == ["placement_whole_days"]
    assert codes(decide(utc_midnight, placement())) == ["placement_whole_days"]


def test_placement_ignores_hours_but_not_closures():
    holiday = closure(at(date(2025, 12, 3), "00:00"), at(date(2025, 12, 4), "00:00"), "Holiday")
    week = BookingRequest(at(date(2025, 12, 1), "00:00"), at(date(2025, 12, 8), "00:00"))

    assert codes(decide(week, placement(closures=(holiday,)))) == ["closed"]


def test_placement_counts_seats_and_takes_one_person():
    day = date(2025, 12, 1)
    seats_taken = [Occupancy(at(day, "00:00"), at(day + timedelta(days=30), "00:00"), 1) for _ in range(3)]
    week = BookingRequest(at(day + timedelta(days=7), "00:00"), at(day + timedelta(days=14), "00:00"))

    assert codes(decide(week, placement(), existing=seats_taken)) == ["capacity"]
    assert codes(decide(BookingRequest(week.start, week.end, 2), placement())) == ["party_size_too_large"]


def test_placement_duration_counts_local_days_across_dst():
    # A Berlin week across the autumn change is 169 hours, but still seven days.
    week_limit = placement(timezone=BERLIN, policy={"max_minutes": 7 * 24 * 60, "max_advance_days": 60})
    week = BookingRequest(at(date(2025, 10, 20), "00:00", BERLIN), at(date(2025, 10, 27), "00:00", BERLIN))

    assert week.end - week.start == timedelta(hours=169)
    assert decide(week, week_limit, now=at(date(2025, 10, 1), "00:00", BERLIN)).ok


# Approval and overrides


def test_category_needing_approval_makes_the_request_pending():
    facility = resource(policy={"approval_categories": frozenset({Category.RESIDENT})})

    decision = decide(request(TUESDAY, "10:00", "11:00"), facility)

    assert decision.ok
    assert decision.requires_approval


def test_every_violation_is_returned_at_once_in_design_order():
    facility = resource(
        policy={"allowed_categories": ALL_CATEGORIES - {Category.RESIDENT}, "max_minutes": 60},
        closures=(closure(at(TUESDAY, "21:00"), at(TUESDAY, "23:00"), "Repair"),),
    )
    who = requester(suspended_until=NOW + timedelta(days=3))
    taken = [occupancy(TUESDAY, "21:00", "22:00")]
    weekly = quota(max_bookings=1)
    booked = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"))]

    decision = decide(
        request(TUESDAY, "20:45", "22:30"), facility, who, existing=taken, quotas=[weekly], usage=booked
    )

    assert codes(decision) == [
        "account_suspended",
        "category_not_allowed",
        "too_long",
        "misaligned",
        "outside_hours",
        "closed",
        "conflict",
        "quota_bookings",
    ]
    assert [v.code for v in decision.blocking(override=True)] == ["conflict"]


def test_decision_without_override_is_blocked_by_every_violation():
    decision = decide(request(TUESDAY, "07:00", "08:00"))

    assert not decision.ok
    assert decision.blocking(override=False) == decision.violations
    assert decision.blocking(override=True) == ()


def test_naive_datetimes_are_refused_as_a_programming_error():
    naive = BookingRequest(at(TUESDAY, "10:00").replace(tzinfo=None), at(TUESDAY, "11:00"))

    with pytest.raises(ValueError, match="timezone-aware"):
        decide(naive)


def test_every_violation_code_is_documented():
    import booking.engine.violations as module

    for code in ViolationCode:
        assert f"| {code.value} " in module.__doc__
