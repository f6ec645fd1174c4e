"""Factories for test data: small functions with sensible defaults, every field overridable."""

import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Any

from werkzeug.security import generate_password_hash

from models import (
    ApplicationForm,
    Booking,
    BookingStatus,
    Category,
    Closure,
    Mode,
    OpeningHours,
    Organization,
    OrganizationKind,
    Policy,
    Quota,
    QuotaPeriod,
    QuotaScope,
    Resource,
    ResourceKind,
    User,
    Verification,
    WaitlistEntry,
    db,
)

PASSWORD = "correct horse 42"


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Jiaozuo wall-clock time in 2026 (November unless `month` says otherwise) as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


# The moment most tests stand at (a module freezes time there with `frozen_clock`): Tuesday 24 November
# 2026, 09:00 in Jiaozuo.
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)

_seq = itertools.count(1)
# Hashing once keeps factories fast; the login form still checks it for real.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def _save(row: object, *given: object) -> None:
    """Add `row` and commit, keeping loaded what this factory wrote and what it was given.

    Their state is what was just committed (the same reasoning as `write_transaction`'s kept rows), so the
    next factory or assertion does not read them again; everything else expires, as after any commit.
    Committing each row (rather than only flushing) stays: a service's `write_transaction` on SQLite, and
    the end of every test-client request, roll back whatever the test's session has not committed.
    """
    session = db.session()
    session.add(row)
    kept = {id(obj) for obj in (row, *given) if obj is not None}
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    for obj in list(session.identity_map.values()):
        if id(obj) not in kept:
            session.expire(obj)


def make_university(**fields: Any) -> Organization:
    n = next(_seq)
    org = Organization(
        kind=OrganizationKind.UNIVERSITY,
        name_zh=fields.pop("name_zh", f"测试大学{n}"),
        name_en=fields.pop("name_en", f"Test University {n}"),
        code=fields.pop("code", f"U{n}"),
        **fields,
    )
    _save(org)
    return org


def make_hpu(**fields: Any) -> Organization:
    """Henan Polytechnic University, as the tests that need two real universities name it."""
    return make_university(
        name_en="Henan Polytechnic University", name_zh="河南理工大学", code="HPU", **fields
    )


def make_jzu(**fields: Any) -> Organization:
    """Jiaozuo University, the other of the two."""
    return make_university(name_en="Jiaozuo University", name_zh="焦作大学", code="JZU", **fields)


def make_enterprise(verified: bool = True, **fields: Any) -> Organization:
    n = next(_seq)
    org = Organization(
        kind=OrganizationKind.ENTERPRISE,
        name_zh=fields.pop("name_zh", f"测试企业{n}"),
        name_en=fields.pop("name_en", f"Test Enterprise {n}"),
        code=fields.pop("code", f"91410800MA{n:07d}X"[:18]),
        verified_at=datetime(2026, 1, 1, tzinfo=UTC) if verified else None,
        **fields,
    )
    _save(org)
    return org


def make_user(category: Category = Category.RESIDENT, **fields: Any) -> User:
    n = next(_seq)
    verification = fields.pop(
        "verification", Verification.NONE if category == Category.RESIDENT else Verification.VERIFIED
    )
    user = User(
        email=fields.pop("email", f"user{n}@example.com"),
        password_hash=fields.pop("password_hash", _PASSWORD_HASH),
        display_name=fields.pop("display_name", f"User {n}"),
        category=category,
        verification=verification,
        **fields,
    )
    _save(user, fields.get("organization"))
    return user


def make_manager(university: Organization, **fields: Any) -> User:
    return make_user(Category.RESIDENT, manages_id=university.id, **fields)


def make_admin(**fields: Any) -> User:
    return make_user(Category.RESIDENT, is_admin=True, **fields)


DAILY_HOURS = tuple((weekday, time(8, 0), time(22, 0)) for weekday in range(7))


def make_resource(
    university: Organization | None = None,
    *,
    kind: ResourceKind = ResourceKind.SPORTS_VENUE,
    mode: Mode = Mode.EXCLUSIVE,
    hours: tuple[tuple[int, time, time], ...] = DAILY_HOURS,
    policy: dict[str, Any] | None = None,
    tags: tuple[str, ...] = (),
    **fields: Any,
) -> Resource:
    from models import ResourceTag

    if university is None:
        university = make_university()
    n = next(_seq)
    resource = Resource(
        university=university,
        kind=kind,
        mode=mode,
        name_zh=fields.pop("name_zh", f"测试场地{n}"),
        name_en=fields.pop("name_en", f"Test facility {n}"),
        capacity=fields.pop("capacity", 1 if mode == Mode.EXCLUSIVE else 10),
        slot_minutes=fields.pop("slot_minutes", 1440 if mode == Mode.PLACEMENT else 30),
        **fields,
    )
    resource.hours = [OpeningHours(weekday=w, opens=o, closes=c) for w, o, c in hours]
    resource.tags = [ResourceTag(tag=t) for t in tags]
    policy_fields = {"min_notice_minutes": 0, "max_advance_days": 30, "max_minutes": 120}
    policy_fields.update(policy or {})
    resource.policy = Policy(**policy_fields)
    _save(resource, university, resource.policy, *resource.hours, *resource.tags)
    return resource


def make_training_base(
    university: Organization | None = None, *, capacity: int = 2, **fields: Any
) -> Resource:
    """A training base: placement by application, whole days (24 hours open, every day), 60 days ahead."""
    return make_resource(
        university,
        kind=ResourceKind.TRAINING_BASE,
        mode=Mode.PLACEMENT,
        capacity=capacity,
        hours=tuple((weekday, time(0), time(0)) for weekday in range(7)),
        policy={"max_minutes": None, "min_minutes": 1440, "max_advance_days": 60},
        **fields,
    )


def make_closure(
    resource: Resource, start: datetime, end: datetime, reason: str = "Exam week", **fields
) -> Closure:
    closure = Closure(
        university_id=resource.university_id,
        resource_id=fields.pop("resource_id", resource.id),
        start_at=start,
        end_at=end,
        reason_zh=fields.pop("reason_zh", reason),
        reason_en=fields.pop("reason_en", reason),
        **fields,
    )
    _save(closure, resource)
    return closure


def make_exam_week(resource: Resource, start: datetime, end: datetime, **fields: Any) -> Closure:
    """A closure for the exam week: 考试周, "Exam week" in English."""
    return make_closure(resource, start, end, reason_zh="考试周", reason_en="Exam week", **fields)


def make_quota(university: Organization, **fields: Any) -> Quota:
    fields.setdefault("scope", QuotaScope.USER)
    fields.setdefault("period", QuotaPeriod.WEEK)
    quota = Quota(university_id=university.id, **fields)
    _save(quota, university)
    return quota


def make_booking(
    resource: Resource,
    user: User,
    start: datetime,
    end: datetime | None = None,
    *,
    status: BookingStatus = BookingStatus.CONFIRMED,
    **fields: Any,
) -> Booking:
    """Insert a booking directly, bypassing the rules (for setting a scene)."""
    end = end or start + timedelta(hours=1)
    booking = Booking.held_by(
        user,
        resource,
        start,
        end,
        blocked_until=fields.pop("blocked_until", end + timedelta(minutes=resource.policy.buffer_minutes)),
        status=status,
        **fields,
    )
    _save(booking, resource, resource.policy, user)
    return booking


def booking_form(**overrides: str) -> dict[str, str]:
    """The booking form as a person sends it: Wednesday 25 November 2026, 10:00-11:00, one person."""
    return {
        "day": "2026-11-25",
        "start_time": "10:00",
        "end_time": "11:00",
        "party_size": "1",
        "purpose": "Training",
        **overrides,
    }


def make_waitlist_entry(
    resource: Resource, user: User, start: datetime, end: datetime, **fields: Any
) -> WaitlistEntry:
    """Put someone on the waitlist directly, bypassing the rules (for setting a scene)."""
    entry = WaitlistEntry(resource_id=resource.id, user_id=user.id, start_at=start, end_at=end, **fields)
    _save(entry, resource, user)
    return entry


# A lab's questions, one of each type, as the application form editor stores them.
LAB_QUESTIONS = [
    {
        "key": "qpeople",
        "type": "number",
        "label_zh": "参加人数",
        "label_en": "How many people",
        "required": True,
    },
    {
        "key": "qhazard",
        "type": "choice",
        "label_zh": "危险等级",
        "label_en": "Hazard level",
        "required": True,
        "choices": [{"zh": "无", "en": "None"}, {"zh": "化学品", "en": "Chemicals"}],
    },
    {
        "key": "qtrained",
        "type": "yes_no",
        "label_zh": "已接受安全培训",
        "label_en": "Safety trained",
        "required": True,
    },
    {"key": "qdate", "type": "date", "label_zh": "培训日期", "label_en": "Training date", "required": False},
    {
        "key": "qplan",
        "type": "text",
        "label_zh": "实验内容",
        "label_en": "What you will do",
        "required": True,
    },
]
LAB_TERMS_ZH = "进入实验室须穿戴防护装备，遵守安全承诺。"
LAB_TERMS_EN = "Wear protective equipment and keep the safety commitment."


def make_application_form(
    resource: Resource | None = None,
    *,
    university: Organization | None = None,
    kind: ResourceKind | None = None,
    **fields: Any,
) -> ApplicationForm:
    """The next version of a facility's form (or, with `university` and `kind`, of a kind's form)."""
    import sqlalchemy as sa

    if resource is not None:
        university_id, scope = resource.university_id, f"resource:{resource.id}"
    else:
        assert university is not None and kind is not None
        university_id, scope = university.id, f"kind:{kind.value}"
    version = db.session.scalar(
        sa.select(sa.func.max(ApplicationForm.version)).where(
            ApplicationForm.university_id == university_id, ApplicationForm.scope == scope
        )
    )
    form = ApplicationForm(
        university_id=university_id,
        scope=scope,
        version=(version or 0) + 1,
        questions=fields.pop("questions", LAB_QUESTIONS),
        terms_zh=fields.pop("terms_zh", LAB_TERMS_ZH),
        terms_en=fields.pop("terms_en", LAB_TERMS_EN),
        attachment=fields.pop("attachment", "optional"),
        attachment_hint_zh=fields.pop("attachment_hint_zh", "安全预案"),
        attachment_hint_en=fields.pop("attachment_hint_en", "Safety plan"),
        **fields,
    )
    db.session.add(form)
    db.session.commit()
    return form
