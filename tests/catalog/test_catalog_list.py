"""The facility list: every filter, text search in both languages, free-between, pagination, bad input."""

import re
from datetime import UTC, datetime, time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from booking.services import catalog
from models import Mode, ResourceKind
from tests.factories import make_booking, make_closure, make_resource, make_university, make_user
from tests.sql_log import recorded_sql

NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 in Jiaozuo
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def listed(client: FlaskClient, query: str = "", headers: dict[str, str] = EN) -> str:
    response = client.get(f"/facilities/{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_lists_active_facilities_with_kind_university_campus_and_capacity(client: FlaskClient) -> None:
    hpu = make_university(name_en="Henan Polytechnic University", name_zh="河南理工大学")
    make_resource(
        hpu, name_en="Badminton hall", kind=ResourceKind.SPORTS_VENUE, campus="South campus", capacity=1
    )
    make_resource(hpu, name_en="Closed gym", active=False)
    page = listed(client)
    assert "Badminton hall" in page
    assert "Sports venue" in page
    assert "Henan Polytechnic University" in page
    assert "South campus" in page
    assert "For 1 person" in page
    assert "Closed gym" not in page
    assert "1 facility found" in page


def test_names_follow_the_readers_language(client: FlaskClient) -> None:
    hpu = make_university(name_en="Henan Polytechnic University", name_zh="河南理工大学")
    make_resource(hpu, name_en="Badminton hall", name_zh="羽毛球馆")
    page = listed(client, headers=ZH)
    assert "羽毛球馆" in page and "河南理工大学" in page
    assert "Badminton hall" not in page


def test_filter_by_kind(client: FlaskClient) -> None:
    make_resource(name_en="Badminton hall", kind=ResourceKind.SPORTS_VENUE)
    make_resource(name_en="Reading room", kind=ResourceKind.LIBRARY, mode=Mode.SHARED)
    page = listed(client, "?kind=library")
    assert "Reading room" in page and "Badminton hall" not in page


def test_filter_by_university(client: FlaskClient) -> None:
    hpu, jzu = make_university(), make_university()
    make_resource(hpu, name_en="HPU court")
    make_resource(jzu, name_en="JZU court")
    page = listed(client, f"?university={jzu.id}")
    assert "JZU court" in page and "HPU court" not in page


def test_filter_by_campus_ignores_case(client: FlaskClient) -> None:
    make_resource(name_en="North court", campus="North Campus")
    make_resource(name_en="South court", campus="South Campus")
    make_resource(name_en="Old court", campus="老校区")
    page = listed(client, "?campus=north")
    assert "North court" in page and "South court" not in page and "Old court" not in page
    page = listed(client, "?campus=老校区")
    assert "Old court" in page and "North court" not in page


def test_filter_by_minimum_capacity(client: FlaskClient) -> None:
    make_resource(name_en="Small room", mode=Mode.SHARED, capacity=8)
    make_resource(name_en="Big hall", mode=Mode.SHARED, capacity=300)
    page = listed(client, "?capacity=100")
    assert "Big hall" in page and "Small room" not in page


def test_filter_by_tags_needs_every_tag(client: FlaskClient) -> None:
    make_resource(name_en="Lab with both", tags=("projector", "wifi"))
    make_resource(name_en="Lab with projector", tags=("projector",))
    make_resource(name_en="Bare lab")
    page = listed(client, "?tag=projector&tag=wifi")
    assert "Lab with both" in page
    assert "Lab with projector" not in page and "Bare lab" not in page
    page = listed(client, "?tag=projector")
    assert "Lab with both" in page and "Lab with projector" in page and "Bare lab" not in page


def test_chinese_keyword_finds_the_chinese_name(client: FlaskClient) -> None:
    make_resource(name_zh="羽毛球馆", name_en="Shuttle hall")
    make_resource(name_zh="图书馆阅览室", name_en="Reading room")
    page = listed(client, "?q=羽毛球", headers=ZH)
    assert "羽毛球馆" in page and "图书馆阅览室" not in page


def test_english_keyword_matches_names_and_descriptions_in_any_case(client: FlaskClient) -> None:
    make_resource(name_en="Badminton Hall", name_zh="羽毛球馆")
    make_resource(name_en="Main gym", description_en="Courts for BADMINTON and volleyball")
    make_resource(name_en="Reading room", description_zh="安静的阅览室")
    page = listed(client, "?q=badminton")
    assert "Badminton Hall" in page and "Main gym" in page and "Reading room" not in page
    page = listed(client, "?q=阅览")
    assert "Reading room" in page and "Main gym" not in page


def test_every_search_word_must_match(client: FlaskClient) -> None:
    make_resource(name_en="Badminton hall", description_en="Wooden floor")
    make_resource(name_en="Badminton court", description_en="Outdoor")
    page = listed(client, "?q=badminton+wooden")
    assert "Badminton hall" in page and "Badminton court" not in page


def test_wildcards_in_the_search_are_plain_characters(client: FlaskClient) -> None:
    make_resource(name_en="Court A")
    page = listed(client, "?q=%25")
    assert "Court A" not in page
    page = listed(client, "?q=_")
    assert "Court A" not in page


def test_free_between_excludes_a_booked_and_a_closed_facility(client: FlaskClient) -> None:
    free = make_resource(name_en="Free court")
    booked = make_resource(name_en="Booked court")
    closed = make_resource(name_en="Closed court")
    university_closed = make_resource(name_en="Court of a closed university")
    evening_only = make_resource(name_en="Evening court", hours=((2, time(18, 0), time(22, 0)),))
    # Wednesday 25 November, 10:00-11:00 in Jiaozuo is 02:00-03:00 UTC.
    make_booking(booked, make_user(), datetime(2026, 11, 25, 2, 30, tzinfo=UTC))
    make_closure(closed, datetime(2026, 11, 24, 16, tzinfo=UTC), datetime(2026, 11, 25, 16, tzinfo=UTC))
    make_closure(
        university_closed,
        datetime(2026, 11, 25, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 0, tzinfo=UTC),
        resource_id=None,
    )
    page = listed(client, "?date=2026-11-25&start=10:00&end=11:00")
    assert "Free court" in page
    for name in ("Booked court", "Closed court", "Court of a closed university", "Evening court"):
        assert name not in page
    assert free.id and booked.id and closed.id and evening_only.id


def test_free_between_counts_the_buffer_after_a_booking(client: FlaskClient) -> None:
    court = make_resource(name_en="Buffered court", policy={"buffer_minutes": 30})
    make_booking(
        court, make_user(), datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    )  # 09:00-10:00, blocked to 10:30
    assert "Buffered court" not in listed(client, "?date=2026-11-25&start=10:00&end=11:00")
    assert "Buffered court" in listed(client, "?date=2026-11-25&start=10:30&end=11:30")


def test_free_between_reads_the_times_in_each_facilitys_time_zone(client: FlaskClient) -> None:
    berlin = make_resource(name_en="Berlin court", timezone="Europe/Berlin")
    # 10:00 in Berlin on 25 November is 09:00 UTC; a booking then takes that facility out.
    make_booking(berlin, make_user(), datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    shanghai = make_resource(name_en="Jiaozuo court")
    make_booking(shanghai, make_user(), datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # 17:00 in Jiaozuo
    page = listed(client, "?date=2026-11-25&start=10:00&end=11:00")
    assert "Jiaozuo court" in page and "Berlin court" not in page


def test_free_between_a_shared_facility_needs_a_place_left(client: FlaskClient) -> None:
    room = make_resource(name_en="Reading room", mode=Mode.SHARED, capacity=2)
    user = make_user()
    make_booking(room, user, datetime(2026, 11, 25, 2, 0, tzinfo=UTC), party_size=1)
    assert "Reading room" in listed(client, "?date=2026-11-25&start=10:00&end=11:00")
    make_booking(room, user, datetime(2026, 11, 25, 2, 0, tzinfo=UTC), party_size=1)
    assert "Reading room" not in listed(client, "?date=2026-11-25&start=10:00&end=11:00")


def test_free_between_loads_bookings_and_closures_once_for_all_candidates(
    app: Flask, client: FlaskClient
) -> None:
    for n in range(8):
        make_resource(name_en=f"Court {n}")
    with recorded_sql() as statements:
        listed(client, "?date=2026-11-25&start=10:00&end=11:00")
    booking_queries = [s for s in statements if re.search(r"\bfrom booking\b", s, re.IGNORECASE)]
    closure_queries = [s for s in statements if re.search(r"\bfrom closure\b", s, re.IGNORECASE)]
    # One of each for the free-between test over every candidate, one of each for the page's verdicts.
    assert len(booking_queries) == 2
    assert len(closure_queries) == 2


def test_each_result_shows_its_next_free_slot_in_local_time(client: FlaskClient) -> None:
    court = make_resource(name_en="Busy court")
    make_booking(court, make_user(), datetime(2026, 11, 23, 0, 0, tzinfo=UTC))  # Monday 08:00-09:00 local
    page = listed(client)
    assert "Next free" in page
    assert "Mon, Nov 23 09:00" in page


def test_a_facility_without_opening_hours_says_it_has_no_free_time(client: FlaskClient) -> None:
    make_resource(name_en="Never open", hours=())
    assert "No free time in the next two weeks" in listed(client)


def test_pagination_splits_results_and_keeps_the_filters(
    app: Flask, client: FlaskClient, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "CATALOG_PAGE_SIZE", 2)
    for n in range(5):
        make_resource(name_en=f"Court number {n}", tags=("lights",))
    first = listed(client, "?tag=lights")
    assert "5 facilities found" in first and "page 1 of 3" in first
    assert first.count("Court number") == 2
    assert "tag=lights" in first and "page=2" in first
    third = listed(client, "?tag=lights&page=3")
    assert third.count("Court number") == 1
    assert "Court number 4" in third


def test_a_page_beyond_the_last_is_not_found(client: FlaskClient) -> None:
    make_resource()
    assert client.get("/facilities/?page=2").status_code == 404
    assert client.get(f"/facilities/?page={10**30}").status_code == 404


def test_an_empty_catalog_still_has_its_first_page(client: FlaskClient) -> None:
    page = listed(client)
    assert "0 facilities found" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?date=2026-13-40&start=10:00&end=11:00", "Not a valid date value"),
        ("?date=2026-11-25&start=11:00&end=10:00", "The end time must be after the start time."),
        ("?date=2026-11-25&start=10:00", "Give a date, a start and an end time"),
        ("?date=2026-11-25&start=25:00&end=26:00", "Not a valid time value"),
        ("?date=9999-12-31&start=10:00&end=11:00", "Choose a date between 2000 and 2100."),
        ("?capacity=-5", "Number must be between 1 and 100000."),
        ("?capacity=0", "Number must be between 1 and 100000."),
        (f"?capacity={10**30}", "Number must be between 1 and 100000."),
        ("?capacity=lots", "Not a valid integer value."),
        ("?kind=spaceship", "Not a valid choice."),
        ("?university=abc", "Invalid Choice"),
        ("?university=999999", "Not a valid choice."),
        ("?page=-1", "Number must be at least 1."),
        ("?page=0", "Number must be at least 1."),
        ("?page=two", "Not a valid integer value."),
        ("?q=" + "x" * 101, "Field cannot be longer than 100 characters."),
        ("?tag=" + "y" * 41, "A feature name is at most 40 characters long."),
    ],
)
def test_malformed_filters_show_an_error_next_to_the_form(
    client: FlaskClient, query: str, message: str
) -> None:
    make_resource(name_en="Some court")
    response = client.get(f"/facilities/{query}", headers=EN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Some filters are not valid." in page
    assert message in page
    assert "Some court" not in page
    assert 'name="q"' in page  # the form is there to correct


def test_a_midnight_end_means_the_end_of_the_day(client: FlaskClient) -> None:
    make_resource(name_en="All-night court", hours=tuple((w, time(0, 0), time(0, 0)) for w in range(7)))
    make_resource(name_en="Day court")
    page = listed(client, "?date=2026-11-25&start=22:00&end=00:00")
    assert "All-night court" in page and "Day court" not in page


def test_kind_counts_counts_active_facilities_by_kind(app: Flask) -> None:
    make_resource(kind=ResourceKind.SPORTS_VENUE)
    make_resource(kind=ResourceKind.SPORTS_VENUE)
    make_resource(kind=ResourceKind.SPORTS_VENUE, active=False)
    make_resource(kind=ResourceKind.MUSEUM, mode=Mode.SHARED)
    assert catalog.kind_counts() == {ResourceKind.SPORTS_VENUE: 2, ResourceKind.MUSEUM: 1}


def test_the_home_page_shows_the_counts_and_links_to_the_filtered_list(client: FlaskClient) -> None:
    make_resource(kind=ResourceKind.MUSEUM, mode=Mode.SHARED, name_en="Coal museum")
    home = client.get("/", headers=EN).get_data(as_text=True)
    assert "1 facility" in home
    assert "/facilities/?kind=museum" in home
    assert "Coal museum" in listed(client, "?kind=museum")


def test_free_between_a_time_that_has_passed_finds_nothing(client: FlaskClient) -> None:
    make_resource(name_en="Any court")
    page = listed(client, "?date=2026-11-22&start=10:00&end=11:00")
    assert "Any court" not in page and "0 facilities found" in page


def test_the_next_free_slot_reads_with_a_chinese_colon_in_chinese(client: FlaskClient) -> None:
    court = make_resource(name_en="Busy court", name_zh="忙碌球场")
    make_booking(court, make_user(), datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    page = listed(client, headers=ZH)
    assert "最近空闲：" in page
    assert "最近空闲:" not in page
