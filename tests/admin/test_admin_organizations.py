"""The city office manages universities and managers; nobody else reaches /admin."""

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from models import AuditEvent, Organization, OrganizationKind, User, db
from tests.factories import make_admin, make_enterprise, make_manager, make_university, make_user


def fresh(model, id_: int):
    db.session.rollback()
    return db.session.get(model, id_)


def events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def admin(auth) -> User:
    user = make_admin(locale="en")
    auth.login(user)
    return user


def test_the_admin_adds_a_university(app: Flask, client: FlaskClient, admin: User) -> None:
    response = client.post(
        "/admin/universities/new",
        data={"name_zh": "焦作大学", "name_en": "Jiaozuo University", "code": "jzu"},
    )
    assert response.status_code == 302
    university = db.session.scalar(sa.select(Organization).where(Organization.code == "JZU"))
    assert university.kind == OrganizationKind.UNIVERSITY and university.name_zh == "焦作大学"
    (event,) = events("university.created")
    assert event.actor_id == admin.id and event.university_id == university.id
    assert "Jiaozuo University" in client.get("/admin/universities").get_data(as_text=True)


def test_a_university_code_must_be_unique_and_names_present(
    app: Flask, client: FlaskClient, admin: User
) -> None:
    make_university(code="HPU")
    make_enterprise(code="91410800MA44TAKEN1")
    data = {"name_zh": "河南理工大学", "name_en": "Henan Polytechnic University", "code": "hpu"}
    page = client.post("/admin/universities/new", data=data)
    assert page.status_code == 422 and "already uses this code" in page.get_data(as_text=True)
    assert (
        client.post("/admin/universities/new", data=data | {"code": "91410800ma44taken1"}).status_code == 422
    )
    assert (
        client.post("/admin/universities/new", data=data | {"code": "NEW", "name_en": ""}).status_code == 422
    )
    assert events("university.created") == []


def test_the_admin_edits_a_universitys_names_and_code(app: Flask, client: FlaskClient, admin: User) -> None:
    university = make_university(code="OLD", name_en="Old name")
    form = client.get(f"/admin/universities/{university.id}/edit").get_data(as_text=True)
    assert 'value="Old name"' in form
    response = client.post(
        f"/admin/universities/{university.id}/edit",
        data={"name_zh": "焦作师范高等专科学校", "name_en": "Jiaozuo Normal College", "code": "JZNC"},
    )
    assert response.status_code == 302
    edited = fresh(Organization, university.id)
    assert (edited.name_en, edited.code) == ("Jiaozuo Normal College", "JZNC")
    (event,) = events("university.updated")
    assert event.details["changes"]["code"] == ["OLD", "JZNC"]
    assert client.get(f"/admin/universities/{make_enterprise().id}/edit").status_code == 404


def test_the_admin_grants_and_revokes_manager_rights(app: Flask, client: FlaskClient, admin: User) -> None:
    university = make_university(name_en="Huanghe Jiaotong University")
    person = make_user(email="staff@example.com", display_name="Staff member")
    response = client.post(
        "/admin/managers", data={"email": "  STAFF@example.com ", "university_id": university.id}
    )
    assert response.status_code == 302
    assert fresh(User, person.id).manages_id == university.id
    page = client.get("/admin/managers").get_data(as_text=True)
    assert "Staff member" in page and "Huanghe Jiaotong University" in page
    (granted,) = events("manager.granted")
    assert (granted.actor_id, granted.university_id, granted.target_id) == (
        admin.id,
        university.id,
        person.id,
    )

    assert client.post(f"/admin/managers/{person.id}/revoke").status_code == 302
    assert fresh(User, person.id).manages_id is None
    (revoked,) = events("manager.revoked")
    assert revoked.university_id == university.id
    assert client.post(f"/admin/managers/{person.id}/revoke").status_code == 404


def test_granting_needs_an_existing_account_with_no_other_university(
    app: Flask, client: FlaskClient, admin: User
) -> None:
    first, second = make_university(), make_university()
    manager = make_manager(first, email="busy@example.com")
    unknown = client.post("/admin/managers", data={"email": "nobody@example.com", "university_id": first.id})
    assert unknown.status_code == 422 and "must register first" in unknown.get_data(as_text=True)
    busy = client.post("/admin/managers", data={"email": "busy@example.com", "university_id": second.id})
    assert busy.status_code == 422
    assert fresh(User, manager.id).manages_id == first.id
    assert events("manager.granted") == []


@pytest.mark.parametrize("who", ["anonymous", "resident", "manager"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/"),
        ("get", "/admin/universities"),
        ("get", "/admin/universities/new"),
        ("post", "/admin/universities/new"),
        ("get", "/admin/managers"),
        ("post", "/admin/managers"),
        ("get", "/admin/enterprises"),
    ],
)
def test_only_the_admin_reaches_the_city_office_pages(
    app: Flask, client: FlaskClient, auth, who: str, method: str, path: str
) -> None:
    if who == "resident":
        auth.login(make_user())
    elif who == "manager":
        auth.login(make_manager(make_university()))
    response = getattr(client, method)(path)
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403


def test_the_admin_overview_counts_enterprises_waiting(app: Flask, client: FlaskClient, admin: User) -> None:
    from models import Category, Verification

    company = make_enterprise(verified=False)
    make_user(Category.ENTERPRISE, organization_id=company.id, verification=Verification.PENDING)
    page = client.get("/admin/").get_data(as_text=True)
    assert '<p class="display-6 mb-0" id="pending-enterprises">1</p>' in page
