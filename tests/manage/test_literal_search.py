"""Searches take LIKE's wildcards literally: a `%` or `_` typed into a search box matches only itself."""

from datetime import UTC, datetime

import pytest
from flask import Flask

from booking.services import audit, catalog, people, verification
from booking.services.audit import AuditAction
from booking.web.audit import events
from models import Category, Verification, db
from tests import factories

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@pytest.fixture
def university(app: Flask):
    return factories.make_university()


@pytest.fixture
def manager(university):
    return factories.make_manager(university, display_name="Manager")


@pytest.fixture
def students(university):
    """Four students whose names differ only where a wildcard would match anything."""
    names = ["Li_Na", "LiXNa", "100% Wang", "1000 Wang"]
    return {
        name: factories.make_user(
            Category.STUDENT,
            display_name=name,
            organization_id=university.id,
            verification=Verification.PENDING,
        )
        for name in names
    }


@pytest.mark.parametrize(("typed", "found"), [("i_n", {"Li_Na"}), ("0%", {"100% Wang"}), ("_", {"Li_Na"})])
def test_people_search_takes_wildcards_literally(manager, students, typed, found) -> None:
    assert {p.display_name for p in people.search(manager, typed)} == found


@pytest.mark.parametrize(("typed", "found"), [("I_N", {"Li_Na"}), ("0%", {"100% Wang"})])
def test_student_verification_search_takes_wildcards_literally(manager, students, typed, found) -> None:
    page = verification.students(manager, status="pending", query=typed)
    assert {p.display_name for p in page.items} == found


def test_enterprise_verification_search_takes_wildcards_literally(app: Flask) -> None:
    admin = factories.make_admin()
    wanted = factories.make_enterprise(verified=True, name_en="Jiaozuo 100% Parts")
    factories.make_enterprise(verified=True, name_en="Jiaozuo 1000 Parts")
    page, _summaries = verification.enterprises(admin, status="verified", query="0%")
    assert [o.id for o in page.items] == [wanted.id]


def test_catalog_campus_filter_takes_wildcards_literally(university) -> None:
    wanted = factories.make_resource(university, campus="East_Campus")
    factories.make_resource(university, campus="EastXCampus")
    page = catalog.search(catalog.Filters(campus="t_c"), page=1, per_page=20, now=NOW)
    assert [entry.resource.id for entry in page.entries] == [wanted.id]


def test_audit_person_filter_takes_wildcards_literally(university, manager, students) -> None:
    for person in students.values():
        audit.record(
            AuditAction.ACCOUNT_PROFILE_UPDATED,
            "user",
            person.id,
            actor_id=person.id,
            university_id=university.id,
            at=NOW,
        )
    db.session.commit()
    found = events.search(manager, events.Filters(person="i_n"))
    assert [e.actor_id for e in found.items] == [students["Li_Na"].id]
