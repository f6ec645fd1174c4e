"""A large, realistic dataset for load tests and benchmarks, written in bulk (COPY on PostgreSQL).

- `seed_scale(facilities=, users=, bookings=, seed=, now=)` adds Jiaozuo's four universities (reused when
  present), enterprises, facilities of every kind with hours, policies, tags and closures, people of every
  category, managers and quotas, then calls `seed_bookings`. Returns a `ScaleResult`.
- `seed_bookings(bookings, seed=, now=, resource_ids=, user_ids=, replace=)` spreads bookings over the two
  years before each facility's booking window closes: evening or office-hour peaks by kind, busier weekends,
  growing use, weekly series, approvals, cancellations, no-shows, one audit event per state change.
- `double_bookings(statuses=ACTIVE_STATUSES)` lists what the "no double booking" promise forbids: overlapping
  bookings of an exclusive facility and overfilled shared ones. Empty means the table is sound.

The generator keeps the rules itself: bookings lie on the slot grid, inside opening hours and outside
closures; exclusive facilities never overlap (buffer included) and shared ones never exceed capacity, in any
status but cancelled, rejected and expired; `blocked_until` is the end plus the buffer. PostgreSQL's
exclusion constraint checks the active ones again as they are copied in. Rows get explicit ids and go
straight to the driver (COPY, or executemany on SQLite) inside the session's transaction; the same `seed`
and `now` give the same data.
"""

import itertools
import json
import random
import time as timer
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from werkzeug.security import generate_password_hash

from booking import demo_data, engine
from booking.credit_code import check_character
from booking.demo_data import HOURS, POLICIES
from booking.services import search
from booking.services.transactions import write_transaction
from models import (
    ACTIVE_STATUSES,
    BookingStatus,
    Category,
    Mode,
    OrganizationKind,
    QuotaPeriod,
    QuotaScope,
    ResourceKind,
    UTCDateTime,
    Verification,
    db,
)

EMAIL_DOMAIN = "scale.jz"
# Every generated account shares this password, hashed cheaply so a load test can log thousands in.
PASSWORD = "scale-password-2026"
PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
TIMEZONE = "Asia/Shanghai"
HISTORY_DAYS = 730
BATCH_FACILITIES = 200
REMINDER_LEAD = timedelta(hours=24)  # the reminder job's default
ALL = (Category.RESIDENT, Category.STUDENT, Category.ENTERPRISE)
# Statuses in which a booking held its place (the generator keeps these free of overlaps).
HELD_STATUSES = frozenset(
    {
        BookingStatus.PENDING,
        BookingStatus.CONFIRMED,
        BookingStatus.CHECKED_IN,
        BookingStatus.COMPLETED,
        BookingStatus.NO_SHOW,
    }
)
S = BookingStatus


# --------------------------------------------------------------------------------------------------------
# What the dataset looks like
# --------------------------------------------------------------------------------------------------------


def _profile(*spans: tuple[int, int, float], base: float = 0.2) -> tuple[float, ...]:
    """Weights of the 24 local hours for a booking's start: (from hour, to hour, weight) spans over a base."""
    weights = [base] * 24
    for first, last, weight in spans:
        for hour in range(first, last):
            weights[hour] = weight
    return tuple(weights)


EVENING_PEAK = _profile((6, 9, 0.6), (9, 12, 0.7), (12, 14, 0.5), (14, 17, 0.8), (17, 18, 1.4), (18, 21, 2.6))
OFFICE_PEAK = _profile((8, 12, 1.6), (12, 14, 0.4), (14, 17, 1.4), (17, 19, 0.5))
STUDY_PEAK = _profile((8, 11, 0.9), (11, 14, 0.6), (14, 18, 1.3), (18, 22, 1.5))
VISIT_PEAK = _profile((9, 12, 1.0), (14, 17, 1.4))


def _policy(allowed: Sequence[Category] = ALL, approval: Sequence[Category] = (), **rules: Any) -> dict:
    return {
        "allowed_categories": [c.value for c in allowed],
        "approval_categories": [c.value for c in approval],
        **rules,
    }


COURT_POLICY = _policy(
    min_minutes=60,
    max_minutes=120,
    min_notice_minutes=60,
    max_advance_days=7,
    max_party_size=4,
    cancel_deadline_minutes=120,
    checkin_required=True,
)
FIELD_POLICY = _policy(
    min_minutes=60, max_minutes=120, min_notice_minutes=60, max_advance_days=7, max_party_size=12
)
STUDIO_POLICY = _policy(min_minutes=60, max_minutes=120, min_notice_minutes=60, max_advance_days=14)


@dataclass(frozen=True)
class Shape:
    """One kind of facility in the mix: how common, how popular, and its rules."""

    share: float  # of all facilities
    popularity: float  # bookings per facility, relative
    kind: ResourceKind
    mode: Mode
    name_zh: str
    name_en: str
    capacity: tuple[int, int]
    slot_minutes: int
    hours: demo_data.Hours
    policy: dict[str, Any]
    tags: tuple[str, ...]
    peak: tuple[float, ...]
    series_share: float = 0.0  # of its bookings that belong to weekly series


SHAPES = (
    Shape(18, 1.6, ResourceKind.SPORTS_VENUE, Mode.EXCLUSIVE, "羽毛球场", "Badminton Court", (4, 4), 60,
          HOURS["court"], COURT_POLICY, ("indoor", "wooden-floor", "showers"), EVENING_PEAK, 0.10),
    Shape(8, 1.3, ResourceKind.SPORTS_VENUE, Mode.EXCLUSIVE, "篮球场", "Basketball Court", (10, 12), 60,
          HOURS["outdoor"], FIELD_POLICY, ("outdoor", "floodlights"), EVENING_PEAK, 0.15),
    Shape(6, 1.2, ResourceKind.SPORTS_VENUE, Mode.SHARED, "乒乓球馆", "Table Tennis Hall", (16, 32), 60,
          HOURS["gym"], POLICIES["shared-sport"], ("indoor", "air-conditioning"), EVENING_PEAK),
    Shape(4, 1.4, ResourceKind.SPORTS_VENUE, Mode.SHARED, "健身房", "Fitness Room", (30, 60), 60,
          HOURS["gym"], POLICIES["shared-sport"], ("indoor", "showers", "lockers"), EVENING_PEAK),
    Shape(12, 1.4, ResourceKind.LIBRARY, Mode.SHARED, "阅览室", "Reading Room", (60, 160), 60,
          HOURS["library"], POLICIES["reading"], ("wifi", "power-outlets", "quiet"), STUDY_PEAK),
    Shape(16, 1.0, ResourceKind.MEETING_ROOM, Mode.EXCLUSIVE, "会议室", "Meeting Room", (8, 40), 30,
          HOURS["office"], POLICIES["meeting"], ("projector", "whiteboard", "wifi"), OFFICE_PEAK, 0.25),
    Shape(12, 0.6, ResourceKind.LAB, Mode.EXCLUSIVE, "实验室", "Laboratory", (6, 12), 30,
          HOURS["lab"], POLICIES["enterprise-lab"], ("fume-hood", "safety-training"), OFFICE_PEAK, 0.30),
    Shape(3, 0.8, ResourceKind.MUSEUM, Mode.SHARED, "博物馆参观", "Museum Visit", (30, 60), 60,
          HOURS["museum"], POLICIES["museum"], ("guided-tours", "accessible"), VISIT_PEAK),
    Shape(3, 0.6, ResourceKind.EXHIBITION_HALL, Mode.SHARED, "展览厅", "Exhibition Hall", (80, 150), 60,
          HOURS["exhibition"], POLICIES["museum"], ("accessible", "air-conditioning"), VISIT_PEAK),
    Shape(2, 0.3, ResourceKind.THEATRE, Mode.EXCLUSIVE, "剧场", "Theatre", (300, 1200), 60,
          HOURS["theatre"], POLICIES["theatre"], ("stage", "sound-system", "lighting"), EVENING_PEAK),
    Shape(5, 1.0, ResourceKind.CULTURAL_CENTER, Mode.EXCLUSIVE, "舞蹈排练室", "Dance Studio", (20, 30), 30,
          HOURS["studio"], STUDIO_POLICY, ("mirrors", "sound-system"), EVENING_PEAK, 0.20),
    Shape(3, 0.9, ResourceKind.GREEN_SPACE, Mode.SHARED, "太极草坪", "Taiji Lawn", (50, 200), 60,
          HOURS["taiji"], POLICIES["shared-sport"], ("outdoor", "lawn"), EVENING_PEAK),
    Shape(2, 0.05, ResourceKind.TRAINING_BASE, Mode.PLACEMENT, "实训基地", "Training Base", (5, 20), 1440,
          HOURS["all-day"], POLICIES["placement"], ("internship", "mentor"), EVENING_PEAK),
)  # fmt: skip

UNIVERSITY_SHARES = {"HPU": 0.40, "JZU": 0.25, "HJU": 0.20, "JZNC": 0.15}
INDUSTRIES = (
    ("智能装备", "Intelligent Equipment"),
    ("新能源", "New Energy"),
    ("新材料", "New Materials"),
    ("汽车零部件", "Auto Parts"),
    ("信息技术", "Information Technology"),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍鹏建华红"
PURPOSES = ("训练", "Weekly practice", "小组学习", "Team meeting", "社团活动", "Workshop", "", "", "")
# Lunar New Year's Day; each university closes for a fortnight around it.
SPRING_FESTIVALS = (
    date(2023, 1, 22),
    date(2024, 2, 10),
    date(2025, 1, 29),
    date(2026, 2, 17),
    date(2027, 2, 6),
    date(2028, 1, 26),
    date(2029, 2, 13),
    date(2030, 2, 3),
)
QUOTAS = (
    (Category.RESIDENT, ResourceKind.SPORTS_VENUE, QuotaScope.USER, QuotaPeriod.WEEK, 2, None),
    (None, ResourceKind.SPORTS_VENUE, QuotaScope.USER, QuotaPeriod.DAY, None, 4.0),
    (Category.ENTERPRISE, ResourceKind.LAB, QuotaScope.ORGANIZATION, QuotaPeriod.MONTH, None, 20.0),
    (Category.STUDENT, ResourceKind.TRAINING_BASE, QuotaScope.USER, QuotaPeriod.ACTIVE, 1, None),
)


@dataclass
class ScaleResult:
    """What a seeding run wrote, for the CLI and the benchmark."""

    facilities: int = 0
    users: int = 0
    bookings: int = 0
    series: int = 0
    audit_events: int = 0
    resource_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.facilities} facilities, {self.users} people, {self.bookings} bookings "
            f"({self.series} series, {self.audit_events} audit events) in {self.seconds:.1f} s"
        )


# --------------------------------------------------------------------------------------------------------
# Writing rows
# --------------------------------------------------------------------------------------------------------


class _Writer:
    """Rows straight to the driver in the session's transaction: COPY on PostgreSQL, executemany on SQLite.

    Values are given as the driver stores them: `dt`, `tm` and `js` convert datetimes, times and JSON the way
    the models' column types would (SQLite keeps naive UTC text, as `UTCDateTime` does).
    """

    def __init__(self) -> None:
        self.connection: Connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.raw = self.connection.connection.driver_connection

    def next_id(self, table: str) -> int:
        return (self.connection.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar() or 0) + 1

    def dt(self, value: datetime | None) -> datetime | str | None:
        if value is None or self.postgres:
            return value
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def tm(self, value: time) -> time | str:
        return value if self.postgres else value.strftime("%H:%M:%S.%f")

    @staticmethod
    def js(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    def write(self, table: str, rows: Sequence[dict[str, object]]) -> int:
        """Insert `rows`, dicts with the same keys (the columns); returns how many."""
        if not rows:
            return 0
        columns = list(rows[0])
        if self.postgres:
            with (
                self.raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        else:
            placeholders = ", ".join(f":{c}" for c in columns)
            self.raw.cursor().executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
            )
        return len(rows)

    def finish(self, tables: Iterable[str]) -> None:
        """Move PostgreSQL's id sequences past the explicit ids, and refresh the planner's statistics."""
        for table in tables:
            if self.postgres and table != "resource_tag":  # the one table keyed by its columns
                self.connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            self.connection.exec_driver_sql(f"ANALYZE {table}")


# --------------------------------------------------------------------------------------------------------
# Organizations, facilities, people
# --------------------------------------------------------------------------------------------------------


def seed_scale(
    *,
    facilities: int = 2000,
    users: int = 20000,
    bookings: int = 100_000,
    seed: int = 2026,
    now: datetime,
    audit: bool = True,
) -> ScaleResult:
    """Add a city's worth of facilities, people and bookings in one transaction (see the module docstring)."""
    if now.tzinfo is None:
        raise ValueError("seed_scale needs a timezone-aware `now`")
    began = timer.perf_counter()
    rng = random.Random(seed)
    with write_transaction():
        writer = _Writer()
        marker = sa.text("SELECT count(*) FROM user_account WHERE email LIKE :domain")
        if writer.connection.execute(marker, {"domain": f"%@{EMAIL_DOMAIN}"}).scalar():
            raise ValueError("this database already holds a scale dataset")
        universities = _universities(writer, now)
        enterprises = _enterprises(writer, rng, now, count=max(5, users // 500))
        resource_ids = _facilities(writer, rng, now, universities, facilities)
        user_ids = _people(writer, rng, now, universities, enterprises, users)
        _quotas(writer, universities)
        writer.finish(
            (
                "organization",
                "resource",
                "policy",
                "opening_hours",
                "resource_tag",
                "closure",
                "user_account",
                "quota",
            )
        )
        result = _seed_bookings(writer, bookings, rng, now.astimezone(UTC), resource_ids, user_ids, audit)
    # Facilities went in through Core, past the hook that writes their search documents.
    search.reindex()
    result.facilities = len(resource_ids)
    result.users = len(user_ids)
    result.resource_ids = resource_ids
    result.user_ids = user_ids
    result.seconds = timer.perf_counter() - began
    return result


def _universities(writer: _Writer, now: datetime) -> dict[str, int]:
    """Jiaozuo's four universities by code, added where missing."""
    query = sa.text("SELECT code, id FROM organization WHERE kind = 'university'")
    existing: dict[str, int] = dict(writer.connection.execute(query).tuples().all())
    next_id = writer.next_id("organization")
    rows = []
    for spec in demo_data.UNIVERSITIES:
        if spec.code not in existing:
            existing[spec.code] = next_id
            rows.append(
                {
                    "id": next_id,
                    "kind": OrganizationKind.UNIVERSITY.value,
                    "name_zh": spec.name_zh,
                    "name_en": spec.name_en,
                    "code": spec.code,
                    "created_at": writer.dt(now - timedelta(days=HISTORY_DAYS + 30)),
                }
            )
            next_id += 1
    writer.write("organization", rows)
    return {code: existing[code] for code in UNIVERSITY_SHARES}


def _credit_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "9141080" + "".join(rng.choice(alphabet) for _ in range(10))
    return first17 + check_character(first17)


def _enterprises(writer: _Writer, rng: random.Random, now: datetime, count: int) -> list[int]:
    """Companies of the city's key industries, most of them verified by the city."""
    known = set(writer.connection.execute(sa.text("SELECT code FROM organization")).scalars())
    next_id = writer.next_id("organization")
    rows = []
    for n in range(count):
        code = _credit_code(rng)
        while code in known:
            code = _credit_code(rng)
        known.add(code)
        industry_zh, industry_en = INDUSTRIES[n % len(INDUSTRIES)]
        created = now - timedelta(days=rng.randrange(60, HISTORY_DAYS))
        rows.append(
            {
                "id": next_id + n,
                "kind": OrganizationKind.ENTERPRISE.value,
                "name_zh": f"焦作{industry_zh}企业{n + 1}号有限公司",
                "name_en": f"Jiaozuo {industry_en} Company No. {n + 1}",
                "code": code,
                "industry": f"{industry_zh} {industry_en}",
                "verified_at": writer.dt(created + timedelta(days=7)) if rng.random() < 0.85 else None,
                "created_at": writer.dt(created),
            }
        )
    writer.write("organization", rows)
    return [row["id"] for row in rows]


def _facilities(
    writer: _Writer, rng: random.Random, now: datetime, universities: dict[str, int], count: int
) -> list[int]:
    """`count` facilities shared out by university and kind, with rules, hours, tags and closures."""
    campuses = {spec.code: spec for spec in demo_data.UNIVERSITIES}
    codes = list(UNIVERSITY_SHARES)
    first_id, policy_id = writer.next_id("resource"), writer.next_id("policy")
    resources, policies, hours, tags, closures = [], [], [], [], []
    numbers: dict[tuple[str, str], int] = {}
    created = writer.dt(now - timedelta(days=HISTORY_DAYS + 30))
    for resource_id in range(first_id, first_id + count):
        code = rng.choices(codes, weights=[UNIVERSITY_SHARES[c] for c in codes])[0]
        shape = rng.choices(SHAPES, weights=[s.share for s in SHAPES])[0]
        campus = campuses[code]
        n = numbers[code, shape.name_en] = numbers.get((code, shape.name_en), 0) + 1
        resources.append(
            {
                "id": resource_id,
                "university_id": universities[code],
                "kind": shape.kind.value,
                "mode": shape.mode.value,
                "name_zh": f"{shape.name_zh} {n}号",
                "name_en": f"{shape.name_en} {n}",
                "description_zh": f"{campus.name_zh}{shape.name_zh}，向市民开放。",
                "description_en": f"{shape.name_en} of {campus.name_en}, open to the city.",
                "campus": campus.campus,
                "address": f"{campus.address} {n}号楼",
                "latitude": campus.latitude + rng.uniform(-0.01, 0.01),
                "longitude": campus.longitude + rng.uniform(-0.01, 0.01),
                "capacity": 1 if shape.mode == Mode.EXCLUSIVE else rng.randint(*shape.capacity),
                "timezone": TIMEZONE,
                "slot_minutes": shape.slot_minutes,
                "active": True,
                "created_at": created,
            }
        )
        policies.append({"id": policy_id, "resource_id": resource_id, **_policy_values(writer, shape.policy)})
        policy_id += 1
        hours.extend(
            {
                "resource_id": resource_id,
                "weekday": weekday,
                "opens": writer.tm(opens),
                "closes": writer.tm(closes),
            }
            for weekday, opens, closes in shape.hours
        )
        tags.extend({"resource_id": resource_id, "tag": tag} for tag in shape.tags)
        if rng.random() < 0.03:  # a maintenance week somewhere in the two years
            start = now - timedelta(days=rng.randrange(0, HISTORY_DAYS))
            closures.append(
                _closure(
                    writer,
                    universities[code],
                    resource_id,
                    start,
                    timedelta(days=5),
                    "设备维护",
                    "Maintenance",
                )
            )
    tz = ZoneInfo(TIMEZONE)
    for university in universities.values():
        for festival in SPRING_FESTIVALS:
            start = datetime.combine(festival - timedelta(days=7), time(0), tz)
            if abs((start.date() - now.date()).days) <= HISTORY_DAYS + 400:
                closures.append(
                    _closure(
                        writer, university, None, start, timedelta(days=14), "春节假期", "Spring Festival"
                    )
                )
    writer.write("resource", resources)
    writer.write("policy", policies)
    writer.write("opening_hours", hours)
    writer.write("resource_tag", tags)
    writer.write("closure", closures)
    return [row["id"] for row in resources]


def _closure(
    writer: _Writer,
    university_id: int,
    resource_id: int | None,
    start: datetime,
    length: timedelta,
    reason_zh: str,
    reason_en: str,
) -> dict[str, object]:
    return {
        "university_id": university_id,
        "resource_id": resource_id,
        "start_at": writer.dt(start),
        "end_at": writer.dt(start + length),
        "reason_zh": reason_zh,
        "reason_en": reason_en,
        "created_at": writer.dt(start - timedelta(days=30)),
    }


_POLICY_DEFAULTS = {
    "min_minutes": 30,
    "max_minutes": None,
    "min_notice_minutes": 60,
    "max_advance_days": 14,
    "buffer_minutes": 0,
    "max_party_size": None,
    "cancel_deadline_minutes": 120,
    "checkin_required": False,
    "checkin_opens_minutes": 15,
    "checkin_closes_minutes": 15,
}


def _policy_values(writer: _Writer, policy: dict[str, Any]) -> dict[str, object]:
    rules = {**_POLICY_DEFAULTS, **policy}
    for listed in ("allowed_categories", "approval_categories"):
        rules[listed] = writer.js(rules[listed])
    return rules


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _people(
    writer: _Writer,
    rng: random.Random,
    now: datetime,
    universities: dict[str, int],
    enterprises: list[int],
    count: int,
) -> list[int]:
    """Residents, students and enterprise members, plus two managers per university and one admin.

    Returns the ids of the people (not the staff).
    """
    password_hash = generate_password_hash(PASSWORD, method=PASSWORD_HASH_METHOD)
    first_id = writer.next_id("user_account")
    rows: list[dict[str, object]] = []

    def add(email: str, category: Category, verification: Verification = Verification.NONE, **extra: object):
        created = now - timedelta(days=rng.randrange(HISTORY_DAYS + 20, HISTORY_DAYS + 60))
        verified = verification == Verification.VERIFIED
        rows.append(
            {
                "id": first_id + len(rows),
                "email": email,
                "password_hash": password_hash,
                "display_name": _name(rng),
                "phone": f"13{rng.randrange(10**9):09d}",
                "category": category.value,
                "organization_id": None,
                "student_number": None,
                "verification": verification.value,
                "verified_at": writer.dt(created + timedelta(days=2)) if verified else None,
                "manages_id": None,
                "is_admin": False,
                "locale": rng.choice(("zh_CN", "zh_CN", "en", None)),
                "active": True,
                "created_at": writer.dt(created),
            }
            | extra
        )

    for code, university in universities.items():
        for n in (1, 2):
            add(f"manager-{code.lower()}-{n}@{EMAIL_DOMAIN}", Category.RESIDENT, manages_id=university)
    add(f"admin@{EMAIL_DOMAIN}", Category.RESIDENT, is_admin=True)
    staff = len(rows)
    for n in range(count):
        email = f"user{n + 1:06d}@{EMAIL_DOMAIN}"
        roll = rng.random()
        if roll < 0.70:
            add(email, Category.RESIDENT)
        elif roll < 0.92:
            add(
                email,
                Category.STUDENT,
                Verification.VERIFIED if rng.random() < 0.8 else Verification.PENDING,
                organization_id=rng.choice(list(universities.values())),
                student_number=f"{rng.randrange(2019, 2027)}{rng.randrange(10**6):06d}",
            )
        else:
            add(
                email,
                Category.ENTERPRISE,
                Verification.VERIFIED if rng.random() < 0.9 else Verification.PENDING,
                organization_id=rng.choice(enterprises),
            )
    writer.write("user_account", rows)
    return [row["id"] for row in rows[staff:]]


def _quotas(writer: _Writer, universities: dict[str, int]) -> None:
    writer.write(
        "quota",
        [
            {
                "university_id": university,
                "category": category.value if category else None,
                "resource_kind": kind.value,
                "scope": scope.value,
                "period": period.value,
                "max_bookings": max_bookings,
                "max_hours": max_hours,
            }
            for university in universities.values()
            for category, kind, scope, period, max_bookings, max_hours in QUOTAS
        ],
    )


# --------------------------------------------------------------------------------------------------------
# Bookings
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facility:
    """What booking generation needs to know of one facility."""

    id: int
    university_id: int
    mode: Mode
    capacity: int
    slot: int
    timezone: ZoneInfo
    # weekday -> [(opens, closes)] in minutes from local midnight, closes up to 1440
    hours: dict[int, list[tuple[int, int]]]
    min_minutes: int
    max_minutes: int | None
    buffer: int
    max_advance_days: int
    max_party: int | None
    allowed: frozenset[Category]
    approval: frozenset[Category]
    checkin: bool
    closed_days: frozenset[date]
    kind: ResourceKind


@dataclass
class _Planned:
    """A booking placed on a facility's local calendar, before its person and status are chosen."""

    day: date
    start: int  # minutes from local midnight
    end: int  # may pass 1440 for placements
    party: int
    series: int | None = None  # index into the facility's series list


@dataclass
class _People:
    """Who can book what: ids by effective category, with each one's organization."""

    pools: dict[Category, list[int]]
    organization: dict[int, int | None]
    managers: dict[int, list[int]]


def seed_bookings(
    bookings: int,
    *,
    seed: int = 2026,
    now: datetime,
    resource_ids: Collection[int] | None = None,
    user_ids: Collection[int] | None = None,
    replace: bool = False,
    audit: bool = True,
) -> ScaleResult:
    """Spread `bookings` bookings over the given facilities (default: every active one) by the given people
    (default: every active account without manager or admin rights), in one transaction.

    The generator must own those facilities' bookings: if they have any it refuses, unless `replace`, which
    first deletes them with their series, their audit events and every row that points at them.
    """
    began = timer.perf_counter()
    with write_transaction():
        writer = _Writer()
        if resource_ids is None:
            resource_ids = list(
                writer.connection.exec_driver_sql("SELECT id FROM resource WHERE active").scalars()
            )
        if user_ids is None:
            user_ids = list(
                writer.connection.exec_driver_sql(
                    "SELECT id FROM user_account WHERE active AND manages_id IS NULL AND NOT is_admin"
                ).scalars()
            )
        if replace:
            _delete_bookings(writer, list(resource_ids))
        elif _has_bookings(writer, list(resource_ids)):
            raise ValueError("these facilities' bookings are not empty; pass replace=True to regenerate them")
        rng = random.Random(seed)
        result = _seed_bookings(
            writer, bookings, rng, now.astimezone(UTC), list(resource_ids), list(user_ids), audit
        )
    result.seconds = timer.perf_counter() - began
    return result


def _has_bookings(writer: _Writer, resource_ids: list[int]) -> bool:
    query = sa.text("SELECT count(*) FROM booking WHERE resource_id IN :ids")
    query = query.bindparams(sa.bindparam("ids", expanding=True))
    return bool(resource_ids) and bool(writer.connection.execute(query, {"ids": resource_ids}).scalar())


def _delete_bookings(writer: _Writer, resource_ids: list[int]) -> None:
    """Delete the facilities' bookings, their series and audit events, and every row pointing at them."""
    if not resource_ids:
        return
    doomed = "(SELECT id FROM booking WHERE resource_id IN :ids)"
    statements = [
        f"DELETE FROM {table.name} WHERE {fk.parent.name} IN {doomed}"
        for table in reversed(db.metadata.sorted_tables)
        for fk in table.foreign_keys
        if fk.column.table.name == "booking" and table.name != "booking"
    ]
    statements += [
        f"DELETE FROM audit_event WHERE target_type = 'booking' AND target_id IN {doomed}",
        "DELETE FROM booking WHERE resource_id IN :ids",
        "DELETE FROM series WHERE resource_id IN :ids",
    ]
    for statement in statements:
        query = sa.text(statement).bindparams(sa.bindparam("ids", expanding=True))
        writer.connection.execute(query, {"ids": resource_ids})


def _seed_bookings(
    writer: _Writer,
    count: int,
    rng: random.Random,
    now: datetime,
    resource_ids: list[int],
    user_ids: list[int],
    audit: bool,
) -> ScaleResult:
    facilities = _load_facilities(writer, resource_ids, now)
    people = _load_people(writer, user_ids)
    result = ScaleResult()
    if not facilities or count <= 0:
        return result
    weights = [_popularity(f) * rng.lognormvariate(0, 0.5) for f in facilities]
    shares = [0] * len(facilities)
    for index in rng.choices(range(len(facilities)), weights=weights, k=count):
        shares[index] += 1
    batch = _Batch(writer, rng, now, people, writer.next_id("booking"), writer.next_id("series"))
    shortfall = 0  # what a full facility could not take passes to the next one
    for index, (facility, share) in enumerate(zip(facilities, shares, strict=True)):
        if share + shortfall:
            before = batch.next_booking
            _book_facility(batch, facility, share + shortfall)
            shortfall += share - (batch.next_booking - before)
        if index % BATCH_FACILITIES == BATCH_FACILITIES - 1:
            batch.flush(result, audit=audit)
    batch.flush(result, audit=audit)
    writer.finish(("series", "booking", "audit_event"))
    return result


def _popularity(facility: _Facility) -> float:
    for shape in SHAPES:
        if shape.kind == facility.kind and shape.mode == facility.mode:
            return shape.popularity
    return 1.0


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _load_facilities(writer: _Writer, resource_ids: list[int], now: datetime) -> list[_Facility]:
    if not resource_ids:
        return []
    conn = writer.connection
    wanted = sa.bindparam("ids", expanding=True)
    params = {"ids": list(resource_ids)}
    hours: dict[int, dict[int, list[tuple[int, int]]]] = {}
    for resource_id, weekday, opens, closes in conn.execute(
        sa.text("SELECT resource_id, weekday, opens, closes FROM opening_hours WHERE resource_id IN :ids")
        .bindparams(wanted)
        .columns(opens=sa.Time, closes=sa.Time),
        params,
    ):
        close = _minutes(closes) or 1440
        hours.setdefault(resource_id, {}).setdefault(weekday, []).append((_minutes(opens), close))
    closures: dict[tuple[str, int], list[tuple[datetime, datetime]]] = {}
    for university_id, resource_id, start, end in conn.execute(
        sa.text("SELECT university_id, resource_id, start_at, end_at FROM closure").columns(
            start_at=UTCDateTime(), end_at=UTCDateTime()
        )
    ):
        key = ("resource", resource_id) if resource_id is not None else ("university", university_id)
        closures.setdefault(key, []).append((start, end))
    rows = conn.execute(
        sa.text(
            "SELECT r.id, r.university_id, r.mode, r.capacity, r.slot_minutes, r.timezone, r.kind, "
            "p.min_minutes, p.max_minutes, p.buffer_minutes, p.max_advance_days, p.max_party_size, "
            "p.allowed_categories, p.approval_categories, p.checkin_required "
            "FROM resource r JOIN policy p ON p.resource_id = r.id WHERE r.id IN :ids ORDER BY r.id"
        )
        .bindparams(wanted)
        .columns(allowed_categories=sa.JSON, approval_categories=sa.JSON),
        params,
    )
    facilities = []
    for row in rows:
        tz = ZoneInfo(row.timezone)
        spans = closures.get(("resource", row.id), []) + closures.get(("university", row.university_id), [])
        facilities.append(
            _Facility(
                id=row.id,
                university_id=row.university_id,
                mode=Mode(row.mode),
                capacity=row.capacity,
                slot=row.slot_minutes,
                timezone=tz,
                hours=hours.get(row.id, {}),
                min_minutes=row.min_minutes,
                max_minutes=row.max_minutes,
                buffer=row.buffer_minutes,
                max_advance_days=row.max_advance_days,
                max_party=row.max_party_size,
                allowed=frozenset(Category(c) for c in row.allowed_categories),
                approval=frozenset(Category(c) for c in row.approval_categories),
                checkin=bool(row.checkin_required),
                closed_days=_closed_days(spans, tz),
                kind=ResourceKind(row.kind),
            )
        )
    return facilities


def _closed_days(spans: list[tuple[datetime, datetime]], tz: ZoneInfo) -> frozenset[date]:
    """Local days touched by a closure; the generator books none of them."""
    days = set()
    for start, end in spans:
        day, last = start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)


def _load_people(writer: _Writer, user_ids: list[int]) -> _People:
    pools: dict[Category, list[int]] = {c: [] for c in Category}
    organization: dict[int, int | None] = {}
    if user_ids:
        rows = writer.connection.execute(
            sa.text(
                "SELECT u.id, u.category, u.verification, u.organization_id, o.kind, o.verified_at "
                "FROM user_account u LEFT JOIN organization o ON o.id = u.organization_id "
                "WHERE u.id IN :ids ORDER BY u.id"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": list(user_ids)},
        )
        for row in rows:
            organization[row.id] = row.organization_id
            pools[_effective_category(row)].append(row.id)
    managers: dict[int, list[int]] = {}
    for user_id, university_id in writer.connection.exec_driver_sql(
        "SELECT id, manages_id FROM user_account WHERE manages_id IS NOT NULL ORDER BY id"
    ):
        managers.setdefault(university_id, []).append(user_id)
    return _People(pools, organization, managers)


def _effective_category(row: Any) -> Category:
    """`engine.effective_category` of a plain row of person and organization."""
    organization_verified = row.kind == OrganizationKind.UNIVERSITY or row.verified_at is not None
    return engine.effective_category(
        Category(row.category), Verification(row.verification), organization_verified
    )


@dataclass
class _Batch:
    """Rows for a batch of facilities, written table by table (series before the bookings that use them),
    with what generating them needs. Booking and series ids are explicit: rows refer to them."""

    writer: _Writer
    rng: random.Random
    now: datetime
    people: _People
    next_booking: int
    next_series: int
    series: list[dict[str, object]] = field(default_factory=list)
    bookings: list[dict[str, object]] = field(default_factory=list)
    audit: list[dict[str, object]] = field(default_factory=list)

    def flush(self, result: "ScaleResult", *, audit: bool) -> None:
        """Write the rows gathered so far, count them into `result`, and start afresh."""
        result.series += self.writer.write("series", self.series)
        result.bookings += self.writer.write("booking", self.bookings)
        if audit:
            result.audit_events += self.writer.write("audit_event", self.audit)
        self.series, self.bookings, self.audit = [], [], []


CATEGORY_WEIGHTS = {Category.RESIDENT: 0.6, Category.STUDENT: 0.3, Category.ENTERPRISE: 0.1}


class _Calendar:
    """One facility's days from two years back to the end of its booking window, with their weights."""

    def __init__(self, facility: _Facility, now: datetime) -> None:
        today = now.astimezone(facility.timezone).date()
        first = today - timedelta(days=HISTORY_DAYS)
        last = today + timedelta(days=max(1, facility.max_advance_days))
        self.days: list[date] = []
        self.weights: list[float] = []
        span = (last - first).days
        for offset in range(span + 1):
            day = first + timedelta(days=offset)
            if day.weekday() not in facility.hours or day in facility.closed_days:
                continue
            weight = 1.6 if day.weekday() >= 5 else 1.0
            weight *= 0.55 + 0.45 * offset / span  # use grows as the platform becomes known
            if day > today:  # the future fills up as its day approaches
                weight *= max(0.1, 1 - (day - today).days / max(1, facility.max_advance_days))
            self.days.append(day)
            self.weights.append(weight)


def _book_facility(batch: _Batch, facility: _Facility, count: int) -> None:
    calendar = _Calendar(facility, batch.now)
    if not calendar.days:
        return
    if facility.mode == Mode.PLACEMENT:
        planned, series = _plan_placements(batch.rng, facility, calendar, count), []
    else:
        planned, series = _plan_slots(batch.rng, facility, calendar, count)
    # Each series belongs to one person and was requested at once, before its first date.
    owners = [_booker(batch.rng, facility, batch.people) for _ in series]
    series_ids: list[int | None] = []
    for _category, user in owners:
        series_ids.append(batch.next_series if user is not None else None)
        batch.next_series += user is not None
    requested: dict[int, datetime] = {}
    for plan in planned:
        series_id = series_ids[plan.series] if plan.series is not None else None
        if series_id is None:
            category, user = _booker(batch.rng, facility, batch.people)
            if user is None:
                continue
            _write_booking(batch, facility, plan, user, category, None)
            continue
        category, user = owners[plan.series]
        created = _write_booking(batch, facility, plan, user, category, series_id, requested.get(series_id))
        requested.setdefault(series_id, created)
    for (weekday, local_start, duration, length), series_id, (_category, user) in zip(
        series, series_ids, owners, strict=True
    ):
        if series_id is not None:
            batch.series.append(
                {
                    "id": series_id,
                    "user_id": user,
                    "resource_id": facility.id,
                    "frequency": "weekly",
                    "interval": 1,
                    "weekdays": batch.writer.js([weekday]),
                    "count": length,
                    "local_start": batch.writer.tm(time(local_start // 60, local_start % 60)),
                    "duration_minutes": duration,
                    "created_at": batch.writer.dt(requested.get(series_id, batch.now)),
                }
            )


def _booker(rng: random.Random, facility: _Facility, people: _People) -> tuple[Category, int | None]:
    """Someone allowed to book the facility, busy people more often than others."""
    allowed = [c for c in CATEGORY_WEIGHTS if c in facility.allowed and people.pools[c]]
    if not allowed:
        return Category.RESIDENT, None
    category = rng.choices(allowed, weights=[CATEGORY_WEIGHTS[c] for c in allowed])[0]
    pool = people.pools[category]
    return category, pool[int(len(pool) * rng.random() ** 1.6)]


def _durations(facility: _Facility) -> tuple[list[int], list[float]]:
    """Lengths on the slot grid up to four hours, shorter ones likelier (cumulative weights)."""
    shortest = max(facility.min_minutes, facility.slot)
    shortest += -shortest % facility.slot
    longest = min(facility.max_minutes or 240, 240)
    lengths = list(range(shortest, max(shortest, longest) + 1, facility.slot))
    return lengths, list(itertools.accumulate(1 / (i + 1) for i in range(len(lengths))))


def _starts(facility: _Facility, weekday: int, shortest: int) -> tuple[list[int], list[float]]:
    """Slot-grid start minutes of a weekday where the shortest booking fits, with cumulative peak weights."""
    peak = _PEAKS.get(facility.kind, EVENING_PEAK)
    starts = []
    for opens, closes in facility.hours.get(weekday, ()):
        minute = opens + (-opens % facility.slot)
        while minute + shortest <= closes:
            starts.append(minute)
            minute += facility.slot
    return starts, list(itertools.accumulate(peak[(m // 60) % 24] for m in starts))


_PEAKS = {shape.kind: shape.peak for shape in SHAPES}


class _Day:
    """What one local day already holds: spans on exclusive facilities, places per slot otherwise."""

    def __init__(self, facility: _Facility) -> None:
        self.facility = facility
        self.spans: list[tuple[int, int]] = []
        self.places: list[int] = [] if facility.mode == Mode.EXCLUSIVE else [0] * (1440 // facility.slot + 2)

    def closes_at(self, weekday: int, start: int) -> int:
        for opens, closes in self.facility.hours.get(weekday, ()):
            if opens <= start < closes:
                return closes
        return start

    def fits(self, start: int, end: int, party: int) -> bool:
        blocked = end + self.facility.buffer
        if self.facility.mode == Mode.EXCLUSIVE:
            return all(start >= other_end or blocked <= other_start for other_start, other_end in self.spans)
        slot = self.facility.slot
        first, last = start // slot, min(len(self.places), -(-blocked // slot))
        return max(self.places[first:last]) + party <= self.facility.capacity

    def take(self, start: int, end: int, party: int) -> None:
        blocked = end + self.facility.buffer
        if self.facility.mode == Mode.EXCLUSIVE:
            self.spans.append((start, blocked))
            return
        slot = self.facility.slot
        for index in range(start // slot, min(len(self.places), -(-blocked // slot))):
            self.places[index] += party


def _party(rng: random.Random, facility: _Facility) -> int:
    if facility.mode == Mode.EXCLUSIVE:
        return rng.randint(1, max(1, min(facility.max_party or 8, 8)))
    limit = min(facility.max_party or 4, facility.capacity)
    return 1 if rng.random() < 0.7 else rng.randint(1, max(1, limit))


def _plan_slots(
    rng: random.Random, facility: _Facility, calendar: _Calendar, count: int
) -> tuple[list[_Planned], list[tuple[int, int, int, int]]]:
    """Bookings on the slot grid: weekly series first, then single bookings by day and peak hour."""
    lengths, length_weights = _durations(facility)
    grid = {wd: _starts(facility, wd, lengths[0]) for wd in facility.hours}
    days: dict[date, _Day] = {}
    planned: list[_Planned] = []
    series: list[tuple[int, int, int, int]] = []

    def place(day: date, start: int, length: int, party: int, series_index: int | None = None) -> bool:
        placed = days.setdefault(day, _Day(facility))
        end = min(start + length, placed.closes_at(day.weekday(), start))
        if end - start < lengths[0] or not placed.fits(start, end, party):
            return False
        placed.take(start, end, party)
        planned.append(_Planned(day, start, end, party, series_index))
        return True

    open_days = set(calendar.days)
    day_weights = list(itertools.accumulate(calendar.weights))
    target_series = int(count * _series_share(facility))
    for _attempt in range(target_series):
        if len(planned) >= target_series:
            break
        first = rng.choices(calendar.days, cum_weights=day_weights)[0]
        starts, weights = grid[first.weekday()]
        if not starts:
            continue
        start = rng.choices(starts, cum_weights=weights)[0]
        length = rng.choices(lengths, cum_weights=length_weights)[0]
        occurrences = rng.randint(6, 16)
        index = len(series)
        series.append((first.weekday(), start, length, occurrences))
        party = _party(rng, facility)
        for week in range(occurrences):
            day = first + timedelta(weeks=week)
            if day in open_days:
                place(day, start, length, party, index)
    # A crowded day refuses some draws; keep drawing (within a budget) until the count is reached.
    for _round in range(3):
        remaining = count - len(planned)
        if remaining <= 0:
            break
        for day in rng.choices(calendar.days, cum_weights=day_weights, k=remaining):
            starts, weights = grid[day.weekday()]
            for _attempt in range(4 if starts else 0):
                start = rng.choices(starts, cum_weights=weights)[0]
                length = rng.choices(lengths, cum_weights=length_weights)[0]
                if place(day, start, length, _party(rng, facility)):
                    break
    return planned[:count], series


def _series_share(facility: _Facility) -> float:
    for shape in SHAPES:
        if shape.kind == facility.kind and shape.mode == facility.mode:
            return shape.series_share
    return 0.0


def _plan_placements(
    rng: random.Random, facility: _Facility, calendar: _Calendar, count: int
) -> list[_Planned]:
    """Internship terms of 4 to 16 weeks from a Monday, at most `capacity` people on any day."""
    seats: dict[date, int] = {}
    planned = []
    mondays = [d for d in calendar.days if d.weekday() == 0]
    for _ in range(count * 3):
        if len(planned) >= count or not mondays:
            break
        first = rng.choice(mondays)
        days = [first + timedelta(days=n) for n in range(7 * rng.randint(4, 16))]
        if any(d in facility.closed_days or seats.get(d, 0) >= facility.capacity for d in days):
            continue
        for d in days:
            seats[d] = seats.get(d, 0) + 1
        planned.append(_Planned(first, 0, len(days) * 1440, 1))
    return planned


def _local(facility: _Facility, day: date, minute: int) -> datetime:
    return datetime.combine(
        day + timedelta(days=minute // 1440), time((minute % 1440) // 60, minute % 60), facility.timezone
    ).astimezone(UTC)


def _history(
    rng: random.Random,
    facility: _Facility,
    start: datetime,
    end: datetime,
    now: datetime,
    needs_approval: bool,
) -> list[BookingStatus]:
    """The statuses a booking went through, from its first to its current one."""
    path = [S.PENDING] if needs_approval else [S.CONFIRMED]
    roll = rng.random()
    if end <= now:
        if needs_approval and roll < 0.04:
            return [*path, S.REJECTED]
        if needs_approval and roll < 0.06:
            return [*path, S.EXPIRED]
        if needs_approval:
            path.append(S.CONFIRMED)
        if roll > 0.93:
            return [*path, S.CANCELLED]
        if facility.checkin and roll > 0.89:
            return [*path, S.NO_SHOW]
        if facility.checkin:
            path.append(S.CHECKED_IN)
        return [*path, S.COMPLETED]
    if start <= now:
        if needs_approval:
            path.append(S.CONFIRMED)
        return [*path, S.CHECKED_IN] if facility.checkin else path
    if roll > 0.94:
        return [*path, S.CANCELLED]
    if needs_approval and roll < 0.5:
        path.append(S.CONFIRMED)
    return path


def _write_booking(
    batch: _Batch,
    facility: _Facility,
    plan: _Planned,
    user: int,
    category: Category,
    series_id: int | None,
    created: datetime | None = None,
) -> datetime:
    """Append one booking and its audit events; returns when it was requested."""
    rng, now, writer = batch.rng, batch.now, batch.writer
    start, end = _local(facility, plan.day, plan.start), _local(facility, plan.day, plan.end)
    needs_approval = engine.requires_approval(category, facility.approval, facility.mode)
    if created is None:
        lead = timedelta(minutes=rng.randint(60, max(61, facility.max_advance_days * 1440)))
        created = min(start - lead * rng.random() ** 2 - timedelta(minutes=60), now - timedelta(minutes=5))
    statuses = _history(rng, facility, start, end, now, needs_approval)
    status = statuses[-1]
    decided = None
    decider = None
    if needs_approval and len(statuses) > 1 and statuses[1] in (S.CONFIRMED, S.REJECTED):
        decided = min(created + timedelta(hours=rng.randint(1, 48)), start, now)
        managers = batch.people.managers.get(facility.university_id) or [None]
        decider = rng.choice(managers)
    changed = created
    if status == S.CANCELLED:
        changed = min(created + (min(start, now) - created) * rng.random(), now)
    elif status in (S.COMPLETED, S.NO_SHOW):
        changed = end
    elif decided is not None:
        changed = decided
    checked_in = start + timedelta(minutes=rng.randint(-10, 10)) if S.CHECKED_IN in statuses else None
    # Reminders already went out for confirmed bookings that came within the reminder job's lead.
    reminded = max(start - REMINDER_LEAD, created) if S.CONFIRMED in statuses else None
    booking_id = batch.next_booking
    batch.next_booking += 1
    batch.bookings.append(
        {
            "id": booking_id,
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "resource_id": facility.id,
            "user_id": user,
            "organization_id": batch.people.organization.get(user),
            "series_id": series_id,
            "start_at": writer.dt(start),
            "end_at": writer.dt(end),
            "blocked_until": writer.dt(end + timedelta(minutes=facility.buffer)),
            "exclusive": facility.mode == Mode.EXCLUSIVE,
            "party_size": plan.party,
            "purpose": rng.choice(PURPOSES),
            "status": status.value,
            "decided_by_id": decider,
            "decided_at": writer.dt(decided),
            "checkin_code": f"{rng.randrange(10**6):06d}" if facility.checkin else None,
            "checked_in_at": writer.dt(checked_in),
            "reminded_at": writer.dt(reminded if reminded is not None and reminded <= now else None),
            "sequence": len(statuses) - 1,
            "created_at": writer.dt(created),
            "updated_at": writer.dt(changed),
        }
    )
    events = [("booking.created", user, created, {"status": statuses[0].value})]
    if series_id is not None:
        events[0][3]["series"] = series_id
    if decided is not None:
        events.append(
            ("booking.approved" if statuses[1] == S.CONFIRMED else "booking.rejected", decider, decided, {})
        )
    if status == S.CANCELLED:
        events.append(("booking.cancelled", user, changed, {"by_manager": False, "reason": ""}))
    elif status == S.NO_SHOW:
        events.append(("booking.no_show", None, changed, {}))
    batch.audit.extend(
        {
            "actor_id": actor,
            "university_id": facility.university_id,
            "action": action,
            "target_type": "booking",
            "target_id": booking_id,
            "details": writer.js(details),
            "at": writer.dt(at),
        }
        for action, actor, at, details in events
    )
    return created


# --------------------------------------------------------------------------------------------------------
# The invariant
# --------------------------------------------------------------------------------------------------------


def double_bookings(statuses: Collection[BookingStatus] = ACTIVE_STATUSES, *, limit: int = 20) -> list[str]:
    """Overlapping bookings of an exclusive facility and overfilled shared ones, among `statuses`.

    Both are window functions over one facility's bookings in time order, so they stay fast on a million
    rows. Exclusive: each booking must start at or after every earlier one's `blocked_until`. Shared and
    placement: a running sum of +places at each start and -places at each `blocked_until` (ends first at the
    same instant, the spans being half-open) must never pass the capacity.
    """
    held = [s.value for s in statuses]
    overlaps = sa.text(
        "SELECT id, resource_id FROM ("
        " SELECT id, resource_id, start_at, max(blocked_until) OVER ("
        "  PARTITION BY resource_id ORDER BY start_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
        " ) AS earlier_until FROM booking WHERE exclusive AND status IN :held"
        ") AS ordered WHERE start_at < earlier_until ORDER BY id LIMIT :limit"
    ).bindparams(sa.bindparam("held", expanding=True))
    overfilled = sa.text(
        "SELECT swept.resource_id, swept.at, swept.taken, r.capacity FROM ("
        " SELECT resource_id, at, sum(places) OVER ("
        "  PARTITION BY resource_id ORDER BY at, places ROWS UNBOUNDED PRECEDING) AS taken FROM ("
        "   SELECT resource_id, start_at AS at, party_size AS places FROM booking"
        "    WHERE NOT exclusive AND status IN :held"
        "   UNION ALL SELECT resource_id, blocked_until, -party_size FROM booking"
        "    WHERE NOT exclusive AND status IN :held_too) AS changes"
        ") AS swept JOIN resource r ON r.id = swept.resource_id WHERE swept.taken > r.capacity"
        " ORDER BY swept.resource_id, swept.at LIMIT :limit"
    ).bindparams(sa.bindparam("held", expanding=True), sa.bindparam("held_too", expanding=True))
    problems = [
        f"booking {row.id} overlaps an earlier booking of exclusive facility {row.resource_id}"
        for row in db.session.execute(overlaps, {"held": held, "limit": limit})
    ]
    problems += [
        f"facility {row.resource_id} holds {row.taken} of {row.capacity} places at {row.at}"
        for row in db.session.execute(overfilled, {"held": held, "held_too": held, "limit": limit})
    ]
    return problems


__all__ = [
    "EMAIL_DOMAIN",
    "HELD_STATUSES",
    "PASSWORD",
    "SHAPES",
    "ScaleResult",
    "double_bookings",
    "seed_bookings",
    "seed_scale",
]
