"""The webhook pages: a university's managers register endpoints, read the delivery log, send a test event;
another university's manager sees none of it; hostile URLs are refused with a message and nothing written."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import webhooks
from models import AuditEvent, DeliveryStatus, Organization, User, WebhookDelivery, WebhookEndpoint, db
from tests.factories import make_admin, make_manager, make_university
from tests.processes import free_port
from tests.webhooks.receiver import Receiver, listening

EN = {"Accept-Language": "en"}
EVENTS = ["booking.confirmed", "booking.cancelled"]


@pytest.fixture
def uni_a(app: Flask) -> Organization:
    return make_university(name_en="Jiaozuo University")


@pytest.fixture
def uni_b(app: Flask) -> Organization:
    return make_university(name_en="Henan Polytechnic University")


@pytest.fixture
def manager_a(uni_a: Organization) -> User:
    return make_manager(uni_a)


@pytest.fixture
def manager_b(uni_b: Organization) -> User:
    return make_manager(uni_b)


@pytest.fixture
def receiver(app: Flask) -> Iterator[Receiver]:
    with listening(Receiver(free_port())) as running:
        yield running


def endpoints() -> list[WebhookEndpoint]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def add(client, url: str, **extra):
    data = {"url": url, "description": "Door access, gymnasium", "events": EVENTS, "enabled": "y", **extra}
    return client.post("/manage/webhooks", data=data, headers=EN)


def test_a_manager_registers_an_endpoint_and_sees_its_secret_once(client, auth, manager_a, uni_a) -> None:
    auth.login(manager_a)
    response = add(client, "https://door.example.edu.cn/hooks/booking")
    assert response.status_code == 200
    [endpoint] = endpoints()
    secret = webhooks.unseal(endpoint.secret)
    assert secret in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"  # kept by no cache, no browser disk
    assert (endpoint.university_id, endpoint.events, endpoint.enabled) == (uni_a.id, EVENTS, True)
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.target_type == "webhook")) == (
        "webhook.created"
    )

    page = client.get(f"/manage/webhooks/{endpoint.id}", headers=EN).get_data(as_text=True)
    listing = client.get("/manage/webhooks", headers=EN).get_data(as_text=True)
    assert secret not in page and secret not in listing
    assert "door.example.edu.cn" in listing


def test_a_manager_edits_and_disables_an_endpoint(client, auth, manager_a, uni_a) -> None:
    endpoint, _secret = webhooks.create(
        manager_a, uni_a.id, webhooks.Draft("https://door.example.edu.cn/a", tuple(EVENTS)), now=_now()
    )
    auth.login(manager_a)
    response = client.post(
        f"/manage/webhooks/{endpoint.id}",
        data={"url": "https://portal.example.edu.cn/b", "events": ["booking.moved"], "description": ""},
    )
    assert response.status_code == 302
    [saved] = endpoints()
    assert (saved.url, saved.events, saved.enabled) == (
        "https://portal.example.edu.cn/b",
        ["booking.moved"],
        False,
    )


def _now():
    from booking import clock

    return clock.now()


def test_the_test_event_button_delivers_and_the_log_shows_it(
    client, auth, manager_a, uni_a, receiver
) -> None:
    endpoint, secret = webhooks.create(
        manager_a, uni_a.id, webhooks.Draft(receiver.url, tuple(EVENTS)), now=_now()
    )
    auth.login(manager_a)
    response = client.post(f"/manage/webhooks/{endpoint.id}/test", headers=EN, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Test event delivered (HTTP 200)" in text
    [request] = receiver.received
    assert webhooks.verify(secret, request.headers, request.body, _now())
    db.session.rollback()
    [delivery] = db.session.scalars(sa.select(WebhookDelivery)).all()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.message_id in text and "HTTP 200" in text


def test_a_failed_test_event_shows_its_error_and_waits_for_a_retry(client, auth, manager_a, uni_a) -> None:
    down = Receiver(free_port())
    endpoint, _secret = webhooks.create(
        manager_a, uni_a.id, webhooks.Draft(down.url, tuple(EVENTS)), now=_now()
    )
    auth.login(manager_a)
    text = client.post(f"/manage/webhooks/{endpoint.id}/test", headers=EN, follow_redirects=True).get_data(
        as_text=True
    )
    assert "The test event was not delivered" in text and "ConnectionError" in text
    assert "Waiting" in text  # the log: queued again, with its next try


def test_a_new_secret_is_shown_once_and_replaces_the_old(client, auth, manager_a, uni_a) -> None:
    endpoint, old = webhooks.create(
        manager_a, uni_a.id, webhooks.Draft("https://door.example.edu.cn/a", tuple(EVENTS)), now=_now()
    )
    auth.login(manager_a)
    text = client.post(f"/manage/webhooks/{endpoint.id}/secret", headers=EN).get_data(as_text=True)
    [saved] = endpoints()
    new = webhooks.unseal(saved.secret)
    assert new != old and new in text and old not in text


def test_a_manager_removes_an_endpoint_with_its_log(client, auth, manager_a, uni_a) -> None:
    endpoint, _secret = webhooks.create(
        manager_a, uni_a.id, webhooks.Draft("https://door.example.edu.cn/a", tuple(EVENTS)), now=_now()
    )
    auth.login(manager_a)
    assert client.post(f"/manage/webhooks/{endpoint.id}/delete").status_code == 302
    assert endpoints() == []


@pytest.mark.parametrize("action", ["", "/test", "/secret", "/delete"])
def test_another_universitys_manager_can_neither_see_nor_touch_it(
    client, auth, manager_a, manager_b, uni_a, action
) -> None:
    endpoint, _secret = webhooks.create(
        manager_a, uni_a.id, webhooks.Draft("https://door.example.edu.cn/a", tuple(EVENTS)), now=_now()
    )
    auth.login(manager_b)
    path = f"/manage/webhooks/{endpoint.id}{action}"
    assert client.post(path, data={"url": "https://evil.example.com/", "events": EVENTS}).status_code == 404
    if not action:
        assert client.get(path).status_code == 404
    assert "door.example.edu.cn" not in client.get("/manage/webhooks").get_data(as_text=True)
    assert client.get(f"/manage/webhooks?university={uni_a.id}").status_code == 404
    [unchanged] = endpoints()
    assert unchanged.url == "https://door.example.edu.cn/a"


def test_the_city_office_manages_any_universitys_webhooks(client, auth, uni_a, uni_b) -> None:
    auth.login(make_admin())
    response = client.post(
        f"/manage/webhooks?university={uni_b.id}",
        data={"url": "https://door.hpu.example.edu.cn/", "events": EVENTS},
    )
    assert response.status_code == 200
    [endpoint] = endpoints()
    assert endpoint.university_id == uni_b.id


HOSTILE_URLS = [
    ("javascript:alert(1)", "Enter a complete address"),
    ("JavaScript://door.example.edu.cn/%0Aalert(1)", "Enter a complete address"),
    ("file:///etc/passwd", "Enter a complete address"),
    ("data:text/html,<script>alert(1)</script>", "Enter a complete address"),
    ("ftp://door.example.edu.cn/", "Enter a complete address"),
    ("http://door.example.edu.cn/hooks", "Use an https:// address"),
    ("https://user:pass@door.example.edu.cn/", "Leave the user name and password out"),
    ("https://door.example.edu.cn/a#frag", "Leave the #fragment out"),
    ("https://door.example.edu.cn/a b", "without spaces"),
    ("https://门禁.example.edu.cn/", "without spaces or special characters"),
    ("https://door.example.edu.cn/" + "x" * 500, "too long"),
    ("https://", "Enter a complete address"),
    ("https://door.example.edu.cn:99999/", "Enter a complete address"),
    ("", "Enter the address"),
]


@pytest.mark.parametrize(("url", "message"), HOSTILE_URLS)
def test_hostile_urls_are_refused_with_a_message(client, auth, manager_a, url, message) -> None:
    auth.login(manager_a)
    response = add(client, url)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert endpoints() == []


def test_a_description_too_long_and_no_event_are_refused(client, auth, manager_a) -> None:
    auth.login(manager_a)
    response = client.post(
        "/manage/webhooks", data={"url": "https://door.example.edu.cn/", "description": "x" * 101}, headers=EN
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Write at most 100 characters." in text and "Choose at least one event." in text
    assert endpoints() == []


def test_production_refuses_plain_http_and_this_servers_own_addresses(app: Flask) -> None:
    for url in (
        "http://127.0.0.1:8000/hooks",
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://0.0.0.0/",
    ):
        assert webhooks.url_problem(url, allow_http_loopback=False) is not None, url
    assert webhooks.url_problem("https://door.example.edu.cn/hooks", allow_http_loopback=False) is None
    assert webhooks.url_problem("https://10.20.0.5/door", allow_http_loopback=False) is None  # campus network
    # Development and tests: plain http to this machine only.
    assert webhooks.url_problem("http://127.0.0.1:8000/hooks", allow_http_loopback=True) is None
    assert webhooks.url_problem("http://door.example.edu.cn/hooks", allow_http_loopback=True) is not None
