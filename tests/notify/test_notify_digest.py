"""Managers who chose a digest get one email listing the new requests since their last one."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from booking import notify
from booking.services import bookings
from models import EmailMessage, Notification, ResourceKind, db
from tests.factories import local, make_manager, make_resource, make_university, make_user
from tests.smtp import Inbox

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def test_a_batched_manager_gets_one_digest_and_a_per_request_manager_one_email_each(
    app: Flask, smtp: Inbox
) -> None:
    university = make_university()
    approval = {"approval_categories": ["resident"]}
    lab = make_resource(university, kind=ResourceKind.LAB, name_en="Robotics lab", policy=approval)
    hall = make_resource(university, kind=ResourceKind.MEETING_ROOM, name_en="Lecture hall", policy=approval)
    make_manager(university, email="batched@example.com", locale="en", notify_digest=True)
    make_manager(university, email="each@example.com", locale="en")
    bookings.request_booking(make_user(display_name="Li Lei"), lab.id, local(25, 10), local(25, 11), now=NOW)
    bookings.request_booking(
        make_user(display_name="Han Mei"), hall.id, local(26, 10), local(26, 11), now=NOW
    )

    assert len(smtp.to("each@example.com")) == 2
    assert smtp.to("batched@example.com") == []

    assert notify.send_digests(NOW + timedelta(hours=1)) == 1
    (digest,) = smtp.to("batched@example.com")
    assert digest["Subject"] == "2 new booking requests"
    body = digest.get_content()
    assert "Robotics lab" in body and "Lecture hall" in body and "Li Lei" in body and "Han Mei" in body

    # Nothing new: no second digest, nothing sent twice.
    assert notify.send_digests(NOW + timedelta(hours=2)) == 0
    assert len(smtp.messages) == 3


def test_the_next_digest_lists_only_what_came_after_the_last(app: Flask, smtp: Inbox) -> None:
    lab = make_resource(
        kind=ResourceKind.LAB, name_en="Optics lab", policy={"approval_categories": ["resident"]}
    )
    make_manager(lab.university, email="batched@example.com", locale="en", notify_digest=True)
    bookings.request_booking(make_user(display_name="Early"), lab.id, local(25, 10), local(25, 11), now=NOW)
    assert notify.send_digests(NOW) == 1
    later = NOW + timedelta(hours=3)
    bookings.request_booking(make_user(display_name="Later"), lab.id, local(26, 10), local(26, 11), now=later)
    assert notify.send_digests(later) == 1
    first, second = smtp.to("batched@example.com")
    assert "Early" in first.get_content() and "Later" not in first.get_content()
    assert "Later" in second.get_content() and "Early" not in second.get_content()
    assert second["Subject"] == "1 new booking request"


def test_the_digest_is_in_the_managers_language_and_the_inbox_still_shows_each_request(
    app: Flask, smtp: Inbox
) -> None:
    lab = make_resource(
        kind=ResourceKind.LAB,
        name_zh="光学实验室",
        name_en="Optics lab",
        policy={"approval_categories": ["resident"]},
    )
    manager = make_manager(lab.university, email="zh@example.com", locale="zh_CN", notify_digest=True)
    bookings.request_booking(make_user(), lab.id, local(25, 10), local(25, 11), now=NOW)
    notify.send_digests(NOW)
    (digest,) = smtp.to("zh@example.com")
    assert "光学实验室" in digest.get_content() and "Optics lab" not in digest.get_content()
    db.session.rollback()
    (notification,) = db.session.scalars(sa.select(Notification).where(Notification.user_id == manager.id))
    assert notification.read_at is None and notification.digest_pending is False


def test_requests_waiting_when_a_manager_switches_back_still_reach_them(app: Flask, smtp: Inbox) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"approval_categories": ["resident"]})
    manager = make_manager(lab.university, email="switch@example.com", notify_digest=True)
    bookings.request_booking(make_user(), lab.id, local(25, 10), local(25, 11), now=NOW)
    manager.notify_digest = False
    db.session.commit()
    assert notify.send_digests(NOW) == 1
    assert len(smtp.to("switch@example.com")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage)) == 1
