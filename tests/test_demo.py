"""Demo data: Jiaozuo's universities, facilities, enterprises and accounts, seeded once and only once."""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskCliRunner
from werkzeug.security import check_password_hash

from booking import demo
from booking.credit_code import is_valid
from models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    Category,
    Closure,
    Mode,
    Organization,
    OrganizationKind,
    Quota,
    QuotaPeriod,
    QuotaScope,
    Resource,
    ResourceKind,
    User,
    Verification,
    db,
)
from tests.conftest import AuthActions

# A Tuesday, 10:00 in Jiaozuo.
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def seeded(app: Flask) -> demo.DemoResult:
    return demo.seed_demo(NOW)


# What past demo bookings may be: the history behind the reports.
FINISHED = {BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.REJECTED}


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _bookings(after: datetime | None = None) -> list[Booking]:
    """Every demo booking, or (after) those ahead of that time: the past ones are the reports' history."""
    query = sa.select(Booking).order_by(Booking.resource_id, Booking.start_at)
    if after is not None:
        query = query.where(Booking.start_at > after)
    return list(db.session.scalars(query))


def _active_by_resource() -> dict[Resource, list[Booking]]:
    grouped: dict[Resource, list[Booking]] = defaultdict(list)
    for booking in _bookings():
        if booking.status in ACTIVE_STATUSES:
            grouped[booking.resource].append(booking)
    return grouped


def _inside_opening_hours(booking: Booking) -> bool:
    """Checked apart from the seeder: one opening interval holds the booking (placements: whole days)."""
    resource = booking.resource
    tz = ZoneInfo(resource.timezone)
    start, end = booking.start_at.astimezone(tz), booking.end_at.astimezone(tz)
    midnight = time(0, 0)
    if resource.mode == Mode.PLACEMENT:
        if start.time() != midnight or end.time() != midnight:
            return False
        days = (end.date() - start.date()).days
        return all(
            any(
                h.weekday == (start.date() + timedelta(days=d)).weekday()
                and h.opens == midnight
                and h.closes == midnight
                for h in resource.hours
            )
            for d in range(days)
        )
    day_start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    begin = int((start - day_start).total_seconds() // 60)
    finish = int((end - day_start).total_seconds() // 60)
    for h in resource.hours:
        if h.weekday != start.weekday():
            continue
        opens = h.opens.hour * 60 + h.opens.minute
        closes = 24 * 60 if h.closes == midnight else h.closes.hour * 60 + h.closes.minute
        if opens <= begin and finish <= closes:
            return True
    return False


def test_an_empty_database_is_reported_empty_until_seeded(app: Flask) -> None:
    assert demo.database_is_empty()
    demo.seed_demo(NOW)
    assert not demo.database_is_empty()


def test_the_four_jiaozuo_universities_exist(seeded: demo.DemoResult) -> None:
    universities = db.session.scalars(
        sa.select(Organization).filter_by(kind=OrganizationKind.UNIVERSITY)
    ).all()
    assert {(u.code, u.name_zh) for u in universities} == {
        ("HPU", "河南理工大学"),
        ("JZU", "焦作大学"),
        ("HJU", "黄河交通学院"),
        ("JZNC", "焦作师范高等专科学校"),
    }
    assert all(u.name_en for u in universities)


def test_facilities_cover_every_kind_and_every_mode(seeded: demo.DemoResult) -> None:
    resources = db.session.scalars(sa.select(Resource)).all()
    assert len(resources) >= 25
    assert {r.kind for r in resources} == set(ResourceKind)
    assert {r.mode for r in resources} == set(Mode)
    assert {r.university.code for r in resources} == {"HPU", "JZU", "HJU", "JZNC"}
    for resource in resources:
        assert resource.name_zh and resource.name_en and resource.description_zh and resource.description_en
        assert resource.policy is not None and resource.hours
        assert 35.0 < resource.latitude < 35.4 and 113.0 < resource.longitude < 113.5
        assert resource.timezone == "Asia/Shanghai"
        assert all(tag.tag == tag.tag.lower() for tag in resource.tags)
        if resource.mode == Mode.PLACEMENT:
            assert resource.slot_minutes == 1440
            assert resource.policy.allowed_categories == ["student"]
            assert {(h.weekday, h.opens, h.closes) for h in resource.hours} == {
                (day, time(0), time(0)) for day in range(7)
            }


def test_four_badminton_courts_are_separate_exclusive_facilities(seeded: demo.DemoResult) -> None:
    courts = db.session.scalars(sa.select(Resource).where(Resource.name_en.like("Badminton Court %"))).all()
    assert sorted(c.name_en for c in courts) == [f"Badminton Court {n}" for n in range(1, 5)]
    assert all(c.mode == Mode.EXCLUSIVE and c.policy.checkin_required for c in courts)


def test_enterprise_only_labs_need_approval_and_keep_a_buffer(seeded: demo.DemoResult) -> None:
    lab = db.session.scalar(sa.select(Resource).filter_by(name_en="Intelligent Equipment Lab"))
    assert lab.policy.allowed_categories == ["enterprise"]
    assert lab.policy.approval_categories == ["enterprise"]
    assert lab.policy.buffer_minutes == 30


def test_every_enterprise_has_a_valid_credit_code(seeded: demo.DemoResult) -> None:
    enterprises = db.session.scalars(
        sa.select(Organization).filter_by(kind=OrganizationKind.ENTERPRISE)
    ).all()
    assert len(enterprises) >= 3
    assert all(is_valid(e.code) and len(e.code) == 18 and e.code.startswith("914108") for e in enterprises)
    assert sum(e.verified_at is not None for e in enterprises) >= 2
    assert any(e.verified_at is None for e in enterprises)


def test_demo_accounts_exist_and_their_printed_passwords_work(seeded: demo.DemoResult) -> None:
    logins = {login.email: login for login in seeded.logins}
    for email in (
        "resident@demo.jz",
        "student@demo.jz",
        "newstudent@demo.jz",
        "enterprise@demo.jz",
        "manager.hpu@demo.jz",
        "manager.jzu@demo.jz",
        "admin@demo.jz",
    ):
        assert email in logins
    for login in seeded.logins:
        user = db.session.scalar(sa.select(User).filter_by(email=login.email))
        assert user is not None and login.role
        assert check_password_hash(user.password_hash, login.password)

    def user(email: str) -> User:
        return db.session.scalar(sa.select(User).filter_by(email=email))

    assert user("resident@demo.jz").effective_category == Category.RESIDENT
    student = user("student@demo.jz")
    assert student.effective_category == Category.STUDENT
    assert student.organization.code == "HPU" and student.student_number
    assert user("newstudent@demo.jz").verification == Verification.PENDING
    assert user("newstudent@demo.jz").effective_category == Category.RESIDENT
    assert user("enterprise@demo.jz").effective_category == Category.ENTERPRISE
    assert user("manager.hpu@demo.jz").manages.code == "HPU"
    assert user("manager.jzu@demo.jz").manages.code == "JZU"
    assert user("admin@demo.jz").is_admin


def test_every_demo_login_signs_in_through_the_login_form(seeded: demo.DemoResult, auth: AuthActions) -> None:
    for login in seeded.logins:
        response = auth.login(login.email, login.password)
        assert response.status_code == 302, login.email
        auth.logout()


def test_seeding_twice_creates_no_duplicates(app: Flask) -> None:
    first = demo.seed_demo(NOW)
    counts = _row_counts()
    second = demo.seed_demo(NOW)
    assert _row_counts() == counts
    assert first.created_total > 0
    assert second.created_total == 0
    assert "nothing new" in second.summary().lower()


def test_seeding_again_a_day_later_still_creates_nothing(app: Flask) -> None:
    demo.seed_demo(NOW)
    counts = _row_counts()
    assert demo.seed_demo(NOW + timedelta(days=1)).created_total == 0
    assert _row_counts() == counts


def test_a_failed_seed_leaves_nothing_half_written(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(demo._BookingSeeder, "run", fail)
    with pytest.raises(RuntimeError):
        demo.seed_demo(NOW)
    assert all(count == 0 for count in _row_counts().values())


def test_closures_include_exam_week_spring_festival_and_maintenance_next_week(
    seeded: demo.DemoResult,
) -> None:
    closures = db.session.scalars(sa.select(Closure)).all()
    exam = [c for c in closures if c.reason_zh == "期末考试周"]
    assert len(exam) == 1 and exam[0].resource_id is None
    assert exam[0].start_at == datetime(2027, 1, 4, tzinfo=SHANGHAI)
    festival = [c for c in closures if "Spring Festival" in c.reason_en]
    assert len(festival) == 4 and all(c.resource_id is None for c in festival)
    assert all(c.start_at == datetime(2027, 2, 6, tzinfo=SHANGHAI) for c in festival)
    assert all(c.end_at == datetime(2027, 2, 15, tzinfo=SHANGHAI) for c in festival)
    maintenance = [c for c in closures if c.resource_id is not None]
    assert len(maintenance) == 1
    assert NOW + timedelta(days=1) < maintenance[0].start_at < NOW + timedelta(days=14)


def test_quotas_limit_residents_enterprises_and_placements(seeded: demo.DemoResult) -> None:
    quotas = db.session.scalars(sa.select(Quota)).all()
    weekly = [
        q
        for q in quotas
        if q.category == Category.RESIDENT
        and q.resource_kind == ResourceKind.SPORTS_VENUE
        and q.period == QuotaPeriod.WEEK
        and q.max_bookings == 2
    ]
    assert len(weekly) == 4
    assert any(q.scope == QuotaScope.ORGANIZATION and q.category == Category.ENTERPRISE for q in quotas)
    assert any(
        q.period == QuotaPeriod.ACTIVE and q.resource_kind == ResourceKind.TRAINING_BASE for q in quotas
    )


def test_demo_bookings_fill_the_next_two_weeks(seeded: demo.DemoResult) -> None:
    bookings = _bookings(after=NOW)
    assert 40 <= len(bookings) <= 80
    assert {b.status for b in bookings} == {
        BookingStatus.PENDING,
        BookingStatus.CONFIRMED,
        BookingStatus.CANCELLED,
    }
    for booking in bookings:
        resource = booking.resource
        assert NOW < booking.start_at < NOW + timedelta(days=15)
        assert booking.organization_id == booking.user.organization_id
        assert booking.exclusive == (resource.mode == Mode.EXCLUSIVE)
        assert booking.blocked_until == booking.end_at + timedelta(minutes=resource.policy.buffer_minutes)
        local = booking.start_at.astimezone(ZoneInfo(resource.timezone))
        assert (local.hour * 60 + local.minute) % resource.slot_minutes == 0
        assert booking.party_size <= resource.capacity
        assert booking.user.effective_category.value in resource.policy.allowed_categories
    kinds = {b.resource.kind for b in bookings}
    assert {
        ResourceKind.SPORTS_VENUE,
        ResourceKind.LIBRARY,
        ResourceKind.LAB,
        ResourceKind.TRAINING_BASE,
    } <= kinds
    pending = [b for b in bookings if b.status == BookingStatus.PENDING]
    assert {b.resource.university.code for b in pending} >= {"HPU", "JZU"}
    assert any(b.resource.kind == ResourceKind.TRAINING_BASE for b in pending)


def _assert_no_overlap_on_exclusive_facilities() -> None:
    for resource, bookings in _active_by_resource().items():
        if resource.mode != Mode.EXCLUSIVE:
            continue
        for earlier, later in pairwise(bookings):
            assert earlier.blocked_until <= later.start_at, (
                resource.name_en,
                earlier.start_at,
                later.start_at,
            )


def _assert_capacity_holds_on_shared_facilities() -> None:
    for resource, bookings in _active_by_resource().items():
        if resource.mode == Mode.EXCLUSIVE:
            continue
        # Occupancy only rises where a booking starts.
        for booking in bookings:
            at = booking.start_at
            taken = sum(b.party_size for b in bookings if b.start_at <= at < b.blocked_until)
            assert taken <= resource.capacity, (resource.name_en, at)


def _assert_inside_opening_hours_and_outside_closures() -> None:
    closures = db.session.scalars(sa.select(Closure)).all()
    for booking in _bookings():
        resource = booking.resource
        assert _inside_opening_hours(booking), (resource.name_en, booking.start_at)
        assert not any(
            c.university_id == resource.university_id
            and c.resource_id in (None, resource.id)
            and c.start_at < booking.end_at
            and booking.start_at < c.end_at
            for c in closures
        ), (resource.name_en, booking.start_at)


def test_demo_bookings_never_overlap_on_exclusive_facilities(seeded: demo.DemoResult) -> None:
    _assert_no_overlap_on_exclusive_facilities()


def test_demo_bookings_never_exceed_capacity_on_shared_facilities(seeded: demo.DemoResult) -> None:
    _assert_capacity_holds_on_shared_facilities()


def test_demo_bookings_lie_within_opening_hours_and_outside_closures(seeded: demo.DemoResult) -> None:
    _assert_inside_opening_hours_and_outside_closures()


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(datetime(2026, 11, 29, 15, 50, tzinfo=UTC), id="sunday-23:50-local"),
        pytest.param(datetime(2026, 12, 30, 1, 0, tzinfo=UTC), id="before-exam-week"),
        pytest.param(datetime(2027, 2, 3, 9, 17, 23, tzinfo=UTC), id="before-spring-festival"),
    ],
)
def test_demo_bookings_follow_the_rules_whenever_seeded(app: Flask, now: datetime) -> None:
    demo.seed_demo(now)
    bookings = _bookings(after=now)
    assert bookings
    assert all(b.status in FINISHED for b in _bookings() if b.start_at < now)
    _assert_no_overlap_on_exclusive_facilities()
    _assert_capacity_holds_on_shared_facilities()
    _assert_inside_opening_hours_and_outside_closures()


def test_a_term_of_history_gives_the_reports_meaningful_figures(seeded: demo.DemoResult, app: Flask) -> None:
    from booking.services import reports

    past = [b for b in _bookings() if b.start_at < NOW]
    assert len(past) > 300
    assert {b.status for b in past} >= {
        BookingStatus.COMPLETED,
        BookingStatus.CANCELLED,
        BookingStatus.NO_SHOW,
    }
    term = reports.period_of(reports.PeriodKind.TERM, date(2026, 11, 23))
    report = reports.build(None, reports.Filters(term))
    hours = next(r.figures for r in report.totals if r.unit is reports.Unit.HOURS)
    assert 0.02 < hours.utilisation < 0.9
    assert 0.2 < hours.openness < 0.9
    assert hours.no_show_rate and hours.cancellation_rate and hours.lead_median
    assert report.refusals and hours.waitlist_unserved
    assert len({r.key for r in report.by_university if r.figures.booked}) == 4


def test_the_demo_resident_can_still_book_a_court_this_week(seeded: demo.DemoResult) -> None:
    resident = db.session.scalar(sa.select(User).filter_by(email="resident@demo.jz"))
    active_sports = [
        b
        for b in _bookings()
        if b.user_id == resident.id
        and b.status in ACTIVE_STATUSES
        and b.resource.kind == ResourceKind.SPORTS_VENUE
    ]
    assert len(active_sports) < 2


def test_cli_seeds_and_prints_the_demo_logins(runner: FlaskCliRunner) -> None:
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "resident@demo.jz" in result.output and "demo-resident-2026" in result.output
    assert "admin@demo.jz" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resource)) >= 25

    with time_machine.travel(NOW, tick=False):
        again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "nothing new" in again.output.lower()


def test_cli_if_empty_seeds_an_empty_database(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert not demo.database_is_empty()


def test_cli_if_empty_skips_a_seeded_database(runner: FlaskCliRunner) -> None:
    demo.seed_demo(NOW)
    counts = _row_counts()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output
    assert _row_counts() == counts


@pytest.mark.parametrize("if_empty", [False, True], ids=["always", "if-empty"])
def test_cli_refuses_demo_data_in_production(app: Flask, if_empty: bool) -> None:
    """The demo logins' passwords are in the source: production never gets them."""
    app.config["ENV_NAME"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo", *(["--if-empty"] if if_empty else [])])
    finally:
        app.config["ENV_NAME"] = "testing"
    assert result.exit_code != 0
    assert "production" in result.output and "admin@demo.jz" not in result.output
    assert demo.database_is_empty()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_cli_refuses_demo_data_when_app_env_is_production(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    assert demo.database_is_empty()


def test_seeding_in_production_is_refused_below_the_cli_too(app: Flask) -> None:
    app.config["ENV_NAME"] = "production"
    try:
        with pytest.raises(demo.DemoRefused):
            demo.seed_demo(NOW)
    finally:
        app.config["ENV_NAME"] = "testing"
    assert demo.database_is_empty()
