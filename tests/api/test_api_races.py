"""Races over the API: 64 clients ask for one slot at once; exactly one gets it. And the same
Idempotency-Key sent by many at once still books once."""

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from models import ACTIVE_STATUSES, Booking, db
from tests.api.api_helpers import bearer, token_for
from tests.concurrency import run_at_once
from tests.factories import local, make_resource, make_user

pytestmark = pytest.mark.slow

CLIENTS = 64


def post(app: Flask, secret: str, body: dict, **headers: str):
    def go() -> tuple[int, int | None]:
        response = app.test_client().post("/api/v1/bookings", json=body, headers=bearer(secret, **headers))
        return response.status_code, (response.json or {}).get("id")

    return go


def slot_body(facility_id: int) -> dict:
    start = local(25, 10)
    return {
        "facility": facility_id,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }


def active(resource_id: int) -> list[Booking]:
    return db.session.scalars(
        sa.select(Booking).where(Booking.resource_id == resource_id, Booking.status.in_(ACTIVE_STATUSES))
    ).all()


def test_64_clients_one_slot_exactly_one_201(app: Flask, race_app: Flask) -> None:
    court = make_resource(policy={"max_advance_days": 30})
    secrets = [token_for(make_user()) for _ in range(CLIENTS)]
    body = slot_body(court.id)
    answers, refusals = run_at_once(race_app, [post(race_app, s, body) for s in secrets])
    assert not refusals  # every client got an HTTP answer: nothing escaped the API as an exception
    statuses = Counter(status for status, _id in answers)
    assert statuses == {201: 1, 409: CLIENTS - 1}, statuses
    assert len(active(court.id)) == 1


def test_the_same_idempotency_key_sent_at_once_books_once(app: Flask, race_app: Flask) -> None:
    court = make_resource(policy={"max_advance_days": 30})
    secret = token_for(make_user())
    body = slot_body(court.id)
    answers, _ = run_at_once(
        race_app, [post(race_app, secret, body, **{"Idempotency-Key": "same"}) for _ in range(8)]
    )
    assert {status for status, _id in answers} == {201}
    assert len({booking_id for _status, booking_id in answers}) == 1
    assert len(active(court.id)) == 1
