"""Training bases read right: lengths of time in words, a pending student told why, applications withdrawn."""

from datetime import UTC, datetime, time

import pytest
from flask import Flask

from models import BookingStatus, Category, Mode, ResourceKind, Verification
from tests.factories import make_booking, make_resource, make_university, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def training_base(**policy):
    base_policy = {
        "max_minutes": 7 * 1440,
        "min_minutes": 1440,
        "max_advance_days": 90,
        "allowed_categories": ["student", "enterprise"],
    }
    base_policy.update(policy)
    return make_resource(
        kind=ResourceKind.TRAINING_BASE,
        mode=Mode.PLACEMENT,
        name_en="Machining base",
        capacity=3,
        hours=tuple((d, time(0), time(0)) for d in range(7)),
        policy=base_policy,
    )


def apply(client, base, first: str, last: str, headers=EN):
    data = {"first_day": first, "last_day": last, "statement": "I study mechanical engineering."}
    return client.post(f"/facilities/{base.id}/book", data=data, headers=headers)


def test_the_facility_page_says_the_booking_window_in_months(client, app: Flask) -> None:
    base = training_base()
    page = client.get(f"/facilities/{base.id}", headers=EN).get_data(as_text=True)
    assert "apply up to 3 months ahead" in page and "90 days" not in page
    assert "3个月" in client.get(f"/facilities/{base.id}", headers=ZH).get_data(as_text=True)


def test_a_too_long_placement_is_refused_in_weeks_not_minutes(client, auth, app: Flask) -> None:
    base = training_base()
    auth.login(make_user(Category.STUDENT, organization=make_university()))
    refused = apply(client, base, "2026-12-01", "2026-12-10").get_data(as_text=True)
    assert "You can book at most 1 week at once." in refused
    assert "10080" not in refused


def test_an_unverified_student_is_told_the_verification_is_pending(client, auth, app: Flask) -> None:
    base = training_base()
    university = make_university(name_en="Henan Polytechnic University")
    student = make_user(Category.STUDENT, organization=university, verification=Verification.PENDING)
    auth.login(student)
    refused = apply(client, base, "2026-12-01", "2026-12-05").get_data(as_text=True)
    assert "Your student verification is pending at Henan Polytechnic University." in refused
    assert "This facility is not open to residents." not in refused


def test_an_application_is_withdrawn_not_cancelled(client, auth, app: Flask) -> None:
    base = training_base()
    student = make_user(Category.STUDENT, organization=make_university())
    application = make_booking(
        base,
        student,
        datetime(2026, 11, 30, 16, tzinfo=UTC),
        datetime(2026, 12, 5, 16, tzinfo=UTC),
        status=BookingStatus.PENDING,
    )
    auth.login(student)
    page = client.get(f"/bookings/{application.id}", headers=EN).get_data(as_text=True)
    assert "Withdraw application" in page and "Cancel booking" not in page
    ask = client.get(f"/bookings/{application.id}/cancel", headers=EN).get_data(as_text=True)
    assert "Withdraw this application?" in ask
    done = client.post(f"/bookings/{application.id}/cancel", headers=EN, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Application withdrawn: Machining base, 2026-12-01 – 2026-12-05." in html
    assert 'id="booking-status">Withdrawn<' in html
