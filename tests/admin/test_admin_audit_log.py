"""The audit log page: managers see their university's events, the admin sees all; filters narrow it."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from booking.services import audit, bookings, verification
from models import Category, ResourceKind, Verification, db
from tests.factories import local, make_admin, make_manager, make_resource, make_university, make_user

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@pytest.fixture
def scene(app: Flask) -> dict:
    """University A with two facilities and a booking; university B with a verified student."""
    a, b = make_university(name_en="University A"), make_university(name_en="University B")
    court = make_resource(a, name_en="Court of A", name_zh="A球场")
    gym = make_resource(a, name_en="Gym of A", name_zh="A体育馆")
    library = make_resource(b, kind=ResourceKind.LIBRARY, name_en="Library of B", name_zh="B图书馆")
    manager_a = make_manager(a, display_name="Manager Alpha", locale="en")
    manager_b = make_manager(b, display_name="Manager Beta", locale="en")
    booker = make_user(display_name="Booker Bo", email="bo@example.com")
    bookings.request_booking(booker, court.id, local(25, 10), local(25, 11), now=NOW)
    audit.record(
        "facility.updated",
        "resource",
        gym.id,
        actor_id=manager_a.id,
        university_id=a.id,
        at=NOW + timedelta(days=2),
    )
    audit.record(
        "facility.updated", "resource", library.id, actor_id=manager_b.id, university_id=b.id, at=NOW
    )
    db.session.commit()
    student = make_user(
        Category.STUDENT, organization_id=b.id, verification=Verification.PENDING, display_name="Student Su"
    )
    verification.verify_student(manager_b, student.id, now=NOW + timedelta(days=1))
    return {"a": a, "b": b, "court": court, "gym": gym, "manager_a": manager_a, "manager_b": manager_b}


def events_table(html: str) -> str:
    """The listed events only (the filter's choices name facilities too)."""
    _, found, table = html.partition('id="audit-events"')
    return table if found else ""


def page(client: FlaskClient, query: str = "") -> str:
    response = client.get(f"/audit{query}")
    assert response.status_code == 200
    return events_table(response.get_data(as_text=True))


def test_a_manager_sees_only_their_universitys_events(app: Flask, client: FlaskClient, auth, scene) -> None:
    auth.login(scene["manager_b"])
    html = page(client)
    assert "Student Su" in html and "Library of B" in html
    assert "Court of A" not in html and "Gym of A" not in html and "Booker Bo" not in html
    # Filters cannot reach across: A's facility is not a choice, and a forged one shows nothing of A.
    forged = client.get(f"/audit?facility={scene['court'].id}")
    assert forged.status_code == 422
    assert "Court of A" not in forged.get_data(as_text=True)
    assert "Booker Bo" not in events_table(forged.get_data(as_text=True))


def test_the_admin_sees_every_event(app: Flask, client: FlaskClient, auth, scene) -> None:
    auth.login(make_admin(locale="en"))
    html = page(client)
    assert all(name in html for name in ("Court of A", "Gym of A", "Library of B", "Student Su"))


def test_filter_by_facility_keeps_the_facility_and_its_bookings(
    app: Flask, client: FlaskClient, auth, scene
) -> None:
    auth.login(scene["manager_a"])
    court_events = page(client, f"?facility={scene['court'].id}")
    assert "Court of A" in court_events and "Booker Bo" in court_events and "Gym of A" not in court_events
    gym_events = page(client, f"?facility={scene['gym'].id}")
    assert "Gym of A" in gym_events and "Court of A" not in gym_events


def test_filter_by_person_action_and_date(app: Flask, client: FlaskClient, auth, scene) -> None:
    auth.login(scene["manager_a"])
    by_person = page(client, "?person=alpha")
    assert "Gym of A" in by_person and "Court of A" not in by_person
    by_email = page(client, "?person=BO%40EXAMPLE")
    assert "Court of A" in by_email and "Gym of A" not in by_email
    by_action = page(client, "?action=booking.created")
    assert "Court of A" in by_action and "Gym of A" not in by_action
    # The booking was made on the 24th (Jiaozuo time), the gym edited on the 26th.
    late = page(client, "?date_from=2026-11-25")
    assert "Gym of A" in late and "Court of A" not in late
    early = page(client, "?date_to=2026-11-24")
    assert "Court of A" in early and "Gym of A" not in early
    assert client.get("/audit?date_from=2026-11-26&date_to=2026-11-20").status_code == 422


def test_the_audit_log_describes_events_in_words(app: Flask, client: FlaskClient, auth, scene) -> None:
    auth.login(scene["manager_b"])
    html = page(client)
    assert "Account verified" in html and "Facility edited" in html and "Manager Beta" in html


@pytest.mark.parametrize("who", ["resident", "student"])
def test_people_without_rights_get_forbidden(app: Flask, client: FlaskClient, auth, who: str) -> None:
    category = Category.STUDENT if who == "student" else Category.RESIDENT
    auth.login(make_user(category))
    assert client.get("/audit").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(app: Flask, client: FlaskClient) -> None:
    response = client.get("/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
