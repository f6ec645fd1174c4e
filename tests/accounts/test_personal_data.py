"""Personal data rights: download what is held about oneself, delete one's account, retention of unconfirmed
sign-ups."""

import json
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from booking.jobs.tasks import purge_unconfirmed
from booking.services import people, personal_data
from models import AuditEvent, Booking, BookingStatus, Notification, User, db
from tests.accounts.conftest import body
from tests.factories import PASSWORD, make_booking, make_manager, make_resource, make_university, make_user
from tests.smtp import Inbox


def test_the_download_holds_the_account_and_its_bookings(client: FlaskClient, auth) -> None:
    court = make_resource(make_university())
    user = make_user(email="mine@example.com", phone="13800000000")
    make_booking(court, user, datetime(2026, 11, 25, 2, tzinfo=UTC), purpose="Team practice")
    auth.login(user)

    response = client.get("/profile/data.json")

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "mine@example.com"
    assert data["account"]["phone"] == "13800000000"
    assert [b["purpose"] for b in data["bookings"]] == ["Team practice"]
    page = client.get("/profile/data").get_data(as_text=True)
    assert "Team practice" in page and "mine@example.com" in page


def test_the_readable_page_speaks_words_not_field_names_or_codes(client: FlaskClient, auth) -> None:
    court = make_resource(make_university(), name_zh="羽毛球馆1号场", name_en="Badminton Court 1")
    user = make_user(email="reader@example.com")
    booking = make_booking(court, user, datetime(2026, 11, 25, 2, tzinfo=UTC), purpose="Team practice")
    db.session.add_all(
        [
            Notification(
                user_id=user.id, kind="booking_reminder", params={"resource": "羽毛球馆1号场", "when": "明天"}
            ),
            AuditEvent(
                actor_id=user.id,
                action="booking.cancelled",
                target_type="booking",
                target_id=booking.id,
                details={"reason": "Rain"},
            ),
        ]
    )
    db.session.commit()
    auth.login(user)

    english = client.get("/profile/data").get_data(as_text=True)
    chinese = client.get("/profile/data", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)

    assert "Badminton Court 1" in english and "Confirmed" in english and "2026-11-25 10:00" in english
    assert "羽毛球馆1号场" in chinese and "已确认" in chinese and "电子邮箱" in chinese
    assert (
        "Reason: Rain" in english and "booking.cancelled" not in english and "booking_reminder" not in english
    )
    for raw in ("party_size", "decision_note", "created_at", "<code>", ">confirmed<", "2026-11-25T02:00"):
        assert raw not in english and raw not in chinese
    data = json.loads(client.get("/profile/data.json").get_data(as_text=True))
    assert data["bookings"][0]["facility"]["name_zh"] == "羽毛球馆1号场"  # the download keeps both names


def test_deleting_anonymises_keeps_the_counts_and_cancels_the_future(
    client: FlaskClient, smtp: Inbox, auth
) -> None:
    university = make_university()
    court = make_resource(university)
    user = make_user(email="leaving@example.com", display_name="Sun Li", phone="13900000000")
    past = make_booking(court, user, datetime.now(UTC) - timedelta(days=3), status=BookingStatus.COMPLETED)
    future = make_booking(court, user, datetime.now(UTC) + timedelta(days=2), purpose="Secret plans")
    auth.login(user)

    response = client.post("/profile/delete", data={"password": PASSWORD, "confirm": "DELETE"})

    assert response.status_code == 302
    db.session.expire_all()
    gone = db.session.get(User, user.id)
    assert gone.deleted_at is not None and not gone.active
    assert "leaving" not in gone.email and gone.phone is None and "Sun Li" not in gone.display_name
    assert gone.category == user.category  # still counted as a resident
    assert db.session.get(Booking, past.id).status == BookingStatus.COMPLETED
    assert db.session.get(Booking, future.id).status == BookingStatus.CANCELLED
    assert db.session.get(Booking, future.id).purpose == ""
    assert (
        db.session.scalar(db.select(db.func.count(Notification.id)).where(Notification.user_id == user.id))
        == 0
    )
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "account.deleted")) is not None
    assert smtp.to("leaving@example.com"), "the usual cancellation notice"
    assert "Secret plans" not in body(smtp.to("leaving@example.com")[0])
    assert auth.login("leaving@example.com").status_code == 422
    assert client.get("/profile").status_code == 302  # signed out


def test_deletion_needs_the_password_and_the_typed_confirmation(client: FlaskClient, auth) -> None:
    user = make_user()
    auth.login(user)

    wrong_password = client.post("/profile/delete", data={"password": "not it at all", "confirm": "DELETE"})
    not_typed = client.post("/profile/delete", data={"password": PASSWORD, "confirm": "yes"})

    assert wrong_password.status_code == not_typed.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, user.id).deleted_at is None


def test_managers_cannot_delete_themselves(client: FlaskClient, auth) -> None:
    manager = make_manager(make_university())
    auth.login(manager)
    response = client.post("/profile/delete", data={"password": PASSWORD, "confirm": "DELETE"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, manager.id).deleted_at is None


def test_a_deleted_person_is_nobody_a_manager_can_find(app: Flask) -> None:
    university = make_university()
    manager = make_manager(university)
    user = make_user(display_name="Qian Bo")
    make_booking(make_resource(university), user, datetime.now(UTC) - timedelta(days=1))
    personal_data.delete_account(user, password=PASSWORD)
    assert people.search(manager, "qian") == []


def test_unconfirmed_sign_ups_are_removed_after_the_retention_period(app: Flask) -> None:
    now = datetime.now(UTC)
    old = make_user(email="old.unconfirmed@example.com", created_at=now - timedelta(days=8))
    recent = make_user(email="new.unconfirmed@example.com", created_at=now - timedelta(days=2))
    confirmed = make_user(email="old.confirmed@example.com", created_at=now - timedelta(days=30))
    for user in (old, recent):
        user.email_verified_at = None
    db.session.commit()
    old_id = old.id

    assert purge_unconfirmed(now) == 1

    db.session.expire_all()
    assert db.session.get(User, old_id) is None
    assert db.session.get(User, recent.id) is not None and db.session.get(User, confirmed.id) is not None
    assert db.session.scalar(db.select(AuditEvent.action).where(AuditEvent.target_id == old_id)) == (
        "account.purged_unconfirmed"
    )
    assert purge_unconfirmed(now) == 0
