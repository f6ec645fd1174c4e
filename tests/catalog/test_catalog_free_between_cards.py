"""'Free between' results show the searched day and time on each card and book exactly that."""

import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.factories import make_resource, make_user

NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 in Jiaozuo
EN = {"Accept-Language": "en"}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def _book_links(page: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="(/facilities/\d+/book\?[^"]*)"', page)]


def test_each_card_shows_the_searched_day_and_time(client: FlaskClient) -> None:
    make_resource(name_en="Free court")
    page = client.get("/facilities/?date=2026-11-25&start=10:00&end=11:30", headers=EN).get_data(as_text=True)
    assert "Wed, Nov 25 10:00–11:30" in page
    assert "Next free" not in page  # Monday 08:00 would be another date than the one searched


def test_each_card_books_the_searched_span(client: FlaskClient) -> None:
    court = make_resource(name_en="Free court")
    page = client.get("/facilities/?date=2026-11-25&start=10:00&end=11:30", headers=EN).get_data(as_text=True)
    links = [link for link in _book_links(page) if link.startswith(f"/facilities/{court.id}/book")]
    assert links, page
    query = parse_qs(urlparse(links[0]).query)
    assert query["start"] == ["2026-11-25T10:00"] and query["end"] == ["2026-11-25T11:30"]


def test_the_booking_form_is_prefilled_with_the_searched_span(client: FlaskClient, auth: AuthActions) -> None:
    court = make_resource(name_en="Free court")
    auth.login(make_user())
    page = client.get(
        f"/facilities/{court.id}/book?start=2026-11-25T10:00&end=2026-11-25T11:30", headers=EN
    ).get_data(as_text=True)
    assert 'value="2026-11-25"' in page
    assert 'value="10:00"' in page and 'value="11:30"' in page


def test_a_card_says_why_the_reader_cannot_book_the_searched_span(
    client: FlaskClient, auth: AuthActions
) -> None:
    lab = make_resource(name_en="Student lab", policy={"allowed_categories": ["student"]})
    auth.login(make_user())
    page = client.get("/facilities/?date=2026-11-25&start=10:00&end=11:00", headers=EN).get_data(as_text=True)
    assert "Student lab" in page  # it is free
    assert not [link for link in _book_links(page) if link.startswith(f"/facilities/{lab.id}/book")]
    assert 'data-state="not_for_you"' in page and "Not for you" in page


def test_a_span_beyond_the_booking_window_is_not_open_yet(client: FlaskClient) -> None:
    make_resource(name_en="Court", policy={"max_advance_days": 1})
    page = client.get("/facilities/?date=2026-11-26&start=10:00&end=11:00", headers=EN).get_data(as_text=True)
    assert 'data-state="not_open_yet"' in page
    assert _book_links(page) == []
