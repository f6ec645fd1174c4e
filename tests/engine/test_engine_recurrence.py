"""Recurrence: weekly and daily series, count or until, local wall time across DST, and fast refusals."""

import time as stopwatch
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from engine_builders import BERLIN, SHANGHAI

from booking.engine import InvalidRecurrence, RecurrenceRule, SeriesTooLong, expand, occurrence_count
from models.enums import Frequency

THREE_HOURS = timedelta(hours=3)
TUESDAY_1400 = datetime(2025, 12, 2, 14, 0)  # a Tuesday, local wall time


def weekly(**changes):
    return RecurrenceRule(Frequency.WEEKLY, **changes)


def daily(**changes):
    return RecurrenceRule(Frequency.DAILY, **changes)


def test_weekly_tuesday_afternoon_for_ten_weeks():
    series = expand(weekly(count=10), TUESDAY_1400, THREE_HOURS, SHANGHAI)

    assert len(series) == 10
    assert series[0].start == datetime(2025, 12, 2, 6, 0, tzinfo=UTC)
    assert series[0].end == datetime(2025, 12, 2, 9, 0, tzinfo=UTC)
    assert all(later.start - earlier.start == timedelta(weeks=1) for earlier, later in pairwise(series))
    assert series[-1].start == datetime(2026, 2, 3, 6, 0, tzinfo=UTC)


def test_weekly_on_chosen_weekdays_skips_the_first_day_when_not_chosen():
    # Starting on a Tuesday with Monday and Thursday chosen: Thursday first, then Monday, Thursday...
    series = expand(weekly(weekdays=frozenset({0, 3}), count=4), TUESDAY_1400, THREE_HOURS, SHANGHAI)

    local_days = [s.start.date() for s in series]  # 06:00 UTC: same date as in Jiaozuo
    assert local_days == [date(2025, 12, 4), date(2025, 12, 8), date(2025, 12, 11), date(2025, 12, 15)]


def test_weekly_includes_the_first_day_when_chosen():
    series = expand(weekly(weekdays=frozenset({1, 3}), count=3), TUESDAY_1400, THREE_HOURS, SHANGHAI)

    assert [s.start.date() for s in series] == [date(2025, 12, 2), date(2025, 12, 4), date(2025, 12, 9)]


def test_every_other_week():
    series = expand(weekly(interval=2, count=3), TUESDAY_1400, THREE_HOURS, SHANGHAI)

    assert [s.start.date() for s in series] == [date(2025, 12, 2), date(2025, 12, 16), date(2025, 12, 30)]


def test_every_other_week_with_a_skipped_first_weekday_starts_two_weeks_on():
    series = expand(weekly(interval=2, weekdays=frozenset({0}), count=2), TUESDAY_1400, THREE_HOURS, SHANGHAI)

    assert [s.start.date() for s in series] == [date(2025, 12, 15), date(2025, 12, 29)]


def test_daily_until_is_inclusive():
    series = expand(daily(interval=3, until=date(2025, 12, 8)), TUESDAY_1400, THREE_HOURS, SHANGHAI)

    assert [s.start.date() for s in series] == [date(2025, 12, 2), date(2025, 12, 5), date(2025, 12, 8)]


def test_weekly_until_is_inclusive():
    series = expand(weekly(until=date(2025, 12, 16)), TUESDAY_1400, THREE_HOURS, SHANGHAI)

    assert len(series) == 3
    assert series[-1].start.date() == date(2025, 12, 16)


def test_until_on_the_first_day_gives_one_occurrence():
    assert len(expand(daily(until=date(2025, 12, 2)), TUESDAY_1400, THREE_HOURS, SHANGHAI)) == 1


def test_counting_by_arithmetic_matches_the_expansion():
    rule = weekly(interval=3, weekdays=frozenset({0, 2, 6}), until=date(2026, 6, 30))

    assert occurrence_count(rule, TUESDAY_1400.date()) == len(
        expand(rule, TUESDAY_1400, THREE_HOURS, SHANGHAI, limit=1000)
    )


def test_series_across_spring_forward_keeps_local_wall_time():
    series = expand(weekly(count=3), datetime(2025, 3, 18, 14, 0), THREE_HOURS, BERLIN)

    assert [s.start.hour for s in series] == [13, 13, 12]  # 14:00 CET, then 14:00 CEST
    assert all(s.end - s.start == THREE_HOURS for s in series)


def test_series_across_fall_back_keeps_local_wall_time():
    series = expand(weekly(count=2), datetime(2025, 10, 21, 14, 0), THREE_HOURS, BERLIN)

    assert [s.start.hour for s in series] == [12, 13]


def test_occurrence_in_the_skipped_hour_starts_when_the_clocks_jump():
    series = expand(daily(count=3), datetime(2025, 3, 29, 2, 30), timedelta(hours=1), BERLIN)

    assert series[1].start == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert series[1].end == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)  # 03:30 CEST


def test_ten_thousand_occurrences_fail_fast_with_series_too_long():
    began = stopwatch.perf_counter()

    with pytest.raises(SeriesTooLong) as refused:
        expand(daily(count=10_000), TUESDAY_1400, THREE_HOURS, SHANGHAI)

    assert stopwatch.perf_counter() - began < 0.1
    assert refused.value.violation.code == "series_too_long"
    assert refused.value.violation.params == {"limit": 100, "requested": 10_000}
    assert (refused.value.limit, refused.value.requested) == (100, 10_000)


def test_until_fifty_years_ahead_fails_fast():
    began = stopwatch.perf_counter()

    with pytest.raises(SeriesTooLong) as refused:
        expand(
            weekly(weekdays=frozenset(range(7)), until=date(2075, 12, 2)), TUESDAY_1400, THREE_HOURS, SHANGHAI
        )

    assert stopwatch.perf_counter() - began < 0.1
    assert refused.value.requested == 18263


def test_exactly_the_limit_is_allowed():
    assert len(expand(daily(count=100), TUESDAY_1400, THREE_HOURS, SHANGHAI, limit=100)) == 100
    with pytest.raises(SeriesTooLong):
        expand(daily(count=101), TUESDAY_1400, THREE_HOURS, SHANGHAI, limit=100)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (daily(interval=0, count=3), "interval"),
        (daily(count=0), "count"),
        (daily(), "count"),
        (daily(count=3, until=date(2025, 12, 9)), "count"),
        (daily(until=date(2025, 12, 1)), "until"),
        (daily(weekdays=frozenset({1}), count=3), "weekdays"),
        (weekly(weekdays=frozenset({7}), count=3), "weekdays"),
    ],
)
def test_malformed_rules_are_refused_with_a_violation(rule, field):
    with pytest.raises(InvalidRecurrence) as refused:
        expand(rule, TUESDAY_1400, THREE_HOURS, SHANGHAI)

    assert refused.value.violation.code == "invalid_recurrence"
    assert refused.value.violation.params["field"] == field
    assert not refused.value.violation.overridable


def test_empty_duration_is_refused():
    with pytest.raises(InvalidRecurrence) as refused:
        expand(daily(count=2), TUESDAY_1400, timedelta(0), SHANGHAI)

    assert refused.value.violation.code == "end_before_start"


def test_huge_interval_running_past_year_9999_is_refused():
    with pytest.raises(InvalidRecurrence):
        expand(weekly(interval=10**6, count=2), TUESDAY_1400, THREE_HOURS, SHANGHAI)


def test_first_start_must_be_local_wall_time():
    with pytest.raises(ValueError, match="naive"):
        expand(daily(count=2), TUESDAY_1400.replace(tzinfo=UTC), THREE_HOURS, SHANGHAI)
