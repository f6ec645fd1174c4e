"""Verifying students (their university's managers) and enterprises (the city office), at once."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from booking.services import bookings, verification
from booking.services.errors import Refused
from models import AuditEvent, Category, Notification, Organization, ResourceKind, User, Verification, db
from tests.factories import (
    local,
    make_admin,
    make_enterprise,
    make_manager,
    make_resource,
    make_university,
    make_user,
)

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def fresh(model, id_: int):
    db.session.rollback()
    return db.session.get(model, id_)


def pending_student(university: Organization, **fields) -> User:
    return make_user(
        Category.STUDENT,
        organization_id=university.id,
        verification=fields.pop("verification", Verification.PENDING),
        student_number=fields.pop("student_number", "2026001"),
        **fields,
    )


def events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def kinds_for(user: User) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)))


# --- students ----------------------------------------------------------------------------------------


def test_a_manager_sees_and_verifies_their_universitys_pending_students(
    app: Flask, client: FlaskClient, auth
) -> None:
    university = make_university()
    manager = make_manager(university)
    student = pending_student(university, display_name="张伟")
    auth.login(manager)

    page = client.get("/manage/people/students").get_data(as_text=True)
    assert "张伟" in page and "2026001" in page
    assert client.post(f"/manage/people/students/{student.id}/verify").status_code == 302

    verified = fresh(User, student.id)
    assert verified.verification == Verification.VERIFIED
    assert verified.effective_category == Category.STUDENT
    (event,) = events("account.verified")
    assert (event.actor_id, event.university_id, event.target_id) == (manager.id, university.id, student.id)
    assert kinds_for(student) == ["account_verified"]
    assert f'id="student-{student.id}"' not in client.get("/manage/people/students").get_data(as_text=True)


def test_rejecting_a_student_needs_a_reason_that_the_student_reads(
    app: Flask, client: FlaskClient, auth
) -> None:
    university = make_university()
    student = pending_student(university, locale="en")
    auth.login(make_manager(university))

    client.post(f"/manage/people/students/{student.id}/reject", data={"reason": "  "})
    assert fresh(User, student.id).verification == Verification.PENDING

    client.post(f"/manage/people/students/{student.id}/reject", data={"reason": "No such student number"})
    assert fresh(User, student.id).verification == Verification.REJECTED
    assert events("account.rejected")[0].details["reason"] == "No such student number"
    auth.logout()
    auth.login(student)
    assert "No such student number" in client.get("/notifications").get_data(as_text=True)


def test_a_manager_of_another_university_gets_not_found(app: Flask, client: FlaskClient, auth) -> None:
    university_a, university_b = make_university(), make_university()
    student = pending_student(university_a, display_name="Student of A")
    auth.login(make_manager(university_b))

    assert "Student of A" not in client.get("/manage/people/students?status=all").get_data(as_text=True)
    assert client.post(f"/manage/people/students/{student.id}/verify").status_code == 404
    assert (
        client.post(f"/manage/people/students/{student.id}/reject", data={"reason": "x"}).status_code == 404
    )
    assert client.post(f"/manage/people/students/{student.id}/reject", data={}).status_code == 404
    assert fresh(User, student.id).verification == Verification.PENDING
    assert events("account.verified") == [] and events("account.rejected") == []


def test_the_student_list_searches_and_filters(app: Flask, client: FlaskClient, auth) -> None:
    university = make_university()
    pending_student(university, display_name="Wang Fang", student_number="S-100")
    pending_student(university, display_name="Zhao Lei", student_number="S-200")
    pending_student(university, display_name="Verified Vera", verification=Verification.VERIFIED)
    auth.login(make_manager(university))
    page = client.get("/manage/people/students?q=s-2").get_data(as_text=True)
    assert "Zhao Lei" in page and "Wang Fang" not in page
    assert "Verified Vera" not in client.get("/manage/people/students").get_data(as_text=True)
    assert "Verified Vera" in client.get("/manage/people/students?status=verified").get_data(as_text=True)
    # LIKE wildcards are taken literally.
    assert "Wang Fang" not in client.get("/manage/people/students?q=%25").get_data(as_text=True)


@pytest.mark.parametrize("who", ["resident", "admin"])
def test_people_pages_are_for_managers(app: Flask, client: FlaskClient, auth, who: str) -> None:
    student = pending_student(make_university())
    auth.login(make_admin() if who == "admin" else make_user())
    assert client.get("/manage/people/students").status_code == 403
    assert client.post(f"/manage/people/students/{student.id}/verify").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(app: Flask, client: FlaskClient) -> None:
    response = client.get("/manage/people/students")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- enterprises -------------------------------------------------------------------------------------


def enterprise_with_members(**fields) -> tuple[Organization, User, User]:
    company = make_enterprise(
        verified=False, name_en="Jiaozuo Gear Works", code="91410800MA44GEAR1X", **fields
    )
    first = make_user(Category.ENTERPRISE, organization_id=company.id, verification=Verification.PENDING)
    second = make_user(Category.ENTERPRISE, organization_id=company.id, verification=Verification.PENDING)
    return company, first, second


def test_the_admin_sees_pending_enterprises_with_credit_code_and_members(
    app: Flask, client: FlaskClient, auth
) -> None:
    company, first, _second = enterprise_with_members()
    make_enterprise(verified=True, name_en="Already verified Ltd")
    auth.login(make_admin(locale="en"))
    listing = client.get("/admin/enterprises").get_data(as_text=True)
    assert "Jiaozuo Gear Works" in listing and "91410800MA44GEAR1X" in listing
    assert "Already verified Ltd" not in listing
    detail = client.get(f"/admin/enterprises/{company.id}").get_data(as_text=True)
    assert "91410800MA44GEAR1X" in detail and first.email in detail


def test_verifying_an_enterprise_verifies_its_waiting_members(app: Flask, client: FlaskClient, auth) -> None:
    company, first, second = enterprise_with_members()
    admin = make_admin()
    auth.login(admin)
    assert client.post(f"/admin/enterprises/{company.id}/verify").status_code == 302
    assert fresh(Organization, company.id).verified_at is not None
    assert {fresh(User, u.id).verification for u in (first, second)} == {Verification.VERIFIED}
    assert fresh(User, first.id).effective_category == Category.ENTERPRISE
    (event,) = events("organization.verified")
    assert event.actor_id == admin.id and sorted(event.details["members"]) == sorted([first.id, second.id])
    assert kinds_for(first) == ["account_verified"] and kinds_for(second) == ["account_verified"]


def test_rejecting_an_enterprise_rejects_its_members(app: Flask, client: FlaskClient, auth) -> None:
    company, first, second = enterprise_with_members()
    auth.login(make_admin())
    assert client.post(f"/admin/enterprises/{company.id}/reject", data={"reason": ""}).status_code == 422
    assert (
        client.post(
            f"/admin/enterprises/{company.id}/reject",
            data={"reason": "Credit code belongs to another company"},
        ).status_code
        == 302
    )
    assert fresh(Organization, company.id).verified_at is None
    assert {fresh(User, u.id).verification for u in (first, second)} == {Verification.REJECTED}
    assert events("organization.rejected")[0].details["reason"] == "Credit code belongs to another company"
    assert kinds_for(first) == ["account_rejected"]


@pytest.mark.parametrize("who", ["manager", "resident", "enterprise"])
def test_enterprise_verification_is_for_the_city_office_only(
    app: Flask, client: FlaskClient, auth, who
) -> None:
    company, member, _ = enterprise_with_members()
    user = {
        "manager": lambda: make_manager(make_university()),
        "resident": make_user,
        "enterprise": lambda: member,
    }[who]()
    auth.login(user)
    assert client.get("/admin/enterprises").status_code == 403
    assert client.get(f"/admin/enterprises/{company.id}").status_code == 403
    assert client.post(f"/admin/enterprises/{company.id}/verify").status_code == 403
    assert fresh(Organization, company.id).verified_at is None
    with pytest.raises(verification.NotAllowed):
        verification.verify_enterprise(fresh(User, user.id), company.id, now=NOW)


def test_verification_changes_what_a_member_may_book_at_once(app: Flask) -> None:
    lab = make_resource(kind=ResourceKind.LAB, policy={"allowed_categories": ["enterprise"]})
    company, member, _ = enterprise_with_members()
    with pytest.raises(Refused) as refused:
        bookings.request_booking(member, lab.id, local(25, 10), local(25, 11), now=NOW)
    assert "category_not_allowed" in refused.value.codes

    verification.verify_enterprise(make_admin(), company.id, now=NOW)
    booking = bookings.request_booking(fresh(User, member.id), lab.id, local(25, 10), local(25, 11), now=NOW)
    assert booking.id is not None

    verification.reject_enterprise(make_admin(), company.id, reason="Licence revoked", now=NOW)
    with pytest.raises(Refused):
        bookings.request_booking(fresh(User, member.id), lab.id, local(26, 10), local(26, 11), now=NOW)


def test_a_verified_student_may_book_a_student_only_facility(app: Flask) -> None:
    university = make_university()
    room = make_resource(university, kind=ResourceKind.LIBRARY, policy={"allowed_categories": ["student"]})
    student = pending_student(university)
    with pytest.raises(Refused):
        bookings.request_booking(student, room.id, local(25, 10), local(25, 11), now=NOW)
    verification.verify_student(make_manager(university), student.id, now=NOW)
    assert bookings.request_booking(fresh(User, student.id), room.id, local(25, 10), local(25, 11), now=NOW)
