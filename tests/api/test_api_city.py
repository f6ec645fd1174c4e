"""The city office's administration, the reports' files, the public summary and the audit log over the API:
the same services as the pages, the same role and university scoping, and bad input writes nothing."""

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from booking.services import audit
from booking.services.api_tokens import Scope
from booking.services.audit import AuditAction
from models import AuditEvent, OpennessTarget, Organization, OrganizationKind, User, Verification, db
from tests.api.api_helpers import NOW, PROBLEM, bearer, count, token_for
from tests.factories import (
    make_admin,
    make_enterprise,
    make_manager,
    make_resource,
    make_university,
    make_user,
)


def manage(user: User) -> dict[str, str]:
    return bearer(token_for(user, Scope.READ, Scope.MANAGE))


# --- the reports' files ------------------------------------------------------------------------------


def test_the_export_is_the_pages_file(client: FlaskClient, auth) -> None:
    university = make_university()
    make_resource(university)
    manager = make_manager(university)
    query = "period=month&on=2026-11-01&table=facilities"
    response = client.get(f"/api/v1/reports/export?{query}&format=csv", headers=manage(manager))
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    assert response.headers["Cache-Control"] == "no-store"
    auth.login(manager)
    page = client.get("/reports/facilities.csv?period=month&on=2026-11-01")
    assert page.status_code == 200
    assert response.data == page.data
    assert response.headers["Content-Disposition"] == page.headers["Content-Disposition"]


def test_the_export_as_a_spreadsheet(client: FlaskClient) -> None:
    university = make_university()
    make_resource(university)
    response = client.get(
        "/api/v1/reports/export?format=xlsx&table=kinds", headers=manage(make_manager(university))
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet") and response.data[:2] == b"PK"


def test_the_export_is_for_staff_with_a_manage_token(client: FlaskClient) -> None:
    university = make_university()
    resident = client.get("/api/v1/reports/export", headers=manage(make_user()))
    assert resident.status_code == 403 and resident.mimetype == PROBLEM
    read_only = bearer(token_for(make_manager(university), Scope.READ))
    assert client.get("/api/v1/reports/export", headers=read_only).status_code == 403


def test_another_universitys_export_is_not_found(client: FlaskClient) -> None:
    ours, theirs = make_university(), make_university()
    response = client.get(
        f"/api/v1/reports/export?university={theirs.id}", headers=manage(make_manager(ours))
    )
    assert response.status_code == 404 and response.mimetype == PROBLEM


@pytest.mark.parametrize(
    "query",
    ["format=pdf", "table=people", "period=decade", "rank=x", "category=robot", "on=1999-01-01"],
)
def test_a_bad_export_query_is_a_422_problem(client: FlaskClient, query: str) -> None:
    university = make_university()
    response = client.get(f"/api/v1/reports/export?{query}", headers=manage(make_manager(university)))
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert response.json["errors"]


# --- the public summary ------------------------------------------------------------------------------


def test_the_transparency_summary_needs_no_token_and_names_nobody(client: FlaskClient) -> None:
    university = make_university(name_en="Henan Polytechnic", name_zh="河南理工大学")
    make_resource(university)
    make_user(display_name="Zhang San", email="zhang@example.com")
    response = client.get("/api/v1/transparency")
    assert response.status_code == 200, response.data[:300]
    lines = response.json["universities"]
    assert [line["university"]["name"] for line in lines] == [
        {"zh": "河南理工大学", "en": "Henan Polytechnic"}
    ]
    assert set(lines[0]) == {"university", "offered_to_city", "booked", "openness", "target", "by_month"}
    assert "Zhang San" not in response.get_data(as_text=True)
    assert "zhang@example.com" not in response.get_data(as_text=True)


def test_the_spec_says_the_summary_needs_no_token(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["paths"]["/api/v1/transparency"]["get"]["security"] == []
    assert "security" not in spec["paths"]["/api/v1/audit"]["get"]  # the document's default: a token


def test_the_public_summary_is_rate_limited(database_url: str) -> None:
    from tests.conftest import clear_database, make_app

    limited = make_app(database_url, RATELIMIT_ENABLED=True, API_LIMIT="2 per minute")
    with limited.app_context():
        try:
            client = limited.test_client()
            answers = [client.get("/api/v1/transparency") for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 429]
            assert answers[2].mimetype == PROBLEM and int(answers[2].headers["Retry-After"]) >= 1
        finally:
            db.session.remove()
            clear_database()
            db.engine.dispose()


# --- the audit log -----------------------------------------------------------------------------------


def _events(university: Organization, n: int, action: AuditAction = AuditAction.FACILITY_UPDATED) -> None:
    court = make_resource(university)
    for _ in range(n):
        audit.about(court, action, actor_id=None, at=NOW)
    db.session.commit()


def test_a_manager_reads_the_audit_log_of_their_university_only(client: FlaskClient) -> None:
    ours, theirs = make_university(), make_university()
    _events(ours, 2)
    _events(theirs, 3, AuditAction.CLOSURE_CREATED)
    manager = make_manager(ours)
    page = client.get("/api/v1/audit", headers={**manage(manager), "Accept-Language": "en"})
    assert page.status_code == 200, page.json
    assert page.json["total"] == 2
    assert {e["action"] for e in page.json["items"]} == {"facility.updated"}
    assert page.json["items"][0]["action_label"] == "Facility edited"
    assert page.json["items"][0]["at"].endswith("+00:00")
    chinese = client.get("/api/v1/audit", headers={**manage(manager), "Accept-Language": "zh-CN"})
    assert chinese.json["items"][0]["action_label"] == "场馆信息已修改"
    assert chinese.json["items"][0]["action"] == "facility.updated"  # the code stays
    closures = "/api/v1/audit?action=closure.created"
    assert client.get(closures, headers=manage(manager)).json["total"] == 0
    assert client.get(closures, headers=manage(make_admin())).json["total"] == 3  # every university's


def test_the_audit_log_filters_and_pages_with_a_cursor(client: FlaskClient) -> None:
    university = make_university()
    _events(university, 51)
    _events(university, 1, AuditAction.QUOTA_CREATED)
    headers = manage(make_manager(university))
    first = client.get("/api/v1/audit", headers=headers).json
    assert len(first["items"]) == 50 and first["total"] == 52 and first["next_cursor"]
    second = client.get(f"/api/v1/audit?cursor={first['next_cursor']}", headers=headers).json
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    assert {e["id"] for e in first["items"]}.isdisjoint(e["id"] for e in second["items"])
    quotas = client.get("/api/v1/audit?action=quota.created", headers=headers).json
    assert [e["action"] for e in quotas["items"]] == ["quota.created"]
    none = client.get("/api/v1/audit?date_from=2026-11-25", headers=headers).json
    assert none["total"] == 0


def test_the_audit_log_is_for_staff_and_their_own_facilities(client: FlaskClient) -> None:
    ours, theirs = make_university(), make_university()
    foreign = make_resource(theirs)
    assert client.get("/api/v1/audit", headers=manage(make_user())).status_code == 403
    read_only = bearer(token_for(make_manager(ours), Scope.READ))
    assert client.get("/api/v1/audit", headers=read_only).status_code == 403
    other = client.get(f"/api/v1/audit?facility={foreign.id}", headers=manage(make_manager(ours)))
    assert other.status_code == 404 and other.mimetype == PROBLEM


@pytest.mark.parametrize(
    "query", ["date_from=2026-11-20&date_to=2026-11-01", "facility=x", "date_from=9999-01-01"]
)
def test_a_bad_audit_query_is_a_422_problem(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/v1/audit?{query}", headers=manage(make_manager(make_university())))
    assert response.status_code == 422 and response.mimetype == PROBLEM


def test_a_forged_cursor_is_a_400_problem(client: FlaskClient) -> None:
    response = client.get("/api/v1/audit?cursor=zzz", headers=manage(make_manager(make_university())))
    assert response.status_code == 400 and response.mimetype == PROBLEM


# --- the city office: universities and managers ------------------------------------------------------


def test_the_city_office_adds_lists_and_edits_universities(client: FlaskClient) -> None:
    headers = manage(make_admin())
    made = client.post(
        "/api/v1/universities",
        json={"name_zh": "焦作大学", "name_en": "Jiaozuo University", "code": "JZU"},
        headers=headers,
    )
    assert made.status_code == 201, made.json
    assert made.json["name"] == {"zh": "焦作大学", "en": "Jiaozuo University"} and made.json["managers"] == 0
    listed = client.get("/api/v1/universities", headers=headers).json["items"]
    assert [u["code"] for u in listed] == ["JZU"]
    edited = client.put(
        f"/api/v1/universities/{made.json['id']}",
        json={"name_zh": "焦作大学", "name_en": "Jiaozuo Univ.", "code": "JZU"},
        headers=headers,
    )
    assert edited.status_code == 200 and edited.json["name"]["en"] == "Jiaozuo Univ."
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "university.created")) == 1


def test_a_taken_code_or_a_missing_name_writes_nothing(client: FlaskClient) -> None:
    make_university(code="HPU")
    headers = manage(make_admin())
    taken = client.post(
        "/api/v1/universities", json={"name_zh": "甲", "name_en": "A", "code": "HPU"}, headers=headers
    )
    assert taken.status_code == 422 and taken.mimetype == PROBLEM
    for body in ({"name_zh": "", "name_en": "A", "code": "X"}, {"name_zh": "甲", "code": "X"}, {"code": 1}):
        assert client.post("/api/v1/universities", json=body, headers=headers).status_code == 422
    assert count(Organization) == 1


def test_a_manager_cannot_run_the_city_office(client: FlaskClient) -> None:
    university = make_university()
    headers = manage(make_manager(university))
    for method, url, body in [
        ("get", "/api/v1/universities", None),
        ("post", "/api/v1/universities", {"name_zh": "甲", "name_en": "A", "code": "X"}),
        ("put", f"/api/v1/universities/{university.id}", {"name_zh": "甲", "name_en": "A", "code": "X"}),
        ("get", "/api/v1/managers", None),
        ("post", "/api/v1/managers", {"email": "a@example.com", "university": university.id}),
        ("get", "/api/v1/enterprises", None),
        ("get", "/api/v1/targets", None),
        ("put", f"/api/v1/targets/{university.id}", {"percent": 10}),
    ]:
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code == 403, (method, url)
        assert response.mimetype == PROBLEM
    assert count(Organization) == 1 and count(OpennessTarget) == 0
    admin_read_only = bearer(token_for(make_admin(), Scope.READ))
    assert client.get("/api/v1/universities", headers=admin_read_only).status_code == 403


def test_an_unknown_university_is_not_found(client: FlaskClient) -> None:
    enterprise = make_enterprise()
    headers = manage(make_admin())
    body = {"name_zh": "甲", "name_en": "A", "code": "X"}
    assert client.put(f"/api/v1/universities/{enterprise.id}", json=body, headers=headers).status_code == 404
    assert client.put("/api/v1/universities/999999", json=body, headers=headers).status_code == 404
    assert client.put("/api/v1/targets/999999", json={"percent": 5}, headers=headers).status_code == 404
    assert count(OpennessTarget) == 0


def test_the_city_office_grants_and_revokes_manager_rights(client: FlaskClient) -> None:
    university = make_university()
    person = make_user(email="li.si@example.com", display_name="Li Si")
    headers = manage(make_admin())
    granted = client.post(
        "/api/v1/managers", json={"email": "li.si@example.com", "university": university.id}, headers=headers
    )
    assert granted.status_code == 201, granted.json
    assert granted.json["university"]["id"] == university.id and granted.json["name"] == "Li Si"
    listed = client.get("/api/v1/managers", headers=headers).json["items"]
    assert [m["id"] for m in listed] == [person.id]
    revoked = client.post(f"/api/v1/managers/{person.id}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.json["university"] is None
    db.session.rollback()
    assert db.session.get(User, person.id).manages_id is None
    again = client.post(f"/api/v1/managers/{person.id}/revoke", headers=headers)
    assert again.status_code in (404, 422) and again.mimetype == PROBLEM


def test_granting_to_nobody_writes_nothing(client: FlaskClient) -> None:
    university = make_university()
    headers = manage(make_admin())
    for body in (
        {"email": "nobody@example.com", "university": university.id},
        {"email": "x@example.com", "university": "1"},
        {"email": "x@example.com"},
    ):
        response = client.post("/api/v1/managers", json=body, headers=headers)
        assert 400 <= response.status_code < 500 and response.mimetype == PROBLEM
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).where(User.manages_id.is_not(None))) == 0


# --- enterprises and openness targets -----------------------------------------------------------------


def test_the_city_office_verifies_and_rejects_an_enterprise(client: FlaskClient) -> None:
    from models import Category

    company = make_enterprise(verified=False)
    member = make_user(Category.ENTERPRISE, organization_id=company.id, verification=Verification.PENDING)
    headers = manage(make_admin())
    pending = client.get("/api/v1/enterprises", headers=headers).json
    assert [e["id"] for e in pending["items"]] == [company.id] and pending["items"][0]["pending"] == 1
    detail = client.get(f"/api/v1/enterprises/{company.id}", headers=headers).json
    assert detail["members"][0]["verification"] == "pending"
    verified = client.post(f"/api/v1/enterprises/{company.id}/verify", headers=headers)
    assert verified.status_code == 200, verified.json
    assert verified.json["verified_at"] and verified.json["members"][0]["verification"] == "verified"
    again = client.post(f"/api/v1/enterprises/{company.id}/verify", headers=headers)
    assert again.status_code == 422 and again.mimetype == PROBLEM
    assert (
        client.post(f"/api/v1/enterprises/{company.id}/reject", json={}, headers=headers).status_code == 422
    )
    db.session.rollback()
    assert db.session.get(User, member.id).verification == Verification.VERIFIED
    rejected = client.post(
        f"/api/v1/enterprises/{company.id}/reject", json={"reason": "Licence expired"}, headers=headers
    )
    assert rejected.status_code == 200 and rejected.json["verified_at"] is None
    assert rejected.json["members"][0]["verification"] == "rejected"
    university = make_university()
    assert client.get(f"/api/v1/enterprises/{university.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/enterprises?status=nope", headers=headers).status_code == 422


def test_the_city_office_sets_and_removes_openness_targets(client: FlaskClient) -> None:
    university = make_university()
    headers = manage(make_admin())
    assert client.get("/api/v1/targets", headers=headers).json["items"][0]["percent"] is None
    made = client.put(f"/api/v1/targets/{university.id}", json={"percent": 30}, headers=headers)
    assert made.status_code == 200 and made.json["percent"] == 30
    assert client.get("/api/v1/targets", headers=headers).json["items"][0]["percent"] == 30
    for body in ({"percent": 101}, {"percent": "30"}, {"percent": 3.5}, {}):
        assert client.put(f"/api/v1/targets/{university.id}", json=body, headers=headers).status_code == 422
    db.session.rollback()
    assert db.session.scalar(sa.select(OpennessTarget.percent)) == 30
    removed = client.put(f"/api/v1/targets/{university.id}", json={"percent": None}, headers=headers)
    assert removed.status_code == 200 and removed.json["percent"] is None
    assert count(OpennessTarget) == 0


def test_the_admin_index_counts_are_the_lists(client: FlaskClient) -> None:
    university = make_university()
    make_manager(university)
    headers = manage(make_admin())
    universities = client.get("/api/v1/universities", headers=headers).json["items"]
    assert universities[0]["managers"] == 1 and universities[0]["facilities"] == 0
    assert db.session.scalar(
        sa.select(sa.func.count()).where(Organization.kind == OrganizationKind.UNIVERSITY)
    ) == len(universities)


# --- a facility's requests with their answers ----------------------------------------------------------


def test_the_requests_file_is_the_pages_and_only_for_the_universitys_managers(
    client: FlaskClient, auth
) -> None:
    from models import Application
    from tests.factories import local, make_application_form, make_booking

    university = make_university()
    lab = make_resource(university)
    form = make_application_form(lab)
    booking = make_booking(lab, make_user(display_name="Chen Engineer"), local(25, 10))
    db.session.add(
        Application(
            form_id=form.id,
            booking_id=booking.id,
            answers={"qpeople": 3, "qhazard": 0, "qtrained": True, "qplan": "=cmd()"},
            terms_accepted_at=NOW,
        )
    )
    db.session.commit()
    manager = make_manager(university)
    url = f"/api/v1/facilities/{lab.id}/requests/export"
    response = client.get(f"{url}?format=csv", headers={**manage(manager), "Accept-Language": "en"})
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "private, no-store"
    text = response.data.decode("utf-8-sig")
    assert "Chen Engineer" in text and "'=cmd()" in text
    auth.login(manager)
    page = client.get(
        f"/manage/applications/facilities/{lab.id}/requests.csv", headers={"Accept-Language": "en"}
    )
    assert page.data == response.data
    xlsx = client.get(f"{url}?format=xlsx", headers=manage(manager))
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    for outsider in (make_manager(make_university()), make_admin()):
        other = client.get(url, headers=manage(outsider))
        assert other.status_code == 404 and other.mimetype == PROBLEM
    assert client.get(url, headers=manage(make_user())).status_code == 403
    assert client.get(url, headers=bearer(token_for(manager, Scope.READ))).status_code == 403
    assert client.get(f"{url}?format=pdf", headers=manage(manager)).status_code == 422
    assert client.get("/api/v1/facilities/999999/requests/export", headers=manage(manager)).status_code == 404
