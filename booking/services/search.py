"""Facility text search: the search document of a facility, and the ranked query over it.

The document (`Resource.search_text`) holds the names (Chinese also without spaces), descriptions, the
kind with its synonyms in both languages, the university's names and code, campus, address and equipment,
lower-cased. It is written before every flush that adds or changes a facility or its tags, so edits
through any path keep it in step. The databases find words in it by trigrams: PostgreSQL with a pg_trgm
GIN index under ILIKE, SQLite with an FTS5 trigram table (see the migration). Trigrams need three
characters: shorter words ("实习", "馆") fall back to LIKE.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from booking.services.transactions import write_transaction
from models import Organization, Resource, ResourceKind, ResourceTag, db

MAX_WORDS = 8
TRIGRAM = 3

# Words people use for each kind, in both languages: "labs" finds laboratories, "实习" training bases.
KIND_WORDS: dict[ResourceKind, str] = {
    ResourceKind.SPORTS_VENUE: "sports venue court courts gym stadium 体育场馆 体育 运动 球场 场馆",
    ResourceKind.LIBRARY: "library libraries reading room study 图书馆 阅览室 自习",
    ResourceKind.MUSEUM: "museum museums exhibition 博物馆 展馆 陈列馆",
    ResourceKind.THEATRE: "theatre theater auditorium lecture hall concert 剧场 剧院 礼堂 报告厅 演出",
    ResourceKind.EXHIBITION_HALL: "exhibition hall gallery expo 展览馆 展厅 展览",
    ResourceKind.CULTURAL_CENTER: "cultural centre center activity 文化中心 活动中心 文化",
    ResourceKind.MEETING_ROOM: "meeting room conference seminar 会议室 会议 研讨室",
    ResourceKind.LAB: "laboratory laboratories lab labs research testing 实验室 实验 检测",
    ResourceKind.TRAINING_BASE: (
        "training base internship placement practice 实训基地 实习基地 实习 实训 基地"
    ),
    ResourceKind.GREEN_SPACE: "green space park garden lawn 绿地 公园 草坪 花园",
}

_SPACES = re.compile(r"\s+")


def document(resource: Resource, university: Organization | None) -> str:
    """The text search looks in for one facility, lower-case."""
    kind = ResourceKind(resource.kind) if resource.kind else None
    parts = [
        resource.name_zh,
        _SPACES.sub("", resource.name_zh or ""),
        resource.name_en,
        resource.description_zh,
        resource.description_en,
        kind.value.replace("_", " ") if kind else "",
        KIND_WORDS.get(kind, "") if kind else "",
        resource.campus,
        resource.campus_en,
        resource.address,
        resource.address_en,
        " ".join(tag.tag for tag in resource.tags),
    ]
    if university is not None:
        parts += [university.name_zh, university.name_en, university.code]
    return " ".join(part.strip() for part in parts if part).lower()


def refresh_documents(session: Session, *_: object) -> None:
    """Before a flush: write the document of every facility added or changed (its tags, its university
    included)."""
    touched = {obj for obj in (*session.new, *session.dirty) if isinstance(obj, Resource)}
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Organization) and obj in session.dirty and obj.id is not None:
            # A university renamed: its facilities' documents name it.
            touched.update(session.scalars(sa.select(Resource).where(Resource.university_id == obj.id)))
        if isinstance(obj, ResourceTag) and obj.resource_id is not None:
            owner = session.get(Resource, obj.resource_id)
            if owner is not None:
                touched.add(owner)
    for resource in touched:
        if resource in session.deleted:
            continue
        university = resource.university
        if university is None and resource.university_id is not None:
            university = session.get(Organization, resource.university_id)
        text = document(resource, university)
        if resource.search_text != text:
            resource.search_text = text


def reindex() -> int:
    """Write every facility's document again, in one transaction; returns how many there are."""
    with write_transaction():
        resources = db.session.scalars(
            sa.select(Resource).options(joinedload(Resource.university), selectinload(Resource.tags))
        ).all()
        for resource in resources:
            resource.search_text = document(resource, resource.university)
    return len(resources)


def register() -> None:
    """Keep search documents in step on every session (called once by the app factory)."""
    if not sa.event.contains(Session, "before_flush", refresh_documents):
        sa.event.listen(Session, "before_flush", refresh_documents)


def words_of(text: str) -> list[str]:
    return [word.lower() for word in text.split()[:MAX_WORDS]]


def matches(words: Sequence[str], dialect: str) -> list[sa.ColumnElement[bool]]:
    """One condition per word, each found through the database's trigram index where it can be."""
    conditions: list[sa.ColumnElement[bool]] = []
    for word in words:
        if dialect == "sqlite" and len(word) >= TRIGRAM:
            phrase = '"' + word.replace('"', '""') + '"'
            conditions.append(
                Resource.id.in_(
                    sa.select(sa.column("rowid"))
                    .select_from(sa.table("resource_search"))
                    .where(sa.literal_column("resource_search").op("MATCH")(sa.literal(phrase)))
                )
            )
        else:
            # PostgreSQL's pg_trgm GIN index serves ILIKE; on SQLite short words scan the documents.
            conditions.append(Resource.search_text.icontains(word, autoescape=True))
    return conditions


def rank(words: Sequence[str]) -> sa.ColumnElement[int]:
    """Higher for better matches: a word in the facility's name counts most, then its kind, then its
    university (name or code); every matching word counts once more."""
    score: sa.ColumnElement[int] = sa.literal(0)
    compact_zh = sa.func.replace(Resource.name_zh, " ", "")
    for word in words:
        in_name = sa.or_(
            compact_zh.icontains(word, autoescape=True), Resource.name_en.icontains(word, autoescape=True)
        )
        kinds = [kind for kind, synonyms in KIND_WORDS.items() if _names_kind(word, kind, synonyms)]
        in_university = sa.exists().where(
            Organization.id == Resource.university_id,
            sa.or_(
                Organization.name_zh.icontains(word, autoescape=True),
                Organization.name_en.icontains(word, autoescape=True),
                sa.func.lower(Organization.code) == word,
            ),
        )
        score = (
            score
            + sa.case((in_name, 8), else_=0)
            + (sa.case((Resource.kind.in_(kinds), 4), else_=0) if kinds else 0)
            + sa.case((in_university, 2), else_=0)
        )
    return score


def _names_kind(word: str, kind: ResourceKind, synonyms: str) -> bool:
    return word in synonyms.lower() or word in kind.value.replace("_", " ")
