"""Facility administration: creating and editing facilities, opening hours, booking rules, (de)activation."""

from datetime import time

import pytest
import sqlalchemy as sa

from booking.services import facilities
from models import Category, Mode, OpeningHours, Policy, Resource, ResourceKind, db
from tests.factories import make_admin, make_resource, make_user
from tests.manage.conftest import EN, NOW, events, fresh


def facility_form(**overrides: str) -> dict[str, str]:
    return {
        "name_zh": "羽毛球馆",
        "name_en": "Badminton hall",
        "kind": "sports_venue",
        "mode": "exclusive",
        "capacity": "1",
        "slot_minutes": "30",
        "timezone": "Asia/Shanghai",
        "campus": "South campus",
        "address": "2001 Century Avenue",
        "latitude": "35.19",
        "longitude": "113.27",
        "tags": "Showers, lights, showers",
        "description_zh": "",
        "description_en": "",
        **overrides,
    }


def resource_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Resource))


# --- creating and editing ----------------------------------------------------------------------------


def test_creating_a_facility_starts_it_not_bookable_with_default_rules(client, auth, uni_a, manager_a):
    auth.login(manager_a)
    response = client.post("/manage/facilities/new", data=facility_form(), headers=EN)
    assert response.status_code == 302
    resource = db.session.scalars(sa.select(Resource)).one()
    assert response.headers["Location"] == f"/manage/facilities/{resource.id}/hours"
    assert resource.university_id == uni_a.id
    assert resource.active is False
    assert resource.tag_names == ["lights", "showers"]
    assert (resource.latitude, resource.longitude) == (35.19, 113.27)
    assert resource.policy is not None and resource.hours == []
    [event] = events("facility.created")
    assert (event.target_id, event.university_id, event.actor_id) == (resource.id, uni_a.id, manager_a.id)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"capacity": "0"}, "The capacity is at least 1"),
        ({"capacity": "-3"}, "The capacity is at least 1"),
        ({"capacity": "many"}, "Not a valid integer value."),
        ({"slot_minutes": "3"}, "Time slots are 5 to 1440 minutes long."),
        ({"slot_minutes": "1441"}, "Time slots are 5 to 1440 minutes long."),
        ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone. Use a name like Asia/Shanghai."),
        ({"timezone": "../../etc/passwd"}, "Unknown time zone."),
        ({"name_en": ""}, "Give the facility an English name."),
        ({"latitude": "95"}, "A latitude lies between -90 and 90."),
        ({"kind": "spaceport"}, "Not a valid choice"),
    ],
)
def test_facility_form_errors_show_next_to_the_field_and_create_nothing(
    client, auth, manager_a, overrides, message
):
    auth.login(manager_a)
    response = client.post("/manage/facilities/new", data=facility_form(**overrides), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="invalid-feedback"' in page
    assert resource_count() == 0


def test_editing_a_facility_saves_and_audits_the_changes(client, auth, uni_a, manager_a):
    hall = make_resource(uni_a, name_en="Old name", tags=("projector",))
    auth.login(manager_a)
    page = client.get(f"/manage/facilities/{hall.id}", headers=EN).get_data(as_text=True)
    assert 'value="Old name"' in page and 'value="projector"' in page
    response = client.post(
        f"/manage/facilities/{hall.id}",
        data=facility_form(name_en="Main hall", mode="exclusive", capacity="1", tags="projector, stage"),
    )
    assert response.status_code == 302
    saved = fresh(Resource, hall.id)
    assert saved.name_en == "Main hall"
    assert saved.tag_names == ["projector", "stage"]
    [event] = events("facility.updated")
    assert event.details["changes"]["name_en"] == ["Old name", "Main hall"]
    assert event.university_id == uni_a.id


def test_the_mode_cannot_change_while_bookings_are_ahead(client, auth, uni_a, manager_a):
    from tests.factories import make_booking
    from tests.manage.conftest import at

    court = make_resource(uni_a)
    make_booking(court, make_user(), at(25, 10))
    auth.login(manager_a)
    response = client.post(
        f"/manage/facilities/{court.id}", data=facility_form(mode="shared", capacity="10"), headers=EN
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The mode cannot change while the facility has bookings to come." in page
    assert fresh(Resource, court.id).mode == Mode.EXCLUSIVE


def test_a_manager_creates_only_for_their_own_university(client, auth, uni_a, uni_b, manager_a):
    auth.login(manager_a)
    forged = client.post("/manage/facilities/new", data=facility_form(university_id=str(uni_b.id)))
    assert forged.status_code == 404
    assert client.get(f"/manage/facilities/new?university={uni_b.id}").status_code == 404
    assert resource_count() == 0


def test_an_admin_creates_for_any_university(client, auth, uni_a, uni_b):
    auth.login(make_admin())
    response = client.post("/manage/facilities/new", data=facility_form(university_id=str(uni_b.id)))
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Resource)).one().university_id == uni_b.id


def test_the_list_shows_the_managers_own_facilities(client, auth, uni_a, uni_b, manager_a):
    make_resource(uni_a, name_en="JZU pool")
    make_resource(uni_b, name_en="HPU pool")
    auth.login(manager_a)
    page = client.get("/manage/facilities", headers=EN).get_data(as_text=True)
    assert "JZU pool" in page and "HPU pool" not in page


# --- bookable or not ---------------------------------------------------------------------------------


def test_deactivating_hides_the_facility_from_booking_and_reactivating_brings_it_back(
    client, auth, uni_a, manager_a
):
    court = make_resource(uni_a)
    auth.login(manager_a)
    assert client.post(f"/manage/facilities/{court.id}/deactivate").status_code == 302
    assert fresh(Resource, court.id).active is False
    auth.logout()
    auth.login(make_user())
    assert client.get(f"/facilities/{court.id}/book").status_code == 404
    auth.logout()
    auth.login(manager_a)
    assert client.post(f"/manage/facilities/{court.id}/activate").status_code == 302
    auth.logout()
    auth.login(make_user())
    assert client.get(f"/facilities/{court.id}/book").status_code == 200
    changes = [e.details["changes"]["active"] for e in events("facility.updated")]
    assert changes == [[True, False], [False, True]]


# --- opening hours -----------------------------------------------------------------------------------


def hours_form(**days: str) -> dict[str, str]:
    data = {f"day_{d}": "" for d in range(7)}
    data.update(days)
    return data


def test_opening_hours_take_several_intervals_a_day_and_midnight(client, auth, uni_a, manager_a):
    hall = make_resource(uni_a, hours=())
    auth.login(manager_a)
    response = client.post(
        f"/manage/facilities/{hall.id}/hours",
        data=hours_form(day_0="08:00-12:00, 14:00-22:00", day_5="18:00-00:00", day_6="09:00–17:30"),
    )
    assert response.status_code == 302
    db.session.rollback()
    rows = db.session.execute(
        sa.select(OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes)
        .where(OpeningHours.resource_id == hall.id)
        .order_by(OpeningHours.weekday, OpeningHours.opens)
    ).all()
    assert [tuple(r) for r in rows] == [
        (0, time(8), time(12)),
        (0, time(14), time(22)),
        (5, time(18), time(0)),
        (6, time(9), time(17, 30)),
    ]
    [event] = events("hours.updated")
    assert event.details["after"][0] == "0 08:00-12:00"
    page = client.get(f"/manage/facilities/{hall.id}/hours").get_data(as_text=True)
    assert 'value="08:00-12:00, 14:00-22:00"' in page and 'value="18:00-00:00"' in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12:00-08:00", "Each opening must start before it closes (close at 00:00 for midnight)."),
        ("10:00-10:00", "Each opening must start before it closes"),
        ("08:00-12:00, 11:00-14:00", "The opening hours of a day must not overlap."),
        ("8am to 5pm", "Write the hours like 08:00-12:00, 14:00-22:00."),
        ("25:00-26:00", "Write the hours like 08:00-12:00, 14:00-22:00."),
    ],
)
def test_bad_opening_hours_say_why_next_to_the_day(client, auth, uni_a, manager_a, text, message):
    hall = make_resource(uni_a)
    auth.login(manager_a)
    response = client.post(f"/manage/facilities/{hall.id}/hours", data=hours_form(day_2=text), headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="day_2-error"' in page
    assert len(fresh(Resource, hall.id).hours) == 7  # unchanged


def test_touching_intervals_are_fine(uni_a, manager_a):
    hall = make_resource(uni_a)
    facilities.set_hours(manager_a, hall.id, [(0, time(8), time(12)), (0, time(12), time(14))], now=NOW)
    assert len(fresh(Resource, hall.id).hours) == 2


def test_the_service_refuses_overlapping_hours_too(uni_a, manager_a):
    hall = make_resource(uni_a)
    with pytest.raises(facilities.Invalid) as invalid:
        facilities.set_hours(manager_a, hall.id, [(3, time(8), time(12)), (3, time(9), time(10))], now=NOW)
    assert "day_3" in invalid.value.fields


# --- booking rules -----------------------------------------------------------------------------------


def policy_form(**overrides) -> dict:
    return {
        "allowed_categories": ["resident", "student"],
        "approval_categories": ["resident"],
        "min_minutes": "30",
        "max_minutes": "",
        "min_notice_minutes": "60",
        "max_advance_days": "14",
        "buffer_minutes": "15",
        "max_party_size": "",
        "cancel_deadline_minutes": "120",
        "checkin_required": "y",
        "checkin_opens_minutes": "15",
        "checkin_closes_minutes": "10",
        **overrides,
    }


def test_the_rules_form_saves_every_field_and_an_empty_maximum_means_no_limit(client, auth, uni_a, manager_a):
    hall = make_resource(uni_a)
    auth.login(manager_a)
    assert client.post(f"/manage/facilities/{hall.id}/rules", data=policy_form()).status_code == 302
    db.session.rollback()
    policy = db.session.scalars(sa.select(Policy).where(Policy.resource_id == hall.id)).one()
    assert sorted(policy.allowed_categories) == ["resident", "student"]
    assert policy.approval == frozenset({Category.RESIDENT})
    assert policy.max_minutes is None
    assert (policy.buffer_minutes, policy.checkin_required, policy.checkin_closes_minutes) == (15, True, 10)
    [event] = events("policy.updated")
    assert event.details["changes"]["max_minutes"] == [120, None]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"min_minutes": "120", "max_minutes": "60"},
            "The longest booking cannot be shorter than the shortest.",
        ),
        ({"buffer_minutes": "-5"}, "A changeover lasts 0 to 1440 minutes (one day)."),
        ({"buffer_minutes": "1441"}, "A changeover lasts 0 to 1440 minutes (one day)."),
        ({"min_notice_minutes": "-1"}, "Enter 0 to 527040 minutes (366 days)."),
        ({"cancel_deadline_minutes": "-30"}, "Enter 0 to 527040 minutes (366 days)."),
        ({"cancel_deadline_minutes": "527041"}, "Enter 0 to 527040 minutes (366 days)."),
        ({"checkin_closes_minutes": "1441"}, "Enter 0 to 1440 minutes (one day)."),
        ({"min_minutes": "0"}, "The shortest booking is 1 to 527040 minutes (366 days)."),
        ({"max_advance_days": "0"}, "Bookings open 1 to 3650 days ahead."),
        ({"allowed_categories": []}, "Choose at least one group who may book"),
        ({"approval_categories": ["enterprise"]}, "Approval can only be asked of groups who may book."),
        ({"max_party_size": "0"}, "A group is 1 to 100000 people"),
        ({"max_party_size": "100001"}, "A group is 1 to 100000 people"),
        ({"min_minutes": ""}, "Enter a whole number of minutes."),
    ],
)
def test_bad_rules_say_why_and_change_nothing(client, auth, uni_a, manager_a, overrides, message):
    hall = make_resource(uni_a)
    auth.login(manager_a)
    response = client.post(f"/manage/facilities/{hall.id}/rules", data=policy_form(**overrides), headers=EN)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert events("policy.updated") == []


# --- another university's facility -------------------------------------------------------------------


def test_another_universitys_facility_is_404_on_every_page(client, auth, uni_a, manager_b):
    theirs = make_resource(uni_a, kind=ResourceKind.LAB)
    auth.login(manager_b)
    for url in (
        f"/manage/facilities/{theirs.id}",
        f"/manage/facilities/{theirs.id}/hours",
        f"/manage/facilities/{theirs.id}/rules",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/manage/facilities/{theirs.id}", data=facility_form()).status_code == 404
    assert client.post(f"/manage/facilities/{theirs.id}/hours", data=hours_form()).status_code == 404
    assert client.post(f"/manage/facilities/{theirs.id}/rules", data=policy_form()).status_code == 404
    assert client.post(f"/manage/facilities/{theirs.id}/deactivate").status_code == 404
    assert fresh(Resource, theirs.id).active is True
    assert len(fresh(Resource, theirs.id).hours) == 7
