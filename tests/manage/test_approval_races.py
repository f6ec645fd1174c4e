"""Approvals never over-fill a facility, proved by racing two managers' real concurrent approvals.

Each thread has its own application context, so its own session and database connection; a barrier
releases them together. Pending requests already hold their place when they are made, so the conflicting
pending pair is inserted directly (as after a capacity cut): on a shared facility for one person, two
overlapping requests for one person each. Exactly one approval may win.
"""

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import approvals
from models import Booking, BookingStatus, Mode, User, db
from tests.concurrency import race
from tests.factories import make_manager, make_resource, make_user
from tests.manage.conftest import NOW, at, pending

pytestmark = pytest.mark.slow

ROUNDS = 5


def approval(manager_id: int, booking_id: int) -> Callable[[], Booking]:
    def go() -> Booking:
        return approvals.approve(db.session.get(User, manager_id), booking_id, now=NOW)

    return go


def confirmed(*ids: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(Booking.id.in_(ids), Booking.status == BookingStatus.CONFIRMED)
    )


def test_two_managers_approving_conflicting_requests_at_once_approve_exactly_one(
    app: Flask, race_app: Flask, uni_a
) -> None:
    booth = make_resource(uni_a, mode=Mode.SHARED, capacity=1)
    first, second = make_manager(uni_a).id, make_manager(uni_a).id
    for round_ in range(ROUNDS):
        start = at(25 + round_, 10)
        a = pending(booth, make_user(), start).id
        b = pending(booth, make_user(), start + timedelta(minutes=30)).id
        won, refusals = race(race_app, [approval(first, a), approval(second, b)])
        assert won == 1
        assert refusals == [{"capacity"}]
        assert confirmed(a, b) == 1


def test_two_managers_approving_the_same_request_at_once_decide_it_once(
    app: Flask, race_app: Flask, uni_a
) -> None:
    court = make_resource(uni_a)
    first, second = make_manager(uni_a).id, make_manager(uni_a).id
    for round_ in range(ROUNDS):
        booking = pending(court, make_user(), at(25 + round_, 10)).id
        won, refusals = race(race_app, [approval(first, booking), approval(second, booking)])
        assert won == 1
        assert refusals == [{"not_pending"}]
        row = db.session.get(Booking, booking)
        assert row.sequence == 1  # one transition, not two
