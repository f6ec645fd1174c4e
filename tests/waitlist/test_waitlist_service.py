"""Joining and leaving the waitlist, and promotion first-come when a place frees up."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from booking.jobs import tasks
from booking.services import bookings, waitlist
from booking.services.errors import Refused
from booking.services.lifecycle import transition
from models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Category,
    Mode,
    QuotaPeriod,
    ResourceKind,
    WaitlistEntry,
    WaitlistStatus,
    db,
)
from tests.factories import (
    local,
    make_booking,
    make_manager,
    make_quota,
    make_resource,
    make_university,
    make_user,
)
from tests.readback import told

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


SLOT = (local(25, 10), local(25, 11))


def join(user, resource, slot=SLOT, *, at: datetime = NOW, party_size: int = 1) -> WaitlistEntry:
    with time_machine.travel(at, tick=False):
        return waitlist.join(user, resource.id, *slot, party_size=party_size, purpose="Training", now=at)


def entry_state(entry: WaitlistEntry) -> tuple[WaitlistStatus, int | None]:
    db.session.rollback()
    fresh = db.session.get(WaitlistEntry, entry.id)
    return fresh.status, fresh.booking_id


# --- joining ---------------------------------------------------------------------------------------


def test_a_taken_slot_can_be_joined_with_its_interval_party_and_purpose(app: Flask) -> None:
    court, holder, li = make_resource(), make_user(), make_user()
    make_booking(court, holder, *SLOT)
    entry = join(li, court)
    assert entry.status == WaitlistStatus.WAITING
    assert (entry.resource_id, entry.start_at, entry.end_at, entry.party_size, entry.purpose) == (
        court.id,
        *SLOT,
        1,
        "Training",
    )
    assert db.session.scalars(sa.select(AuditEvent.action)).all() == ["waitlist.joined"]


def test_joining_twice_keeps_one_entry(app: Flask) -> None:
    court, li = make_resource(), make_user()
    make_booking(court, make_user(), *SLOT)
    assert join(li, court).id == join(li, court).id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WaitlistEntry)) == 1


def test_a_free_slot_is_for_booking_not_for_waiting(app: Flask) -> None:
    court = make_resource()
    with pytest.raises(Refused) as refused:
        join(make_user(), court)
    assert refused.value.codes == {"waitlist_slot_free"}


def test_waiting_cannot_mend_any_other_refusal(app: Flask) -> None:
    court = make_resource(policy={"max_minutes": 60})
    make_booking(court, make_user(), local(25, 10), local(25, 12))
    with pytest.raises(Refused) as refused:
        join(make_user(), court, (local(25, 10), local(25, 12)))
    assert refused.value.codes == {"too_long"}  # the conflict is not the only reason
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WaitlistEntry)) == 0


def test_a_full_shared_room_can_be_joined(app: Flask) -> None:
    room = make_resource(mode=Mode.SHARED, capacity=4)
    make_booking(room, make_user(), *SLOT, party_size=4)
    assert join(make_user(), room, party_size=2).party_size == 2


def test_one_person_waits_for_at_most_ten_slots(app: Flask) -> None:
    court, li = make_resource(), make_user()
    for hour in range(10, 20):
        make_booking(court, make_user(), local(25, hour), local(25, hour + 1))
        join(li, court, (local(25, hour), local(25, hour + 1)))
    make_booking(court, make_user(), local(25, 20), local(25, 21))
    with pytest.raises(Refused) as refused:
        join(li, court, (local(25, 20), local(25, 21)))
    assert refused.value.codes == {"waitlist_limit"}


# --- leaving ---------------------------------------------------------------------------------------


def test_leaving_takes_the_person_off_the_waitlist(app: Flask) -> None:
    court, li = make_resource(), make_user()
    make_booking(court, make_user(), *SLOT)
    entry = join(li, court)
    waitlist.leave(li, entry.id, now=NOW)
    assert entry_state(entry) == (WaitlistStatus.LEFT, None)
    with pytest.raises(Refused):
        waitlist.leave(li, entry.id, now=NOW)


def test_nobody_else_can_take_someone_off_the_waitlist(app: Flask) -> None:
    court, li = make_resource(), make_user()
    make_booking(court, make_user(), *SLOT)
    entry = join(li, court)
    with pytest.raises(bookings.NotFound):
        waitlist.leave(make_user(), entry.id, now=NOW)
    assert entry_state(entry)[0] == WaitlistStatus.WAITING


# --- promotion -------------------------------------------------------------------------------------


def test_a_cancellation_promotes_the_first_eligible_entry(app: Flask) -> None:
    court, holder = make_resource(), make_user()
    first, second = make_user(), make_user()
    taken = make_booking(court, holder, *SLOT)
    early = join(first, court, at=NOW - timedelta(hours=2))
    late = join(second, court, at=NOW - timedelta(hours=1))
    bookings.cancel(holder, taken.id, now=NOW)
    status, booking_id = entry_state(early)
    assert status == WaitlistStatus.PROMOTED
    promoted = db.session.get(Booking, booking_id)
    assert (promoted.user_id, promoted.status, promoted.purpose) == (
        first.id,
        BookingStatus.CONFIRMED,
        "Training",
    )
    assert (promoted.start_at, promoted.end_at) == SLOT
    assert entry_state(late) == (WaitlistStatus.WAITING, None)
    assert told("waitlist_promoted") == [(first.id, booking_id)]


def test_an_entry_that_now_breaks_a_quota_is_skipped_for_the_next(app: Flask) -> None:
    university = make_university()
    court, other_court = make_resource(university), make_resource(university)
    make_quota(university, category=Category.RESIDENT, period=QuotaPeriod.WEEK, max_bookings=1)
    holder, first, second = make_user(), make_user(), make_user()
    taken = make_booking(court, holder, *SLOT)
    early = join(first, court, at=NOW - timedelta(hours=2))
    late = join(second, court, at=NOW - timedelta(hours=1))
    # Meanwhile the first person used up this week's booking elsewhere.
    bookings.request_booking(first, other_court.id, local(26, 10), local(26, 11), now=NOW)
    bookings.cancel(holder, taken.id, now=NOW)
    assert entry_state(early) == (WaitlistStatus.WAITING, None)
    status, booking_id = entry_state(late)
    assert status == WaitlistStatus.PROMOTED
    assert db.session.get(Booking, booking_id).user_id == second.id


def test_a_promotion_needing_approval_is_pending_and_the_managers_hear_of_it(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"approval_categories": ["resident"]})
    manager = make_manager(lab.university)
    holder, li = make_user(), make_user()
    taken = make_booking(lab, holder, *SLOT)
    entry = join(li, lab)
    bookings.cancel(holder, taken.id, now=NOW)
    _, booking_id = entry_state(entry)
    assert db.session.get(Booking, booking_id).status == BookingStatus.PENDING
    assert told("waitlist_promoted") == [(li.id, booking_id)]
    assert told("booking_requested") == [(manager.id, booking_id)]


def test_freed_places_in_a_shared_room_go_to_as_many_entries_as_fit(app: Flask) -> None:
    room = make_resource(mode=Mode.SHARED, capacity=4)
    holder = make_user()
    taken = make_booking(room, holder, *SLOT, party_size=3)
    make_booking(room, make_user(), *SLOT, party_size=1)
    pair = join(make_user(), room, party_size=2, at=NOW - timedelta(hours=3))
    trio = join(make_user(), room, party_size=3, at=NOW - timedelta(hours=2))
    single = join(make_user(), room, party_size=1, at=NOW - timedelta(hours=1))
    bookings.cancel(holder, taken.id, now=NOW)
    assert entry_state(pair)[0] == WaitlistStatus.PROMOTED
    assert entry_state(trio)[0] == WaitlistStatus.WAITING  # 3 do not fit in the 1 place left
    assert entry_state(single)[0] == WaitlistStatus.PROMOTED


def test_the_safety_net_promotes_what_an_immediate_promotion_missed_and_acts_once(app: Flask) -> None:
    court, holder, li = make_resource(), make_user(), make_user()
    taken = make_booking(court, holder, *SLOT)
    entry = join(li, court)
    # Freed without the immediate promotion (as if the process died right after the commit).
    transition(db.session.get(Booking, taken.id), BookingStatus.CANCELLED, at=NOW)
    db.session.commit()
    assert tasks.promote_waitlist(NOW) == 1
    assert tasks.promote_waitlist(NOW) == 0
    assert entry_state(entry)[0] == WaitlistStatus.PROMOTED
    assert len(told("waitlist_promoted")) == 1


def test_an_entry_whose_time_has_begun_is_closed_and_never_promoted(app: Flask) -> None:
    court, holder, li = make_resource(), make_user(), make_user()
    taken = make_booking(court, holder, *SLOT)
    entry = join(li, court)
    later = SLOT[0] + timedelta(minutes=1)
    transition(db.session.get(Booking, taken.id), BookingStatus.CANCELLED, at=later)
    db.session.commit()
    assert waitlist.promote_all(later) == 0
    db.session.rollback()
    fresh = db.session.get(WaitlistEntry, entry.id)
    assert not waitlist.is_open(fresh, later)
    assert waitlist.is_open(fresh, NOW)
    with pytest.raises(Refused):
        waitlist.leave(li, entry.id, now=later)
