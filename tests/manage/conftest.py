"""Fixtures for the campus manager's side: two universities, their managers, a requester, frozen time."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from models import AuditEvent, Booking, BookingStatus, Notification, Resource, User, db
from tests.conftest import clock_frozen_at, made_for_each_test
from tests.factories import NOW, make_booking, make_hpu, make_jzu, make_user

EN = {"Accept-Language": "en"}


frozen_clock = clock_frozen_at(NOW)
uni_a = made_for_each_test(make_jzu)
uni_b = made_for_each_test(make_hpu)


@pytest.fixture
def requester(app: Flask) -> User:
    return make_user(display_name="Li Na", email="li.na@example.com")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC instant given as November 2026 local time in Jiaozuo (UTC+8)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def pending(resource: Resource, user: User, start: datetime, hours: float = 1, **fields) -> Booking:
    fields.setdefault("created_at", NOW - timedelta(hours=1))
    return make_booking(
        resource, user, start, start + timedelta(hours=hours), status=BookingStatus.PENDING, **fields
    )


def fresh(model: type, ident: int):
    """The row as the database has it now (the request ran in the same session, so forget the cache)."""
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, ident)


def notifications(user: User, kind: str | None = None) -> list[Notification]:
    db.session.rollback()
    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def quota_form(**overrides: str) -> dict[str, str]:
    """The quota form as a manager sends it: students, sports venues, two bookings a week each."""
    return {
        "category": "student",
        "applies_to": "kind:sports_venue",
        "scope": "user",
        "period": "week",
        "max_bookings": "2",
        "max_hours": "",
        **overrides,
    }


def booking_form(person: User, resource: Resource, **overrides: str) -> dict[str, str]:
    """The form of a booking made for `person`: tomorrow 10:00-11:00 at `resource`, with a reason."""
    return {
        "user_id": str(person.id),
        "resource_id": str(resource.id),
        "day": "2026-11-25",
        "start_time": "10:00",
        "end_time": "11:00",
        "party_size": "1",
        "purpose": "Team practice",
        "reason": "Agreed with the sports department",
        **overrides,
    }
