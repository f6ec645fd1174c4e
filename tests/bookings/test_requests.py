"""Requesting, refusing, series and cancelling through the booking services."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking import engine
from booking.services import bookings
from booking.services.errors import Refused
from booking.services.lifecycle import IllegalTransition, transition
from models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Category,
    Frequency,
    QuotaPeriod,
    QuotaScope,
    ResourceKind,
    Verification,
    db,
)
from tests.factories import (
    NOW,
    local,
    make_booking,
    make_closure,
    make_enterprise,
    make_exam_week,
    make_manager,
    make_quota,
    make_resource,
    make_training_base,
    make_university,
    make_user,
)


def row_counts() -> tuple[int, int]:
    db.session.rollback()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Booking)),
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
    )


def test_a_free_slot_is_confirmed_at_once_and_audited(app: Flask) -> None:
    court, user = make_resource(), make_user()
    booking = bookings.request_booking(user, court.id, local(25, 10), local(25, 11), now=NOW)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.uuid and booking.sequence == 0
    assert booking.blocked_until == booking.end_at
    assert [e.action for e in bookings.history(booking)] == ["booking.created"]


def test_approval_categories_make_the_request_pending(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"approval_categories": ["resident"]})
    booking = bookings.request_booking(make_user(), lab.id, local(25, 10), local(25, 11), now=NOW)
    assert booking.status == BookingStatus.PENDING


def test_a_refusal_lists_every_broken_rule_and_writes_nothing(app: Flask) -> None:
    court, user = make_resource(policy={"max_minutes": 120}), make_user()
    before = row_counts()
    with pytest.raises(Refused) as refused:
        # 06:15 to 09:15: before opening, off the half-hour grid, and three hours long.
        bookings.request_booking(user, court.id, local(25, 6, 15), local(25, 9, 15), now=NOW)
    assert {"outside_hours", "misaligned", "too_long"} <= refused.value.codes
    assert row_counts() == before


def test_the_same_slot_cannot_be_booked_twice(app: Flask) -> None:
    court = make_resource()
    bookings.request_booking(make_user(), court.id, local(25, 10), local(25, 11), now=NOW)
    with pytest.raises(Refused) as refused:
        bookings.request_booking(make_user(), court.id, local(25, 10, 30), local(25, 11, 30), now=NOW)
    assert refused.value.codes == {"conflict"}


def test_the_buffer_after_a_booking_keeps_the_next_one_away(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"buffer_minutes": 30})
    first = bookings.request_booking(make_user(), lab.id, local(25, 10), local(25, 11), now=NOW)
    assert first.blocked_until == local(25, 11, 30)
    with pytest.raises(Refused):
        bookings.request_booking(make_user(), lab.id, local(25, 11), local(25, 12), now=NOW)
    bookings.request_booking(make_user(), lab.id, local(25, 11, 30), local(25, 12, 30), now=NOW)


def test_a_closure_refuses_with_its_reason(app: Flask) -> None:
    court = make_resource()
    make_exam_week(court, local(25, 0), local(26, 0))
    with pytest.raises(Refused) as refused:
        bookings.request_booking(make_user(), court.id, local(25, 10), local(25, 11), now=NOW)
    (violation,) = refused.value.violations
    assert violation.code == "closed"
    assert violation.params["reason"] == engine.LocalizedName("考试周", "Exam week")


def test_a_weekly_quota_names_itself_when_it_refuses(app: Flask) -> None:
    university = make_university(name_en="Henan Polytechnic University")
    courts = [make_resource(university) for _ in range(3)]
    make_quota(
        university,
        category=Category.RESIDENT,
        resource_kind=ResourceKind.SPORTS_VENUE,
        period=QuotaPeriod.WEEK,
        max_bookings=2,
    )
    user = make_user()
    bookings.request_booking(user, courts[0].id, local(25, 10), local(25, 11), now=NOW)
    bookings.request_booking(user, courts[1].id, local(26, 10), local(26, 11), now=NOW)
    with pytest.raises(Refused) as refused:
        bookings.request_booking(user, courts[2].id, local(27, 10), local(27, 11), now=NOW)
    (violation,) = refused.value.violations
    assert violation.code == "quota_bookings"
    assert (violation.params["used"], violation.params["limit"]) == (2, 2)
    # Next week is a new period.
    bookings.request_booking(user, courts[2].id, local(30, 10), local(30, 11), now=NOW)


def test_a_pooled_enterprise_quota_counts_colleagues_bookings(app: Flask) -> None:
    university = make_university()
    lab = make_resource(university, kind=ResourceKind.LAB, policy={"max_minutes": 240})
    company = make_enterprise()
    alice = make_user(Category.ENTERPRISE, organization_id=company.id)
    bob = make_user(Category.ENTERPRISE, organization_id=company.id)
    make_quota(
        university,
        category=Category.ENTERPRISE,
        scope=QuotaScope.ORGANIZATION,
        period=QuotaPeriod.MONTH,
        max_hours=5,
    )
    bookings.request_booking(alice, lab.id, local(25, 9), local(25, 12), now=NOW)
    with pytest.raises(Refused) as refused:
        bookings.request_booking(bob, lab.id, local(26, 9), local(26, 12), now=NOW)
    assert refused.value.codes == {"quota_hours"}
    bookings.request_booking(bob, lab.id, local(26, 9), local(26, 11), now=NOW)


def test_an_unverified_student_books_as_a_resident(app: Flask) -> None:
    room = make_resource(policy={"allowed_categories": ["student"]})
    pending = make_user(Category.STUDENT, verification=Verification.PENDING)
    with pytest.raises(Refused) as refused:
        bookings.request_booking(pending, room.id, local(25, 10), local(25, 11), now=NOW)
    assert refused.value.codes == {"category_not_allowed"}
    verified = make_user(Category.STUDENT)
    assert bookings.request_booking(verified, room.id, local(25, 10), local(25, 11), now=NOW)


def test_a_suspended_person_cannot_book(app: Flask) -> None:
    court = make_resource()
    user = make_user(suspended_until=NOW + timedelta(days=30))
    with pytest.raises(Refused) as refused:
        bookings.request_booking(user, court.id, local(25, 10), local(25, 11), now=NOW)
    assert refused.value.codes == {"account_suspended"}


def test_an_unknown_facility_is_not_found(app: Flask) -> None:
    with pytest.raises(bookings.NotFound):
        bookings.request_booking(make_user(), 9999, local(25, 10), local(25, 11), now=NOW)


def test_a_placement_application_is_always_reviewed(app: Flask) -> None:
    base = make_training_base()
    student = make_user(Category.STUDENT)
    booking = bookings.request_booking(student, base.id, local(30, 0), local(5, 0, month=12), now=NOW)
    assert booking.status == BookingStatus.PENDING


# --- series ------------------------------------------------------------------------------------------


def weekly(count: int = 10, weekdays: frozenset[int] = frozenset({1})) -> engine.RecurrenceRule:
    return engine.RecurrenceRule(frequency=Frequency.WEEKLY, weekdays=weekdays, count=count)


def test_a_series_preview_shows_each_date_with_its_verdict(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"max_minutes": 180, "max_advance_days": 90})
    make_closure(lab, local(8, 0, month=12), local(9, 0, month=12), reason_en="Maintenance")
    enterprise = make_user(Category.ENTERPRISE, organization_id=make_enterprise().id)
    previews = bookings.preview_series(
        enterprise, lab.id, weekly(), datetime(2026, 12, 1, 14, 0), timedelta(hours=3), now=NOW
    )
    assert len(previews) == 10
    assert [p.ok for p in previews].count(False) == 1
    assert previews[1].interval.start == local(8, 14, month=12)
    assert not previews[1].ok
    assert row_counts() == (0, 0)


def test_booking_the_available_dates_of_a_series_skips_the_blocked_one(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"max_minutes": 180, "max_advance_days": 90})
    make_closure(lab, local(8, 0, month=12), local(9, 0, month=12))
    user = make_user()
    result = bookings.request_series(
        user, lab.id, weekly(), datetime(2026, 12, 1, 14, 0), timedelta(hours=3), now=NOW
    )
    assert len(result.booked) == 9 and len(result.skipped) == 1
    assert {b.series_id for b in result.booked} == {result.series.id}


def test_a_series_must_be_all_available_when_the_user_asks_for_all(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"max_minutes": 180, "max_advance_days": 90})
    make_closure(lab, local(8, 0, month=12), local(9, 0, month=12))
    with pytest.raises(Refused) as refused:
        bookings.request_series(
            make_user(),
            lab.id,
            weekly(),
            datetime(2026, 12, 1, 14, 0),
            timedelta(hours=3),
            only_available=False,
            now=NOW,
        )
    assert refused.value.codes == {"closed"}
    assert row_counts() == (0, 0)


def test_quotas_are_counted_across_a_series(app: Flask) -> None:
    university = make_university()
    court = make_resource(university, policy={"max_advance_days": 90})
    make_quota(university, period=QuotaPeriod.WEEK, max_bookings=1)
    daily = engine.RecurrenceRule(frequency=Frequency.DAILY, count=7)
    # Wednesday 25 Nov to Tuesday 1 Dec: one per week, so Wednesday and Monday 30 Nov.
    result = bookings.request_series(
        make_user(), court.id, daily, datetime(2026, 11, 25, 10, 0), timedelta(hours=1), now=NOW
    )
    assert [b.start_at.date() for b in result.booked] == [date(2026, 11, 25), date(2026, 11, 30)]


def test_a_series_of_ten_thousand_dates_is_refused_without_writing(app: Flask) -> None:
    court = make_resource()
    rule = engine.RecurrenceRule(frequency=Frequency.DAILY, count=10_000)
    with pytest.raises(Refused) as refused:
        bookings.request_series(
            make_user(), court.id, rule, datetime(2026, 11, 25, 10), timedelta(hours=1), now=NOW
        )
    assert refused.value.codes == {"series_too_long"}
    assert row_counts() == (0, 0)


# --- cancelling --------------------------------------------------------------------------------------


def test_the_owner_cancels_before_the_deadline_and_the_sequence_rises(app: Flask) -> None:
    court, user = make_resource(policy={"cancel_deadline_minutes": 120}), make_user()
    booking = bookings.request_booking(user, court.id, local(25, 10), local(25, 11), now=NOW)
    (cancelled,) = bookings.cancel(user, booking.id, now=local(25, 8))
    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.sequence == 1
    # The slot is free again.
    bookings.request_booking(make_user(), court.id, local(25, 10), local(25, 11), now=NOW)


def test_cancelling_after_the_deadline_is_refused_with_the_deadline(app: Flask) -> None:
    court, user = make_resource(policy={"cancel_deadline_minutes": 120}), make_user()
    booking = bookings.request_booking(user, court.id, local(25, 10), local(25, 11), now=NOW)
    with pytest.raises(Refused) as refused:
        bookings.cancel(user, booking.id, now=local(25, 8, 1))
    (violation,) = refused.value.violations
    assert violation.code == "cancel_deadline"
    assert violation.params["deadline"] == datetime(2026, 11, 25, 8, 0)
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED


def test_someone_elses_booking_is_not_found(app: Flask) -> None:
    court = make_resource()
    booking = make_booking(court, make_user(), local(25, 10))
    with pytest.raises(bookings.NotFound):
        bookings.cancel(make_user(), booking.id, now=NOW)


def test_a_manager_of_the_university_may_cancel_any_time_but_another_university_not(app: Flask) -> None:
    court = make_resource()
    booking = make_booking(court, make_user(), local(24, 10))
    with pytest.raises(bookings.NotFound):
        bookings.cancel(make_manager(make_university()), booking.id, now=local(24, 9, 50))
    (cancelled,) = bookings.cancel(
        make_manager(court.university), booking.id, now=local(24, 9, 50), reason="Water leak"
    )
    assert cancelled.decision_note == "Water leak"
    from models import Notification

    (note,) = db.session.scalars(sa.select(Notification)).all()
    assert (note.user_id, note.kind, note.params["note"]) == (
        booking.user_id,
        "booking_cancelled_by_manager",
        "Water leak",
    )


def test_cancel_one_occurrence_or_this_and_all_later_ones(app: Flask) -> None:
    court, user = make_resource(policy={"max_advance_days": 90}), make_user()
    result = bookings.request_series(
        user,
        court.id,
        weekly(count=5, weekdays=frozenset({2})),
        datetime(2026, 11, 25, 10),
        timedelta(hours=1),
        now=NOW,
    )
    _first, second, third, *_ = result.booked
    assert [b.id for b in bookings.cancel(user, second.id, now=NOW)] == [second.id]
    later = bookings.cancel(user, third.id, now=NOW, following=True)
    assert len(later) == 3
    db.session.rollback()
    statuses = [db.session.get(Booking, b.id).status for b in result.booked]
    assert statuses == [BookingStatus.CONFIRMED] + [BookingStatus.CANCELLED] * 4


def test_an_illegal_status_change_raises(app: Flask) -> None:
    booking = make_booking(make_resource(), make_user(), local(25, 10), status=BookingStatus.CANCELLED)
    with pytest.raises(IllegalTransition):
        transition(booking, BookingStatus.CONFIRMED, at=NOW)


def test_a_manager_books_on_behalf_overriding_a_quota_with_an_audited_reason(app: Flask) -> None:
    university = make_university()
    court = make_resource(university)
    make_quota(university, period=QuotaPeriod.WEEK, max_bookings=1)
    user, manager = make_user(), make_manager(university)
    bookings.request_booking(user, court.id, local(25, 10), local(25, 11), now=NOW)
    booking = bookings.book_on_behalf(
        manager, user, court.id, local(26, 10), local(26, 11), reason="Provincial team training", now=NOW
    )
    assert booking.booked_by_id == manager.id
    event = bookings.history(booking)[0]
    assert event.details["overridden"] == ["quota_bookings"]
    assert event.details["reason"] == "Provincial team training"
    # Conflicts are never overridable.
    with pytest.raises(Refused) as refused:
        bookings.book_on_behalf(
            manager, make_user(), court.id, local(26, 10), local(26, 11), reason="VIP", now=NOW
        )
    assert refused.value.codes == {"conflict"}


def test_a_pending_request_tells_the_universitys_managers_only(app: Flask) -> None:
    from models import Notification

    lab = make_resource(kind=ResourceKind.LAB, policy={"approval_categories": ["resident"]})
    manager = make_manager(lab.university)
    make_manager(make_university())
    bookings.request_booking(make_user(display_name="王芳"), lab.id, local(25, 10), local(25, 11), now=NOW)
    (note,) = db.session.scalars(sa.select(Notification)).all()
    assert note.user_id == manager.id
    assert note.kind == "booking_requested"
    assert note.params["person"] == "王芳"


def test_a_confirmed_booking_is_emailed_with_its_calendar_file(app: Flask) -> None:
    from models import EmailMessage

    court, user = make_resource(), make_user()
    booking = bookings.request_booking(user, court.id, local(25, 10), local(25, 11), now=NOW)
    (email,) = db.session.scalars(sa.select(EmailMessage)).all()
    assert (email.user_id, email.kind) == (user.id, "booking_confirmed")
    assert b"BEGIN:VCALENDAR" in email.ics
    assert booking.uuid.encode() in email.ics
