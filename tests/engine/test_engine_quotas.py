"""Quotas: periods in the facility's time zone, which quotas apply, what counts, and series across periods."""

from datetime import UTC, date, datetime, timedelta

import pytest
from engine_builders import (
    BERLIN,
    HPU,
    MONDAY,
    NOW,
    SHANGHAI,
    at,
    codes,
    decide,
    quota,
    request,
    requester,
    resource,
    used,
)

from booking.engine import (
    BookingRequest,
    Interval,
    PeriodWindow,
    QuotaSubject,
    evaluate_series,
    period_window,
)
from models.enums import Category, QuotaPeriod, QuotaScope, ResourceKind

SUNDAY = MONDAY + timedelta(days=6)
NEXT_MONDAY = MONDAY + timedelta(days=7)


# Periods


def test_sunday_2330_in_shanghai_belongs_to_the_old_week():
    late_sunday = at(SUNDAY, "23:30")

    assert late_sunday == datetime(2025, 11, 30, 15, 30, tzinfo=UTC)
    assert period_window(late_sunday, QuotaPeriod.WEEK, SHANGHAI) == Interval(
        at(MONDAY, "00:00"), at(NEXT_MONDAY, "00:00")
    )


def test_monday_midnight_in_shanghai_starts_the_new_week():
    window = period_window(at(NEXT_MONDAY, "00:00"), QuotaPeriod.WEEK, SHANGHAI)

    assert window == Interval(
        datetime(2025, 11, 30, 16, 0, tzinfo=UTC), datetime(2025, 12, 7, 16, 0, tzinfo=UTC)
    )


def test_day_window_is_the_local_day():
    window = period_window(at(MONDAY, "07:59"), QuotaPeriod.DAY, SHANGHAI)

    assert window == Interval(
        datetime(2025, 11, 23, 16, 0, tzinfo=UTC), datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("instant", "first", "after"),
    [
        (at(date(2025, 11, 30), "23:59"), date(2025, 11, 1), date(2025, 12, 1)),
        (at(date(2025, 12, 1), "00:00"), date(2025, 12, 1), date(2026, 1, 1)),
        (at(date(2025, 12, 31), "23:59"), date(2025, 12, 1), date(2026, 1, 1)),
    ],
)
def test_month_window_boundaries(instant, first, after):
    assert period_window(instant, QuotaPeriod.MONTH, SHANGHAI) == Interval(
        at(first, "00:00"), at(after, "00:00")
    )


def test_berlin_day_of_spring_forward_is_23_hours_long():
    window = period_window(at(date(2025, 3, 30), "12:00", BERLIN), QuotaPeriod.DAY, BERLIN)

    assert window is not None
    assert window.end - window.start == timedelta(hours=23)


def test_active_quota_has_no_period():
    assert period_window(NOW, QuotaPeriod.ACTIVE, SHANGHAI) is None


# Bookings and hours limits


def test_weekly_booking_quota_allows_up_to_the_limit():
    weekly = quota(max_bookings=2)
    one = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"))]

    assert decide(request(MONDAY, "12:00", "13:00"), quotas=[weekly], usage=one).ok


def test_weekly_booking_quota_refuses_beyond_the_limit_and_names_it():
    weekly = quota(max_bookings=2)
    two = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00")), used(at(MONDAY, "14:00"), at(MONDAY, "15:00"))]

    decision = decide(request(MONDAY + timedelta(days=2), "12:00", "13:00"), quotas=[weekly], usage=two)

    assert codes(decision) == ["quota_bookings"]
    violation = decision.violations[0]
    assert violation.params == {
        "quota_id": 7,
        "used": 2,
        "limit": 2,
        "subject": QuotaSubject(HPU, None, None),
        "window": PeriodWindow(QuotaPeriod.WEEK, MONDAY),
    }
    assert violation.message == "You have used %(used)s of your %(limit)s bookings of %(subject)s %(window)s."
    assert violation.overridable


def test_usage_starting_sunday_2330_local_is_not_counted_for_the_next_week():
    weekly = quota(max_bookings=1)
    late_sunday = [used(at(SUNDAY, "23:30"), at(NEXT_MONDAY, "00:30"))]

    assert decide(request(NEXT_MONDAY, "10:00", "11:00"), quotas=[weekly], usage=late_sunday, now=NOW).ok
    assert codes(decide(request(SUNDAY, "10:00", "11:00"), quotas=[weekly], usage=late_sunday)) == [
        "quota_bookings"
    ]


def test_usage_at_monday_midnight_local_counts_for_the_new_week():
    weekly = quota(max_bookings=1)
    midnight = [used(at(NEXT_MONDAY, "00:00"), at(NEXT_MONDAY, "01:00"))]

    assert codes(decide(request(NEXT_MONDAY, "10:00", "11:00"), quotas=[weekly], usage=midnight)) == [
        "quota_bookings"
    ]
    assert decide(request(SUNDAY, "10:00", "11:00"), quotas=[weekly], usage=midnight).ok


def test_monthly_quota_resets_on_the_first_of_the_month():
    monthly = quota(period=QuotaPeriod.MONTH, max_bookings=1)
    november = [used(at(date(2025, 11, 30), "20:00"), at(date(2025, 11, 30), "21:00"))]
    now = at(date(2025, 11, 29), "12:00")

    assert codes(
        decide(request(date(2025, 11, 30), "10:00", "11:00"), quotas=[monthly], usage=november, now=now)
    ) == ["quota_bookings"]
    assert decide(request(date(2025, 12, 1), "10:00", "11:00"), quotas=[monthly], usage=november, now=now).ok


def test_daily_quota_counts_the_local_day():
    daily = quota(period=QuotaPeriod.DAY, max_bookings=1)
    # 07:30 Tuesday in Jiaozuo is still Monday in UTC.
    early = [used(at(MONDAY + timedelta(days=1), "07:30"), at(MONDAY + timedelta(days=1), "08:00"))]

    assert codes(
        decide(request(MONDAY + timedelta(days=1), "20:00", "21:00"), quotas=[daily], usage=early)
    ) == ["quota_bookings"]
    assert decide(request(MONDAY, "20:00", "21:00"), quotas=[daily], usage=early).ok


@pytest.mark.parametrize(("end", "allowed"), [("11:00", True), ("11:30", False)])
def test_hours_quota_boundary(end, allowed):
    three_hours = quota(max_hours=3.0)
    two_hours = [used(at(MONDAY, "10:00"), at(MONDAY, "12:00"))]

    decision = decide(
        request(MONDAY + timedelta(days=1), "10:00", end), quotas=[three_hours], usage=two_hours
    )

    assert decision.ok is allowed
    if not allowed:
        assert codes(decision) == ["quota_hours"]
        params = decision.violations[0].params
        assert (params["used"], params["limit"], params["asked"]) == (2.0, 3.0, 1.5)


def test_fractional_hours_quota_holds_exactly():
    ninety_minutes = quota(max_hours=1.5)
    one_hour = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"))]

    assert decide(request(MONDAY, "12:00", "12:30"), quotas=[ninety_minutes], usage=one_hour).ok


def test_every_broken_quota_is_reported():
    quotas = [quota(id=1, max_bookings=1), quota(id=2, max_hours=1.0, period=QuotaPeriod.DAY)]
    booked = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"))]

    decision = decide(request(MONDAY, "12:00", "13:00"), quotas=quotas, usage=booked)

    assert codes(decision) == ["quota_bookings", "quota_hours"]
    assert [v.params["quota_id"] for v in decision.violations] == [1, 2]


def test_active_quota_counts_bookings_not_yet_over():
    at_once = quota(period=QuotaPeriod.ACTIVE, max_bookings=1)
    finished = [used(NOW - timedelta(hours=2), NOW)]
    running = [used(NOW - timedelta(hours=1), NOW + timedelta(minutes=1))]
    booking = request(MONDAY + timedelta(days=5), "10:00", "11:00")

    assert decide(booking, quotas=[at_once], usage=finished).ok
    decision = decide(booking, quotas=[at_once], usage=running)
    assert codes(decision) == ["quota_bookings"]
    assert "window" not in decision.violations[0].params
    assert (
        decision.violations[0].message
        == "You already have %(used)s of your %(limit)s active bookings of %(subject)s."
    )


# Which quotas apply, and what counts


def test_quota_of_another_university_does_not_apply():
    elsewhere = quota(university_id=99, max_bookings=0)

    assert decide(request(MONDAY, "10:00", "11:00"), quotas=[elsewhere]).ok


def test_quota_for_another_category_does_not_apply():
    students_only = quota(category=Category.STUDENT, max_bookings=0)

    assert decide(request(MONDAY, "10:00", "11:00"), quotas=[students_only]).ok
    assert not decide(
        request(MONDAY, "10:00", "11:00"), who=requester(category=Category.STUDENT), quotas=[students_only]
    ).ok


def test_kind_quota_counts_other_facilities_of_that_kind_only():
    courts = quota(resource_kind=ResourceKind.SPORTS_VENUE, max_bookings=1)
    other_court = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"), resource_id=2)]
    a_lab = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"), resource_id=3, kind=ResourceKind.LAB)]

    decision = decide(request(MONDAY, "12:00", "13:00"), quotas=[courts], usage=other_court)
    assert codes(decision) == ["quota_bookings"]
    assert decision.violations[0].params["subject"] == QuotaSubject(HPU, ResourceKind.SPORTS_VENUE, None)
    assert decide(request(MONDAY, "12:00", "13:00"), quotas=[courts], usage=a_lab).ok


def test_kind_quota_does_not_apply_to_another_kind():
    labs = quota(resource_kind=ResourceKind.LAB, max_bookings=0)

    assert decide(request(MONDAY, "10:00", "11:00"), quotas=[labs]).ok


def test_resource_quota_counts_that_facility_only_and_names_it():
    court = resource()
    this_court = quota(resource_id=1, resource_name=court.name, max_bookings=1)
    other_court = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"), resource_id=2)]
    same_court = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"), resource_id=1)]

    assert decide(request(MONDAY, "12:00", "13:00"), quotas=[this_court], usage=other_court).ok
    decision = decide(request(MONDAY, "12:00", "13:00"), quotas=[this_court], usage=same_court)
    assert decision.violations[0].params["subject"] == QuotaSubject(HPU, None, court.name)
    assert not decide(
        request(MONDAY, "12:00", "13:00"), resource(id=2), quotas=[this_court], usage=same_court
    ).violations


def test_usage_at_another_university_does_not_count():
    weekly = quota(max_bookings=1)
    elsewhere = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"), university_id=99)]

    assert decide(request(MONDAY, "12:00", "13:00"), quotas=[weekly], usage=elsewhere).ok


def test_user_quota_ignores_colleagues_bookings():
    weekly = quota(max_bookings=1)
    colleague = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"), user_id=101, organization_id=5)]

    assert decide(
        request(MONDAY, "12:00", "13:00"), who=requester(organization_id=5), quotas=[weekly], usage=colleague
    ).ok


def test_organization_quota_pools_colleagues_bookings():
    pooled = quota(scope=QuotaScope.ORGANIZATION, max_hours=2.0)
    colleague = [used(at(MONDAY, "10:00"), at(MONDAY, "11:30"), user_id=101, organization_id=5)]
    member = requester(organization_id=5, category=Category.ENTERPRISE)

    decision = decide(request(MONDAY, "12:00", "13:00"), who=member, quotas=[pooled], usage=colleague)

    assert codes(decision) == ["quota_hours"]
    assert decision.violations[0].message.startswith("Your organization has booked")
    assert decision.violations[0].params["used"] == 1.5


def test_organization_quota_without_organization_is_per_user():
    pooled = quota(scope=QuotaScope.ORGANIZATION, max_bookings=1)
    mine = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"))]
    stranger = [used(at(MONDAY, "10:00"), at(MONDAY, "11:00"), user_id=101)]

    decision = decide(request(MONDAY, "12:00", "13:00"), quotas=[pooled], usage=mine)
    assert codes(decision) == ["quota_bookings"]
    assert decision.violations[0].message.startswith("You have used")
    assert decide(request(MONDAY, "12:00", "13:00"), quotas=[pooled], usage=stranger).ok


def test_berlin_quota_week_follows_the_facility_time_zone():
    weekly = quota(max_bookings=1)
    berlin = resource(timezone=BERLIN)
    # Sunday 23:30 in Berlin is Monday morning in Jiaozuo, but the Berlin facility's week has not ended.
    late_sunday = [used(at(SUNDAY, "23:30", BERLIN), at(SUNDAY, "23:59", BERLIN))]
    same_week = request(MONDAY + timedelta(days=2), "10:00", "11:00", timezone=BERLIN)
    next_week = request(NEXT_MONDAY, "10:00", "11:00", timezone=BERLIN)

    assert codes(decide(same_week, berlin, quotas=[weekly], usage=late_sunday)) == ["quota_bookings"]
    assert decide(next_week, berlin, quotas=[weekly], usage=late_sunday).ok


# Series


def test_series_crossing_a_week_boundary_counts_each_week_separately():
    weekly = quota(max_bookings=1)
    saturday = MONDAY + timedelta(days=5)
    daily = [request(saturday + timedelta(days=i), "10:00", "11:00") for i in range(4)]  # Sat, Sun, Mon, Tue

    decisions = evaluate_series(daily, resource(), requester(), [], [weekly], [], NOW)

    assert [d.ok for d in decisions] == [True, False, True, False]
    assert codes(decisions[1]) == ["quota_bookings"]
    assert decisions[3].violations[0].params["window"] == PeriodWindow(QuotaPeriod.WEEK, NEXT_MONDAY)


def test_series_counts_hours_across_occurrences():
    four_hours = quota(max_hours=4.0)
    weekly_evenings = [request(MONDAY + timedelta(days=i), "19:00", "21:00") for i in range(3)]

    decisions = evaluate_series(weekly_evenings, resource(), requester(), [], [four_hours], [], NOW)

    assert [d.ok for d in decisions] == [True, True, False]


def test_series_occurrences_do_not_double_book_each_other():
    twice = [request(MONDAY, "10:00", "11:00"), request(MONDAY, "10:30", "11:30")]

    decisions = evaluate_series(twice, resource(), requester(), [], [], [], NOW)

    assert [codes(d) for d in decisions] == [[], ["conflict"]]


def test_refused_occurrence_does_not_hold_room_or_quota():
    weekly = quota(max_bookings=1)
    tuesday = MONDAY + timedelta(days=1)
    series = [request(tuesday, "07:00", "08:00"), request(tuesday, "10:00", "11:00")]

    decisions = evaluate_series(series, resource(), requester(), [], [weekly], [], NOW)

    assert [codes(d) for d in decisions] == [["outside_hours"], []]


def test_overridden_series_holds_room_despite_overridable_violations():
    weekly = quota(max_bookings=1)
    series = [
        request(MONDAY, "10:00", "11:00"),
        request(MONDAY, "12:00", "13:00"),
        request(MONDAY, "12:30", "13:30"),
    ]

    decisions = evaluate_series(series, resource(), requester(), [], [weekly], [], NOW, override=True)

    assert [codes(d) for d in decisions] == [[], ["quota_bookings"], ["conflict", "quota_bookings"]]
    assert [bool(d.blocking(override=True)) for d in decisions] == [False, False, True]


def test_series_in_past_or_malformed_still_evaluates_each_occurrence():
    bad = [BookingRequest(NOW - timedelta(hours=1), NOW - timedelta(hours=2))]

    decisions = evaluate_series(bad, resource(), requester(), [], [quota(max_bookings=0)], [], NOW)

    assert codes(decisions[0]) == ["in_past", "end_before_start"]
