"""Hostile input, case by case: control characters, out-of-range numbers, extreme dates and unbounded manager
numbers are refused with a clear message, never a 500, and write nothing.

The sweep over every endpoint and form is tests/test_hostile_sweep.py; these are the cases of issue 11.
"""

import io

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from booking.services import calendar as feeds
from models import AuditEvent, Booking, Closure, Organization, Policy, Quota, Resource, User, db
from tests.factories import PASSWORD
from tests.test_authorization_matrix import NOW, World, build_world

EN = {"Accept-Language": "en"}
NUL = "\x00"
HUGE = "99999999999999999999"
INT4_OVERFLOW = str(2**31)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(app: Flask) -> World:
    return build_world()


def signed_in(app: Flask, world: World, role: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": world.users[role].email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def count(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def refused(response, *, form: bool = True) -> str:
    """The answer to bad input: a 4xx page that says what is wrong (never a 5xx)."""
    assert 400 <= response.status_code < 500, response.status_code
    return response.get_data(as_text=True)


# --- 1. NUL and control characters ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/facilities/?q=%00",
        "/facilities/?campus=a%00b",
        "/login?next=%00",
        "/facilities/1?week=%00",
    ],
)
def test_a_nul_in_the_query_string_is_a_bad_request_for_anyone(client: FlaskClient, path: str) -> None:
    refused(client.get(path, headers=EN))


def test_a_nul_in_the_login_email_is_a_field_error(client: FlaskClient, world: World) -> None:
    page = refused(client.post("/login", data={"email": f"a{NUL}@b.c", "password": "x"}, headers=EN))
    assert "control characters" in page


def test_a_nul_in_the_display_name_registers_nobody(client: FlaskClient, world: World) -> None:
    before = count(User)
    data = {
        "category": "resident",
        "display_name": f"Li{NUL}Na",
        "email": "li.na@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    page = refused(client.post("/register", data=data, headers=EN))
    assert "control characters" in page
    assert count(User) == before


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("manager_a", "/manage/people/students?q=%00"),
        ("manager_a", "/manage/book?q=%00"),
        ("manager_a", "/audit?person=%00"),
        ("admin", "/admin/enterprises?q=%00"),
        ("admin", "/audit?person=a%01b"),
    ],
)
def test_every_people_search_refuses_control_characters(
    app: Flask, world: World, role: str, path: str
) -> None:
    refused(signed_in(app, world, role).get(path, headers=EN))


def test_a_nul_in_the_booking_purpose_books_nothing(app: Flask, world: World) -> None:
    client = signed_in(app, world, "resident")
    before = count(Booking)
    data = {
        "day": "2026-12-02",
        "start_time": "10:00",
        "end_time": "11:00",
        "party_size": "1",
        "purpose": NUL,
    }
    page = refused(client.post(f"/facilities/{world.ids['resource']}/book", data=data, headers=EN))
    assert "control characters" in page
    assert count(Booking) == before


def test_a_nul_in_the_profile_changes_nothing(app: Flask, world: World) -> None:
    client = signed_in(app, world, "resident")
    data = {"display_name": f"x{NUL}", "phone": "", "locale": "en"}
    refused(client.post("/profile", data=data, headers=EN))
    db.session.rollback()
    assert NUL not in db.session.get(User, world.users["resident"].id).display_name


@pytest.mark.parametrize(
    ("role", "path", "model", "data"),
    [
        (
            "manager_a",
            "/manage/closures",
            Closure,
            {
                "target": "",
                "start_day": "2027-01-04",
                "start_time": "00:00",
                "end_day": "2027-01-05",
                "end_time": "00:00",
                "reason_zh": f"考试{NUL}",
                "reason_en": "Exams",
            },
        ),
        (
            "manager_a",
            "/manage/facilities/new",
            Resource,
            {
                "name_zh": f"球场{NUL}",
                "name_en": "Court",
                "kind": "sports_venue",
                "mode": "exclusive",
                "capacity": "1",
                "slot_minutes": "30",
                "timezone": "Asia/Shanghai",
            },
        ),
        (
            "admin",
            "/admin/universities/new",
            Organization,
            {"name_zh": f"大学{NUL}", "name_en": "University", "code": "NEW"},
        ),
    ],
    ids=["closure_reason", "facility_name", "university_name"],
)
def test_a_nul_in_a_manager_form_creates_nothing(
    app: Flask, world: World, role: str, path: str, model: type, data: dict[str, str]
) -> None:
    client = signed_in(app, world, role)
    before = count(model)
    refused(client.post(path, data=data, headers=EN))
    assert count(model) == before


def calendar_file(event: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:1@test\r\nDTSTAMP:20261101T000000Z\r\n{event}END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_an_imported_summary_never_carries_control_characters(world: World) -> None:
    data = calendar_file(
        "DTSTART;VALUE=DATE:20270104\r\nDTEND;VALUE=DATE:20270105\r\nSUMMARY:Exam\x00\x07s\r\n"
    )
    [closure], _skipped = feeds.read_calendar_file(data, "Asia/Shanghai")
    assert closure.reason == "Exams"


def test_an_imported_huge_duration_is_skipped_not_a_crash(app: Flask, world: World) -> None:
    data = calendar_file("DTSTART;VALUE=DATE:20270104\r\nDURATION:P99999999W\r\nSUMMARY:Forever\r\n")
    planned, [skipped] = feeds.read_calendar_file(data, "Asia/Shanghai")
    assert planned == [] and skipped.code in {"out_of_range", "too_long"}
    client = signed_in(app, world, "manager_a")
    upload = {"university": str(world.ids["university_a"]), "file": (io.BytesIO(data), "cal.ics")}
    response = client.post("/manage/closures/import", data=upload, content_type="multipart/form-data")
    assert response.status_code < 500


# --- 2. out-of-range integers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("anonymous", f"/facilities/{INT4_OVERFLOW}"),
        ("anonymous", f"/facilities/{2**63}"),
        ("anonymous", f"/facilities/{INT4_OVERFLOW}/busy.ics"),
        ("resident", f"/bookings/{INT4_OVERFLOW}"),
        ("resident", f"/bookings/{2**64}.ics"),
        ("manager_a", f"/manage/facilities/{INT4_OVERFLOW}"),
    ],
)
def test_an_id_beyond_the_database_integer_is_not_found(
    app: Flask, world: World, role: str, path: str
) -> None:
    client = app.test_client() if role == "anonymous" else signed_in(app, world, role)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("manager_a", f"/manage/facilities?university={HUGE}"),
        ("admin", f"/manage/facilities?university={HUGE}"),
        ("admin", f"/manage/?university={INT4_OVERFLOW}"),
        ("admin", f"/manage/today?university={INT4_OVERFLOW}"),
        ("admin", f"/manage/quotas?university={HUGE}"),
        ("manager_a", f"/manage/book?user={HUGE}"),
        ("manager_a", "/manage/book?user=%C2%B2"),
        ("anonymous", "/facilities/?page=1e20"),
        ("anonymous", f"/facilities/?page={HUGE}"),
        ("anonymous", f"/facilities/?university={HUGE}"),
        ("anonymous", f"/facilities/?capacity={HUGE}"),
        ("resident", f"/notifications?page={HUGE}"),
        ("manager_a", f"/manage/people/students?page={HUGE}"),
        ("admin", f"/admin/enterprises?page={HUGE}"),
        ("admin", f"/audit?page={HUGE}"),
        ("admin", f"/audit?facility={HUGE}"),
    ],
)
def test_a_huge_number_in_the_query_is_never_a_server_error(
    app: Flask, world: World, role: str, path: str
) -> None:
    client = app.test_client() if role == "anonymous" else signed_in(app, world, role)
    assert client.get(path).status_code < 500


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/manage/requests/bulk", {"booking_ids": HUGE, "action": "approve"}),
        ("/manage/requests/bulk", {"booking_ids": "²", "action": "approve"}),
        ("/manage/book", {"user_id": HUGE, "resource_id": "1", "day": "2026-12-02"}),
        ("/manage/book", {"user_id": "1", "resource_id": HUGE, "day": "2026-12-02"}),
        ("/manage/closures", {"target": INT4_OVERFLOW, "start_day": "2027-01-04", "end_day": "2027-01-05"}),
        ("/manage/closures", {"target": "²", "start_day": "2027-01-04", "end_day": "2027-01-05"}),
        ("/manage/quotas", {"applies_to": f"resource:{HUGE}", "max_bookings": "2", "scope": "user"}),
        ("/manage/quotas", {"applies_to": "resource:²", "max_bookings": "2", "scope": "user"}),
        ("/manage/closures/import", {"university": HUGE}),
        ("/admin/managers", {"email": "x@example.com", "university_id": HUGE}),
    ],
)
def test_a_huge_id_in_a_form_is_refused_and_writes_nothing(app: Flask, world: World, path: str, data) -> None:
    role = "admin" if path.startswith("/admin") else "manager_a"
    client = signed_in(app, world, role)
    before = (count(Booking), count(Closure), count(Quota), count(AuditEvent))
    response = client.post(path, data={"start_time": "00:00", "end_time": "00:00", **data}, headers=EN)
    assert response.status_code < 500
    assert (count(Booking), count(Closure), count(Quota), count(AuditEvent)) == before


def test_an_id_written_with_superscript_digits_is_not_a_number(app: Flask, world: World) -> None:
    client = signed_in(app, world, "manager_a")
    response = client.post(
        "/manage/quotas", data={"applies_to": "resource:²", "max_bookings": "1"}, headers=EN
    )
    assert "Choose where the quota applies." in refused(response)


# --- 3. extreme dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"day": "9999-12-31", "start_time": "23:00", "end_time": "00:00"},
        {"day": "0001-01-01", "start_time": "00:00", "end_time": "01:00"},
        {"day": "9999-12-01", "start_time": "10:00", "end_time": "11:00", "repeat": "y", "count": "100"},
        {
            "day": "2026-12-02",
            "start_time": "10:00",
            "end_time": "11:00",
            "repeat": "y",
            "ends": "until",
            "until": "9999-12-31",
        },
    ],
)
def test_a_booking_at_the_ends_of_the_calendar_is_refused(app: Flask, world: World, fields) -> None:
    client = signed_in(app, world, "resident")
    before = count(Booking)
    data = {"party_size": "1", "frequency": "weekly", "ends": "count", "interval": "1", **fields}
    page = refused(client.post(f"/facilities/{world.ids['resource']}/book", data=data, headers=EN))
    assert "between 2000 and 2100" in page
    assert count(Booking) == before


@pytest.mark.parametrize("start", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_a_grid_link_at_the_ends_of_the_calendar_opens_the_form_at_today(
    app: Flask, world: World, start: str
) -> None:
    client = signed_in(app, world, "resident")
    response = client.get(f"/facilities/{world.ids['resource']}/book?start={start}")
    assert response.status_code == 200
    assert 'value="2026-11-24"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"day": "9999-12-31", "start_time": "23:00", "end_time": "00:00"},
        {"day": "0001-01-01", "start_time": "00:00", "end_time": "01:00"},
    ],
)
def test_moving_or_joining_the_waitlist_at_the_ends_of_the_calendar_is_refused(
    app: Flask, world: World, fields
) -> None:
    client = signed_in(app, world, "resident")
    refused(client.post(f"/bookings/{world.ids['booking']}/move", data=fields, headers=EN))
    response = client.post(f"/facilities/{world.ids['resource']}/waitlist", data=fields, headers=EN)
    assert response.status_code < 500


def test_a_closure_near_the_year_9999_is_refused(app: Flask, world: World) -> None:
    client = signed_in(app, world, "manager_a")
    data = {
        "target": "",
        "start_day": "9999-12-30",
        "start_time": "00:00",
        "end_day": "9999-12-31",
        "end_time": "00:00",
        "reason_en": "End of days",
    }
    assert "between 2000 and 2100" in refused(client.post("/manage/closures", data=data, headers=EN))


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=0001-01-01", "date_to=0001-01-01"])
def test_the_audit_log_refuses_dates_beyond_its_range(app: Flask, world: World, query: str) -> None:
    client = signed_in(app, world, "admin")
    assert "between 2000 and 2100" in refused(client.get(f"/audit?{query}", headers=EN))


# --- 4. manager numbers ---------------------------------------------------------------------------------


def policy_form(**overrides: str) -> dict[str, str]:
    return {
        "allowed_categories": "resident",
        "min_minutes": "30",
        "max_minutes": "120",
        "min_notice_minutes": "0",
        "max_advance_days": "14",
        "buffer_minutes": "0",
        "max_party_size": "",
        "cancel_deadline_minutes": "0",
        "checkin_opens_minutes": "15",
        "checkin_closes_minutes": "15",
        **overrides,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_minutes", INT4_OVERFLOW),
        ("max_minutes", INT4_OVERFLOW),
        ("min_notice_minutes", str(10**10)),
        ("buffer_minutes", str(10**10)),
        ("cancel_deadline_minutes", str(10**10)),
        ("checkin_opens_minutes", INT4_OVERFLOW),
        ("checkin_closes_minutes", "-1"),
        ("max_party_size", INT4_OVERFLOW),
        ("max_advance_days", HUGE),
    ],
)
def test_booking_rules_have_a_sensible_range(app: Flask, world: World, field: str, value: str) -> None:
    client = signed_in(app, world, "manager_a")
    resource_id = world.ids["resource"]
    policy_before = db.session.scalars(sa.select(Policy).where(Policy.resource_id == resource_id)).one()
    before = getattr(policy_before, field)
    response = client.post(
        f"/manage/facilities/{resource_id}/rules", data=policy_form(**{field: value}), headers=EN
    )
    refused(response)
    db.session.rollback()
    policy = db.session.scalars(sa.select(Policy).where(Policy.resource_id == resource_id)).one()
    assert getattr(policy, field) == before
    # ...and the facility stays bookable.
    resident = signed_in(app, world, "resident")
    assert resident.get(f"/facilities/{resource_id}/book").status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_hours", "1e20"),
        ("max_hours", "nan"),
        ("max_hours", "inf"),
        ("max_hours", "1e-300"),
        ("max_bookings", INT4_OVERFLOW),
        ("max_bookings", HUGE),
    ],
)
def test_quota_limits_have_a_sensible_range(app: Flask, world: World, field: str, value: str) -> None:
    client = signed_in(app, world, "manager_a")
    before = count(Quota)
    data = {
        "category": "",
        "applies_to": "",
        "scope": "user",
        "period": "week",
        "max_bookings": "",
        field: value,
    }
    page = refused(client.post("/manage/quotas", data=data, headers=EN))
    assert "Enter a number" in page
    assert count(Quota) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("capacity", INT4_OVERFLOW), ("slot_minutes", HUGE), ("latitude", "nan"), ("longitude", "inf")],
)
def test_facility_numbers_have_a_sensible_range(app: Flask, world: World, field: str, value: str) -> None:
    client = signed_in(app, world, "manager_a")
    data = {
        "name_zh": "球场",
        "name_en": "Court",
        "kind": "sports_venue",
        "mode": "exclusive",
        "capacity": "1",
        "slot_minutes": "30",
        "timezone": "Asia/Shanghai",
        field: value,
    }
    refused(client.post(f"/manage/facilities/{world.ids['resource']}", data=data, headers=EN))


# --- 5. invisible names, bidi overrides, line breaks ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("\u200b\u200b", "visible character"),
        ("\u3000\u00a0", "required"),
        ("\u202eevil", "direction"),
        ("Li\u2066Na", "direction"),
        ("Li\r\nNa", "one line"),
        ("Li\nNa", "one line"),
    ],
)
def test_a_name_must_be_visible_one_line_text(app: Flask, world: World, name: str, message: str) -> None:
    client = signed_in(app, world, "resident")
    page = refused(client.post("/profile", data={"display_name": name, "locale": "en"}, headers=EN))
    assert message in page


def test_a_facility_renamed_with_a_line_break_is_refused(app: Flask, world: World) -> None:
    client = signed_in(app, world, "manager_a")
    data = {
        "name_zh": "球场",
        "name_en": "Court\r\nBcc: x@example.com",
        "kind": "sports_venue",
        "mode": "exclusive",
        "capacity": "1",
        "slot_minutes": "30",
        "timezone": "Asia/Shanghai",
    }
    assert "one line" in refused(
        client.post(f"/manage/facilities/{world.ids['resource']}", data=data, headers=EN)
    )


def test_a_multi_line_statement_keeps_its_line_breaks(app: Flask, world: World) -> None:
    from booking.text import text_problem

    assert text_problem("First line.\nSecond line.", multiline=True) is None
    assert text_problem("First\x00line", multiline=True) is not None
    assert text_problem("First line.\nSecond line.") is not None


def test_the_facility_service_refuses_hostile_names_whoever_calls_it(world: World) -> None:
    from booking.services import facilities
    from models import Mode, ResourceKind

    draft = facilities.FacilityDraft(
        kind=ResourceKind.LAB,
        mode=Mode.EXCLUSIVE,
        name_zh="实验室\x00",
        name_en="Lab\r\nBcc: x@example.com",
        description_en="First line.\nSecond line.",
    )
    problems = facilities.facility_problems(draft)
    assert set(problems) == {"name_zh", "name_en"}
    assert "control characters" in problems["name_zh"] and "one line" in problems["name_en"]
