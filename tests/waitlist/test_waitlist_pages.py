"""The waitlist as a person uses it: joined from a refused booking form, listed, left."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from booking.services import bookings
from models import Mode, WaitlistEntry, WaitlistStatus, db
from tests.factories import booking_form, make_booking, make_resource, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
EN = {"Accept-Language": "en"}
TEN = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Jiaozuo

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


@pytest.fixture
def li(app: Flask, auth):
    user = make_user(email="li.na@example.com")
    assert auth.login(user).status_code == 302
    return user


def entries() -> list[WaitlistEntry]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(WaitlistEntry).order_by(WaitlistEntry.id)))


def test_a_taken_slot_offers_the_waitlist_with_the_same_request(client: FlaskClient, li) -> None:
    court = make_resource()
    make_booking(court, make_user(), TEN)
    page = client.post(f"/facilities/{court.id}/book", data=booking_form(), headers=EN).get_data(as_text=True)
    assert 'id="waitlist-offer"' in page and "Join the waitlist" in page
    assert 'name="day" value="2026-11-25"' in page and 'name="start_time" value="10:00"' in page


def test_other_refusals_offer_no_waitlist(client: FlaskClient, li) -> None:
    court = make_resource(policy={"max_minutes": 60})
    make_booking(court, make_user(), TEN)
    page = client.post(
        f"/facilities/{court.id}/book", data=booking_form(end_time="12:00"), headers=EN
    ).get_data(as_text=True)
    assert "This booking is not possible" in page
    assert 'id="waitlist-offer"' not in page


def test_joining_puts_the_request_on_my_waitlist(client: FlaskClient, li) -> None:
    room = make_resource(mode=Mode.SHARED, capacity=2)
    make_booking(room, make_user(), TEN, party_size=2)
    response = client.post(
        f"/facilities/{room.id}/waitlist", data=booking_form(party_size="2", purpose="Match"), headers=EN
    )
    assert response.status_code == 302 and response.headers["Location"] == "/waitlist"
    [entry] = entries()
    assert (entry.user_id, entry.start_at, entry.end_at, entry.party_size, entry.purpose) == (
        li.id,
        TEN,
        TEN + timedelta(hours=1),
        2,
        "Match",
    )
    page = client.get("/waitlist", headers=EN).get_data(as_text=True)
    assert "You are on the waitlist." in page
    assert f'data-entry="{entry.id}" data-state="waiting"' in page


def test_joining_a_slot_that_is_free_after_all_sends_the_person_to_book_it(client: FlaskClient, li) -> None:
    court = make_resource()
    response = client.post(f"/facilities/{court.id}/waitlist", data=booking_form(), headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/facilities/{court.id}/book?start=2026-11-25T10:00"
    assert entries() == []
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "This time is free now" in page


def test_leaving_the_waitlist(client: FlaskClient, li) -> None:
    court = make_resource()
    make_booking(court, make_user(), TEN)
    client.post(f"/facilities/{court.id}/waitlist", data=booking_form())
    [entry] = entries()
    response = client.post(f"/waitlist/{entry.id}/leave", headers=EN)
    assert response.status_code == 302
    assert entries()[0].status == WaitlistStatus.LEFT
    assert 'data-state="left"' in client.get("/waitlist", headers=EN).get_data(as_text=True)


def test_nobody_can_leave_for_someone_else(client: FlaskClient, auth, li) -> None:
    court = make_resource()
    make_booking(court, make_user(), TEN)
    client.post(f"/facilities/{court.id}/waitlist", data=booking_form())
    [entry] = entries()
    auth.logout()
    auth.login(make_user())
    assert client.post(f"/waitlist/{entry.id}/leave").status_code == 404
    assert entries()[0].status == WaitlistStatus.WAITING


def test_my_waitlist_links_a_promoted_entry_to_its_booking(client: FlaskClient, li) -> None:
    court, holder = make_resource(), make_user()
    taken = make_booking(court, holder, TEN)
    client.post(f"/facilities/{court.id}/waitlist", data=booking_form())
    bookings.cancel(holder, taken.id, now=NOW)
    [entry] = entries()
    assert entry.status == WaitlistStatus.PROMOTED
    page = client.get("/waitlist", headers=EN).get_data(as_text=True)
    assert 'data-state="promoted"' in page and f"/bookings/{entry.booking_id}" in page


def test_the_waitlist_needs_a_login(client: FlaskClient) -> None:
    assert client.get("/waitlist").status_code == 302
