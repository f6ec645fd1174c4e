"""One facility's page: what it is, who may book it, its rules and limits in plain words, hours, closures."""

from datetime import UTC, datetime, time

import pytest
from flask.testing import FlaskClient

from models import Category, Mode, QuotaPeriod, QuotaScope, ResourceKind
from tests.factories import make_closure, make_exam_week, make_quota, make_resource, make_university

NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 in Jiaozuo
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


def facility_page(
    client: FlaskClient, resource_id: int, query: str = "", headers: dict[str, str] = EN
) -> str:
    response = client.get(f"/facilities/{resource_id}{query}", headers=headers)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_shows_what_the_facility_is_and_where(client: FlaskClient) -> None:
    hpu = make_university(name_en="Henan Polytechnic University", name_zh="河南理工大学")
    hall = make_resource(
        hpu,
        name_en="Badminton hall",
        name_zh="羽毛球馆",
        description_en="Eight courts with wooden floors.",
        description_zh="八片木地板场地。",
        campus="South campus",
        address="2001 Century Avenue, Jiaozuo",
        tags=("showers",),
    )
    page = facility_page(client, hall.id)
    for text in (
        "Badminton hall",
        "Eight courts with wooden floors.",
        "Henan Polytechnic University",
        "South campus",
        "2001 Century Avenue, Jiaozuo",
        "Sports venue",
        "One booking at a time",
        "Showers",
        "residents, students, and enterprise members",
    ):
        assert text in page, text
    page = facility_page(client, hall.id, headers=ZH)
    assert "羽毛球馆" in page and "八片木地板场地。" in page and "河南理工大学" in page


def test_without_a_photo_shows_a_local_placeholder_with_the_kind(client: FlaskClient) -> None:
    museum = make_resource(kind=ResourceKind.MUSEUM, mode=Mode.SHARED, image_path="https://example.com/x.jpg")
    page = facility_page(client, museum.id)
    assert "facility-placeholder" in page
    assert "example.com" not in page
    assert "<img" not in page


def test_a_photo_under_static_is_shown_from_our_own_server(client: FlaskClient) -> None:
    # Any file that exists under static/ stands in for a photo here.
    court = make_resource(image_path="css/app.css")
    page = facility_page(client, court.id)
    assert '<img class="facility-image rounded" src="/static/css/app.css"' in page
    assert "facility-placeholder" not in page


def test_the_rules_read_as_plain_sentences(client: FlaskClient) -> None:
    court = make_resource(
        policy={
            "min_minutes": 60,
            "max_minutes": 120,
            "min_notice_minutes": 120,
            "max_advance_days": 7,
            "approval_categories": ["student"],
            "buffer_minutes": 15,
            "cancel_deadline_minutes": 120,
            "checkin_required": True,
            "checkin_opens_minutes": 15,
            "checkin_closes_minutes": 10,
        }
    )
    page = facility_page(client, court.id)
    assert "Book 1 hour to 2 hours at a time." in page
    assert "Book from 2 hours to 1 week ahead." in page
    assert "Requests from students need a manager’s approval." in page
    assert "The facility stays free for 15 minutes after each booking" in page
    assert "Cancel up to 2 hours before the start." in page
    assert "Check in from 15 minutes before to 10 minutes after the start" in page


def test_rules_without_approval_or_notice_say_so(client: FlaskClient) -> None:
    court = make_resource(policy={"min_minutes": 90, "max_minutes": None, "min_notice_minutes": 0})
    page = facility_page(client, court.id)
    assert "Book at least 1 hour 30 minutes at a time." in page
    assert "Book up to 1 month ahead." in page
    assert "Bookings are confirmed at once when every rule is met." in page
    assert "Check in" not in page


def test_approval_for_everyone_allowed_is_one_sentence(client: FlaskClient) -> None:
    lab = make_resource(
        kind=ResourceKind.LAB,
        policy={"allowed_categories": ["enterprise"], "approval_categories": ["enterprise", "student"]},
    )
    page = facility_page(client, lab.id)
    assert "Every request needs a manager’s approval." in page
    assert "enterprise members" in page


def test_a_placement_is_an_application_reviewed_by_a_person(client: FlaskClient) -> None:
    base = make_resource(kind=ResourceKind.TRAINING_BASE, mode=Mode.PLACEMENT, capacity=6)
    page = facility_page(client, base.id)
    assert "Apply for a seat; every application is reviewed by a person." in page
    assert "Placement by application" in page
    assert "6 seats" in page


def test_a_shared_facility_explains_its_places(client: FlaskClient) -> None:
    room = make_resource(
        kind=ResourceKind.LIBRARY, mode=Mode.SHARED, capacity=40, policy={"max_party_size": 4}
    )
    page = facility_page(client, room.id)
    assert "Up to 40 people can be here at the same time." in page
    assert "One booking is for at most 4 people." in page


def test_quotas_that_apply_are_explained(client: FlaskClient) -> None:
    hpu = make_university(name_en="Henan Polytechnic University")
    court = make_resource(hpu, kind=ResourceKind.SPORTS_VENUE)
    other = make_resource(hpu)
    make_quota(hpu, category=Category.STUDENT, resource_kind=ResourceKind.SPORTS_VENUE, max_bookings=2)
    make_quota(hpu, resource_id=court.id, max_hours=4, period=QuotaPeriod.DAY)
    make_quota(hpu, scope=QuotaScope.ORGANIZATION, max_bookings=10, period=QuotaPeriod.ACTIVE)
    make_quota(hpu, resource_kind=ResourceKind.LIBRARY, max_bookings=1)  # another kind: not shown
    make_quota(hpu, resource_id=other.id, max_bookings=7)  # another facility: not shown
    page = facility_page(client, court.id)
    assert (
        "Each student: at most 2 bookings a week (Monday to Sunday) across the sports venues of "
        "Henan Polytechnic University." in page
    )
    assert "Each person: at most 4 hours a day at this facility." in page
    assert (
        "Each organization, all its members together: at most 10 bookings at once across all facilities of "
        "Henan Polytechnic University." in page
    )
    assert "at most 1 booking" not in page
    assert "at most 7 bookings" not in page


def test_opening_hours_list_several_intervals_a_day(client: FlaskClient) -> None:
    court = make_resource(
        hours=((0, time(8), time(12)), (0, time(14), time(22)), (5, time(9), time(0, 0))),
    )
    page = facility_page(client, court.id)
    assert "08:00–12:00" in page and "14:00–22:00" in page
    assert "09:00–24:00" in page
    assert page.count(">Closed<") >= 5  # Tuesday to Friday and Sunday


def test_upcoming_closures_are_listed_with_their_reasons(client: FlaskClient) -> None:
    court = make_resource()
    make_exam_week(court, datetime(2026, 12, 1, 0, tzinfo=UTC), datetime(2026, 12, 5, 0, tzinfo=UTC))
    make_closure(court, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 3, 2, tzinfo=UTC), reason="Far away")
    make_closure(
        court,
        datetime(2026, 12, 10, tzinfo=UTC),
        datetime(2026, 12, 11, tzinfo=UTC),
        reason_en="Campus open day",
        resource_id=None,
    )
    page = facility_page(client, court.id)
    assert "Exam week" in page and "Tue, Dec 1, 2026 08:00" in page
    assert "Campus open day" in page
    assert "Far away" not in page
    assert "考试周" in facility_page(client, court.id, headers=ZH)


def test_the_book_button_leads_to_the_booking_form(client: FlaskClient) -> None:
    court = make_resource()
    assert f'href="/facilities/{court.id}/book"' in facility_page(client, court.id)


def test_an_unknown_facility_is_not_found(client: FlaskClient) -> None:
    assert client.get("/facilities/424242").status_code == 404


def test_an_inactive_facility_is_not_found(client: FlaskClient) -> None:
    court = make_resource(active=False)
    assert client.get(f"/facilities/{court.id}").status_code == 404
    assert client.get(f"/facilities/{court.id}?week=bad").status_code == 404
