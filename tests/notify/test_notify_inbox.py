"""The in-app inbox: newest first, paginated, in the reader's language; mark read; the unread count."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_login import login_user

from booking import notify
from booking.services import inbox
from booking.services.transactions import write_transaction
from booking.web.inbox.labels import unread_notifications
from models import Notification, User, db
from tests.factories import make_booking, make_manager, make_resource, make_university, make_user
from tests.sql_log import recorded_sql

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def tell(user_id: int, kind: str = "account_rejected", at: datetime = NOW, **params) -> Notification:
    with write_transaction():
        params.setdefault("note", "Photo unreadable")
        notification = notify.notify(user_id, kind, at=at, **params)
    return notification


def test_the_inbox_lists_newest_first_in_the_readers_language(app: Flask, client: FlaskClient, auth) -> None:
    court = make_resource(name_zh="羽毛球馆", name_en="Badminton hall")
    person = make_user(locale="en")
    booking = make_booking(court, person, NOW + timedelta(days=1))
    tell(person.id, note="first", at=NOW)
    with write_transaction():
        notify.notify(person.id, "booking_approved", at=NOW + timedelta(hours=1), booking=booking)
    auth.login(person)

    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("Badminton hall") < page.index("first")
    assert "羽毛球馆" not in page
    assert f'href="/bookings/{booking.id}"' in page

    client.post("/language", data={"locale": "zh_CN"})
    assert "羽毛球馆" in client.get("/notifications").get_data(as_text=True)


def test_the_inbox_is_paginated(app: Flask, client: FlaskClient, auth) -> None:
    person = make_user(locale="en")
    for n in range(inbox.PER_PAGE + 3):
        tell(person.id, note=f"message number {n:02d}.", at=NOW + timedelta(minutes=n))
    auth.login(person)
    first = client.get("/notifications").get_data(as_text=True)
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert f"message number {inbox.PER_PAGE + 2:02d}." in first and "message number 00." not in first
    assert "message number 00." in second and f"message number {inbox.PER_PAGE + 2:02d}." not in second


def test_nobody_reads_or_marks_someone_elses_notifications(app: Flask, client: FlaskClient, auth) -> None:
    owner, other = make_user(), make_user()
    notification = tell(owner.id, note="private matter")
    auth.login(other)
    assert "private matter" not in client.get("/notifications").get_data(as_text=True)
    assert client.post(f"/notifications/{notification.id}/read").status_code == 404
    db.session.rollback()
    assert db.session.get(Notification, notification.id).read_at is None


def test_marking_one_and_all_read(app: Flask, client: FlaskClient, auth) -> None:
    person = make_user()
    first, _second, _third = (tell(person.id) for _ in range(3))
    assert inbox.unread_count(person.id) == 3
    auth.login(person)
    assert client.post(f"/notifications/{first.id}/read").status_code == 302
    assert inbox.unread_count(person.id) == 2
    assert client.post("/notifications/read-all").status_code == 302
    assert inbox.unread_count(person.id) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.read_at.is_(None))) == 0


def test_the_inbox_needs_a_login(app: Flask, client: FlaskClient) -> None:
    assert client.get("/notifications").status_code == 302
    assert client.post("/notifications/read-all").status_code in {302, 401}


def test_the_unread_count_costs_one_query_and_none_for_visitors(app: Flask) -> None:
    person = make_user()
    tell(person.id)
    tell(person.id)
    with app.test_request_context("/"):
        assert unread_notifications() == 0
        login_user(db.session.get(User, person.id))
        with recorded_sql() as statements:
            assert render_template_string("{{ unread_notifications() }}") == "2"
    assert len(statements) == 1 and "count" in statements[0].lower()


def test_a_manager_chooses_digest_or_one_email_per_request(app: Flask, client: FlaskClient, auth) -> None:
    manager = make_manager(make_university())
    auth.login(manager)
    assert 'id="digest-heading"' in client.get("/notifications").get_data(as_text=True)
    assert client.post("/notifications/settings", data={"emails": "digest"}).status_code == 302
    db.session.rollback()
    assert db.session.get(User, manager.id).notify_digest is True
    client.post("/notifications/settings", data={"emails": "each"})
    db.session.rollback()
    assert db.session.get(User, manager.id).notify_digest is False


def test_only_managers_have_the_digest_setting(app: Flask, client: FlaskClient, auth) -> None:
    auth.login(make_user())
    assert 'id="digest-heading"' not in client.get("/notifications").get_data(as_text=True)
    assert client.post("/notifications/settings", data={"emails": "digest"}).status_code == 403
