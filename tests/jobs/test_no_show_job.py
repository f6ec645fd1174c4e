"""No-shows after the check-in window, the slot they free, and suspension at the third strike."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.jobs import tasks
from booking.services import bookings, strikes
from booking.services.errors import Refused
from booking.services.strikes import StrikeRules
from models import AuditEvent, Booking, BookingStatus, Notification, User, WaitlistEntry, WaitlistStatus, db
from tests.factories import (
    make_admin,
    make_booking,
    make_manager,
    make_resource,
    make_university,
    make_user,
    make_waitlist_entry,
)
from tests.readback import status_of, told

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
CODE = "246810"

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def checkin_court(**fields):
    return make_resource(policy={"checkin_required": True}, **fields)


def suspended_until(user: User) -> datetime | None:
    db.session.rollback()
    return db.session.get(User, user.id).suspended_until


def missed(court, user, started: datetime) -> Booking:
    """A confirmed booking needing a check-in that nobody made."""
    return make_booking(court, user, started, checkin_code=CODE)


# --- marking no-shows ------------------------------------------------------------------------------


def test_no_check_in_by_the_end_of_the_window_makes_a_no_show_and_tells_the_person(app: Flask) -> None:
    court, other_court, li = checkin_court(), checkin_court(), make_user()
    gone = missed(court, li, NOW - timedelta(minutes=15))  # the window closed just now
    open_ = missed(other_court, li, NOW - timedelta(minutes=14))  # still a minute to check in
    assert tasks.mark_no_shows(NOW) == 1
    assert status_of(gone) == BookingStatus.NO_SHOW
    assert status_of(open_) == BookingStatus.CONFIRMED
    assert told("booking_no_show") == [(li.id, gone.id)]
    assert "booking.no_show" in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_checked_in_bookings_and_bookings_without_check_in_are_left_alone(app: Flask) -> None:
    court, plain_court, li = checkin_court(), make_resource(), make_user()
    came = make_booking(
        court,
        li,
        NOW - timedelta(minutes=40),
        status=BookingStatus.CHECKED_IN,
        checkin_code=CODE,
        checked_in_at=NOW - timedelta(minutes=45),
    )
    plain = make_booking(plain_court, li, NOW - timedelta(minutes=40))
    assert tasks.mark_no_shows(NOW) == 0
    assert status_of(came) == BookingStatus.CHECKED_IN
    assert status_of(plain) == BookingStatus.CONFIRMED


def test_the_window_follows_the_facility_policy(app: Flask) -> None:
    court = make_resource(policy={"checkin_required": True, "checkin_closes_minutes": 30})
    booking = missed(court, make_user(), NOW - timedelta(minutes=20))
    assert strikes.mark_no_shows(NOW) == 0
    assert strikes.mark_no_shows(NOW + timedelta(minutes=10)) == 1
    assert status_of(booking) == BookingStatus.NO_SHOW


def test_marking_twice_acts_once(app: Flask) -> None:
    court, li = checkin_court(), make_user()
    missed(court, li, NOW - timedelta(hours=1))
    assert strikes.mark_no_shows(NOW) == 1
    assert strikes.mark_no_shows(NOW) == 0
    assert strikes.mark_no_shows(NOW + timedelta(hours=1)) == 0
    assert len(told("booking_no_show")) == 1


def test_a_no_show_keeps_its_times_but_frees_the_rest_of_the_slot(app: Flask) -> None:
    court, li, wang = checkin_court(), make_user(), make_user()
    gone = make_booking(
        court, li, NOW - timedelta(minutes=30), NOW + timedelta(minutes=90), checkin_code=CODE
    )
    strikes.mark_no_shows(NOW)
    db.session.rollback()
    kept = db.session.get(Booking, gone.id)
    assert (kept.start_at, kept.end_at) == (NOW - timedelta(minutes=30), NOW + timedelta(minutes=90))
    rest = bookings.request_booking(
        wang, court.id, NOW + timedelta(minutes=30), NOW + timedelta(minutes=90), now=NOW
    )
    assert rest.status == BookingStatus.CONFIRMED


def test_the_waitlist_gets_the_rest_of_a_no_show_slot(app: Flask) -> None:
    court, li, wang = checkin_court(), make_user(), make_user()
    make_booking(court, li, NOW - timedelta(minutes=30), NOW + timedelta(minutes=90), checkin_code=CODE)
    entry = make_waitlist_entry(
        court,
        wang,
        NOW + timedelta(minutes=30),
        NOW + timedelta(minutes=90),
        created_at=NOW - timedelta(days=1),
    )
    strikes.mark_no_shows(NOW)
    db.session.rollback()
    entry = db.session.get(WaitlistEntry, entry.id)
    assert entry.status == WaitlistStatus.PROMOTED
    assert told("waitlist_promoted") == [(wang.id, entry.booking_id)]


# --- strikes and suspension ------------------------------------------------------------------------


def test_the_third_no_show_in_90_days_suspends_for_30_days(app: Flask) -> None:
    court, li = checkin_court(), make_user()
    missed(court, li, NOW - timedelta(days=80))
    missed(court, li, NOW - timedelta(days=10))
    strikes.mark_no_shows(NOW - timedelta(days=9))
    assert suspended_until(li) is None  # two strikes
    missed(court, li, NOW - timedelta(hours=1))
    assert strikes.mark_no_shows(NOW) == 1
    assert suspended_until(li) == NOW + timedelta(days=30)
    assert told("account_suspended") == [(li.id, None)]
    params = db.session.scalar(sa.select(Notification.params).where(Notification.kind == "account_suspended"))
    assert params == {"until": "2026-12-24 09:00"}  # local time in Jiaozuo
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.suspended")).one()
    assert (event.target_type, event.target_id) == ("user", li.id)
    assert event.details["universities"] == [court.university_id]


def test_no_shows_older_than_the_window_do_not_count(app: Flask) -> None:
    court, li = checkin_court(), make_user()
    missed(court, li, NOW - timedelta(days=100))
    missed(court, li, NOW - timedelta(days=20))
    missed(court, li, NOW - timedelta(hours=1))
    assert strikes.mark_no_shows(NOW) == 3
    assert suspended_until(li) is None


def test_strike_rules_come_from_the_config(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "NO_SHOW_STRIKES", 2)
    monkeypatch.setitem(app.config, "SUSPENSION_DAYS", 7)
    court, li = checkin_court(), make_user()
    missed(court, li, NOW - timedelta(days=2))
    missed(court, li, NOW - timedelta(hours=1))
    assert tasks.mark_no_shows(NOW) == 2
    assert suspended_until(li) == NOW + timedelta(days=7)


def test_a_suspended_person_is_refused_self_service_booking_with_the_end_date(app: Flask) -> None:
    court, li = checkin_court(), make_user()
    for days in (30, 20, 10):
        missed(court, li, NOW - timedelta(days=days))
    strikes.mark_no_shows(NOW)
    with pytest.raises(Refused) as refused:
        bookings.request_booking(li, court.id, NOW + timedelta(hours=2), NOW + timedelta(hours=3), now=NOW)
    assert refused.value.codes == {"account_suspended"}
    assert refused.value.violations[0].params["until"] == datetime(2026, 12, 24, 9, 0)


def test_the_strikes_behind_a_suspension_are_spent(app: Flask) -> None:
    court, li = checkin_court(), make_user()
    for days in (30, 20, 10):
        missed(court, li, NOW - timedelta(days=days))
    strikes.mark_no_shows(NOW)
    later = NOW + timedelta(days=31)
    missed(court, li, later - timedelta(hours=1))
    strikes.mark_no_shows(later)
    assert suspended_until(li) == NOW + timedelta(days=30)  # one new strike, not a fourth
    assert len(told("account_suspended")) == 1


# --- lifting a suspension --------------------------------------------------------------------------


def suspend_at(court, user: User) -> None:
    for days in (30, 20, 10):
        missed(court, user, NOW - timedelta(days=days))
    strikes.mark_no_shows(NOW)
    assert suspended_until(user) is not None


def test_a_manager_where_the_no_shows_happened_can_lift_the_suspension(app: Flask) -> None:
    court, li = checkin_court(), make_user()
    manager = make_manager(court.university)
    suspend_at(court, li)
    strikes.lift_suspension(manager, li.id, NOW + timedelta(days=1))
    assert suspended_until(li) is None
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "user.suspension_lifted")
    ).one()
    assert (event.actor_id, event.target_id, event.university_id) == (manager.id, li.id, court.university_id)
    booked = bookings.request_booking(
        li,
        court.id,
        NOW + timedelta(days=1, hours=2),
        NOW + timedelta(days=1, hours=3),
        now=NOW + timedelta(days=1),
    )
    assert booked.status == BookingStatus.CONFIRMED


def test_lifting_forgives_the_strikes(app: Flask) -> None:
    court, li = checkin_court(), make_user()
    suspend_at(court, li)
    strikes.lift_suspension(make_admin(), li.id, NOW + timedelta(hours=1))
    later = NOW + timedelta(days=2)
    missed(court, li, later - timedelta(hours=1))
    strikes.mark_no_shows(later)
    assert suspended_until(li) is None


def test_only_admins_and_managers_of_the_facilities_concerned_may_lift(app: Flask) -> None:
    court, li = checkin_court(), make_user()
    elsewhere = make_manager(make_university())
    suspend_at(court, li)
    with pytest.raises(bookings.NotFound):
        strikes.lift_suspension(elsewhere, li.id, NOW)
    assert strikes.suspended_people(elsewhere, NOW) == []
    assert [u.id for u in strikes.suspended_people(make_manager(court.university), NOW)] == [li.id]
    assert strikes.lift_suspension(make_admin(), li.id, NOW).suspended_until is None


def test_lifting_an_account_that_is_not_suspended_is_refused(app: Flask) -> None:
    li = make_user()
    with pytest.raises(Refused) as refused:
        strikes.lift_suspension(make_admin(), li.id, NOW)
    assert refused.value.codes == {"not_suspended"}


def test_strike_rules_have_the_documented_defaults() -> None:
    assert StrikeRules() == StrikeRules(strikes=3, window=timedelta(days=90), suspension=timedelta(days=30))
