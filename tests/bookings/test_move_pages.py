"""Changing a booking's time from its page: the form prefilled with the current time, the move, refusals."""

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from models import Booking, BookingStatus, db
from tests.factories import make_booking, make_manager, make_resource, make_university, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
EN = {"Accept-Language": "en"}
TOMORROW_10 = datetime(2026, 11, 25, 2, tzinfo=UTC)  # Wednesday 10:00 in Jiaozuo

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def fresh(booking: Booking) -> Booking:
    db.session.rollback()
    return db.session.get(Booking, booking.id)


def new_time(**overrides: str) -> dict[str, str]:
    return {"day": "2026-11-26", "start_time": "15:00", "end_time": "16:30", **overrides}


def test_the_booking_page_offers_to_change_the_time(client: FlaskClient, resident) -> None:
    booking = make_booking(make_resource(), resident, TOMORROW_10)
    page = client.get(f"/bookings/{booking.id}", headers=EN).get_data(as_text=True)
    assert f'href="/bookings/{booking.id}/move"' in page
    assert "Change time" in page
    chinese = client.get(f"/bookings/{booking.id}/move", headers={"Accept-Language": "zh-CN"})
    assert "确认改期" in chinese.get_data(as_text=True)


def test_the_form_is_prefilled_with_the_current_local_time(client: FlaskClient, resident) -> None:
    booking = make_booking(make_resource(), resident, TOMORROW_10)
    response = client.get(f"/bookings/{booking.id}/move", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="2026-11-25"' in page
    assert 'value="10:00"' in page and 'value="11:00"' in page
    assert "Booked now: Wednesday 2026-11-25 10:00 – 11:00." in page


def test_moving_from_the_page_shows_the_booking_at_its_new_time(client: FlaskClient, resident) -> None:
    booking = make_booking(make_resource(), resident, TOMORROW_10)
    response = client.post(f"/bookings/{booking.id}/move", data=new_time(), headers=EN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/bookings/{booking.id}")
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Moved to the new time." in page
    assert "Thursday 2026-11-26 15:00 – 16:30" in page
    assert "Moved to another time" in page  # the history
    moved = fresh(booking)
    assert (moved.start_at, moved.sequence) == (datetime(2026, 11, 26, 7, tzinfo=UTC), 1)


def test_a_refused_move_names_the_rule_and_keeps_the_booking(client: FlaskClient, resident) -> None:
    court = make_resource()
    booking = make_booking(court, resident, TOMORROW_10)
    make_booking(court, make_user(), datetime(2026, 11, 26, 7, tzinfo=UTC))
    response = client.post(f"/bookings/{booking.id}/move", data=new_time(), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The new time is not possible" in page
    assert 'data-code="conflict"' in page
    late = client.post(
        f"/bookings/{booking.id}/move", data=new_time(start_time="21:00", end_time="23:00"), headers=EN
    )
    assert late.status_code == 422
    assert 'data-code="outside_hours"' in late.get_data(as_text=True)
    unchanged = fresh(booking)
    assert (unchanged.start_at, unchanged.sequence) == (TOMORROW_10, 0)


def test_bad_input_is_caught_by_the_form(client: FlaskClient, resident) -> None:
    booking = make_booking(make_resource(), resident, TOMORROW_10)
    response = client.post(f"/bookings/{booking.id}/move", data=new_time(end_time="14:00"), headers=EN)
    assert response.status_code == 422
    assert "The end must be after the start." in response.get_data(as_text=True)
    assert fresh(booking).start_at == TOMORROW_10


def test_after_the_deadline_the_page_says_why_and_offers_no_change(client: FlaskClient, resident) -> None:
    court = make_resource(policy={"cancel_deadline_minutes": 26 * 60})  # passed an hour ago
    booking = make_booking(court, resident, TOMORROW_10)
    detail = client.get(f"/bookings/{booking.id}", headers=EN).get_data(as_text=True)
    assert "Change time" not in detail
    response = client.get(f"/bookings/{booking.id}/move", headers=EN, follow_redirects=True)
    assert "moving a booking here is possible up to 1560 minutes before the start" in response.get_data(
        as_text=True
    )
    posted = client.post(f"/bookings/{booking.id}/move", data=new_time())
    assert posted.status_code == 302
    assert fresh(booking).start_at == TOMORROW_10


def test_a_move_that_needs_approval_says_so(client: FlaskClient, resident) -> None:
    lab = make_resource(policy={"approval_categories": ["resident"]})
    booking = make_booking(lab, resident, TOMORROW_10)
    form_page = client.get(f"/bookings/{booking.id}/move", headers=EN).get_data(as_text=True)
    assert "approval again: until they decide" in form_page
    response = client.post(f"/bookings/{booking.id}/move", data=new_time(), headers=EN, follow_redirects=True)
    assert "The new time awaits a manager" in response.get_data(as_text=True)
    assert fresh(booking).status == BookingStatus.PENDING


def test_a_manager_of_another_university_gets_404(client: FlaskClient, auth) -> None:
    booking = make_booking(make_resource(), make_user(), TOMORROW_10)
    auth.login(make_manager(make_university()))
    assert client.get(f"/bookings/{booking.id}/move").status_code == 404
    assert client.post(f"/bookings/{booking.id}/move", data=new_time()).status_code == 404
    assert fresh(booking).start_at == TOMORROW_10


def test_the_facilitys_manager_moves_it_from_the_same_page(client: FlaskClient, auth) -> None:
    court = make_resource()
    holder = make_user()
    booking = make_booking(court, holder, TOMORROW_10)
    auth.login(make_manager(court.university))
    response = client.post(f"/bookings/{booking.id}/move", data=new_time())
    assert response.status_code == 302
    moved = fresh(booking)
    assert (moved.start_at, moved.user_id) == (datetime(2026, 11, 26, 7, tzinfo=UTC), holder.id)


def test_the_change_time_page_shows_availability_around_the_booking(client: FlaskClient, resident) -> None:
    court = make_resource()
    booking = make_booking(court, resident, TOMORROW_10)
    make_booking(court, make_user(), datetime(2026, 11, 25, 5, tzinfo=UTC))  # Wednesday 13:00, someone else
    page = client.get(f"/bookings/{booking.id}/move", headers=EN).get_data(as_text=True)
    assert "Availability around your booking" in page
    assert "Your booking" in page
    assert 'data-state="booked"' in page  # the other person's 13:00
    # A free slot links back to this page with its start, to move the booking there.
    assert f'href="/bookings/{booking.id}/move?start=2026-11-25T15:00"' in page


def test_a_slot_picked_from_the_availability_prefills_the_same_length(client: FlaskClient, resident) -> None:
    booking = make_booking(make_resource(), resident, TOMORROW_10)
    page = client.get(f"/bookings/{booking.id}/move?start=2026-11-26T15:00", headers=EN).get_data(
        as_text=True
    )
    assert 'value="2026-11-26"' in page
    assert 'value="15:00"' in page and 'value="16:00"' in page
