"""The week availability grid on a facility's page: hours, closures, bookings, places, DST, and bad weeks."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from flask.testing import FlaskClient

from booking.services import catalog
from models import Mode, ResourceKind
from tests.factories import make_booking, make_closure, make_exam_week, make_resource, make_user

NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 23 November, 08:00 in Jiaozuo
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
TWO_INTERVALS = tuple((w, time(8), time(12)) for w in range(7)) + tuple(
    (w, time(14), time(22)) for w in range(7)
)

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


@dataclass
class Cell:
    state: str
    text: str
    href: str | None


@dataclass
class Grid:
    days: list[str]
    rows: dict[str, list[Cell]]
    closures: list[str]

    def cell(self, row: str, day_index: int) -> Cell:
        return self.rows[row][day_index]


class GridParser(HTMLParser):
    """Reads table.week-grid into header days, rows by their label, and the per-day closures row."""

    def __init__(self) -> None:
        super().__init__()
        self.in_grid = False
        self.section = ""
        self.row: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.current: tuple[str, dict[str, str | None], list[str]] | None = None
        self.href: str | None = None
        self.days: list[str] = []
        self.rows: dict[str, list[Cell]] = {}
        self.closures: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and "week-grid" in (attributes.get("class") or ""):
            self.in_grid = True
        if not self.in_grid:
            return
        if tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td"):
            self.current = (tag, attributes, [])
            self.href = None
        elif tag == "a" and self.current is not None:
            self.current[1]["href"] = attributes.get("href")

    def handle_data(self, data: str) -> None:
        if self.in_grid and self.current is not None:
            self.current[2].append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self.in_grid:
            return
        if tag in ("th", "td") and self.current is not None:
            self.row.append(self.current)
            self.current = None
        elif tag == "tr":
            texts = [" ".join("".join(parts).split()) for _, _, parts in self.row]
            if self.section == "thead" and not self.days:
                self.days = texts[1:]
            elif self.section == "thead":
                self.closures = texts[1:]
            else:
                self.rows[texts[0]] = [
                    Cell(attrs.get("data-state") or "", text, attrs.get("href"))
                    for (_, attrs, _), text in zip(self.row[1:], texts[1:], strict=True)
                ]
        elif tag == "table":
            self.in_grid = False


def grid_of(client: FlaskClient, resource_id: int, query: str = "", headers: dict[str, str] = EN) -> Grid:
    response = client.get(f"/facilities/{resource_id}{query}", headers=headers)
    assert response.status_code == 200, response.status_code
    parser = GridParser()
    parser.feed(response.get_data(as_text=True))
    return Grid(parser.days, parser.rows, parser.closures)


def start_param(href: str | None) -> str:
    assert href is not None
    return parse_qs(urlsplit(href).query)["start"][0]


def test_the_grid_follows_opening_hours_with_two_intervals_a_day(client: FlaskClient) -> None:
    court = make_resource(hours=TWO_INTERVALS)
    grid = grid_of(client, court.id, "?week=2026-11-25")
    assert grid.days[0] == "Mon, Nov 23" and grid.days[6] == "Sun, Nov 29"
    rows = list(grid.rows)
    assert rows[0] == "08:00" and rows[-1] == "21:30"
    tuesday = 1
    assert grid.cell("11:30", tuesday).state == "free"
    assert grid.cell("12:00", tuesday).state == "closed"
    assert grid.cell("12:30", tuesday).state == "closed"
    assert grid.cell("12:30", tuesday).text == "Closed"
    assert grid.cell("14:00", tuesday).state == "free"


def test_a_free_cell_links_to_the_booking_form_with_its_local_start(client: FlaskClient) -> None:
    court = make_resource(hours=TWO_INTERVALS)
    cell = grid_of(client, court.id).cell("14:00", 2)
    assert cell.state == "free" and cell.text == "Free"
    assert cell.href is not None and cell.href.startswith(f"/facilities/{court.id}/book?")
    assert start_param(cell.href) == "2026-11-25T14:00"


def test_cells_that_have_started_are_past(client: FlaskClient) -> None:
    court = make_resource()
    with time_machine.travel(datetime(2026, 11, 23, 2, 10, tzinfo=UTC), tick=False):  # Monday 10:10 local
        grid = grid_of(client, court.id)
    assert grid.cell("09:30", 0).state == "past" and grid.cell("09:30", 0).href is None
    assert grid.cell("10:00", 0).state == "past"
    assert grid.cell("10:30", 0).state == "free"


def test_booked_cells_show_no_one_and_include_the_buffer(client: FlaskClient) -> None:
    court = make_resource(policy={"buffer_minutes": 30})
    booker = make_user(display_name="Zhang Wei Secret", email="zhang.secret@example.com")
    make_booking(court, booker, datetime(2026, 11, 24, 2, 0, tzinfo=UTC), purpose="Private team training")
    response = client.get(f"/facilities/{court.id}", headers=EN)
    page = response.get_data(as_text=True)
    for personal in ("Zhang Wei Secret", "zhang.secret@example.com", "Private team training"):
        assert personal not in page
    grid = grid_of(client, court.id)
    tuesday = 1
    assert grid.cell("09:00", tuesday).state == "free"
    # 09:30 is taken too: a booking there would need its own half-hour buffer before 10:00.
    assert [grid.cell(row, tuesday).state for row in ("09:30", "10:00", "10:30", "11:00")] == ["booked"] * 4
    assert grid.cell("10:00", tuesday).text == "Booked" and grid.cell("10:00", tuesday).href is None
    assert grid.cell("11:30", tuesday).state == "free"


def test_cancelled_bookings_free_their_cells(client: FlaskClient) -> None:
    from models import BookingStatus

    court = make_resource()
    make_booking(court, make_user(), datetime(2026, 11, 24, 2, 0, tzinfo=UTC), status=BookingStatus.CANCELLED)
    assert grid_of(client, court.id).cell("10:00", 1).state == "free"


def test_a_shared_facility_shows_places_left_and_full(client: FlaskClient) -> None:
    room = make_resource(kind=ResourceKind.LIBRARY, mode=Mode.SHARED, capacity=5)
    user = make_user()
    make_booking(room, user, datetime(2026, 11, 24, 2, 0, tzinfo=UTC), party_size=3)
    make_booking(room, user, datetime(2026, 11, 24, 3, 0, tzinfo=UTC), party_size=5)
    grid = grid_of(client, room.id)
    assert grid.cell("09:30", 1).text == "5 places left"
    assert grid.cell("10:00", 1).text == "2 places left" and grid.cell("10:00", 1).state == "free"
    assert grid.cell("11:00", 1).state == "full" and grid.cell("11:00", 1).text == "Full"
    assert grid.cell("11:00", 1).href is None


def test_a_placement_has_one_cell_a_day_with_seats_left(client: FlaskClient) -> None:
    base = make_resource(
        kind=ResourceKind.TRAINING_BASE, mode=Mode.PLACEMENT, capacity=6, policy={"max_minutes": None}
    )
    make_booking(
        base,
        make_user(),
        datetime(2026, 11, 24, 16, 0, tzinfo=UTC),  # Wednesday and Thursday, local days
        datetime(2026, 11, 26, 16, 0, tzinfo=UTC),
    )
    grid = grid_of(client, base.id)
    assert list(grid.rows) == ["Whole day"]
    cells = grid.rows["Whole day"]
    assert len(cells) == 7
    assert cells[1].text == "6 seats left"
    assert cells[2].text == "5 seats left" and cells[3].text == "5 seats left"
    assert start_param(cells[2].href) == "2026-11-25T00:00"


def test_a_closure_across_midnight_shows_on_both_days_with_its_reason(client: FlaskClient) -> None:
    court = make_resource()
    # Wednesday 20:00 to Thursday 10:00 in Jiaozuo.
    make_exam_week(court, datetime(2026, 11, 25, 12, 0, tzinfo=UTC), datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    grid = grid_of(client, court.id, headers=ZH)
    wednesday, thursday = 2, 3
    assert grid.cell("19:30", wednesday).state == "free"
    assert grid.cell("20:00", wednesday).state == "closure"
    assert "考试周" in grid.cell("20:00", wednesday).text
    assert grid.cell("21:30", wednesday).state == "closure"
    assert grid.cell("08:00", thursday).state == "closure"
    assert "考试周" in grid.cell("09:30", thursday).text
    assert grid.cell("10:00", thursday).state == "free"
    assert "考试周" in grid.closures[wednesday] and "考试周" in grid.closures[thursday]
    assert "考试周" not in grid.closures[1]
    english = grid_of(client, court.id)
    assert "Exam week" in english.cell("20:00", wednesday).text


def test_a_whole_university_closure_closes_the_facility(client: FlaskClient) -> None:
    court = make_resource()
    make_closure(
        court,
        datetime(2026, 11, 27, 16, 0, tzinfo=UTC),
        datetime(2026, 11, 28, 16, 0, tzinfo=UTC),
        reason_en="Sports day",
        resource_id=None,
    )
    grid = grid_of(client, court.id)
    assert {cell.state for cell in (row[5] for row in grid.rows.values())} == {"closure"}


def test_berlin_rows_keep_their_local_times_across_the_spring_dst_change(client: FlaskClient) -> None:
    court = make_resource(timezone="Europe/Berlin")
    user = make_user()
    # 08:00 local both days: CET (UTC+1) on Monday 23 March, CEST (UTC+2) on Sunday 29 March.
    make_booking(court, user, datetime(2026, 3, 23, 7, 0, tzinfo=UTC))
    make_booking(court, user, datetime(2026, 3, 29, 6, 0, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), tick=False):
        grid = grid_of(client, court.id, "?week=2026-03-26")
    assert grid.days[0] == "Mon, Mar 23" and grid.days[6] == "Sun, Mar 29"
    rows = list(grid.rows)
    assert rows[0] == "08:00" and rows[-1] == "21:30"
    assert grid.cell("08:00", 0).state == "booked" and grid.cell("09:00", 0).state == "free"
    assert grid.cell("08:00", 6).state == "booked" and grid.cell("09:00", 6).state == "free"
    assert start_param(grid.cell("21:30", 6).href) == "2026-03-29T21:30"
    assert start_param(grid.cell("09:00", 6).href) == "2026-03-29T09:00"


def test_berlin_grid_cells_are_the_right_instants_in_the_autumn_dst_week(app) -> None:
    court = make_resource(timezone="Europe/Berlin")
    week = catalog.facility_week(court.id, date(2026, 10, 21), datetime(2026, 10, 1, tzinfo=UTC), "en")
    assert week is not None
    saturday, sunday = week.grid.days[5], week.grid.days[6]
    assert saturday.day == date(2026, 10, 24) and sunday.day == date(2026, 10, 25)
    eight = week.grid.rows.index(time(8, 0))
    assert saturday.cells[eight].start == datetime(2026, 10, 24, 6, 0, tzinfo=UTC)  # CEST
    assert sunday.cells[eight].start == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # CET again
    assert sunday.cells[eight].local_start == datetime(2026, 10, 25, 8, 0)


def test_berlin_grid_in_the_week_after_the_autumn_change(client: FlaskClient) -> None:
    court = make_resource(timezone="Europe/Berlin")
    make_booking(court, make_user(), datetime(2026, 10, 26, 7, 0, tzinfo=UTC))  # 08:00 CET
    with time_machine.travel(datetime(2026, 10, 20, tzinfo=UTC), tick=False):
        grid = grid_of(client, court.id, "?week=2026-10-26")
    assert grid.days[0] == "Mon, Oct 26"
    assert grid.cell("08:00", 0).state == "booked"
    assert grid.cell("08:30", 0).state == "booked"
    assert grid.cell("09:00", 0).state == "free"


def test_any_date_shows_its_week_from_monday_with_links_to_the_weeks_around(client: FlaskClient) -> None:
    court = make_resource()
    response = client.get(f"/facilities/{court.id}?week=2026-12-03", headers=EN)
    page = response.get_data(as_text=True)
    assert "Availability, week of Mon, Nov 30, 2026" in page
    assert f"/facilities/{court.id}?week=2026-11-23" in page
    assert f"/facilities/{court.id}?week=2026-12-07" in page
    assert "This week" in page


@pytest.mark.parametrize("week", ["2026-13-40", "yesterday", "9999-12-31", "0001-01-01", "2026-02-30"])
def test_a_bad_week_shows_this_week_with_a_message(client: FlaskClient, week: str) -> None:
    court = make_resource()
    response = client.get(f"/facilities/{court.id}?week={week}", headers=EN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Showing this week instead." in page
    assert "Availability, week of Mon, Nov 23, 2026" in page


def test_a_facility_without_hours_says_it_cannot_be_booked(client: FlaskClient) -> None:
    court = make_resource(hours=())
    page = client.get(f"/facilities/{court.id}", headers=EN).get_data(as_text=True)
    assert "This facility has no opening hours" in page
