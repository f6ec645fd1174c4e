"""Availability: opening intervals, the week grid (DST days too), free spans, next free slot, deadlines."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

from engine_builders import BERLIN, MONDAY, NOW, at, closure, hours, occupancy, resource

from booking.engine import (
    CellState,
    Interval,
    Occupancy,
    cancel_deadline,
    checkin_window,
    is_free,
    next_free_slot,
    opening_intervals,
    week_grid,
)
from models.enums import Mode

TUESDAY = MONDAY + timedelta(days=1)
SPRING_FORWARD = date(2025, 3, 30)  # Sunday, 02:00 -> 03:00 in Berlin
FALL_BACK = date(2025, 10, 26)  # Sunday, 03:00 -> 02:00 in Berlin
TWO_SESSIONS = hours("08:00", "12:00") + hours("14:00", "22:00")


# Opening intervals


def test_opening_intervals_of_a_day_with_two_sessions():
    assert opening_intervals(resource(hours=TWO_SESSIONS), TUESDAY) == [
        Interval(at(TUESDAY, "08:00"), at(TUESDAY, "12:00")),
        Interval(at(TUESDAY, "14:00"), at(TUESDAY, "22:00")),
    ]


def test_opening_until_midnight_ends_at_the_next_local_midnight():
    late = resource(hours=hours("18:00", "00:00"))

    assert opening_intervals(late, TUESDAY) == [Interval(at(TUESDAY, "18:00"), at(TUESDAY, "24:00"))]


def test_no_hours_means_closed():
    assert opening_intervals(resource(hours=()), TUESDAY) == []


def test_berlin_opening_intervals_move_in_utc_across_dst():
    berlin = resource(timezone=BERLIN)

    assert opening_intervals(berlin, SPRING_FORWARD) == [
        Interval(datetime(2025, 3, 30, 6, 0, tzinfo=UTC), datetime(2025, 3, 30, 20, 0, tzinfo=UTC))
    ]
    assert opening_intervals(berlin, FALL_BACK) == [
        Interval(datetime(2025, 10, 26, 7, 0, tzinfo=UTC), datetime(2025, 10, 26, 21, 0, tzinfo=UTC))
    ]


def test_hours_inside_the_skipped_hour_vanish():
    odd = resource(timezone=BERLIN, hours=hours("02:00", "03:00"))

    assert opening_intervals(odd, SPRING_FORWARD) == []
    assert opening_intervals(odd, FALL_BACK)[0].duration == timedelta(hours=2)


def test_placement_is_open_the_whole_local_day():
    seats = resource(mode=Mode.PLACEMENT, hours=())

    assert opening_intervals(seats, TUESDAY) == [Interval(at(TUESDAY, "00:00"), at(TUESDAY, "24:00"))]


# Week grid


def cell_at(grid, day_index, clock):
    row = grid.rows.index(time.fromisoformat(clock))
    return grid.days[day_index].cells[row]


def test_grid_rows_cover_the_earliest_opening_to_the_latest_closing_of_the_week():
    weekdays_and_saturday = resource(hours=hours("08:00", "22:00", range(5)) + hours("07:00", "18:00", [5]))

    grid = week_grid(weekdays_and_saturday, MONDAY, [], NOW)

    assert grid.rows[0] == time(7, 0)
    assert grid.rows[-1] == time(21, 30)
    assert len(grid.rows) == 30
    assert [day.day for day in grid.days] == [MONDAY + timedelta(days=i) for i in range(7)]
    assert cell_at(grid, 0, "07:00").state == CellState.CLOSED
    assert cell_at(grid, 5, "07:00").state == CellState.FREE
    assert cell_at(grid, 5, "18:00").state == CellState.CLOSED
    assert all(cell.state == CellState.CLOSED for cell in grid.days[6].cells)


def test_grid_cells_have_utc_bounds_and_local_start():
    grid = week_grid(resource(), MONDAY, [], NOW)

    cell = cell_at(grid, 1, "10:00")
    assert (cell.start, cell.end) == (at(TUESDAY, "10:00"), at(TUESDAY, "10:30"))
    assert cell.local_start == datetime(2025, 11, 25, 10, 0)
    assert cell.places_left is None


def test_grid_marks_past_cells_only_when_otherwise_open():
    now = at(MONDAY, "10:15")

    grid = week_grid(resource(), MONDAY, [], now)

    assert cell_at(grid, 0, "08:00").state == CellState.PAST
    assert cell_at(grid, 0, "10:00").state == CellState.PAST
    assert cell_at(grid, 0, "10:30").state == CellState.FREE
    assert grid.rows[0] == time(8, 0)


def test_grid_marks_exclusive_cells_booked_including_the_buffer():
    taken = [occupancy(TUESDAY, "10:00", "11:00", buffer=15)]

    grid = week_grid(resource(), MONDAY, taken, NOW)

    assert [cell_at(grid, 1, clock).state for clock in ("09:30", "10:00", "10:30", "11:00", "11:30")] == [
        CellState.FREE,
        CellState.BOOKED,
        CellState.BOOKED,
        CellState.BOOKED,
        CellState.FREE,
    ]


def test_grid_shows_places_left_in_a_shared_facility_by_peak():
    reading_room = resource(mode=Mode.SHARED, capacity=10)
    taken = [
        occupancy(TUESDAY, "10:00", "10:30", party_size=6),
        occupancy(TUESDAY, "10:30", "11:00", party_size=4),
    ]
    taken += [occupancy(TUESDAY, "10:30", "11:00", party_size=6)]

    grid = week_grid(reading_room, MONDAY, taken, NOW)

    assert cell_at(grid, 1, "09:30").places_left == 10
    assert cell_at(grid, 1, "10:00").places_left == 4
    assert cell_at(grid, 1, "10:00").state == CellState.FREE
    assert cell_at(grid, 1, "10:30").places_left == 0
    assert cell_at(grid, 1, "10:30").state == CellState.FULL


def test_grid_shows_a_closure_spanning_midnight_on_both_days():
    overnight = closure(at(MONDAY, "21:00"), at(TUESDAY, "09:00"), "Floor repair")

    grid = week_grid(resource(closures=(overnight,)), MONDAY, [], NOW)

    assert cell_at(grid, 0, "20:30").state == CellState.FREE
    assert cell_at(grid, 0, "21:00").state == CellState.CLOSURE
    assert cell_at(grid, 0, "21:30").reason == "Floor repair"
    assert cell_at(grid, 1, "08:30").state == CellState.CLOSURE
    assert cell_at(grid, 1, "09:00").state == CellState.FREE
    assert [c.reason for c in grid.days[0].closures] == ["Floor repair"]
    assert [c.reason for c in grid.days[1].closures] == ["Floor repair"]
    assert grid.days[1].closures[0].local_start == datetime(2025, 11, 24, 21, 0)
    assert grid.days[2].closures == ()


def test_grid_by_row_lines_up_cells_across_days():
    grid = week_grid(resource(), MONDAY, [], NOW)

    rows = grid.by_row()

    assert len(rows) == len(grid.rows)
    row, cells = rows[4]
    assert row == time(10, 0)
    assert [cell.local_start.time() for cell in cells] == [time(10, 0)] * 7


def test_grid_of_a_facility_without_hours_has_no_rows():
    grid = week_grid(resource(hours=()), MONDAY, [], NOW)

    assert grid.rows == ()
    assert all(day.cells == () for day in grid.days)


def test_placement_grid_has_one_cell_per_day_with_seats_left():
    saturday = MONDAY + timedelta(days=5)
    holiday = closure(at(saturday, "00:00"), at(saturday, "24:00"), "Holiday")
    seats = resource(mode=Mode.PLACEMENT, capacity=3, hours=(), closures=(holiday,))
    holder = Occupancy(at(TUESDAY, "00:00"), at(TUESDAY + timedelta(days=2), "00:00"), 1)

    grid = week_grid(seats, MONDAY, [holder], NOW)

    assert grid.rows == (time(0, 0),)
    assert [day.cells[0].places_left for day in grid.days[1:4]] == [2, 2, 3]
    assert grid.days[0].cells[0].state == CellState.PAST  # Monday began before now
    assert grid.days[5].cells[0].state == CellState.CLOSURE
    assert grid.days[1].cells[0].end - grid.days[1].cells[0].start == timedelta(days=1)


def berlin_all_day():
    return resource(timezone=BERLIN, hours=hours("00:00", "00:00"), slot_minutes=60)


def test_berlin_grid_on_spring_forward_skips_the_missing_hour():
    week = SPRING_FORWARD - timedelta(days=6)
    grid = week_grid(berlin_all_day(), week, [], at(week, "00:00", BERLIN) - timedelta(days=1))
    sunday = grid.days[6]

    assert len(grid.rows) == 24
    skipped = sunday.cells[2]
    assert skipped.local_start == datetime(2025, 3, 30, 2, 0)
    assert skipped.state == CellState.CLOSED
    assert skipped.start == skipped.end == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    assert sunday.cells[1].end == sunday.cells[3].start == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    assert sunday.cells[8].start == datetime(2025, 3, 30, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert all(earlier.end == later.start for earlier, later in pairwise(sunday.cells))
    assert sunday.cells[-1].end - sunday.cells[0].start == timedelta(hours=23)
    assert [c.state for c in sunday.cells].count(CellState.FREE) == 23


def test_berlin_grid_on_fall_back_gives_the_repeated_hour_to_one_row():
    week = FALL_BACK - timedelta(days=6)
    second_pass = Occupancy(
        datetime(2025, 10, 26, 1, 30, tzinfo=UTC), datetime(2025, 10, 26, 2, 0, tzinfo=UTC), 1
    )

    grid = week_grid(berlin_all_day(), week, [second_pass], at(week, "00:00", BERLIN) - timedelta(days=1))
    sunday = grid.days[6]

    doubled = sunday.cells[2]
    assert doubled.local_start == datetime(2025, 10, 26, 2, 0)
    assert (doubled.start, doubled.end) == (
        datetime(2025, 10, 26, 0, 0, tzinfo=UTC),
        datetime(2025, 10, 26, 2, 0, tzinfo=UTC),
    )
    # Taken only the second time round (02:30 CET): a booking starting at the row's start still fits.
    assert doubled.state == CellState.FREE
    assert doubled.violations == ()
    assert sunday.cells[3].state == CellState.FREE
    assert sunday.cells[8].start == datetime(2025, 10, 26, 7, 0, tzinfo=UTC)  # 08:00 CET
    assert all(earlier.end == later.start for earlier, later in pairwise(sunday.cells))
    assert sunday.cells[-1].end - sunday.cells[0].start == timedelta(hours=25)


def test_berlin_grid_on_an_ordinary_day_is_unchanged():
    week = FALL_BACK - timedelta(days=6)
    grid = week_grid(berlin_all_day(), week, [], at(week, "00:00", BERLIN) - timedelta(days=1))

    assert all(cell.end - cell.start == timedelta(hours=1) for cell in grid.days[0].cells)


# Free spans


def test_is_free_within_a_session():
    assert is_free(resource(hours=TWO_SESSIONS), Interval(at(TUESDAY, "10:00"), at(TUESDAY, "12:00")), [])


def test_is_not_free_across_the_lunch_break():
    assert not is_free(resource(hours=TWO_SESSIONS), Interval(at(TUESDAY, "11:00"), at(TUESDAY, "15:00")), [])


def test_is_not_free_under_a_closure():
    facility = resource(closures=(closure(at(TUESDAY, "10:30"), at(TUESDAY, "11:00")),))

    assert not is_free(facility, Interval(at(TUESDAY, "10:00"), at(TUESDAY, "11:00")), [])


def test_is_not_free_when_the_buffer_would_run_into_a_booking():
    facility = resource(policy={"buffer_minutes": 30})
    taken = [occupancy(TUESDAY, "11:00", "12:00", buffer=30)]

    assert not is_free(facility, Interval(at(TUESDAY, "10:00"), at(TUESDAY, "11:00")), taken)
    assert is_free(facility, Interval(at(TUESDAY, "09:30"), at(TUESDAY, "10:30")), taken)


def test_is_free_in_a_shared_facility_depends_on_party_size():
    reading_room = resource(mode=Mode.SHARED, capacity=10)
    taken = [occupancy(TUESDAY, "10:00", "11:00", party_size=7)]
    span = Interval(at(TUESDAY, "10:00"), at(TUESDAY, "11:00"))

    assert is_free(reading_room, span, taken, party_size=3)
    assert not is_free(reading_room, span, taken, party_size=4)


def test_inactive_facility_is_never_free():
    assert not is_free(resource(active=False), Interval(at(TUESDAY, "10:00"), at(TUESDAY, "11:00")), [])


# Next free slot


def test_next_free_slot_starts_on_the_grid_after_min_notice():
    facility = resource(policy={"min_notice_minutes": 60})

    slot = next_free_slot(facility, [], at(MONDAY, "10:10"))

    assert slot == Interval(at(MONDAY, "11:30"), at(MONDAY, "12:00"))


def test_next_free_slot_skips_bookings_and_closures():
    facility = resource(closures=(closure(at(MONDAY, "11:00"), at(MONDAY, "12:00")),))
    taken = [occupancy(MONDAY, "10:00", "11:00")]

    assert next_free_slot(facility, taken, at(MONDAY, "10:00")) == Interval(
        at(MONDAY, "12:00"), at(MONDAY, "12:30")
    )


def test_next_free_slot_is_the_minimum_duration_rounded_up_to_whole_slots():
    facility = resource(policy={"min_minutes": 45})

    slot = next_free_slot(facility, [], at(MONDAY, "09:00"))

    assert slot == Interval(at(MONDAY, "09:00"), at(MONDAY, "10:00"))


def test_next_free_slot_moves_to_the_next_opening_day():
    weekdays_only = resource(hours=hours("08:00", "22:00", range(5)))
    friday_night = at(MONDAY + timedelta(days=4), "21:45")

    assert next_free_slot(weekdays_only, [], friday_night).start == at(MONDAY + timedelta(days=7), "08:00")


def test_next_free_slot_needs_the_whole_slot_before_closing():
    facility = resource(policy={"min_minutes": 60})

    assert next_free_slot(facility, [], at(MONDAY, "21:15")).start == at(TUESDAY, "08:00")


def test_no_free_slot_within_the_horizon():
    always_taken = [Occupancy(at(MONDAY, "00:00"), at(MONDAY + timedelta(days=30), "00:00"), 1)]

    assert next_free_slot(resource(), always_taken, NOW) is None
    assert next_free_slot(resource(hours=()), [], NOW) is None


def test_next_free_slot_of_a_placement_is_the_next_whole_day_with_a_seat():
    seats = resource(mode=Mode.PLACEMENT, capacity=1, hours=())
    tuesday_taken = [Occupancy(at(TUESDAY, "00:00"), at(TUESDAY, "24:00"), 1)]

    assert next_free_slot(seats, tuesday_taken, NOW) == Interval(
        at(MONDAY + timedelta(days=2), "00:00"), at(MONDAY + timedelta(days=2), "24:00")
    )


# Deadlines


def test_cancel_deadline_is_before_the_start():
    start = at(TUESDAY, "10:00")

    assert cancel_deadline(start, resource().policy) == at(TUESDAY, "08:00")


def test_checkin_window_surrounds_the_start():
    start = at(TUESDAY, "10:00")
    policy = resource(policy={"checkin_opens_minutes": 10, "checkin_closes_minutes": 20}).policy

    assert checkin_window(start, policy) == Interval(at(TUESDAY, "09:50"), at(TUESDAY, "10:20"))
