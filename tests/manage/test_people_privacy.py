"""Personal data: a manager of university A finds and sees only the people they may act for.

A's scope: A's students, A's managers, and whoever holds, held or waits for a booking at A's facilities.
Anyone else (no admin, no other university's manager) only by their exact email address or phone number,
and only once identified that way. Where the task does not need it, an email address is shown masked.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking.services import audit, organizations
from models import Booking, BookingStatus, Category, db
from tests.factories import (
    make_admin,
    make_booking,
    make_enterprise,
    make_resource,
    make_user,
    make_waitlist_entry,
)
from tests.manage.conftest import EN, NOW, at, booking_form

IN_SCOPE = ("Ada Astudent", "Rex Resident", "Wanda Waiting", "Colin Colleague")
OUT_OF_SCOPE = (
    "Bea Bstudent",
    "Zhao Manager",
    "Ivy Admin",
    "Otto Outsider",
    "Enzo Enterprise",
    "Bo Bbooker",
)


@pytest.fixture
def city(uni_a, uni_b, manager_a, manager_b):
    """Everyone the city has, each with an address at the shared domain demo.jz and a phone number."""
    court_a, court_b = make_resource(uni_a), make_resource(uni_b)

    def person(name: str, category: Category = Category.RESIDENT, **fields):
        local = name.lower().replace(" ", ".")
        return make_user(category, display_name=name, email=f"{local}@demo.jz", **fields)

    people = {
        "manager_a": manager_a,
        "manager_b": manager_b,
        "student_a": person("Ada Astudent", Category.STUDENT, organization_id=uni_a.id),
        "booked_at_a": person("Rex Resident", phone="13800000001"),
        "waiting_at_a": person("Wanda Waiting"),
        "colleague": person("Colin Colleague", manages_id=uni_a.id),
        "student_b": person("Bea Bstudent", Category.STUDENT, organization_id=uni_b.id),
        "admin": make_admin(display_name="Ivy Admin", email="ivy.admin@demo.jz"),
        "outsider": person("Otto Outsider", phone="13800000002"),
        "enterprise": person("Enzo Enterprise", Category.ENTERPRISE, organization_id=make_enterprise().id),
        "booked_at_b": person("Bo Bbooker"),
    }
    make_booking(court_a, people["booked_at_a"], at(25, 10), status=BookingStatus.CANCELLED)
    make_booking(court_b, people["booked_at_b"], at(25, 10))
    make_waitlist_entry(court_a, people["waiting_at_a"], at(25, 11), at(25, 12), created_at=NOW)
    return people


def page(client, url: str) -> str:
    response = client.get(url, headers=EN)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def shown(text: str) -> set[str]:
    return {name for name in IN_SCOPE + OUT_OF_SCOPE if name in text}


# --- booking on someone's behalf: the search -----------------------------------------------------


def test_searching_the_shared_domain_lists_only_people_of_the_managers_university(client, auth, city):
    auth.login(city["manager_a"])
    assert shown(page(client, "/manage/book?q=demo.jz")) == set(IN_SCOPE)
    assert shown(page(client, "/manage/book?q=a")) <= set(IN_SCOPE)


def test_search_results_show_masked_email_addresses(client, auth, city):
    auth.login(city["manager_a"])
    text = page(client, "/manage/book?q=Ada")
    assert "Ada Astudent" in text and "ada.astudent@demo.jz" not in text
    assert "a***@demo.jz" in text


def test_people_outside_the_scope_are_found_only_by_their_exact_email_or_phone(client, auth, city):
    auth.login(city["manager_a"])
    assert "Otto Outsider" not in page(client, "/manage/book?q=otto.outsider@demo")
    assert "Nobody found" in page(client, "/manage/book?q=Otto Outsider")
    assert shown(page(client, "/manage/book?q=OTTO.Outsider@demo.jz")) == {"Otto Outsider"}
    assert shown(page(client, "/manage/book?q=13800000002")) == {"Otto Outsider"}
    assert shown(page(client, "/manage/book?q=enzo.enterprise@demo.jz")) == {"Enzo Enterprise"}


@pytest.mark.parametrize("who", ["admin", "manager_b"])
def test_administrators_and_other_universities_managers_are_never_found(client, auth, city, who):
    auth.login(city["manager_a"])
    text = page(client, f"/manage/book?q={city[who].email}")
    assert shown(text) == set() and "Nobody found" in text


def test_the_admin_finds_anyone(client, auth, city):
    auth.login(city["admin"])
    assert shown(page(client, "/manage/book?q=demo.jz")) >= {"Bea Bstudent", "Otto Outsider", "Ada Astudent"}


# --- booking on someone's behalf: choosing by id -----------------------------------------------------


@pytest.mark.parametrize("who", ["student_b", "manager_b", "admin", "outsider", "enterprise", "booked_at_b"])
def test_choosing_someone_outside_the_scope_by_id_is_404(client, auth, uni_a, city, who):
    court = make_resource(uni_a)
    auth.login(city["manager_a"])
    assert client.get(f"/manage/book?user={city[who].id}").status_code == 404
    data = booking_form(city[who], court, reason="Phoned the office")
    assert client.post("/manage/book", data=data).status_code == 404
    db.session.rollback()
    assert db.session.scalar(sa.select(Booking.id).where(Booking.resource_id == court.id)) is None


@pytest.mark.parametrize("who", ["student_a", "booked_at_a", "waiting_at_a", "colleague"])
def test_choosing_someone_in_the_scope_by_id_shows_their_masked_address(client, auth, city, who):
    auth.login(city["manager_a"])
    text = page(client, f"/manage/book?user={city[who].id}")
    assert city[who].display_name in text and city[who].email not in text


def test_a_person_identified_by_exact_email_can_then_be_chosen_and_booked_for(client, auth, uni_a, city):
    court = make_resource(uni_a)
    outsider = city["outsider"]
    auth.login(city["manager_a"])
    page(client, f"/manage/book?q={outsider.email}")
    assert "Otto Outsider" in page(client, f"/manage/book?user={outsider.id}")
    data = booking_form(outsider, court, reason="Phoned the office")
    assert client.post("/manage/book", data=data).status_code == 302
    # The identification is this manager's: another one signing in on the same browser does not inherit it.
    auth.logout()
    auth.login(city["manager_b"])
    assert client.get(f"/manage/book?user={outsider.id}").status_code == 404


# --- the other people searches ---------------------------------------------------------------------


def test_the_student_queue_lists_only_the_managers_own_students(client, auth, city):
    auth.login(city["manager_a"])
    assert shown(page(client, "/manage/people/students?status=all&q=demo.jz")) == {"Ada Astudent"}


def test_the_suspension_list_shows_only_people_with_no_shows_here_and_masks_their_address(
    client, auth, uni_a, uni_b, city
):
    for key, university in (("booked_at_a", uni_a), ("booked_at_b", uni_b)):
        person = city[key]
        make_booking(make_resource(university), person, NOW - timedelta(days=2), status=BookingStatus.NO_SHOW)
        person.suspended_until = NOW + timedelta(days=20)
    db.session.commit()
    auth.login(city["manager_a"])
    text = page(client, "/manage/suspensions")
    assert shown(text) == {"Rex Resident"}
    assert "rex.resident@demo.jz" not in text and "r***@demo.jz" in text


def test_the_audit_log_names_no_one_outside_the_scope(client, auth, uni_a, city):
    organizations.update_university(
        city["admin"], uni_a.id, name_zh="焦作大学", name_en="Jiaozuo Univ.", code="JZU", now=NOW
    )
    for key in ("student_a", "student_b"):
        audit.record(
            "account.profile_updated",
            "user",
            city[key].id,
            actor_id=city[key].id,
            university_id=uni_a.id,
            at=NOW,
        )
    db.session.commit()
    auth.login(city["manager_a"])
    everything = page(client, "/audit")
    assert shown(everything) == {"Ada Astudent"}
    assert "ivy.admin@demo.jz" not in everything and "ada.astudent@demo.jz" not in everything
    for search in ("Ivy", "ivy.admin@demo.jz", "Bea", "demo.jz"):
        assert shown(page(client, f"/audit?person={search}")) <= {"Ada Astudent"}, search
    assert "City office" in everything


def test_the_admin_reads_the_audit_log_in_full(client, auth, uni_a, city):
    organizations.update_university(
        city["admin"], uni_a.id, name_zh="焦作大学", name_en="Jiaozuo Univ.", code="JZU", now=NOW
    )
    auth.login(city["admin"])
    assert "ivy.admin@demo.jz" in page(client, "/audit?person=Ivy")


def test_a_phone_number_typed_with_spaces_identifies_its_owner(client, auth, city):
    auth.login(city["manager_a"])
    assert shown(page(client, "/manage/book?q=138 0000 0002")) == {"Otto Outsider"}


def test_an_identified_person_who_gains_rights_elsewhere_can_no_longer_be_chosen(client, auth, uni_b, city):
    outsider = city["outsider"]
    auth.login(city["manager_a"])
    page(client, f"/manage/book?q={outsider.email}")
    outsider.manages_id = uni_b.id
    db.session.commit()
    assert client.get(f"/manage/book?user={outsider.id}").status_code == 404
