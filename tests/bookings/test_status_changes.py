"""One status-change operation: transition, audit event and the holder's notice together, or nothing."""

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services.audit import AuditAction
from booking.services.lifecycle import IllegalTransition, change_status
from booking.services.transactions import write_transaction
from models import AuditEvent, Booking, BookingStatus, Notification, db
from tests.factories import make_booking, make_manager, make_resource, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
SERVICES = Path(__file__).parents[2] / "booking" / "services"


def events_of(booking: Booking) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.target_type == "booking", AuditEvent.target_id == booking.id)
            .order_by(AuditEvent.id)
        )
    )


def test_a_status_change_is_audited_and_told_in_one_step(app: Flask) -> None:
    court = make_resource()
    manager, li = make_manager(court.university), make_user()
    booking = make_booking(court, li, NOW + timedelta(days=1))
    with write_transaction():
        booking = db.session.get(Booking, booking.id)
        previous = change_status(
            booking,
            BookingStatus.CANCELLED,
            actor_id=manager.id,
            action=AuditAction.BOOKING_CANCELLED,
            at=NOW,
            notice="booking_cancelled_by_manager",
            notice_params={"note": "Storm damage"},
            with_invitation=True,
            reason="Storm damage",
        )
    assert previous == BookingStatus.CONFIRMED
    db.session.expire_all()
    stored = db.session.get(Booking, booking.id)
    assert (stored.status, stored.sequence, stored.updated_at) == (BookingStatus.CANCELLED, 1, NOW)
    [event] = events_of(stored)
    assert (event.action, event.actor_id, event.university_id) == (
        "booking.cancelled",
        manager.id,
        court.university_id,
    )
    assert event.details == {"reason": "Storm damage"}
    [notice] = db.session.scalars(sa.select(Notification).where(Notification.user_id == li.id)).all()
    assert (notice.kind, notice.booking_id, notice.params["note"]) == (
        "booking_cancelled_by_manager",
        booking.id,
        "Storm damage",
    )


def test_an_illegal_change_writes_nothing(app: Flask) -> None:
    li = make_user()
    booking = make_booking(make_resource(), li, NOW - timedelta(days=1), status=BookingStatus.COMPLETED)
    with pytest.raises(IllegalTransition), write_transaction():
        change_status(
            db.session.get(Booking, booking.id),
            BookingStatus.CANCELLED,
            actor_id=li.id,
            action=AuditAction.BOOKING_CANCELLED,
            at=NOW,
            notice="booking_cancelled",
        )
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == BookingStatus.COMPLETED
    assert events_of(booking) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_services_change_status_only_through_lifecycle() -> None:
    """Only `lifecycle` sets a status; a move (bookings._move_to) transitions inside its own audited step."""
    direct = []
    for path in sorted(SERVICES.glob("*.py")):
        if path.name == "lifecycle.py":
            continue
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                calls_transition = (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "transition"
                )
                sets_status = isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Attribute)
                    and t.attr == "status"
                    and isinstance(t.value, ast.Name)
                    and t.value.id == "booking"
                    for t in node.targets
                )
                if calls_transition or sets_status:
                    direct.append(f"{path.name}:{function.name}")
    assert direct == ["bookings.py:_move_to"]
