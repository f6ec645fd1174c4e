"""The audit log in words: no raw codes, a move's old and new times, headings that mean what they head."""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from booking.services import audit, bookings, waitlist
from models import Category, QuotaPeriod, db
from tests.factories import (
    NOW,
    local,
    make_booking,
    make_manager,
    make_quota,
    make_resource,
    make_university,
    make_user,
)

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def university(app: Flask):
    return make_university(name_en="University A")


@pytest.fixture
def manager(university):
    return make_manager(university, display_name="Manager Alpha")


def audit_table(client: FlaskClient, headers=EN) -> str:
    html = client.get("/audit", headers=headers).get_data(as_text=True)
    return html.partition('id="audit-events"')[2]


def test_overridden_rules_and_changed_fields_are_named_in_words(client, auth, university, manager) -> None:
    court = make_resource(university, name_en="Court", policy={"max_minutes": 60, "max_advance_days": 7})
    make_quota(university, category=Category.RESIDENT, period=QuotaPeriod.WEEK, max_bookings=0)
    person = make_user(display_name="Li Na")
    make_booking(court, person, local(20, 10))  # known at the university
    bookings.book_on_behalf(
        manager,
        person,
        court.id,
        local(5, 10, month=12),
        local(5, 12, month=12),
        reason="Tournament",
        now=NOW,
    )
    audit.record(
        "policy.updated",
        "resource",
        court.id,
        actor_id=manager.id,
        university_id=university.id,
        at=NOW,
        changes={"max_advance_days": [7, 14]},
    )
    db.session.commit()
    auth.login(manager)
    table = audit_table(client)
    assert "longest booking" in table and "booking window" in table and "Booking window" in table
    for code in ("too_long", "max_advance", "max_advance_days", "quota_bookings"):
        assert code not in table


def test_waitlist_events_are_in_words(client, auth, university, manager) -> None:
    court = make_resource(university, name_en="Court")
    make_booking(court, make_user(), local(25, 10))
    person = make_user(display_name="Li Na")
    waitlist.join(person, court.id, local(25, 10), local(25, 11), now=NOW)
    auth.login(manager)
    table = audit_table(client)
    assert "Joined the waitlist" in table and "Waitlist: Court · 2026-11-25 10:00" in table
    assert "waitlist.joined" not in table.replace('data-action="waitlist.joined"', "")
    assert "waitlist_entry" not in table


def test_a_move_shows_the_old_and_new_times(client, auth, university, manager) -> None:
    court = make_resource(university, name_en="Court")
    booking = make_booking(court, make_user(), local(25, 10))
    bookings.move(manager, booking.id, local(26, 14), local(26, 15), now=NOW)
    auth.login(manager)
    table = audit_table(client)
    assert "From 2026-11-25 10:00–11:00 to 2026-11-26 14:00–15:00" in table


def test_column_headings_mean_what_they_head(client, auth, university, manager) -> None:
    court = make_resource(university, name_en="Court")
    audit.record(
        "facility.updated", "resource", court.id, actor_id=manager.id, university_id=university.id, at=NOW
    )
    db.session.commit()
    auth.login(manager)
    audit_page = client.get("/audit", headers=ZH).get_data(as_text=True)
    assert '<th scope="col">操作人</th>' in audit_page and "适用人群" not in audit_page
    facilities = client.get("/manage/facilities", headers=ZH).get_data(as_text=True)
    assert '<th scope="col">名称</th>' in facilities and "姓名" not in facilities
    quotas = client.get("/manage/quotas", headers=ZH).get_data(as_text=True)
    assert "适用人群" in quotas
