"""Webhook endpoints over the API (a university's managers, for their own university), the booking-window
reminder, and the outbox's guards: a host that resolves inside is refused at delivery time, old deliveries
are purged, and a series asks for its university's endpoints once."""

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from booking.jobs import tasks
from booking.services import webhooks
from booking.services.api_tokens import Scope
from models import (
    AuditEvent,
    DeliveryStatus,
    Organization,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WindowReminder,
    db,
)
from tests.api.api_helpers import NOW, PROBLEM, bearer, token_for
from tests.factories import local, make_admin, make_manager, make_resource, make_university, make_user
from tests.processes import free_port
from tests.webhooks.receiver import Receiver, listening

EVENTS = ["booking.confirmed", "booking.cancelled"]


@pytest.fixture
def receiver(app: Flask) -> Iterator[Receiver]:
    with listening(Receiver(free_port())) as running:
        yield running


def manage(user: User) -> dict[str, str]:
    return bearer(token_for(user, Scope.READ, Scope.MANAGE))


def endpoints() -> list[WebhookEndpoint]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def deliveries() -> list[WebhookDelivery]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


# --- endpoints -----------------------------------------------------------------------------------------


def test_a_manager_registers_tests_rotates_and_removes_an_endpoint(client: FlaskClient, receiver) -> None:
    university = make_university()
    headers = manage(make_manager(university))
    made = client.post(
        "/api/v1/webhooks",
        json={"url": receiver.url, "events": EVENTS, "description": "door"},
        headers=headers,
    )
    assert made.status_code == 201, made.json
    secret = made.json["secret"]
    assert secret.startswith("whsec_") and made.json["university"] == university.id
    endpoint_id = made.json["id"]
    listed = client.get("/api/v1/webhooks", headers=headers).json["items"]
    assert [e["id"] for e in listed] == [endpoint_id] and "secret" not in listed[0]

    tested = client.post(f"/api/v1/webhooks/{endpoint_id}/test", headers=headers)
    assert tested.status_code == 200, tested.json
    assert tested.json["status"] == "delivered" and tested.json["last_status_code"] == 200
    [arrived] = receiver.received
    assert webhooks.verify(secret, arrived.headers, arrived.body, NOW)

    detail = client.get(f"/api/v1/webhooks/{endpoint_id}", headers=headers).json
    assert [d["event"] for d in detail["deliveries"]] == ["webhook.test"]
    assert detail["deliveries"][0]["created_at"].endswith("+00:00")

    edited = client.put(
        f"/api/v1/webhooks/{endpoint_id}",
        json={"url": receiver.url, "events": ["booking.moved"], "enabled": False},
        headers=headers,
    )
    assert edited.status_code == 200 and edited.json["events"] == ["booking.moved"]
    assert edited.json["enabled"] is False

    rotated = client.post(f"/api/v1/webhooks/{endpoint_id}/secret", headers=headers)
    assert rotated.status_code == 200 and rotated.json["secret"] not in (secret, "")
    assert webhooks.unseal(endpoints()[0].secret) == rotated.json["secret"]

    removed = client.delete(f"/api/v1/webhooks/{endpoint_id}", headers=headers)
    assert removed.status_code == 204 and endpoints() == [] and deliveries() == []
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"webhook.created", "webhook.updated", "webhook.secret_rotated", "webhook.deleted"} <= actions


def test_a_secret_is_never_kept_for_a_repeat(client: FlaskClient, receiver) -> None:
    from models import IdempotentAnswer

    university = make_university()
    headers = {**manage(make_manager(university)), "Idempotency-Key": "hook-1"}
    body = {"url": receiver.url, "events": EVENTS}
    refused = client.post("/api/v1/webhooks", json=body, headers=headers)
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert endpoints() == []
    endpoint, secret = webhooks.create(
        make_manager(university),
        university.id,
        webhooks.Draft(url=receiver.url, events=tuple(EVENTS)),
        now=NOW,
    )
    rotated = client.post(f"/api/v1/webhooks/{endpoint.id}/secret", headers=headers)
    assert rotated.status_code == 422
    assert webhooks.unseal(endpoints()[0].secret) == secret
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotentAnswer)) == 0


def test_another_universitys_endpoint_is_not_found_and_stays(client: FlaskClient, receiver) -> None:
    ours, theirs = make_university(), make_university()
    endpoint, _secret = webhooks.create(
        make_manager(theirs), theirs.id, webhooks.Draft(url=receiver.url, events=tuple(EVENTS)), now=NOW
    )
    headers = manage(make_manager(ours))
    body = {"url": receiver.url, "events": ["booking.moved"]}
    for method, url in [
        ("get", f"/api/v1/webhooks/{endpoint.id}"),
        ("put", f"/api/v1/webhooks/{endpoint.id}"),
        ("post", f"/api/v1/webhooks/{endpoint.id}/test"),
        ("post", f"/api/v1/webhooks/{endpoint.id}/secret"),
        ("delete", f"/api/v1/webhooks/{endpoint.id}"),
    ]:
        response = getattr(client, method)(url, json=body if method == "put" else None, headers=headers)
        assert response.status_code == 404 and response.mimetype == PROBLEM, (method, url)
    assert client.get(f"/api/v1/webhooks?university={theirs.id}", headers=headers).status_code == 404
    made = client.post("/api/v1/webhooks", json={**body, "university": theirs.id}, headers=headers)
    assert made.status_code == 404
    [kept] = endpoints()
    assert kept.events == EVENTS and receiver.received == [] and deliveries() == []


def test_the_city_office_names_the_university(client: FlaskClient, receiver) -> None:
    first, second = make_university(), make_university()
    headers = manage(make_admin())
    made = client.post(
        "/api/v1/webhooks",
        json={"url": receiver.url, "events": EVENTS, "university": second.id},
        headers=headers,
    )
    assert made.status_code == 201 and made.json["university"] == second.id
    assert client.get(f"/api/v1/webhooks?university={first.id}", headers=headers).json["items"] == []
    assert len(client.get(f"/api/v1/webhooks?university={second.id}", headers=headers).json["items"]) == 1


def test_webhooks_are_for_managers_with_a_manage_token(client: FlaskClient, receiver) -> None:
    university = make_university()
    body = {"url": receiver.url, "events": EVENTS}
    resident = client.post("/api/v1/webhooks", json=body, headers=manage(make_user()))
    assert resident.status_code == 403
    read_only = bearer(token_for(make_manager(university), Scope.READ, Scope.BOOK))
    assert client.post("/api/v1/webhooks", json=body, headers=read_only).status_code == 403
    assert client.get("/api/v1/webhooks", headers=read_only).status_code == 403
    assert endpoints() == []


@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://door.example.edu.cn/hook", "events": EVENTS},
        {"url": "https://user:pw@door.example.edu.cn/hook", "events": EVENTS},
        {"url": "https://door.example.edu.cn/hook", "events": []},
        {"url": "https://door.example.edu.cn/hook", "events": ["webhook.test"]},
        {"url": "https://door.example.edu.cn/hook", "events": EVENTS, "description": "x" * 101},
        {"url": "https://door.example.edu.cn/\x00", "events": EVENTS},
        {"url": "", "events": EVENTS},
        {"events": EVENTS},
        {"url": "https://door.example.edu.cn/hook", "events": EVENTS, "secret": "mine"},
        {"url": 5, "events": "booking.confirmed"},
    ],
)
def test_a_bad_endpoint_is_a_problem_and_nothing_is_written(client: FlaskClient, body) -> None:
    from flask import current_app

    current_app.config["WEBHOOK_ALLOW_HTTP_LOOPBACK"] = False
    try:
        response = client.post("/api/v1/webhooks", json=body, headers=manage(make_manager(make_university())))
    finally:
        current_app.config["WEBHOOK_ALLOW_HTTP_LOOPBACK"] = True
    assert response.status_code in (400, 422) and response.mimetype == PROBLEM, response.json
    assert response.json.get("errors")
    assert endpoints() == []


# --- the booking window ------------------------------------------------------------------------------


def test_remind_me_when_the_next_dates_of_my_series_open(client: FlaskClient) -> None:
    court = make_resource(policy={"max_advance_days": 7})
    user = make_user()
    headers = bearer(token_for(user, Scope.BOOK))
    first_start = local(10, 10, month=12)  # 16 days ahead: beyond the 7-day window
    made = client.post(
        f"/api/v1/facilities/{court.id}/window-reminder",
        json={"first_start": first_start.isoformat()},
        headers=headers,
    )
    assert made.status_code == 201, made.json
    assert made.json["remind_at"] == (first_start - timedelta(days=7)).astimezone(NOW.tzinfo).isoformat()
    again = client.post(
        f"/api/v1/facilities/{court.id}/window-reminder",
        json={"first_start": first_start.isoformat()},
        headers=headers,
    )
    assert again.status_code == 201
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WindowReminder)) == 1


def test_a_reminder_for_a_bookable_date_or_by_a_read_token_writes_nothing(client: FlaskClient) -> None:
    court = make_resource(policy={"max_advance_days": 30})
    soon = {"first_start": local(26, 10).isoformat()}
    user = make_user()
    bookable = client.post(
        f"/api/v1/facilities/{court.id}/window-reminder",
        json=soon,
        headers=bearer(token_for(user, Scope.BOOK)),
    )
    assert bookable.status_code == 422 and bookable.mimetype == PROBLEM
    read_only = bearer(token_for(user, Scope.READ))
    later = {"first_start": local(10, 10, month=12).replace(year=2027).isoformat()}
    assert (
        client.post(
            f"/api/v1/facilities/{court.id}/window-reminder", json=later, headers=read_only
        ).status_code
        == 403
    )
    book = bearer(token_for(user, Scope.BOOK))
    assert (
        client.post("/api/v1/facilities/999999/window-reminder", json=later, headers=book).status_code == 404
    )
    for body in ({"first_start": "2027-01-10T10:00:00"}, {"first_start": 5}, {}, {**later, "x": 1}):
        response = client.post(f"/api/v1/facilities/{court.id}/window-reminder", json=body, headers=book)
        assert response.status_code == 422 and response.mimetype == PROBLEM
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WindowReminder)) == 0


# --- delivery: where a name resolves ----------------------------------------------------------------


def _resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    def fake(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.5",
        "169.254.169.254",
        "127.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "fd00::1",
        "0.0.0.0",
    ],
)
def test_a_name_resolving_inside_is_refused(
    monkeypatch: pytest.MonkeyPatch, app: Flask, address: str
) -> None:
    _resolving_to(monkeypatch, "203.0.113.9" if address == "::1" else "93.184.216.34", address)
    problem = webhooks.resolved_problem("https://door.example.edu.cn/hook", allow_loopback=False)
    assert problem is not None and "door.example.edu.cn" in problem


def test_a_name_resolving_outside_is_sent_to(monkeypatch: pytest.MonkeyPatch, app: Flask) -> None:
    _resolving_to(monkeypatch, "93.184.216.34")
    assert webhooks.resolved_problem("https://door.example.edu.cn/hook", allow_loopback=False) is None
    _resolving_to(monkeypatch, "127.0.0.1")
    assert webhooks.resolved_problem("http://localhost:8080/hook", allow_loopback=True) is None
    _resolving_to(monkeypatch, "10.0.0.1")
    assert webhooks.resolved_problem("https://door.example.edu.cn/hook", allow_loopback=True) is not None


def test_localhost_is_refused_at_delivery_time_by_what_it_resolves_to(app: Flask, receiver) -> None:
    """The endpoint was saved where loopback was allowed; where it is not, the name `localhost` (resolved by
    the system, not compared as text) reaches nothing."""
    university = make_university()
    url = f"http://localhost:{receiver.port}/hooks/booking"
    endpoint, _secret = webhooks.create(
        make_manager(university), university.id, webhooks.Draft(url=url, events=tuple(EVENTS)), now=NOW
    )
    app.config["WEBHOOK_ALLOW_HTTP_LOOPBACK"] = False
    try:
        delivery = webhooks.send_test(make_manager(university), endpoint.id, now=NOW)
    finally:
        app.config["WEBHOOK_ALLOW_HTTP_LOOPBACK"] = True
    assert receiver.received == []
    assert delivery.status == DeliveryStatus.QUEUED and "127.0.0.1" in (delivery.last_error or "")
    webhooks.deliver_pending(NOW + timedelta(hours=1))  # allowed again (tests, development): it arrives
    assert len(receiver.received) == 1


# --- the delivery log's retention ---------------------------------------------------------------------


def test_the_purge_job_removes_old_finished_deliveries_only(app: Flask) -> None:
    university = make_university()
    endpoint, _secret = webhooks.create(
        make_manager(university),
        university.id,
        webhooks.Draft(url="https://door.example.edu.cn/hook", events=tuple(EVENTS)),
        now=NOW,
    )
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    rows = {
        "old delivered": (old, DeliveryStatus.DELIVERED),
        "old failed": (old, DeliveryStatus.FAILED),
        "old queued": (old, DeliveryStatus.QUEUED),
        "recent delivered": (recent, DeliveryStatus.DELIVERED),
    }
    for n, (created, status) in enumerate(rows.values()):
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                message_id=f"msg_{n}",
                event="webhook.test",
                body="{}",
                status=status,
                created_at=created,
                next_attempt_at=created,
            )
        )
    db.session.commit()
    assert "purge_webhook_deliveries" in {job.name for job in tasks.JOBS}
    assert tasks.purge_webhook_deliveries(NOW) == 2
    kept = {(d.status, d.created_at) for d in deliveries()}
    assert kept == {(DeliveryStatus.QUEUED, old), (DeliveryStatus.DELIVERED, recent)}
    app.config["WEBHOOK_DELIVERY_RETENTION_DAYS"] = 7
    try:
        assert tasks.purge_webhook_deliveries(NOW) == 1
    finally:
        app.config["WEBHOOK_DELIVERY_RETENTION_DAYS"] = 30
    assert [d.status for d in deliveries()] == [DeliveryStatus.QUEUED]


# --- a series asks for its endpoints once -------------------------------------------------------------


def test_a_series_reads_its_universitys_endpoints_once(client: FlaskClient, app: Flask) -> None:
    court = make_resource()
    university = db.session.get(Organization, court.university_id)
    for events in (EVENTS, ["booking.moved"]):
        webhooks.create(
            make_manager(university),
            university.id,
            webhooks.Draft(url="https://door.example.edu.cn/hook", events=tuple(events)),
            now=NOW,
        )
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if "FROM webhook_endpoint" in statement:
            statements.append(statement)

    body = {
        "facility": court.id,
        "start": local(25, 10).isoformat(),
        "end": local(25, 11).isoformat(),
        "repeat": {"frequency": "weekly", "count": 4, "weekdays": [2]},
    }
    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        made = client.post("/api/v1/series", json=body, headers=bearer(token_for(make_user())))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert made.status_code == 201, made.json
    assert len(made.json["booked"]) == 4
    assert len(statements) == 1, statements
    assert len([d for d in deliveries() if d.event == "booking.confirmed"]) == 4
