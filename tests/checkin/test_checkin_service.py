"""Checking in through the service: with the code within the window, or by a manager of the facility."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import bookings, checkin, strikes
from booking.services.checkin import CheckinState
from booking.services.errors import Refused
from models import AuditEvent, Booking, BookingStatus, Category, db
from tests.factories import make_admin, make_booking, make_manager, make_resource, make_university, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
CODE = "135790"


@pytest.fixture
def court(app: Flask):
    return make_resource(policy={"checkin_required": True})


def booking_at(court, start: datetime, user=None, **fields) -> Booking:
    return make_booking(court, user or make_user(), start, checkin_code=CODE, **fields)


def test_a_booking_made_under_a_check_in_policy_gets_a_six_digit_code(court) -> None:
    plain = make_resource()
    start = NOW + timedelta(days=1, hours=1)
    coded = bookings.request_booking(make_user(), court.id, start, start + timedelta(hours=1), now=NOW)
    uncoded = bookings.request_booking(make_user(), plain.id, start, start + timedelta(hours=1), now=NOW)
    assert coded.checkin_code is not None and len(coded.checkin_code) == 6 and coded.checkin_code.isdigit()
    assert uncoded.checkin_code is None


@pytest.mark.parametrize(
    ("offset", "state"),
    [
        (timedelta(minutes=-16), CheckinState.TOO_EARLY),
        (timedelta(minutes=-15), CheckinState.OPEN),
        (timedelta(minutes=14, seconds=59), CheckinState.OPEN),
        (timedelta(minutes=15), CheckinState.CLOSED),
    ],
)
def test_the_window_runs_from_15_minutes_before_to_15_after_the_start(court, offset, state) -> None:
    booking = booking_at(court, NOW)
    assert checkin.status(booking, NOW + offset).state == state


def test_the_holder_checks_in_with_the_code_inside_the_window(court) -> None:
    li = make_user()
    booking = booking_at(court, NOW + timedelta(minutes=10), li)
    checkin.check_in(li, booking.id, f" {CODE} ", now=NOW)
    db.session.rollback()
    done = db.session.get(Booking, booking.id)
    assert (done.status, done.checked_in_at, done.sequence) == (BookingStatus.CHECKED_IN, NOW, 1)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "booking.checked_in")).one()
    assert (event.actor_id, event.target_id, event.details["by_manager"]) == (li.id, booking.id, False)


def test_a_wrong_code_is_refused(court) -> None:
    li = make_user()
    booking = booking_at(court, NOW, li)
    with pytest.raises(Refused) as refused:
        checkin.check_in(li, booking.id, "000000", now=NOW)
    assert refused.value.codes == {"checkin_wrong_code"}
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED


def test_outside_the_window_the_refusal_says_when_it_opens_or_closed(court) -> None:
    li = make_user()
    booking = booking_at(court, NOW + timedelta(hours=2), li)
    with pytest.raises(Refused) as early:
        checkin.check_in(li, booking.id, CODE, now=NOW)
    assert early.value.codes == {"checkin_too_early"}
    assert early.value.violations[0].params == {"opens": datetime(2026, 11, 24, 10, 45)}
    with pytest.raises(Refused) as late:
        checkin.check_in(li, booking.id, CODE, now=NOW + timedelta(hours=3))
    assert late.value.codes == {"checkin_closed"}
    assert late.value.violations[0].params == {"closes": datetime(2026, 11, 24, 11, 15)}


def test_checking_in_twice_is_refused_and_someone_elses_booking_is_not_found(court) -> None:
    li = make_user()
    booking = booking_at(court, NOW, li)
    checkin.check_in(li, booking.id, CODE, now=NOW)
    with pytest.raises(Refused) as again:
        checkin.check_in(li, booking.id, CODE, now=NOW)
    assert again.value.codes == {"checkin_done"}
    with pytest.raises(bookings.NotFound):
        checkin.check_in(make_user(), booking.id, CODE, now=NOW)


def test_a_no_show_can_no_longer_check_in(court) -> None:
    li = make_user()
    booking = booking_at(court, NOW - timedelta(minutes=20), li)
    strikes.mark_no_shows(NOW)
    with pytest.raises(Refused) as refused:
        checkin.check_in(li, booking.id, CODE, now=NOW)
    assert refused.value.codes == {"checkin_not_possible"}


def test_a_manager_of_the_facility_checks_people_in_within_the_window(court) -> None:
    manager = make_manager(court.university)
    booking = booking_at(court, NOW)
    checkin.check_in_by_manager(manager, booking.id, now=NOW)
    assert db.session.get(Booking, booking.id).status == BookingStatus.CHECKED_IN
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "booking.checked_in")).one()
    assert (event.actor_id, event.details["by_manager"]) == (manager.id, True)


def test_a_manager_cannot_check_in_outside_the_window(court) -> None:
    booking = booking_at(court, NOW + timedelta(hours=1))
    with pytest.raises(Refused) as refused:
        checkin.check_in_by_manager(make_manager(court.university), booking.id, now=NOW)
    assert refused.value.codes == {"checkin_too_early"}


def test_managers_of_another_university_cannot_check_in_but_admins_can(court) -> None:
    booking = booking_at(court, NOW)
    with pytest.raises(bookings.NotFound):
        checkin.check_in_by_manager(make_manager(make_university()), booking.id, now=NOW)
    checkin.check_in_by_manager(make_admin(), booking.id, now=NOW)
    assert db.session.get(Booking, booking.id).status == BookingStatus.CHECKED_IN


def test_the_day_list_holds_the_managers_own_university_only(court) -> None:
    manager = make_manager(court.university)
    other = make_resource(policy={"checkin_required": True})
    mine = booking_at(court, NOW + timedelta(hours=2))
    yesterday = booking_at(court, NOW - timedelta(days=1))
    booking_at(other, NOW + timedelta(hours=2))
    make_booking(court, make_user(), NOW + timedelta(hours=5), status=BookingStatus.CANCELLED)
    ids = [b.id for b in checkin.today(manager, NOW, timezone="Asia/Shanghai")]
    assert ids == [mine.id]
    assert yesterday.id not in ids
    assert len(checkin.today(make_admin(), NOW, timezone="Asia/Shanghai")) == 2
    with pytest.raises(bookings.NotFound):
        checkin.today(manager, NOW, timezone="Asia/Shanghai", university_id=other.university_id)
    with pytest.raises(bookings.NotFound):
        checkin.today(make_user(Category.RESIDENT), NOW, timezone="Asia/Shanghai")


def test_a_manager_may_enter_the_code_for_the_holder(court) -> None:
    manager = make_manager(court.university)
    booking = booking_at(court, NOW)
    checkin.check_in(manager, booking.id, CODE, now=NOW)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "booking.checked_in")).one()
    assert (event.actor_id, event.details["by_manager"]) == (manager.id, True)
    with pytest.raises(bookings.NotFound):
        checkin.check_in(make_manager(make_university()), booking.id, CODE, now=NOW)
