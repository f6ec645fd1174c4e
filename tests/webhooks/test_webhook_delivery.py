"""Webhooks to a real HTTP receiver: recorded with the change, sent after commit, signed, retried, given up"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import approvals, bookings, checkin, webhooks
from booking.services.audit import AuditAction
from booking.services.lifecycle import change_status
from booking.services.transactions import write_transaction
from models import (
    Booking,
    BookingStatus,
    DeliveryStatus,
    Organization,
    Resource,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    db,
)
from tests.factories import local, make_booking, make_manager, make_resource, make_university, make_user
from tests.processes import free_port
from tests.webhooks.receiver import Receiver, listening

NOW = local(20, 9)  # Friday 20 November 2026, 09:00 in Jiaozuo
ALL_EVENTS = tuple(e.value for e in webhooks.SUBSCRIBABLE)


@pytest.fixture
def uni(app: Flask) -> Organization:
    return make_university(name_en="Jiaozuo University", name_zh="焦作大学")


@pytest.fixture
def manager(uni: Organization) -> User:
    return make_manager(uni)


@pytest.fixture
def court(uni: Organization) -> Resource:
    return make_resource(uni, name_en="Court 1", name_zh="一号场", policy={"checkin_required": True})


@pytest.fixture
def person(app: Flask) -> User:
    return make_user(display_name="Zhang San", email="zhang.san@example.com", phone="13800000000")


@pytest.fixture
def receiver(app: Flask) -> Iterator[Receiver]:
    with listening(Receiver(free_port())) as running:
        yield running


def register(manager: User, uni: Organization, url: str, events=ALL_EVENTS) -> tuple[WebhookEndpoint, str]:
    return webhooks.create(manager, uni.id, webhooks.Draft(url=url, events=tuple(events)), now=NOW)


def deliveries() -> list[WebhookDelivery]:
    db.session.rollback()  # a fresh read: the job wrote on connections of its own
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def book(person: User, court: Resource, day: int = 21, hour: int = 10) -> Booking:
    return bookings.request_booking(person, court.id, local(day, hour), local(day, hour + 1), now=NOW)


def test_a_confirmed_booking_is_delivered_once_after_commit_and_signed(
    manager, uni, court, person, receiver
) -> None:
    _endpoint, secret = register(manager, uni, receiver.url)
    booking = book(person, court)

    assert receiver.received == []  # recorded with the booking; the job sends it
    assert [(d.event, d.status) for d in deliveries()] == [("booking.confirmed", DeliveryStatus.QUEUED)]

    report = webhooks.deliver_pending(NOW)
    assert report.delivered == 1
    assert webhooks.deliver_pending(NOW + timedelta(hours=1)).total == 0  # never twice

    [request] = receiver.received
    assert request.path == "/hooks/booking"
    assert webhooks.verify(secret, request.headers, request.body, NOW)
    timestamp = request.headers["Webhook-Timestamp"]
    assert timestamp == str(int(NOW.timestamp()))
    assert request.headers["Webhook-Signature"] == webhooks.signature(secret, int(timestamp), request.body)
    body = json.loads(request.body)
    assert body["id"] == request.headers["Webhook-Id"] == deliveries()[0].message_id
    assert body["type"] == "booking.confirmed"
    assert body["data"] == {
        "booking_id": booking.id,
        "status": "confirmed",
        "facility": {"id": court.id, "name_zh": "一号场", "name_en": "Court 1"},
        "university_id": uni.id,
        "start": "2026-11-21T10:00:00+08:00",
        "end": "2026-11-21T11:00:00+08:00",
    }
    assert body["occurred_at"] == "2026-11-20T09:00:00+08:00"
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)


def test_the_payload_names_no_person(manager, uni, court, person, receiver) -> None:
    register(manager, uni, receiver.url)
    book(person, court)
    webhooks.deliver_pending(NOW)
    body = receiver.received[0].body
    for personal in ("Zhang San", "zhang.san@example.com", "13800000000"):
        assert personal not in body
    data = json.loads(body)["data"]
    assert set(data) == {"booking_id", "status", "facility", "university_id", "start", "end"}
    assert set(data["facility"]) == {"id", "name_zh", "name_en"}


def test_a_tampered_body_or_an_old_timestamp_does_not_verify(manager, uni, court, person, receiver) -> None:
    _endpoint, secret = register(manager, uni, receiver.url)
    book(person, court)
    webhooks.deliver_pending(NOW)
    request = receiver.received[0]
    assert not webhooks.verify(secret, request.headers, request.body.replace("10:00", "11:00"), NOW)
    assert not webhooks.verify("whsec_other", request.headers, request.body, NOW)
    assert not webhooks.verify(secret, request.headers, request.body, NOW + timedelta(minutes=6))


def test_nothing_is_ever_sent_for_a_rolled_back_change(manager, uni, court, person, receiver) -> None:
    register(manager, uni, receiver.url)
    booking = make_booking(court, person, local(21, 10))
    with pytest.raises(RuntimeError), write_transaction():
        locked = db.session.get_one(Booking, booking.id)
        change_status(
            locked, BookingStatus.CANCELLED, actor_id=person.id, action=AuditAction.BOOKING_CANCELLED, at=NOW
        )
        db.session.flush()
        assert len(db.session.scalars(sa.select(WebhookDelivery)).all()) == 1  # written, then undone
        raise RuntimeError("the change fails after the event was recorded")

    assert deliveries() == []
    assert webhooks.deliver_pending(NOW).total == 0
    assert receiver.received == []


def test_each_event_is_recorded_in_its_one_place(manager, uni, court, person, receiver) -> None:
    register(manager, uni, receiver.url)
    confirmed = book(person, court)
    pending = make_booking(court, person, local(22, 10), status=BookingStatus.PENDING)
    approvals.approve(manager, pending.id, now=NOW)
    bookings.move(person, confirmed.id, local(21, 14), local(21, 15), now=NOW)
    checkin.check_in_by_manager(manager, confirmed.id, now=local(21, 14))
    other = book(person, court, day=23)
    bookings.cancel(person, other.id, now=NOW)

    events = [(d.event, d.booking_id) for d in deliveries()]
    assert events == [
        ("booking.confirmed", confirmed.id),
        ("booking.confirmed", pending.id),
        ("booking.moved", confirmed.id),
        ("booking.checked_in", confirmed.id),
        ("booking.confirmed", other.id),
        ("booking.cancelled", other.id),
    ]
    moved = json.loads(deliveries()[2].body)["data"]
    assert (moved["start"], moved["previous_start"]) == (
        "2026-11-21T14:00:00+08:00",
        "2026-11-21T10:00:00+08:00",
    )
    assert webhooks.deliver_pending(local(21, 14)).delivered == 6
    assert [json.loads(r.body)["type"] for r in receiver.received] == [e for e, _id in events]


def test_only_enabled_endpoints_of_the_university_that_want_the_event(
    manager, uni, court, person, receiver
) -> None:
    register(manager, uni, receiver.url, events=["booking.cancelled"])
    off, _secret = register(manager, uni, receiver.url)
    webhooks.update(
        manager, off.id, webhooks.Draft(url=receiver.url, events=ALL_EVENTS, enabled=False), now=NOW
    )
    other_uni = make_university()
    register(make_manager(other_uni), other_uni, receiver.url)
    make_booking(court, person, local(22, 10), status=BookingStatus.PENDING)  # not confirmed: no event

    book(person, court)

    assert deliveries() == []


def test_retried_with_backoff_after_the_receiver_was_down(manager, uni, court, person, app) -> None:
    down = Receiver(free_port())  # nobody listens yet: connection refused
    register(manager, uni, down.url)
    book(person, court)

    assert webhooks.deliver_pending(NOW).retrying == 1
    [row] = deliveries()
    assert (row.status, row.attempts) == (DeliveryStatus.QUEUED, 1)
    assert "ConnectionError" in row.last_error
    assert row.next_attempt_at == NOW + timedelta(seconds=30)
    later = NOW + timedelta(seconds=31)

    with listening(down) as receiver:
        receiver.answers = [503]  # up, but not ready
        assert webhooks.deliver_pending(NOW + timedelta(seconds=10)).total == 0  # not due yet
        assert webhooks.deliver_pending(later).retrying == 1
        [row] = deliveries()
        assert (row.attempts, row.last_status_code, row.last_error) == (2, 503, "HTTP 503")
        assert row.next_attempt_at == later + timedelta(minutes=1)  # twice as long
        assert webhooks.deliver_pending(later + timedelta(minutes=1)).delivered == 1

    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == (
        DeliveryStatus.DELIVERED,
        3,
        200,
        None,
    )
    # Every attempt carried the same Webhook-Id: the receiver can drop a repeat.
    assert {r.headers["Webhook-Id"] for r in receiver.received} == {row.message_id}


def test_gives_up_after_the_maximum_number_of_attempts(
    manager, uni, court, person, receiver, app, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 3)
    receiver.answers = [500] * 10
    register(manager, uni, receiver.url)
    book(person, court)

    moment = NOW
    for _attempt in range(6):
        webhooks.deliver_pending(moment)
        moment += timedelta(hours=7)

    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.FAILED, 3, 500)
    assert len(receiver.received) == 3


def test_a_slow_receiver_times_out(manager, uni, court, person, receiver, app, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT", 0.3)
    receiver.delay = 1.0
    register(manager, uni, receiver.url)
    book(person, court)

    assert webhooks.deliver_pending(NOW).retrying == 1
    [row] = deliveries()
    assert row.status == DeliveryStatus.QUEUED and "Timeout" in row.last_error


def test_the_secret_is_stored_encrypted(manager, uni, receiver) -> None:
    endpoint, secret = register(manager, uni, receiver.url)
    stored = db.session.scalar(sa.select(WebhookEndpoint.secret).where(WebhookEndpoint.id == endpoint.id))
    assert secret.startswith("whsec_") and secret not in stored
    assert webhooks.unseal(stored) == secret


def test_a_new_secret_signs_what_is_still_queued(manager, uni, court, person, receiver) -> None:
    endpoint, old = register(manager, uni, receiver.url)
    book(person, court)
    new = webhooks.rotate_secret(manager, endpoint.id, now=NOW)
    webhooks.deliver_pending(NOW)
    request = receiver.received[0]
    assert new != old
    assert webhooks.verify(new, request.headers, request.body, NOW)
    assert not webhooks.verify(old, request.headers, request.body, NOW)


def test_a_test_event_is_sent_at_once(manager, uni, receiver) -> None:
    endpoint, secret = register(manager, uni, receiver.url)
    delivery = webhooks.send_test(manager, endpoint.id, now=datetime.now(UTC))
    assert delivery.status == DeliveryStatus.DELIVERED
    [request] = receiver.received
    assert json.loads(request.body)["type"] == WebhookEvent.TEST.value
    assert webhooks.verify(secret, request.headers, request.body, datetime.now(UTC))


def test_the_job_sends_the_outbox(manager, uni, court, person, receiver, app) -> None:
    from booking.jobs import JOBS, run_job

    register(manager, uni, receiver.url)
    book(person, court)
    [job] = [j for j in JOBS if j.name == "deliver_webhooks"]
    assert run_job(app, job) == 1
    assert len(receiver.received) == 1


def test_two_senders_at_once_send_each_event_once(manager, uni, court, person, receiver, app) -> None:
    import threading

    receiver.delay = 0.3  # the first sender is still sending when the second looks
    register(manager, uni, receiver.url)
    book(person, court)
    reports: list[webhooks.DeliveryReport] = []
    errors: list[BaseException] = []

    def send() -> None:
        with app.app_context():
            try:
                reports.append(webhooks.deliver_pending(NOW))
            except BaseException as error:  # shown by the assertion below, not lost in the thread
                errors.append(error)
            finally:
                db.session.remove()

    senders = [threading.Thread(target=send) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(60)

    assert errors == []
    assert sorted(r.delivered for r in reports) == [0, 1]
    assert len(receiver.received) == 1


def test_the_receivers_example_in_the_docs_verifies_a_real_delivery(
    manager, uni, court, person, receiver
) -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    example = doc.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(example, namespace)  # the IT office's code, as printed
    _endpoint, secret = register(manager, uni, receiver.url)
    book(person, court)
    webhooks.deliver_pending(max(datetime.now(UTC), NOW))  # signed now, in real time

    request = receiver.received[0]
    assert namespace["verify"](secret, request.headers, request.body.encode())
    assert not namespace["verify"](secret, request.headers, request.body.encode() + b" ")
