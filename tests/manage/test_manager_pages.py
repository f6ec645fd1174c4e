"""Managers' pages: quotas edited in place, every destructive action asked first, one list of sections,
and a one-character surname found."""

import re

import pytest
import sqlalchemy as sa

from models import AuditEvent, Category, Quota, QuotaPeriod, Resource, User, db
from tests.factories import make_admin, make_closure, make_manager, make_quota, make_resource, make_user
from tests.manage.conftest import EN, at, fresh, quota_form


def test_a_quota_can_be_edited(client, auth, uni_a, manager_a):
    quota = make_quota(uni_a, category=Category.STUDENT, period=QuotaPeriod.WEEK, max_bookings=2)
    auth.login(manager_a)
    listing = client.get("/manage/quotas", headers=EN).get_data(as_text=True)
    assert f'href="/manage/quotas/{quota.id}/edit"' in listing
    form = client.get(f"/manage/quotas/{quota.id}/edit", headers=EN).get_data(as_text=True)
    assert 'value="2"' in form
    response = client.post(
        f"/manage/quotas/{quota.id}/edit", data=quota_form(max_bookings="3", period="month")
    )
    assert response.status_code == 302
    edited = fresh(Quota, quota.id)
    assert (edited.max_bookings, edited.period) == (3, QuotaPeriod.MONTH)
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "quota.updated")).all()
    assert event.details["changes"]["max_bookings"] == [2, 3]


def test_an_invalid_quota_edit_changes_nothing(client, auth, uni_a, manager_a):
    quota = make_quota(uni_a, max_bookings=2)
    auth.login(manager_a)
    response = client.post(f"/manage/quotas/{quota.id}/edit", data=quota_form(max_bookings=""))
    assert response.status_code == 422
    assert fresh(Quota, quota.id).max_bookings == 2


def test_another_universitys_quota_cannot_be_edited(client, auth, uni_b, manager_a):
    quota = make_quota(uni_b, max_bookings=2)
    auth.login(manager_a)
    assert client.get(f"/manage/quotas/{quota.id}/edit").status_code == 404
    assert (
        client.post(f"/manage/quotas/{quota.id}/edit", data=quota_form(max_bookings="9")).status_code == 404
    )
    assert fresh(Quota, quota.id).max_bookings == 2


def _posts_to(html: str, path: str) -> bool:
    return re.search(rf'<form[^>]*method="post"[^>]*action="{re.escape(path)}[?"]', html) is not None


def test_every_destructive_action_asks_first(client, auth, uni_a, manager_a):
    court = make_resource(uni_a, name_en="Court A")
    quota = make_quota(uni_a, max_bookings=2)
    closure = make_closure(court, at(28, 0), at(29, 0), reason="Exam week")
    auth.login(manager_a)
    asks = {
        "/manage/quotas": (f"/manage/quotas/{quota.id}/delete", "Delete this quota?"),
        "/manage/closures": (f"/manage/closures/{closure.id}/delete", "Remove this closure?"),
        f"/manage/facilities/{court.id}": (f"/manage/facilities/{court.id}/deactivate", "not bookable?"),
    }
    for listing, (action, question) in asks.items():
        html = client.get(listing, headers=EN).get_data(as_text=True)
        assert not _posts_to(html, action), listing  # no one-click destruction
        assert f'href="{action}' in html, listing
        confirm = client.get(action, headers=EN).get_data(as_text=True)
        assert question in confirm and _posts_to(confirm, action), action
    assert fresh(Quota, quota.id) is not None and fresh(Resource, court.id).active


def test_revoking_manager_rights_asks_first(client, auth, uni_a, manager_a):
    auth.login(make_admin())
    html = client.get("/admin/managers", headers=EN).get_data(as_text=True)
    action = f"/admin/managers/{manager_a.id}/revoke"
    assert not _posts_to(html, action) and f'href="{action}"' in html
    confirm = client.get(action, headers=EN).get_data(as_text=True)
    assert "Revoke Wang Manager" in confirm and _posts_to(confirm, action)
    assert fresh(User, manager_a.id).manages_id == uni_a.id


def _links(html: str, start: str, end: str) -> list[str]:
    block = html[html.index(start) :]
    block = block[: block.index(end)]
    return re.findall(r'href="([^"?]+)', block)


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_the_manage_menu_and_the_tabs_list_the_same_sections(client, auth, uni_a, who):
    auth.login(make_manager(uni_a) if who == "manager" else make_admin())
    html = client.get("/manage/quotas", headers=EN).get_data(as_text=True)
    menu = _links(html, '<ul class="dropdown-menu">', "</ul>")
    tabs = _links(html, '<ul class="nav nav-tabs', "</ul>")
    assert menu == tabs
    assert "/manage/quotas" in menu and "/manage/closures" in menu and "/audit" in menu


def test_a_one_character_surname_finds_people_in_scope(client, auth, uni_a, manager_a):
    make_user(Category.STUDENT, organization_id=uni_a.id, display_name="张伟")
    make_user(display_name="张敏")  # a resident unknown to the university: found only by exact address
    auth.login(manager_a)
    html = client.get("/manage/book?q=张", headers=EN).get_data(as_text=True)
    assert "张伟" in html and "张敏" not in html


def test_a_facility_keeps_an_english_campus_and_address(client, auth, uni_a, manager_a):
    from tests.manage.test_facilities import facility_form

    court = make_resource(uni_a)
    auth.login(manager_a)
    form = facility_form(
        campus="南校区", address="世纪大道2001号", campus_en="South campus", address_en="2001 Century Ave"
    )
    assert client.post(f"/manage/facilities/{court.id}", data=form).status_code == 302
    saved = fresh(Resource, court.id)
    assert (saved.campus, saved.campus_en, saved.address_en) == ("南校区", "South campus", "2001 Century Ave")
