"""Text search finds facilities the way people type: Chinese without spaces and partial words, English
names, kinds and their synonyms, university names and abbreviations, campus and equipment; best first.

Against the demo data, on both databases (PostgreSQL pg_trgm, SQLite FTS5 trigram; LIKE below three
characters).
"""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from booking import demo
from booking.services import catalog
from models import Resource, ResourceKind, db
from tests.factories import make_resource, make_university

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def top_three(text: str) -> list[Resource]:
    page = catalog.search(catalog.Filters(text=text), page=1, per_page=3, now=NOW)
    return [entry.resource for entry in page.entries]


@pytest.fixture
def seeded(app: Flask) -> None:
    demo.seed_demo(NOW)


# query, what the top three must hold (a facility's English name, or a kind each one must be).
CASES = [
    ("羽毛球馆1号场", "Badminton Court 1"),  # no space where the name has one
    ("羽毛球", "Badminton Court 1"),  # a partial word
    ("badminton court 2", "Badminton Court 2"),
    ("Lecture Theatre", "Lecture Theatre"),
    ("auditorium", "Lecture Theatre"),  # a synonym of the theatre kind
    ("报告厅", "Lecture Theatre"),
    ("智能装备", "Intelligent Equipment Lab"),
    ("swimming", "Indoor Swimming Pool"),
    ("游泳", "Indoor Swimming Pool"),  # two characters: below a trigram
    ("HPU badminton", "Badminton Court 1"),  # a university's abbreviation
    ("河南理工 羽毛球", "Badminton Court 1"),
    ("labs", ResourceKind.LAB),
    ("laboratory", ResourceKind.LAB),
    ("实验室", ResourceKind.LAB),
    ("实习", ResourceKind.TRAINING_BASE),  # two characters, a synonym of training bases
    ("internship", ResourceKind.TRAINING_BASE),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[case[0] for case in CASES])
def test_the_expected_facility_is_in_the_top_three(seeded: None, query: str, expected: object) -> None:
    found = top_three(query)
    assert found, f"{query!r} found nothing"
    if isinstance(expected, ResourceKind):
        assert all(r.kind == expected for r in found), [r.name_en for r in found]
    else:
        assert expected in [r.name_en for r in found], [r.name_en for r in found]


def test_campus_and_equipment_are_searched(app: Flask) -> None:
    court = make_resource(name_en="Court A", campus="South Campus", tags=("floodlights",))
    make_resource(name_en="Court B", campus="North Campus")
    assert [r.id for r in top_three("south campus")] == [court.id]
    assert [r.id for r in top_three("floodlight")] == [court.id]


def test_the_english_campus_and_address_are_searched(app: Flask) -> None:
    court = make_resource(
        name_en="Court A", campus="南校区", campus_en="South Campus", address_en="Shiji Road"
    )
    make_resource(name_en="Court B", campus="北校区", campus_en="North Campus")
    assert [r.id for r in top_three("south campus")] == [court.id]
    assert [r.id for r in top_three("shiji road")] == [court.id]


def test_an_edited_name_is_found_at_once(app: Flask) -> None:
    room = make_resource(name_en="Old name", name_zh="旧名称")
    room.name_zh = "多功能厅"
    db.session.commit()
    assert [r.id for r in top_three("多功能")] == [room.id]
    assert top_three("旧名称") == []


def test_search_wildcards_and_quotes_are_plain_characters(app: Flask) -> None:
    make_resource(name_en="Room 100%")
    make_resource(name_en="Room 1000")
    assert [r.name_en for r in top_three("100%")] == ["Room 100%"]
    assert top_three('"') == []
    assert top_three('a"b') == []


def test_search_documents_are_indexed_by_the_database(app: Flask) -> None:
    bind = db.session.get_bind()
    if bind.dialect.name == "sqlite":
        count = db.session.scalar(
            sa.text("SELECT count(*) FROM resource_search WHERE resource_search MATCH '\"abc\"'")
        )
        assert count == 0
        make_resource(name_en="abc hall")
        assert (
            db.session.scalar(
                sa.text("SELECT count(*) FROM resource_search WHERE resource_search MATCH '\"abc\"'")
            )
            == 1
        )
    else:
        index = db.session.scalar(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_resource_search_text_trgm'")
        )
        assert index is not None and "gin_trgm_ops" in index


def test_reindex_writes_the_documents_again(app: Flask, runner) -> None:
    room = make_resource(name_en="Seminar room", name_zh="研讨室")
    db.session.execute(sa.update(Resource).values(search_text=""))
    db.session.commit()
    assert top_three("研讨室") == []
    result = runner.invoke(args=["reindex-search"])
    assert "1 facilities reindexed." in result.output
    assert [r.id for r in top_three("研讨室")] == [room.id]


def test_a_renamed_university_is_found_at_once(app: Flask) -> None:
    university = make_university(name_en="Old Institute", code="OLD")
    hall = make_resource(university, name_en="Main hall")
    university.name_zh = "焦作新学院"
    db.session.commit()
    assert [r.id for r in top_three("焦作新学院")] == [hall.id]
