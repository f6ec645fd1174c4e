"""Managers import closures from their university's academic calendar: upload, preview, confirm; bad files are
refused with a clear message and create nothing."""

import io
import re
import zlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from models import AuditEvent, Closure, db
from tests.calendar.conftest import NOW
from tests.factories import make_admin, make_manager, make_university, make_user

EN = {"Accept-Language": "en"}
ACADEMIC_CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Henan Polytechnic University//Academic calendar 2026-2027//ZH
BEGIN:VEVENT
UID:exam-2027@hpu.edu.cn
DTSTAMP:20260901T000000Z
SUMMARY:期末考试周
DTSTART;VALUE=DATE:20270104
DTEND;VALUE=DATE:20270109
END:VEVENT
BEGIN:VEVENT
UID:winter-2027@hpu.edu.cn
DTSTAMP:20260901T000000Z
SUMMARY:寒假 Winter holiday
DTSTART;VALUE=DATE:20270116
DTEND;VALUE=DATE:20270227
END:VEVENT
BEGIN:VEVENT
UID:sports-2026@hpu.edu.cn
DTSTAMP:20260901T000000Z
SUMMARY:校运会开幕式
DTSTART;TZID=Asia/Shanghai:20261205T080000
DTEND;TZID=Asia/Shanghai:20261205T120000
END:VEVENT
BEGIN:VEVENT
UID:no-start@hpu.edu.cn
DTSTAMP:20260901T000000Z
SUMMARY:待定 (date to be announced)
END:VEVENT
BEGIN:VEVENT
UID:weekly@hpu.edu.cn
DTSTAMP:20260901T000000Z
SUMMARY:每周例会
DTSTART:20260907T010000Z
DTEND:20260907T020000Z
RRULE:FREQ=WEEKLY;COUNT=16
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")


def shanghai_midnight(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC) - timedelta(hours=8)


WEEKLY_MEETINGS = {
    ("每周例会", start, start + timedelta(hours=1))
    for start in (datetime(2026, 9, 7, 1, tzinfo=UTC) + timedelta(weeks=n) for n in range(16))
}
EXPECTED = {
    ("期末考试周", shanghai_midnight(2027, 1, 4), shanghai_midnight(2027, 1, 9)),
    ("寒假 Winter holiday", shanghai_midnight(2027, 1, 16), shanghai_midnight(2027, 2, 27)),
    ("校运会开幕式", datetime(2026, 12, 5, 0, tzinfo=UTC), datetime(2026, 12, 5, 4, tzinfo=UTC)),
} | WEEKLY_MEETINGS


@pytest.fixture
def manager(hpu, auth):
    user = make_manager(hpu)
    auth.login(user)
    return user


def upload(client: FlaskClient, university_id: int, data: bytes, filename: str = "calendar.ics"):
    return client.post(
        "/manage/closures/import",
        data={"university": str(university_id), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        headers=EN,
    )


def plan_of(page: str) -> str:
    return re.search(r'name="plan" type="hidden" value="([^"]+)"', page).group(1)


def includes_of(page: str) -> list[str]:
    return re.findall(r'name="include" value="(\d+)"', page)


def confirm(client: FlaskClient, page: str, include: list[str] | None = None):
    include = includes_of(page) if include is None else include
    return client.post(
        "/manage/closures/import/confirm", data={"plan": plan_of(page), "include": include}, headers=EN
    )


def closures() -> set[tuple[str, datetime, datetime]]:
    db.session.rollback()
    return {(c.reason_zh, c.start_at, c.end_at) for c in db.session.scalars(sa.select(Closure))}


def test_an_academic_calendar_previews_then_creates_its_closures(client: FlaskClient, hpu, manager):
    preview = upload(client, hpu.id, ACADEMIC_CALENDAR.encode())

    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "19 closures will be created." in page  # three single events and 16 weekly meetings
    assert "2027-01-16 – 2027-02-26" in page  # the last day of the holiday, not the exclusive end
    assert "2026-12-05 08:00 – 2026-12-05 12:00" in page
    assert page.count('data-result="new"') == 19 and page.count('data-result="skipped"') == 1
    assert "It has no start." in page
    assert closures() == set()  # a preview writes nothing

    done = confirm(client, page)

    assert done.status_code == 302
    assert closures() == EXPECTED
    created = db.session.scalars(sa.select(Closure)).all()
    assert {(c.university_id, c.resource_id, c.reason_en == c.reason_zh) for c in created} == {
        (hpu.id, None, True)
    }
    assert {c.created_by_id for c in created} == {manager.id}
    audits = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "closure.created")).all()
    assert sorted(a.target_id for a in audits) == sorted(c.id for c in created)
    assert "19 closures created." in client.get(done.headers["Location"], headers=EN).get_data(as_text=True)


def test_importing_the_same_calendar_again_skips_what_exists(client: FlaskClient, hpu, manager):
    confirm(client, upload(client, hpu.id, ACADEMIC_CALENDAR.encode()).get_data(as_text=True))
    again = upload(client, hpu.id, ACADEMIC_CALENDAR.encode()).get_data(as_text=True)
    assert "0 closures will be created." in again
    assert again.count('data-result="duplicate"') == 19
    assert len(closures()) == 19


def test_a_preview_confirmed_twice_creates_each_closure_once(client: FlaskClient, hpu, manager):
    page = upload(client, hpu.id, ACADEMIC_CALENDAR.encode()).get_data(as_text=True)
    confirm(client, page)
    second = confirm(client, page)
    assert "0 closures created. 19 already existed and were skipped." in client.get(
        second.headers["Location"], headers=EN
    ).get_data(as_text=True)
    assert len(closures()) == 19


def test_only_the_ticked_closures_are_created(client: FlaskClient, hpu, manager):
    page = upload(client, hpu.id, ACADEMIC_CALENDAR.encode()).get_data(as_text=True)
    confirm(client, page, include=["0"])
    assert len(closures()) == 1


def many_events(n: int) -> bytes:
    event = (
        "BEGIN:VEVENT\r\nUID:{i}@x\r\nDTSTAMP:20260901T000000Z\r\nSUMMARY:Day {i}\r\n"
        "DTSTART;VALUE=DATE:20270101\r\nEND:VEVENT\r\n"
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n"
        + "".join(event.format(i=i) for i in range(n))
        + "END:VCALENDAR\r\n"
    ).encode()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
TOO_LARGE = ACADEMIC_CALENDAR.encode().replace(
    b"END:VCALENDAR", b"X-PADDING:" + b"a" * 1_100_000 + b"\r\nEND:VCALENDAR"
)


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (
            b"BEGIN:VCALENDAR\r\nthis line has no colon\r\nEND:VCALENDAR\r\n",
            422,
            "The calendar file could not be read: it is damaged or not valid iCalendar.",
        ),
        (zlib.compress(ACADEMIC_CALENDAR.encode() * 3), 422, "This is not an iCalendar (.ics) file."),
        (PNG, 422, "This is not an iCalendar (.ics) file."),
        (
            "Subject: 寒假通知\r\n\r\n寒假从1月16日开始。".encode(),
            422,
            "This is not an iCalendar (.ics) file.",
        ),
        (many_events(1001), 422, "The calendar has more than 1000 events."),
        (TOO_LARGE, 413, "The file is larger than 1 MB."),
        (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nEND:VCALENDAR\r\n",
            422,
            "The calendar contains no events.",
        ),
    ],
    ids=["malformed", "compressed-bytes", "png", "plain-text", "1001-events", "1.1-MB", "no-events"],
)
def test_bad_files_are_refused_with_a_clear_message_and_create_nothing(
    client: FlaskClient, hpu, manager, data, status, message
):
    response = upload(client, hpu.id, data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert closures() == set()


def test_a_file_just_under_the_limits_is_read(client: FlaskClient, hpu, manager):
    response = upload(client, hpu.id, many_events(1000))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1000 closures will be created." in page
    assert confirm(client, page).status_code == 302
    assert len(closures()) == 1000


def test_a_file_is_required(client: FlaskClient, hpu, manager):
    response = client.post("/manage/closures/import", data={"university": str(hpu.id)}, headers=EN)
    assert response.status_code == 422
    assert "Choose an .ics file." in response.get_data(as_text=True)


def test_a_manager_of_another_university_cannot_import_for_this_one(client: FlaskClient, hpu, auth):
    auth.login(make_manager(make_university()))
    assert upload(client, hpu.id, ACADEMIC_CALENDAR.encode()).status_code == 404
    assert closures() == set()


def test_a_preview_cannot_be_confirmed_by_someone_else(client: FlaskClient, hpu, manager, auth):
    page = upload(client, hpu.id, ACADEMIC_CALENDAR.encode()).get_data(as_text=True)
    auth.logout()
    auth.login(make_manager(hpu))  # even a colleague: the preview was made for its uploader
    assert confirm(client, page).status_code == 404
    assert closures() == set()


def test_a_tampered_preview_is_refused(client: FlaskClient, hpu, manager):
    page = upload(client, hpu.id, ACADEMIC_CALENDAR.encode()).get_data(as_text=True)
    plan = plan_of(page)
    forged = plan[:-3] + ("AAA" if not plan.endswith("AAA") else "BBB")
    response = client.post("/manage/closures/import/confirm", data={"plan": forged, "include": ["0"]})
    assert response.status_code == 400
    assert closures() == set()


def test_an_hour_old_preview_must_be_uploaded_again(client: FlaskClient, hpu, manager, frozen_clock):
    page = upload(client, hpu.id, ACADEMIC_CALENDAR.encode()).get_data(as_text=True)
    frozen_clock.move_to(NOW + timedelta(hours=1, minutes=1))
    response = confirm(client, page)
    assert response.status_code == 302
    assert "Please upload the file again." in client.get(response.headers["Location"], headers=EN).get_data(
        as_text=True
    )
    assert closures() == set()


def test_people_who_manage_nothing_do_not_see_the_import(client: FlaskClient, hpu, auth):
    auth.login(make_user())
    assert client.get("/manage/closures/import").status_code == 403
    assert upload(client, hpu.id, ACADEMIC_CALENDAR.encode()).status_code == 403


def test_an_admin_may_import_for_any_university(client: FlaskClient, hpu, auth):
    other = make_university(name_en="Jiaozuo University")
    auth.login(make_admin())
    form = client.get("/manage/closures/import", headers=EN).get_data(as_text=True)
    assert "Henan Polytechnic University" in form and "Jiaozuo University" in form
    page = upload(client, other.id, ACADEMIC_CALENDAR.encode()).get_data(as_text=True)
    confirm(client, page)
    assert {c.university_id for c in db.session.scalars(sa.select(Closure))} == {other.id}


def test_the_upload_and_the_confirmation_check_the_form_token(session_app, database_url, hpu):
    from tests.conftest import make_app

    manager = make_manager(hpu)
    strict = make_app(database_url, WTF_CSRF_ENABLED=True)
    with strict.test_client() as client:
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        client.post(
            "/login", data={"email": manager.email, "password": "correct horse 42", "csrf_token": token}
        )
        data = {"university": str(hpu.id), "file": (io.BytesIO(ACADEMIC_CALENDAR.encode()), "calendar.ics")}
        assert client.post("/manage/closures/import", data=data).status_code == 422
        form = client.get("/manage/closures/import").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        data = {
            "university": str(hpu.id),
            "csrf_token": token,
            "file": (io.BytesIO(ACADEMIC_CALENDAR.encode()), "calendar.ics"),
        }
        preview = client.post("/manage/closures/import", data=data)
        assert preview.status_code == 200
        page = preview.get_data(as_text=True)
        forged = {"plan": plan_of(page), "include": includes_of(page)}
        assert client.post("/manage/closures/import/confirm", data=forged).status_code == 400
        assert closures() == set()
        assert (
            client.post("/manage/closures/import/confirm", data={**forged, "csrf_token": token}).status_code
            == 302
        )
    assert len(closures()) == 19


# --- repeating events -------------------------------------------------------------------------------------


def calendar_of(*events: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"
    ).encode()


def vevent(*lines: str) -> str:
    return (
        "BEGIN:VEVENT\r\nDTSTAMP:20260901T000000Z\r\n"
        + "".join(f"{line}\r\n" for line in lines)
        + "END:VEVENT\r\n"
    )


SEMINARS = vevent(
    "UID:seminar@hpu.edu.cn",
    "SUMMARY:学术报告",
    "DTSTART;TZID=Asia/Shanghai:20260907T090000",
    "DTEND;TZID=Asia/Shanghai:20260907T100000",
    "RRULE:FREQ=WEEKLY;COUNT=5",
    "EXDATE;TZID=Asia/Shanghai:20260914T090000",
)
MOVED = vevent(
    "UID:seminar@hpu.edu.cn",
    "RECURRENCE-ID;TZID=Asia/Shanghai:20260921T090000",
    "SUMMARY:学术报告 (改期)",
    "DTSTART;TZID=Asia/Shanghai:20260922T140000",
    "DTEND;TZID=Asia/Shanghai:20260922T160000",
)
CALLED_OFF = vevent(
    "UID:seminar@hpu.edu.cn",
    "RECURRENCE-ID;TZID=Asia/Shanghai:20260928T090000",
    "STATUS:CANCELLED",
    "SUMMARY:学术报告",
    "DTSTART;TZID=Asia/Shanghai:20260928T090000",
    "DTEND;TZID=Asia/Shanghai:20260928T100000",
)


def shanghai(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC) - timedelta(hours=8)


def test_a_repeating_event_closes_each_of_its_dates_with_its_exceptions_and_changes(
    client: FlaskClient, hpu, manager
):
    page = upload(client, hpu.id, calendar_of(SEMINARS, MOVED, CALLED_OFF)).get_data(as_text=True)

    assert "3 closures will be created." in page
    assert "It is marked as cancelled." in page  # 28 September
    confirm(client, page)
    assert closures() == {
        ("学术报告", shanghai(9, 7, 9), shanghai(9, 7, 10)),  # 14 September is an exception (EXDATE)
        ("学术报告 (改期)", shanghai(9, 22, 14), shanghai(9, 22, 16)),  # moved from the 21st
        ("学术报告", shanghai(10, 5, 9), shanghai(10, 5, 10)),
    }


def test_a_changed_date_of_a_series_missing_from_the_file_is_not_imported_alone(
    client: FlaskClient, hpu, manager
):
    page = upload(client, hpu.id, calendar_of(MOVED, ACADEMIC_CALENDAR_EXAM)).get_data(as_text=True)

    assert "1 closure will be created." in page
    assert "It changes one date of a repeating event that is not in the file." in page
    confirm(client, page)
    assert {reason for reason, _start, _end in closures()} == {"期末考试周"}


ACADEMIC_CALENDAR_EXAM = vevent(
    "UID:exam-2027@hpu.edu.cn",
    "SUMMARY:期末考试周",
    "DTSTART;VALUE=DATE:20270104",
    "DTEND;VALUE=DATE:20270109",
)


def test_an_endless_repeating_event_is_refused_with_a_clear_message_and_creates_nothing(
    client: FlaskClient, hpu, manager
):
    daily = vevent("UID:daily@x", "SUMMARY:Every day", "DTSTART;VALUE=DATE:20260907", "RRULE:FREQ=DAILY")

    response = upload(client, hpu.id, calendar_of(daily))

    assert response.status_code == 422
    assert "with every date of its repeating events, are more than 1000" in response.get_data(as_text=True)
    assert closures() == set()


def test_an_event_repeating_every_minute_is_skipped_without_expanding_it(client: FlaskClient, hpu, manager):
    minutely = vevent(
        "UID:m@x", "SUMMARY:Tick", "DTSTART:20260907T010000Z", "DTEND:20260907T010100Z", "RRULE:FREQ=MINUTELY"
    )

    page = upload(client, hpu.id, calendar_of(minutely, ACADEMIC_CALENDAR_EXAM)).get_data(as_text=True)

    assert "1 closure will be created." in page
    assert "It repeats more often than every hour." in page


def test_an_unreadable_repeat_rule_is_skipped_with_a_clear_reason(client: FlaskClient, hpu, manager):
    broken = vevent(
        "UID:b@x", "SUMMARY:Broken", "DTSTART;VALUE=DATE:20260907", "RRULE:FREQ=WEEKLY;BYDAY=XX;COUNT=3"
    )

    page = upload(client, hpu.id, calendar_of(broken, ACADEMIC_CALENDAR_EXAM)).get_data(as_text=True)

    assert "1 closure will be created." in page
    assert "Its repeat rule could not be read." in page
