"""Booking on someone's behalf: find them, book past rules and quotas with a reason, never over a booking."""

import pytest
import sqlalchemy as sa

from models import Booking, BookingStatus, Category, EmailMessage, Mode, QuotaPeriod, db
from tests.factories import make_booking, make_quota, make_resource, make_user
from tests.manage.conftest import EN, at, booking_form, events, notifications


@pytest.fixture(autouse=True)
def requester_known_at_a(uni_a, requester) -> None:
    """Li Na once booked at university A (since cancelled), so A's managers may find and book for her."""
    make_booking(make_resource(uni_a), requester, at(3, 10), status=BookingStatus.CANCELLED)


def bookings_of(person) -> list[Booking]:
    """The person's bookings but the cancelled one that makes them known at A."""
    db.session.rollback()
    query = sa.select(Booking).where(Booking.user_id == person.id, Booking.status != BookingStatus.CANCELLED)
    return list(db.session.scalars(query))


def test_finding_a_person_by_part_of_the_email_or_name(client, auth, manager_a, requester):
    make_user(display_name="Someone Else", email="other@example.com")
    auth.login(manager_a)
    by_email = client.get("/manage/book?q=LI.NA@", headers=EN).get_data(as_text=True)
    assert "Li Na" in by_email and "l***@example.com" in by_email and "Someone Else" not in by_email
    by_name = client.get("/manage/book?q=li n", headers=EN).get_data(as_text=True)
    assert "Li Na" in by_name
    wildcard = client.get("/manage/book?q=%25%25", headers=EN).get_data(as_text=True)
    assert "Nobody found" in wildcard
    chosen = client.get(f"/manage/book?user={requester.id}", headers=EN).get_data(as_text=True)
    assert "Booking for:" in chosen and "Li Na" in chosen


def test_booking_for_someone_overrides_rules_and_quotas_and_is_audited(
    client, auth, uni_a, manager_a, requester
):
    court = make_resource(uni_a, policy={"allowed_categories": ["student"], "max_minutes": 60})
    make_quota(uni_a, category=Category.RESIDENT, period=QuotaPeriod.WEEK, max_bookings=1)
    make_booking(make_resource(uni_a), requester, at(26, 10))  # the weekly quota is already used
    auth.login(manager_a)
    response = client.post("/manage/book", data=booking_form(requester, court, end_time="12:00"))
    assert response.status_code == 302
    booking = next(b for b in bookings_of(requester) if b.resource_id == court.id)
    assert response.headers["Location"] == f"/bookings/{booking.id}"
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.booked_by_id == manager_a.id
    assert booking.override_reason == "Agreed with the sports department"
    [event] = [e for e in events("booking.created") if e.target_id == booking.id]
    assert event.details["on_behalf_of"] == requester.id
    assert set(event.details["overridden"]) >= {"category_not_allowed", "too_long", "quota_bookings"}


def test_a_reason_is_required(client, auth, uni_a, manager_a, requester):
    court = make_resource(uni_a)
    auth.login(manager_a)
    response = client.post("/manage/book", data=booking_form(requester, court, reason="  "), headers=EN)
    assert response.status_code == 422
    assert "Give the reason; it is kept in the audit log." in response.get_data(as_text=True)
    assert bookings_of(requester) == []


def test_a_conflict_is_never_overridden(client, auth, uni_a, manager_a, requester):
    court = make_resource(uni_a)
    make_booking(court, make_user(), at(25, 10, 30))
    auth.login(manager_a)
    response = client.post("/manage/book", data=booking_form(requester, court), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This booking is not possible" in page
    assert 'data-code="conflict"' in page and "This time is already booked." in page
    assert bookings_of(requester) == []


def test_a_full_shared_facility_is_not_over_filled(client, auth, uni_a, manager_a, requester):
    room = make_resource(uni_a, mode=Mode.SHARED, capacity=2)
    make_booking(room, make_user(), at(25, 10), party_size=2)
    auth.login(manager_a)
    response = client.post("/manage/book", data=booking_form(requester, room), headers=EN)
    assert response.status_code == 422
    assert 'data-code="capacity"' in response.get_data(as_text=True)


def test_another_universitys_facility_is_404(client, auth, uni_b, manager_a, requester):
    theirs = make_resource(uni_b)
    auth.login(manager_a)
    assert client.post("/manage/book", data=booking_form(requester, theirs)).status_code == 404
    assert bookings_of(requester) == []


def test_an_unknown_person_is_404(client, auth, uni_a, manager_a):
    court = make_resource(uni_a)
    auth.login(manager_a)
    assert client.get("/manage/book?user=424242").status_code == 404
    data = booking_form(make_user(), court, user_id="424242")
    assert client.post("/manage/book", data=data).status_code == 404


def test_the_person_booked_for_is_told_in_the_inbox_and_by_email_with_the_ics(
    client, auth, uni_a, manager_a, requester
):
    court = make_resource(uni_a, name_en="Court 1")
    auth.login(manager_a)
    client.post("/manage/book", data=booking_form(requester, court))
    [booking] = [b for b in bookings_of(requester) if b.resource_id == court.id]
    [told] = notifications(requester, "booking_made_for_you")
    assert told.booking_id == booking.id
    [email] = db.session.scalars(
        sa.select(EmailMessage).where(
            EmailMessage.user_id == requester.id, EmailMessage.kind == "booking_made_for_you"
        )
    ).all()
    assert email.ics is not None and b"BEGIN:VEVENT" in email.ics
    # An invitation like every other booking email, so a later CANCEL or update reaches the same event.
    assert b"METHOD:REQUEST" in email.ics and b"ORGANIZER" in email.ics
    assert "Wang Manager" in email.body and "Agreed with the sports department" in email.body


def test_the_manager_lands_on_the_managers_view_of_the_booking(client, auth, uni_a, manager_a, requester):
    court = make_resource(uni_a)
    auth.login(manager_a)
    page = client.post("/manage/book", data=booking_form(requester, court), headers=EN, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "Booked for" in html and "Li Na" in html and "l***@example.com" in html
    assert "you may cancel this booking, and Li Na will be told" in html
    assert "You can cancel until" not in html
    assert '<li class="breadcrumb-item"><a href="/bookings">' not in html
