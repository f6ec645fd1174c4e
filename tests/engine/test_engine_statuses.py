"""The status machine and what a status allows, on plain values: transitions, cancelling, moving, approval,
and the category a person books as."""

from dataclasses import replace
from datetime import timedelta

import pytest
from engine_builders import MONDAY, at, resource

from booking import engine
from models.enums import BookingStatus, Category, Mode, Verification

S = BookingStatus
POLICY = replace(resource().policy, cancel_deadline_minutes=120)
START = at(MONDAY, "14:00")
DEADLINE = at(MONDAY, "12:00")
TZ = "Asia/Shanghai"


def test_cancel_deadline_is_the_start_minus_the_policy_minutes():
    assert engine.cancel_deadline(START, POLICY) == DEADLINE


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (S.PENDING, S.CONFIRMED, True),
        (S.CONFIRMED, S.PENDING, True),
        (S.CHECKED_IN, S.COMPLETED, True),
        (S.CHECKED_IN, S.CANCELLED, False),
        (S.CANCELLED, S.CONFIRMED, False),
        (S.NO_SHOW, S.COMPLETED, False),
    ],
)
def test_transitions_follow_the_status_machine(current, target, allowed):
    assert engine.can_transition(current, target) is allowed


def test_every_status_is_in_the_machine_and_final_ones_lead_nowhere():
    assert set(engine.TRANSITIONS) == set(BookingStatus)
    for final in (S.COMPLETED, S.REJECTED, S.CANCELLED, S.EXPIRED, S.NO_SHOW):
        assert not engine.TRANSITIONS[final]


def test_holder_cancels_a_confirmed_booking_up_to_the_deadline_inclusive():
    def can(now):
        return (
            engine.cancel_refusal(S.CONFIRMED, START, POLICY, now, holder=True, manager=False, timezone=TZ)
            is None
        )

    assert can(DEADLINE)
    assert not can(DEADLINE + timedelta(seconds=1))


def test_holder_withdraws_a_pending_request_until_it_starts():
    def can(now):
        return (
            engine.cancel_refusal(S.PENDING, START, POLICY, now, holder=True, manager=False, timezone=TZ)
            is None
        )

    assert can(START - timedelta(seconds=1))
    assert not can(START)


def test_manager_cancels_after_the_deadline_but_not_once_checked_in():
    late = START + timedelta(minutes=5)
    assert (
        engine.cancel_refusal(S.CONFIRMED, START, POLICY, late, holder=False, manager=True, timezone=TZ)
        is None
    )
    refusal = engine.cancel_refusal(
        S.CHECKED_IN, START, POLICY, late, holder=False, manager=True, timezone=TZ
    )
    assert refusal is not None and refusal.code == "not_cancellable"


def test_someone_else_cannot_cancel():
    refusal = engine.cancel_refusal(
        S.CONFIRMED, START, POLICY, DEADLINE, holder=False, manager=False, timezone=TZ
    )
    assert refusal is not None


def test_cancel_refusal_names_the_deadline_in_local_time():
    refusal = engine.cancel_refusal(
        S.CONFIRMED,
        START,
        POLICY,
        DEADLINE + timedelta(minutes=1),
        holder=True,
        manager=False,
        timezone=TZ,
    )
    assert refusal is not None
    assert refusal.code == "cancel_deadline"
    assert refusal.params["minutes"] == 120
    assert refusal.params["deadline"].strftime("%H:%M") == "12:00"


def test_a_finished_booking_is_not_cancellable():
    refusal = engine.cancel_refusal(
        S.COMPLETED, START, POLICY, DEADLINE, holder=True, manager=True, timezone=TZ
    )
    assert refusal is not None and refusal.code == "not_cancellable"


@pytest.mark.parametrize(
    ("mode", "status", "now", "manager", "code"),
    [
        (Mode.PLACEMENT, S.CONFIRMED, DEADLINE, False, "placement_not_movable"),
        (Mode.EXCLUSIVE, S.CHECKED_IN, DEADLINE, True, "not_movable"),
        (Mode.EXCLUSIVE, S.CONFIRMED, START, True, "move_started"),
        (Mode.EXCLUSIVE, S.CONFIRMED, DEADLINE + timedelta(minutes=1), False, "move_deadline"),
        (Mode.EXCLUSIVE, S.CONFIRMED, DEADLINE + timedelta(minutes=1), True, None),
        (Mode.SHARED, S.PENDING, DEADLINE, False, None),
    ],
)
def test_move_refusal(mode, status, now, manager, code):
    refusal = engine.move_refusal(mode, status, START, POLICY, now, manager=manager, timezone=TZ)
    assert (refusal.code if refusal else None) == code


@pytest.mark.parametrize(
    ("category", "approval", "mode", "needed"),
    [
        (Category.STUDENT, {Category.STUDENT}, Mode.EXCLUSIVE, True),
        (Category.RESIDENT, {Category.STUDENT}, Mode.SHARED, False),
        (Category.RESIDENT, set(), Mode.PLACEMENT, True),
    ],
)
def test_approval_is_asked_by_policy_or_of_every_placement(category, approval, mode, needed):
    assert engine.requires_approval(category, frozenset(approval), mode) is needed


@pytest.mark.parametrize(
    ("category", "verification", "organization_verified", "books_as"),
    [
        (Category.RESIDENT, Verification.NONE, False, Category.RESIDENT),
        (Category.STUDENT, Verification.PENDING, True, Category.RESIDENT),
        (Category.STUDENT, Verification.VERIFIED, False, Category.STUDENT),
        (Category.ENTERPRISE, Verification.VERIFIED, False, Category.RESIDENT),
        (Category.ENTERPRISE, Verification.VERIFIED, True, Category.ENTERPRISE),
        (Category.ENTERPRISE, Verification.REJECTED, True, Category.RESIDENT),
    ],
)
def test_unverified_people_book_as_residents(category, verification, organization_verified, books_as):
    assert engine.effective_category(category, verification, organization_verified) == books_as
