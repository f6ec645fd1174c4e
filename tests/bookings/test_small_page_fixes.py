"""Small things a reader meets: the party size, no calendar link for a cancelled booking, English places on
English pages, and every booking reachable in "my bookings"."""

from datetime import UTC, datetime, timedelta

import pytest

from models import BookingStatus, Mode
from tests.factories import make_booking, make_resource

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def test_the_booking_page_shows_the_party_size(client, resident) -> None:
    hall = make_resource(mode=Mode.EXCLUSIVE, name_en="Hall")
    booking = make_booking(hall, resident, datetime(2026, 11, 25, 2, tzinfo=UTC), party_size=12)
    page = client.get(f"/bookings/{booking.id}", headers=EN).get_data(as_text=True)
    assert '<dd class="col-sm-8" id="party-size">12</dd>' in page


def test_a_cancelled_booking_offers_no_add_to_calendar(client, resident) -> None:
    court = make_resource()
    live = make_booking(court, resident, datetime(2026, 11, 25, 2, tzinfo=UTC))
    cancelled = make_booking(
        court, resident, datetime(2026, 11, 26, 2, tzinfo=UTC), status=BookingStatus.CANCELLED
    )
    assert "Add to calendar" in client.get(f"/bookings/{live.id}", headers=EN).get_data(as_text=True)
    assert "Add to calendar" not in client.get(f"/bookings/{cancelled.id}", headers=EN).get_data(as_text=True)


def test_english_pages_show_the_english_campus_and_address(client, resident) -> None:
    court = make_resource(
        name_en="Court",
        campus="主校区",
        address="世纪大道2001号",
        campus_en="Main campus",
        address_en="2001 Century Ave",
    )
    booking = make_booking(court, resident, datetime(2026, 11, 25, 2, tzinfo=UTC))
    for url in (f"/facilities/{court.id}", f"/bookings/{booking.id}"):
        english = client.get(url, headers=EN).get_data(as_text=True)
        assert "Main campus" in english and "2001 Century Ave" in english and "主校区" not in english
        chinese = client.get(url, headers=ZH).get_data(as_text=True)
        assert "主校区" in chinese and "世纪大道2001号" in chinese


def test_without_an_english_address_english_pages_show_the_one_given(client, resident) -> None:
    court = make_resource(campus="主校区", address="世纪大道2001号")
    assert "世纪大道2001号" in client.get(f"/facilities/{court.id}", headers=EN).get_data(as_text=True)


def test_my_bookings_is_paginated_not_cut_off(client, resident) -> None:
    court = make_resource(name_en="Court")
    first = datetime(2026, 12, 1, 2, tzinfo=UTC)
    for day in range(51):
        make_booking(court, resident, first + timedelta(days=day))
    page_one = client.get("/bookings", headers=EN).get_data(as_text=True)
    assert page_one.count('class="list-group-item') == 50
    assert 'href="/bookings?page=2&amp;show=upcoming"' in page_one
    page_two = client.get("/bookings?page=2&show=upcoming", headers=EN).get_data(as_text=True)
    assert page_two.count('class="list-group-item') == 1 and "2027-01-20" in page_two
