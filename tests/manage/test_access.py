"""Who may open the manager pages: every route of the blueprint, asked by every kind of visitor."""

import pytest
from flask import Flask

from models import Category
from tests.factories import make_admin, make_enterprise, make_resource, make_user
from tests.manage.conftest import EN, at, pending


def manage_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, url) for every route of the `manage` blueprint, ids filled with 1."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("manage."):
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<int:{argument}>", "1")
        routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_the_blueprint_has_the_expected_routes(app: Flask) -> None:
    urls = {url for _method, url in manage_routes(app)}
    assert {"/manage/", "/manage/facilities", "/manage/quotas", "/manage/closures", "/manage/book"} <= urls
    assert len(manage_routes(app)) >= 20


def test_anonymous_visitors_are_sent_to_log_in(app: Flask, client) -> None:
    for method, url in manage_routes(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "person",
    [
        lambda: make_user(Category.RESIDENT),
        lambda: make_user(Category.STUDENT),
        lambda: make_user(Category.ENTERPRISE, organization_id=make_enterprise().id),
    ],
    ids=["resident", "student", "enterprise"],
)
def test_people_without_manager_rights_are_refused_everywhere(app: Flask, client, auth, person) -> None:
    auth.login(person())
    for method, url in manage_routes(app):
        assert client.open(url, method=method).status_code == 403, (method, url)


def test_a_manager_asking_for_what_does_not_exist_gets_404(app: Flask, client, auth, manager_a) -> None:
    auth.login(manager_a)
    for method, url in manage_routes(app):
        if "/1" not in url:
            continue
        assert client.open(url, method=method).status_code == 404, (method, url)


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_every_page_renders_for_managers_and_admins(client, auth, uni_a, manager_a, requester, role) -> None:
    court = make_resource(uni_a)
    pending(court, requester, at(25, 10))
    auth.login(manager_a if role == "manager" else make_admin())
    for url in [
        "/manage/",
        "/manage/facilities",
        "/manage/facilities/new",
        f"/manage/facilities/{court.id}",
        f"/manage/facilities/{court.id}/hours",
        f"/manage/facilities/{court.id}/rules",
        "/manage/quotas",
        "/manage/closures",
        "/manage/book",
        "/manage/book?q=li",
        f"/manage/book?user={requester.id}",
    ]:
        assert client.get(url, headers=EN).status_code == 200, url
        assert client.get(url, headers={"Accept-Language": "zh-CN"}).status_code == 200, url
