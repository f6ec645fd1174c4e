"""The report pages: who sees what, the exports match the page, the public page keeps people out of it,
and the city's targets."""

import csv
import io
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from booking.services import refusals, statistics
from models import BookingStatus, Category, Mode, OpennessTarget, ResourceKind, db
from tests.factories import (
    local,
    make_admin,
    make_booking,
    make_manager,
    make_resource,
    make_university,
    make_user,
)

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
CREATED = datetime(2026, 9, 1, tzinfo=UTC)
TABLES = ("universities", "kinds", "facilities", "trend", "refusals")

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


class TableReader(HTMLParser):
    """The cells of one table on a page, by its id, as the text shown."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table" and ("id", self.table_id) in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell += data


def page_table(html: str, name: str) -> list[list[str]]:
    reader = TableReader(f"report-{name}")
    reader.feed(html)
    return reader.rows


def same(value: object) -> object:
    """A cell of the page or of a file, compared as a number where it is one (Excel keeps 8.0 as 8)."""
    if value is None or value in ("", "—"):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


@pytest.fixture
def world(app: Flask) -> dict:
    a = make_university(name_en="Henan Polytechnic", name_zh="河南理工大学")
    b = make_university(name_en="Jiaozuo University", name_zh="焦作大学")
    court_a = make_resource(a, name_en="Court A1", created_at=CREATED)
    room_a = make_resource(
        a,
        kind=ResourceKind.LIBRARY,
        mode=Mode.SHARED,
        capacity=10,
        name_en="Reading room A",
        created_at=CREATED,
    )
    court_b = make_resource(b, name_en="Secret court B", created_at=CREATED)
    resident = make_user(display_name="Wang Fang", email="wang.fang@example.com")
    student = make_user(Category.STUDENT, display_name="Li Lei", email="li.lei@example.com")
    for day in (9, 10, 16, 17):
        make_booking(court_a, resident, local(day, 10), local(day, 12), purpose="Birthday party of Wang")
        make_booking(court_a, student, local(day, 14), local(day, 15), status=BookingStatus.COMPLETED)
        make_booking(room_a, student, local(day, 9), local(day, 11), party_size=4)
        make_booking(court_b, resident, local(day, 18), local(day, 20), status=BookingStatus.NO_SHOW)
    make_booking(court_a, resident, local(11, 10), local(11, 11), status=BookingStatus.CANCELLED)
    refusals.record(court_a.id, ["conflict"], local(12, 10))
    refusals.record(court_b.id, ["quota_bookings"], local(12, 10))
    statistics.backfill(NOW, 30)
    return {"a": a, "b": b, "manager_a": make_manager(a, locale="en"), "admin": make_admin(locale="en")}


def test_the_city_office_sees_every_university_side_by_side(client: FlaskClient, auth, world: dict) -> None:
    auth.login(world["admin"])
    html = client.get("/reports?period=month&on=2026-11-15").get_data(as_text=True)
    rows = page_table(html, "universities")
    assert [row[0] for row in rows[1:]] == ["Henan Polytechnic", "Jiaozuo University"]
    assert "Secret court B" in html
    assert 'id="how-counted"' in html


def test_a_manager_sees_only_their_university_on_the_page_and_in_every_export(
    client: FlaskClient, auth, world: dict
) -> None:
    auth.login(world["manager_a"])
    html = client.get("/reports?period=month&on=2026-11-15").get_data(as_text=True)
    assert "Court A1" in html
    for other in ("Jiaozuo University", "焦作大学", "Secret court B", "Booking quota used up"):
        assert other not in html
    for table in TABLES:
        for fmt in ("csv", "xlsx"):
            response = client.get(f"/reports/{table}.{fmt}?period=month&on=2026-11-15")
            assert response.status_code == 200
            body = response.data if fmt == "xlsx" else response.data.decode("utf-8-sig")
            if fmt == "xlsx":
                sheet = openpyxl.load_workbook(io.BytesIO(body)).active
                body = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
            assert "Jiaozuo University" not in body and "Secret court B" not in body
    assert client.get(f"/reports?university={world['b'].id}").status_code == 404
    assert client.get(f"/reports/facilities.csv?university={world['b'].id}").status_code == 404


def test_exports_parse_and_hold_the_page_numbers(client: FlaskClient, auth, world: dict) -> None:
    auth.login(world["admin"])
    query = "period=custom&date_from=2026-11-01&date_to=2026-11-23"
    html = client.get(f"/reports?{query}").get_data(as_text=True)
    for table in TABLES:
        shown = page_table(html, table)
        assert len(shown) > 1, table
        response = client.get(f"/reports/{table}.csv?{query}")
        assert response.data.startswith("\ufeff".encode())
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="{table}_2026-11-01_2026-11-23.csv"'
        )
        lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        header = lines.index(shown[0])
        expected = [[same(v) for v in row] for row in shown[1:]]
        assert [[same(v) for v in row] for row in lines[header + 1 :]] == expected
        book = openpyxl.load_workbook(io.BytesIO(client.get(f"/reports/{table}.xlsx?{query}").data))
        cells = [list(row) for row in book.active.iter_rows(values_only=True)]
        header = cells.index(shown[0])
        assert [[same(v) for v in row] for row in cells[header + 1 :]] == expected


def test_the_page_shows_utilisation_and_the_city_share(client: FlaskClient, auth, world: dict) -> None:
    auth.login(world["admin"])
    html = client.get(f"/reports?period=month&on=2026-11-15&university={world['a'].id}").get_data(
        as_text=True
    )
    header, *rows = page_table(html, "facilities")
    court = dict(zip(header, next(r for r in rows if r[0] == "Court A1"), strict=True))
    # 4 days x (2 resident hours + 1 student hour) of 14 open hours a day over November's 30 days.
    assert court["Booked"] == "12.0"
    assert court["Booked by the city"] == "8.0"
    assert court["City share (%)"] == "66.7"
    assert court["Utilisation (%)"] == str(round(12 / (14 * 23) * 100, 1))
    room = dict(zip(header, next(r for r in rows if r[0] == "Reading room A"), strict=True))
    assert room["Booked"] == "3.2"  # 4 x 2 hours x 4 of 10 places


def test_the_public_page_shows_sums_and_no_person(client: FlaskClient, world: dict) -> None:
    html = client.get("/transparency", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Henan Polytechnic" in html and "Jiaozuo University" in html
    for private in ("Wang Fang", "wang.fang@example.com", "Li Lei", "li.lei@example.com", "Birthday party"):
        assert private not in html
    assert "Court A1" not in html  # per university only
    assert 'href="/transparency"' in client.get("/").get_data(as_text=True)


def test_the_city_sets_a_target_and_the_dashboards_show_progress(
    client: FlaskClient, auth, world: dict
) -> None:
    auth.login(world["admin"])
    response = client.post(f"/admin/targets/{world['a'].id}", data={"percent": "30"})
    assert response.status_code == 302
    assert db.session.get(OpennessTarget, world["a"].id).percent == 30
    auth.logout()
    auth.login(world["manager_a"])
    html = client.get("/reports?period=month&on=2026-11-15").get_data(as_text=True)
    assert 'id="target-progress"' in html
    assert "against a target of 30%" in html


@pytest.mark.parametrize("percent", ["150", "-1", "thirty"])
def test_a_target_out_of_range_is_refused_and_nothing_changes(
    client: FlaskClient, auth, world: dict, percent: str
) -> None:
    auth.login(world["admin"])
    response = client.post(f"/admin/targets/{world['a'].id}", data={"percent": percent})
    assert response.status_code == 422
    db.session.rollback()
    assert db.session.scalars(sa.select(OpennessTarget)).all() == []


def test_custom_dates_the_wrong_way_round_are_refused_with_a_message(
    client: FlaskClient, auth, world: dict
) -> None:
    auth.login(world["admin"])
    response = client.get("/reports?period=custom&date_from=2026-11-20&date_to=2026-11-01")
    assert response.status_code == 422
    assert "The end date is before the start date." in response.get_data(as_text=True)
    assert client.get("/reports/trend.csv?period=custom&date_from=2026-11-20").status_code == 400


def test_the_default_period_is_the_term_so_far(client: FlaskClient, auth, world: dict) -> None:
    auth.login(world["admin"])
    html = client.get("/reports").get_data(as_text=True)
    assert "Sep 1, 2026 – Jan 31, 2027" in html


def test_hours_offered_to_the_city_leave_out_facilities_the_city_may_not_book(
    app: Flask, world: dict
) -> None:
    from booking.services import reports

    make_resource(world["a"], policy={"allowed_categories": ["student"]}, created_at=CREATED)
    statistics.backfill(NOW, 30, recompute=True)
    summary = reports.public_summary(date(2026, 11, 23))
    line = next(line for line in summary.lines if line.university.id == world["a"].id)
    # Two facilities open 14 hours a day to everyone, over the 30 days measured; the third is students'.
    assert line.hours.offered == pytest.approx(3 * 14 * 30)
    assert line.offered_to_city == pytest.approx(2 * 14 * 30)


@pytest.mark.parametrize(
    "query",
    [
        "period=fortnight",
        "on=yesterday",
        "kind=castle",
        "category=alien",
        "date_from=2026-13-01&period=custom",
    ],
)
def test_nonsense_filters_get_a_message_never_an_error_page(
    client: FlaskClient, auth, world: dict, query: str
) -> None:
    auth.login(world["admin"])
    response = client.get(f"/reports?{query}")
    assert response.status_code == 422
    assert 'class="invalid-feedback"' in response.get_data(as_text=True)
    assert client.get(f"/reports/kinds.csv?{query}").status_code == 400
