"""The booking pages as a person uses them: the form, refusals, series preview, my bookings, cancelling."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from models import Booking, BookingStatus, ResourceKind, db
from tests.factories import (
    booking_form,
    make_booking,
    make_closure,
    make_exam_week,
    make_resource,
    make_training_base,
    make_user,
)

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def booking_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Booking))


def test_booking_needs_a_login(client: FlaskClient) -> None:
    court = make_resource()
    response = client.get(f"/facilities/{court.id}/book")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_grid_cell_link_prefills_the_form(client: FlaskClient, resident) -> None:
    court = make_resource(policy={"min_minutes": 60})
    page = client.get(f"/facilities/{court.id}/book?start=2026-11-25T14:00").get_data(as_text=True)
    assert 'value="2026-11-25"' in page
    assert 'value="14:00"' in page and 'value="15:00"' in page


def test_booking_a_free_slot_confirms_it_and_shows_the_booking(client: FlaskClient, resident) -> None:
    court = make_resource(name_en="Badminton court 3")
    response = client.post(
        f"/facilities/{court.id}/book", data=booking_form(), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Booked and confirmed." in page
    assert "Badminton court 3" in page
    assert "Wednesday 2026-11-25 10:00 – 11:00" in page


def test_a_refused_booking_says_why_next_to_the_form_and_books_nothing(client: FlaskClient, resident) -> None:
    court = make_resource()
    make_exam_week(court, datetime(2026, 11, 24, 16, tzinfo=UTC), datetime(2026, 11, 25, 16, tzinfo=UTC))
    response = client.post(
        f"/facilities/{court.id}/book", data=booking_form(), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This booking is not possible" in page
    assert "Exam week" in page
    assert booking_count() == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "09:00"}, "The end must be after the start."),
        ({"end_time": "10:00"}, "The end must be after the start."),
        ({"party_size": "0"}, "Enter a number from 1 to 10000."),
        ({"party_size": "abc"}, "Not a valid integer value."),
        ({"day": "2026-13-45"}, "Not a valid date value."),
        ({"start_time": "25:99"}, "Not a valid time value."),
        ({"repeat": "y", "count": "10000"}, "A series has 1 to 100 dates."),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    client: FlaskClient, resident, overrides, message
) -> None:
    court = make_resource()
    response = client.post(
        f"/facilities/{court.id}/book", data=booking_form(**overrides), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert booking_count() == 0


def test_a_booking_in_the_past_is_refused(client: FlaskClient, resident) -> None:
    court = make_resource()
    response = client.post(
        f"/facilities/{court.id}/book", data=booking_form(day="2026-11-23"), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert booking_count() == 0


def test_an_unknown_or_inactive_facility_is_404(client: FlaskClient, resident) -> None:
    hidden = make_resource(active=False)
    assert client.get("/facilities/4242/book").status_code == 404
    assert client.post(f"/facilities/{hidden.id}/book", data=booking_form()).status_code == 404


def test_the_series_preview_lists_every_date_then_books_the_available_ones(
    client: FlaskClient, resident
) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"max_minutes": 180, "max_advance_days": 90})
    make_closure(lab, datetime(2026, 12, 7, 16, tzinfo=UTC), datetime(2026, 12, 8, 16, tzinfo=UTC))
    series = booking_form(
        day="2026-12-01",
        start_time="14:00",
        end_time="17:00",
        repeat="y",
        frequency="weekly",
        interval="1",
        weekdays="1",
        ends="count",
        count="10",
    )
    preview = client.post(
        f"/facilities/{lab.id}/book", data={**series, "action": "preview"}, headers={"Accept-Language": "en"}
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert page.count('data-ok="yes"') == 9 and page.count('data-ok="no"') == 1
    assert "Book the 9 available dates" in page
    assert booking_count() == 0
    done = client.post(f"/facilities/{lab.id}/book", data={**series, "action": "book"})
    assert done.status_code == 302
    assert booking_count() == 9


def test_my_bookings_shows_upcoming_past_and_cancelled(client: FlaskClient, resident) -> None:
    court = make_resource(name_en="Tennis court")
    make_booking(court, resident, datetime(2026, 11, 25, 2, tzinfo=UTC))
    make_booking(court, resident, datetime(2026, 11, 20, 2, tzinfo=UTC), status=BookingStatus.COMPLETED)
    make_booking(court, resident, datetime(2026, 11, 26, 2, tzinfo=UTC), status=BookingStatus.CANCELLED)
    headers = {"Accept-Language": "en"}
    assert client.get("/bookings", headers=headers).get_data(as_text=True).count("Tennis court") == 1
    assert "Completed" in client.get("/bookings?show=past", headers=headers).get_data(as_text=True)
    assert "Cancelled" in client.get("/bookings?show=cancelled", headers=headers).get_data(as_text=True)
    assert client.get("/bookings?show=<script>").status_code == 200


def test_someone_elses_booking_is_404_not_403(client: FlaskClient, resident) -> None:
    other = make_booking(make_resource(), make_user(), datetime(2026, 11, 25, 2, tzinfo=UTC))
    assert client.get(f"/bookings/{other.id}").status_code == 404
    assert client.post(f"/bookings/{other.id}/cancel").status_code == 404
    assert db.session.get(Booking, other.id).status == BookingStatus.CONFIRMED


def test_cancelling_from_the_booking_page_frees_the_slot(client: FlaskClient, resident) -> None:
    court = make_resource(policy={"cancel_deadline_minutes": 60})
    booking = make_booking(court, resident, datetime(2026, 11, 25, 2, tzinfo=UTC))
    page = client.get(f"/bookings/{booking.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "You can cancel until 2026-11-25 09:00." in page
    response = client.post(f"/bookings/{booking.id}/cancel", headers={"Accept-Language": "en"})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED


def test_cancelling_after_the_deadline_shows_why(client: FlaskClient, resident) -> None:
    court = make_resource(policy={"cancel_deadline_minutes": 24 * 60})
    booking = make_booking(court, resident, datetime(2026, 11, 24, 6, tzinfo=UTC))
    response = client.post(
        f"/bookings/{booking.id}/cancel", headers={"Accept-Language": "en"}, follow_redirects=True
    )
    assert "the deadline was" in response.get_data(as_text=True)
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED


def test_a_training_base_takes_dates_and_a_statement(client: FlaskClient, resident) -> None:
    base = make_training_base(capacity=3)
    too_short = client.post(
        f"/facilities/{base.id}/book",
        data={"first_day": "2026-12-01", "last_day": "2026-12-05", "statement": "hi"},
        headers={"Accept-Language": "en"},
    )
    assert too_short.status_code == 422
    assert "Write between 20 and 2000 characters." in too_short.get_data(as_text=True)
    applied = client.post(
        f"/facilities/{base.id}/book",
        data={
            "first_day": "2026-12-01",
            "last_day": "2026-12-05",
            "statement": "I study mechanical engineering and want CNC practice.",
        },
    )
    assert applied.status_code == 302
    booking = db.session.scalars(sa.select(Booking)).one()
    assert booking.status == BookingStatus.PENDING
    assert booking.end_at - booking.start_at == timedelta(days=5)


def test_cancelling_asks_first_on_a_page_that_needs_no_javascript(client: FlaskClient, resident) -> None:
    court = make_resource(name_en="Tennis court")
    booking = make_booking(court, resident, datetime(2026, 11, 25, 2, tzinfo=UTC))
    en = {"Accept-Language": "en"}
    detail = client.get(f"/bookings/{booking.id}", headers=en).get_data(as_text=True)
    assert f'action="/bookings/{booking.id}/cancel"' not in detail  # no one-click cancel
    assert f'href="/bookings/{booking.id}/cancel"' in detail
    ask = client.get(f"/bookings/{booking.id}/cancel", headers=en).get_data(as_text=True)
    assert "Cancel this booking?" in ask and "Tennis court" in ask and "2026-11-25 10:00" in ask
    assert f'<form method="post" action="/bookings/{booking.id}/cancel"' in ask
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED  # asking changed nothing


def test_cancelling_says_what_was_cancelled(client: FlaskClient, resident) -> None:
    court = make_resource(name_en="Tennis court")
    booking = make_booking(court, resident, datetime(2026, 11, 25, 2, tzinfo=UTC))
    done = client.post(
        f"/bookings/{booking.id}/cancel", headers={"Accept-Language": "en"}, follow_redirects=True
    )
    assert "Cancelled: Tennis court, 2026-11-25 10:00–11:00." in done.get_data(as_text=True)
