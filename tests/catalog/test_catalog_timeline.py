"""The multi-facility timeline: facilities as rows, times as columns, each slot judged for the reader,
free slots straight into the booking form; managers see who holds each booking, others busy or free."""

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from flask.testing import FlaskClient

from models import Category, ResourceKind
from tests.conftest import AuthActions
from tests.factories import make_booking, make_manager, make_resource, make_university, make_user

NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 in Jiaozuo
EN = {"Accept-Language": "en"}
TUESDAY_10 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def page(client: FlaskClient, query: str) -> str:
    response = client.get(f"/facilities/timeline{query}", headers=EN)
    assert response.status_code == 200, response.status_code
    return unescape(response.get_data(as_text=True))


def row(html: str, resource_id: int) -> str:
    match = re.search(rf'<tr data-facility="{resource_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for facility {resource_id}"
    return match.group(1)


def test_four_courts_of_a_university_are_rows_of_one_day(client: FlaskClient) -> None:
    hpu = make_university()
    courts = [make_resource(hpu, name_en=f"Badminton Court {n}") for n in range(1, 5)]
    make_resource(make_university(), name_en="Court elsewhere")
    html = page(client, f"?university={hpu.id}&day=2026-11-24")
    for court in courts:
        assert f"Badminton Court {court.name_en[-1]}" in row(html, court.id)
    assert "Court elsewhere" not in html


def test_a_free_slot_links_to_the_booking_form_at_its_start(client: FlaskClient) -> None:
    court = make_resource()
    html = row(page(client, "?day=2026-11-24"), court.id)
    assert f'href="/facilities/{court.id}/book?start=2026-11-24T10:00"' in html


def test_slots_are_judged_for_the_reader(client: FlaskClient, auth: AuthActions) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"allowed_categories": ["student"]})
    auth.login(make_user(Category.RESIDENT))
    html = row(page(client, "?day=2026-11-24"), lab.id)
    assert "/book?" not in html
    assert "Not for residents" in html


def test_kind_and_search_choose_the_rows(client: FlaskClient) -> None:
    court = make_resource(name_zh="羽毛球馆 1号场", name_en="Badminton Court 1")
    lab = make_resource(kind=ResourceKind.LAB, name_en="Materials Lab")
    by_kind = page(client, "?kind=lab&day=2026-11-24")
    assert f'data-facility="{lab.id}"' in by_kind and f'data-facility="{court.id}"' not in by_kind
    by_text = page(client, "?q=羽毛球馆1号场&day=2026-11-24")
    assert f'data-facility="{court.id}"' in by_text and f'data-facility="{lab.id}"' not in by_text


def test_managers_see_who_booked_and_can_open_it(client: FlaskClient, auth: AuthActions) -> None:
    court = make_resource()
    booking = make_booking(court, make_user(display_name="Wang Fang"), TUESDAY_10)
    auth.login(make_manager(court.university))
    html = row(page(client, "?day=2026-11-24"), court.id)
    assert "Wang Fang" in html
    assert f'href="/bookings/{booking.id}"' in html


def test_residents_and_other_managers_see_busy_only(client: FlaskClient, auth: AuthActions) -> None:
    court = make_resource()
    make_booking(court, make_user(display_name="Wang Fang"), TUESDAY_10)
    for reader in (make_user(), make_manager(make_university())):
        auth.login(reader)
        html = row(page(client, "?day=2026-11-24"), court.id)
        assert "Wang Fang" not in html and "/bookings/" not in html
        assert 'data-state="booked"' in html
        auth.logout()


def test_the_week_counts_free_slots_per_day_and_opens_the_day(client: FlaskClient) -> None:
    court = make_resource()
    html = row(page(client, "?day=2026-11-25&span=week"), court.id)
    # Tuesday 24 Nov: 08:00-22:00 in half hours is 28 slots, all free.
    assert "28 free slots" in html
    assert "day=2026-11-24" in html and "span=day" in html


def test_a_bad_day_is_a_clear_400(client: FlaskClient) -> None:
    response = client.get("/facilities/timeline?day=not-a-day", headers=EN)
    assert response.status_code == 400
    assert "Not a valid date value." in response.get_data(as_text=True)
