"""Demo data for `flask seed-demo`: Jiaozuo's universities, their shared facilities, enterprises and accounts.

What is seeded is data, in booking/demo_data/*.toml (read by booking.demo_data); this module writes it.
Seeding is idempotent and one transaction. Rows are matched by natural keys (organization code, user email,
facility (university, English name), closure (university, facility, reason), quota (university, category,
kind, facility, scope, period)); what exists is left as it is, so a manager's later edits survive a re-seed.
Demo bookings are placed only while the demo accounts have none, and only where the booking engine accepts
them (opening hours, closures, booking window, slot grid, capacity, quotas), drawn from a fixed random seed.
"""

import os
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from booking import engine
from booking.demo_data import (
    ACCOUNTS,
    CLOSURES,
    CROWDS,
    ENTERPRISES,
    FACILITIES,
    PEOPLE,
    PLACEMENT_STATEMENTS,
    PLACEMENTS,
    QUOTAS,
    UNIVERSITIES,
    WISHES,
    Crowd,
    EnterpriseSpec,
    FacilitySpec,
    UniversitySpec,
    Wish,
    clock_time,
)
from booking.mailbox import checked_email
from booking.services import specs
from booking.services.transactions import write_transaction
from models import (
    ACTIVE_STATUSES,
    QUOTA_STATUSES,
    Booking,
    BookingStatus,
    CampusSignOn,
    Closure,
    Frequency,
    Mode,
    OpeningHours,
    Organization,
    OrganizationKind,
    Policy,
    Quota,
    RefusalCount,
    Resource,
    ResourceTag,
    Series,
    User,
    Verification,
    WaitlistEntry,
    WaitlistStatus,
    db,
)

TIMEZONE = "Asia/Shanghai"
MIDNIGHT = time(0, 0)
# Bookings are spread over this many days from `now`, so the grids look lived in.
HORIZON_DAYS = 14
# Days of past bookings behind the reports: about a term so far, at this many times the crowds' rate.
HISTORY_DAYS = 98
HISTORY_DENSITY = 6
SEED = 2026

# ------------------------------------------------------------------------------------------------------------
# The result the CLI prints
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


TALLY_LABELS = (
    ("universities", "universities"),
    ("enterprises", "enterprises"),
    ("accounts", "accounts"),
    ("facilities", "facilities"),
    ("policies", "facility policies"),
    ("opening_hours", "opening-hour intervals"),
    ("tags", "facility tags"),
    ("closures", "closures"),
    ("quotas", "quotas"),
    ("series", "booking series"),
    ("bookings", "bookings"),
    ("history", "past bookings"),
    ("campus_sign_on", "campus sign-on servers"),
)


@dataclass
class DemoResult:
    created: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)
    logins: list[DemoLogin] = field(default_factory=list)

    @property
    def created_total(self) -> int:
        return sum(self.created.values())

    def summary(self) -> str:
        if self.created_total:
            present = sum(self.present.values())
            head = f"Demo data loaded: {self.created_total} rows created, {present} already present."
        else:
            head = "Demo data already present: nothing new created."
        lines = [head, f"  {'':<24}{'created':>8}{'present':>9}"]
        lines += [
            f"  {label:<24}{self.created[key]:>8}{self.present[key]:>9}"
            for key, label in TALLY_LABELS
            if self.created[key] or self.present[key]
        ]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------------
# Seeding
# ------------------------------------------------------------------------------------------------------------


def database_is_empty() -> bool:
    """No organization yet: a fresh database that `seed-demo --if-empty` may fill."""
    return db.session.scalar(sa.select(Organization.id).limit(1)) is None


class DemoRefused(Exception):
    """Demo data was asked for where it must never be: its logins' passwords are published in this file."""


def refuse_in_production() -> None:
    """Raise DemoRefused under the production configuration or with APP_ENV=production."""
    if current_app.config["ENV_NAME"] == "production" or os.environ.get("APP_ENV") == "production":
        raise DemoRefused(
            "Refusing to load demo data in production: its accounts (an administrator among them) have "
            "passwords published in the source. Create the first administrator with `flask create-admin`."
        )


def seed_demo(now: datetime) -> DemoResult:
    """Load the demo data that is missing, in one transaction, and say what was created."""
    refuse_in_production()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("seed_demo needs a timezone-aware `now`")
    now = now.astimezone(UTC)
    with write_transaction():
        result = _Seeder(now).run()
    if result.created["history"]:
        # The reports read the nightly statistics: measure the history now rather than tonight.
        from booking.services import statistics

        statistics.backfill(now, HISTORY_DAYS + 1)
    return result


# Henan Polytechnic University's campus sign-on: the CAS server the tests start (tests/campus_cas.py, which
# `python -m tests.campus_cas` also serves by hand), with the attributes its directory releases.
DEMO_CAS_URL = os.environ.get("DEMO_CAS_URL", "http://127.0.0.1:5216/cas/")


def seed_campus_sign_on(orgs: dict[str, Organization], result: DemoResult) -> None:
    """HPU's CAS settings, unless the city office already set them (its later edits survive a re-seed)."""
    university = orgs["HPU"]
    present = db.session.get(CampusSignOn, university.id) is not None
    if not present:
        db.session.add(
            CampusSignOn(
                university_id=university.id,
                server_url=DEMO_CAS_URL,
                protocol=3,
                number_attribute="employeeNumber",
                role_attribute="eduPersonAffiliation",
                staff_values="staff,faculty",
                name_attribute="cn",
                email_attribute="mail",
                enabled=True,
            )
        )
    (result.present if present else result.created)["campus_sign_on"] += 1


class _Seeder:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.result = DemoResult()
        self.orgs: dict[str, Organization] = {}
        self.users: dict[str, User] = {}
        self.facilities: dict[str, Resource] = {}

    def run(self) -> DemoResult:
        self._universities()
        self._enterprises()
        seed_campus_sign_on(self.orgs, self.result)
        self._accounts()
        self._facilities()
        self._closures()
        self._quotas()
        db.session.flush()
        _BookingSeeder(self.now, self.result, self.orgs, self.users, self.facilities).run()
        seed_application_forms(self.facilities["hpu-battery-lab"], self.result, self.now)
        return self.result

    def _tally(self, key: str, created: bool, n: int = 1) -> None:
        (self.result.created if created else self.result.present)[key] += n

    def _universities(self) -> None:
        for spec in UNIVERSITIES:
            self._organization(spec.code, "universities", spec, kind=OrganizationKind.UNIVERSITY)

    def _enterprises(self) -> None:
        for i, spec in enumerate(ENTERPRISES):
            self._organization(
                spec.key,
                "enterprises",
                spec,
                kind=OrganizationKind.ENTERPRISE,
                industry=spec.industry,
                verified_at=self.now - timedelta(days=90 - 11 * i) if spec.verified else None,
                created_at=self.now - timedelta(days=120 - 11 * i),
            )
        db.session.flush()

    def _organization(
        self, key: str, tally: str, spec: UniversitySpec | EnterpriseSpec, **columns: Any
    ) -> None:
        """The organization with the code and names of `spec` (made with `columns` if missing), as `key`."""
        org = db.session.scalar(sa.select(Organization).filter_by(code=spec.code))
        if org is None:
            org = Organization(code=spec.code, name_zh=spec.name_zh, name_en=spec.name_en, **columns)
            db.session.add(org)
        self._tally(tally, org.id is None)
        self.orgs[key] = org

    def _accounts(self) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        for spec in ACCOUNTS:
            email = checked_email(spec.email)
            user = db.session.scalar(sa.select(User).filter_by(email=email))
            created = user is None
            if user is None:
                # The people who fill the grids get a random password nobody knows.
                password = spec.password or secrets.token_urlsafe(24)
                verified = spec.verification == Verification.VERIFIED
                user = User(
                    email=email,
                    password_hash=generate_password_hash(password, method=method),
                    display_name=spec.display_name,
                    category=spec.category,
                    organization=self.orgs[spec.organization] if spec.organization else None,
                    student_number=spec.student_number,
                    verification=spec.verification,
                    verified_at=self.now - timedelta(days=30) if verified else None,
                    manages=self.orgs[spec.manages] if spec.manages else None,
                    is_admin=spec.is_admin,
                    created_at=self.now - timedelta(days=45),
                )
                db.session.add(user)
            self._tally("accounts", created)
            self.users[email] = user
            if spec.password:
                self.result.logins.append(DemoLogin(spec.role, email, spec.password))
        db.session.flush()

    def _facilities(self) -> None:
        campuses = {spec.code: spec for spec in UNIVERSITIES}
        for spec in FACILITIES:
            university = self.orgs[spec.university]
            resource = db.session.scalar(
                sa.select(Resource).filter_by(university_id=university.id, name_en=spec.name_en)
            )
            if resource is None:
                resource = self._new_facility(spec, university, campuses[spec.university])
                self._tally("facilities", True)
                self._tally("opening_hours", True, len(resource.hours))
                self._tally("tags", True, len(resource.tags))
                self._tally("policies", True)
            else:
                self._tally("facilities", False)
                self._tally("opening_hours", False, len(resource.hours))
                self._tally("tags", False, len(resource.tags))
                # Every facility needs its rules; the rest of an existing facility is the managers' to change.
                if resource.policy is None:
                    resource.policy = Policy(**_copy(spec.policy))
                    self._tally("policies", True)
                else:
                    self._tally("policies", False)
            self.facilities[spec.key] = resource
        db.session.flush()

    def _new_facility(self, spec: FacilitySpec, university: Organization, campus: UniversitySpec) -> Resource:
        resource = Resource(
            university_id=university.id,
            kind=spec.kind,
            mode=spec.mode,
            name_zh=spec.name_zh,
            name_en=spec.name_en,
            description_zh=spec.description_zh,
            description_en=spec.description_en,
            campus=campus.campus,
            address=campus.address + spec.building,
            campus_en=campus.campus_en,
            address_en=campus.address_en,
            latitude=round(campus.latitude + spec.offset[0], 6),
            longitude=round(campus.longitude + spec.offset[1], 6),
            capacity=spec.capacity,
            timezone=TIMEZONE,
            slot_minutes=spec.slot_minutes,
            active=True,
            created_at=self.now - timedelta(days=HISTORY_DAYS + 30),
        )
        resource.hours = [OpeningHours(weekday=w, opens=o, closes=c) for w, o, c in spec.hours]
        resource.tags = [ResourceTag(tag=t) for t in sorted(set(spec.tags))]
        resource.policy = Policy(**_copy(spec.policy))
        db.session.add(resource)
        return resource

    def _closures(self) -> None:
        tz = ZoneInfo(TIMEZONE)
        today = self.now.astimezone(tz).date()
        managers = {u.manages_id: u for u in self.users.values() if u.manages_id is not None}
        for spec in CLOSURES:
            university = self.orgs[spec.university]
            resource_id = self.facilities[spec.facility].id if spec.facility else None
            start, end = (moment.astimezone(UTC) for moment in spec.span(today, tz))
            existing = db.session.scalar(
                sa.select(Closure.id).filter_by(
                    university_id=university.id, resource_id=resource_id, reason_en=spec.reason_en
                )
            )
            if existing is None:
                manager = managers.get(university.id)
                db.session.add(
                    Closure(
                        university_id=university.id,
                        resource_id=resource_id,
                        start_at=start,
                        end_at=end,
                        reason_zh=spec.reason_zh,
                        reason_en=spec.reason_en,
                        created_by_id=manager.id if manager else None,
                        created_at=self.now - timedelta(days=3),
                    )
                )
            self._tally("closures", existing is None)

    def _quotas(self) -> None:
        for spec in QUOTAS:
            university = self.orgs[spec.university]
            resource_id = self.facilities[spec.facility].id if spec.facility else None
            # A quota is the same one if it limits the same people at the same places over the same period.
            same = {
                "university_id": university.id,
                "category": spec.category,
                "resource_kind": spec.resource_kind,
                "resource_id": resource_id,
                "scope": spec.scope,
                "period": spec.period,
            }
            existing = db.session.scalar(sa.select(Quota.id).filter_by(**same))
            if existing is None:
                db.session.add(Quota(**same, max_bookings=spec.max_bookings, max_hours=spec.max_hours))
            self._tally("quotas", existing is None)


def _copy(policy: dict[str, Any]) -> dict[str, Any]:
    """Fresh lists per row, so no two policies share a mutable JSON value."""
    return {k: list(v) if isinstance(v, list) else v for k, v in policy.items()}


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


# ------------------------------------------------------------------------------------------------------------
# Demo bookings
# ------------------------------------------------------------------------------------------------------------


class _Planner:
    """Asks the booking engine whether a demo booking is one the rules accept, given those placed so far."""

    def __init__(self, now: datetime, resources: Iterable[Resource], users: Iterable[User]) -> None:
        self.now = now
        resources = list(resources)
        # Far enough ahead for a placement's whole period.
        until = now + timedelta(days=366)
        self.specs = specs.specs_with_closures(resources, now, until)
        # Whatever is already booked here, or counts toward these people's quotas, stays and is respected.
        self.occupancy = specs.load_occupancy([r.id for r in resources], now, until)
        self.quotas = specs.load_quotas()
        self.usage = specs.load_usage(users, engine.Interval(now, until), now)

    def judge(
        self, resource: Resource, user: User, start: datetime, end: datetime, party_size: int
    ) -> engine.Decision:
        return engine.evaluate(
            engine.BookingRequest(start, end, party_size),
            self.specs[resource.id],
            specs.requester_spec(user),
            self.occupancy[resource.id],
            self.quotas,
            self.usage,
            self.now,
        )

    def fits(self, resource: Resource, user: User, start: datetime, end: datetime, party_size: int) -> bool:
        return self.judge(resource, user, start, end, party_size).ok

    def hold(self, booking: Booking, resource: Resource) -> None:
        """Count a placed booking: it takes room while active and counts toward quotas unless cancelled."""
        if booking.status in ACTIVE_STATUSES:
            self.occupancy[resource.id].append(
                engine.Occupancy(booking.start_at, booking.blocked_until, booking.party_size)
            )
        if booking.status in QUOTA_STATUSES:
            self.usage.append(
                engine.UsageItem(
                    start=booking.start_at,
                    end=booking.end_at,
                    resource_id=resource.id,
                    resource_kind=resource.kind,
                    university_id=resource.university_id,
                    user_id=booking.user_id,
                    organization_id=booking.organization_id,
                )
            )


class _BookingSeeder:
    def __init__(
        self,
        now: datetime,
        result: DemoResult,
        orgs: dict[str, Organization],
        users: dict[str, User],
        facilities: dict[str, Resource],
    ) -> None:
        self.now = now
        self.result = result
        self.users = users
        self.facilities = facilities
        self.rng = random.Random(SEED)
        self.tz = ZoneInfo(TIMEZONE)
        self.today = now.astimezone(self.tz).date()
        self.deciders = {u.manages_id: u for u in users.values() if u.manages_id is not None}
        self.created = 0

    def run(self) -> None:
        user_ids = [u.id for u in self.users.values()]
        existing = db.session.scalar(
            sa.select(sa.func.count()).select_from(Booking).where(Booking.user_id.in_(user_ids))
        )
        if existing:
            self.result.present["bookings"] += existing
            self.result.present["series"] += (
                db.session.scalar(
                    sa.select(sa.func.count()).select_from(Series).where(Series.user_id.in_(user_ids))
                )
                or 0
            )
            return
        self.planner = _Planner(self.now, self.facilities.values(), self.users.values())
        self._study_series()
        for wish in WISHES:
            self._grant(wish)
        for placement in PLACEMENTS:
            self._placement(placement.facility, placement.email, placement.weeks, placement.status)
        for crowd in CROWDS:
            self._crowd(crowd)
        self.result.created["bookings"] += self.created
        _History(self).run()

    def _study_series(self) -> None:
        """李娜 revises for the postgraduate exam in the reading room every morning: a daily series."""
        resource = self.facilities["hpu-reading"]
        user = self.users["student@demo.jz"]
        starts = [_local(self.today + timedelta(days=d), time(8), self.tz) for d in range(1, 6)]
        fitting = [s for s in starts if self.planner.fits(resource, user, s, s + timedelta(hours=4), 1)]
        if not fitting:
            return
        series = Series(
            user_id=user.id,
            resource_id=resource.id,
            frequency=Frequency.DAILY,
            interval=1,
            weekdays=[],
            count=len(starts),
            local_start=time(8),
            duration_minutes=240,
            created_at=self.now - timedelta(days=1),
        )
        db.session.add(series)
        self.result.created["series"] += 1
        for start in fitting:
            self._book(
                resource, user, start, start + timedelta(hours=4), 1, "考研复习", "auto", series=series
            )

    def _grant(self, wish: Wish) -> None:
        resource = self.facilities[wish.facility]
        user = self.users[wish.email]
        for day in wish.days:
            for at in wish.at:
                start = _local(self.today + timedelta(days=day), clock_time(at), self.tz)
                end = start + timedelta(minutes=wish.minutes)
                if self.planner.fits(resource, user, start, end, wish.party_size):
                    self._book(resource, user, start, end, wish.party_size, wish.purpose, wish.status)
                    return

    def _placement(self, facility: str, email: str, weeks: int, status: str) -> None:
        resource = self.facilities[facility]
        user = self.users[email]
        # Terms start on a Monday; shorten the period if a closure is in the way.
        first_monday = self.today + timedelta(days=7 - self.today.weekday())
        for monday in (first_monday + timedelta(weeks=w) for w in range(3)):
            for length in range(weeks, 0, -1):
                start = _local(monday, MIDNIGHT, self.tz)
                end = _local(monday + timedelta(weeks=length), MIDNIGHT, self.tz)
                if self.planner.fits(resource, user, start, end, 1):
                    self._book(resource, user, start, end, 1, PLACEMENT_STATEMENTS[facility], status)
                    return

    def _crowd(self, crowd: Crowd) -> None:
        people = [self.users[e] for e in crowd.people]
        for _ in range(crowd.attempts):
            resource = self.facilities[self.rng.choice(crowd.facilities)]
            user = self.rng.choice(people)
            horizon = max(1, min(HORIZON_DAYS, resource.policy.max_advance_days))
            day = self.today + timedelta(days=self.rng.randrange(horizon))
            minutes = self.rng.choice(crowd.minutes)
            starts = self._starts(resource, day, minutes)
            party = self.rng.randint(*crowd.party)
            purpose = self.rng.choice(crowd.purposes)
            cancelled = self.rng.random() < 0.07
            if not starts:
                continue
            weights = [self._weight(s, crowd.leisure) for s in starts]
            start = self.rng.choices(starts, weights)[0]
            end = start + timedelta(minutes=minutes)
            party = min(party, resource.policy.max_party_size or party, resource.capacity)
            if self.planner.fits(resource, user, start, end, party):
                self._book(resource, user, start, end, party, purpose, "cancelled" if cancelled else "auto")

    def _starts(self, resource: Resource, day: date, minutes: int) -> list[datetime]:
        """Every start on the slot grid of `day` whose booking ends before that opening interval closes."""
        starts = []
        for row in resource.hours:
            if row.weekday != day.weekday():
                continue
            opens = _local(day, row.opens, self.tz)
            closes = (
                _local(day + timedelta(days=1), MIDNIGHT, self.tz)
                if row.closes == MIDNIGHT
                else _local(day, row.closes, self.tz)
            )
            start = opens
            while start + timedelta(minutes=minutes) <= closes:
                starts.append(start)
                start += timedelta(minutes=resource.slot_minutes)
        return starts

    def decide(self, booking: Booking, resource: Resource, at: datetime) -> None:
        """Mark `booking` decided at `at` by a manager of the university of `resource` (if it has one)."""
        decider = self.deciders.get(resource.university_id)
        booking.decided_by_id = decider.id if decider else None
        booking.decided_at = at

    def _weight(self, start: datetime, leisure: bool) -> int:
        local = start.astimezone(self.tz)
        if not leisure:
            return 2 if 8 <= local.hour < 11 or 14 <= local.hour < 17 else 1
        return 4 if local.weekday() >= 5 or local.hour >= 18 else 1

    def _book(
        self,
        resource: Resource,
        user: User,
        start: datetime,
        end: datetime,
        party_size: int,
        purpose: str,
        status: str,
        series: Series | None = None,
    ) -> None:
        """Add one booking. `status` is a Wish status, or auto: approved by the manager now and then."""
        policy = resource.policy
        created_at = min(self.now - timedelta(minutes=30), start) - timedelta(
            minutes=self.rng.randrange(60, 4320)
        )
        needs_approval = self.planner.judge(resource, user, start, end, party_size).requires_approval
        blocked = engine.blocked_span(start, end, specs.policy_spec(policy)).end
        booking = _own_booking(resource, user, start, end, blocked, party_size, purpose, created_at, series)
        if status == "cancelled":
            booking.status = BookingStatus.CANCELLED
            booking.sequence = 1
            booking.updated_at = created_at + (self.now - created_at) / 2
        elif needs_approval and (status == "approved" or (status == "auto" and self.rng.random() < 0.3)):
            decided_at = created_at + (self.now - created_at) / 3
            self.decide(booking, resource, decided_at)
            booking.decision_note = "已审核，请按时到场并遵守安全规定。"
            booking.sequence = 1
            booking.updated_at = decided_at
        elif needs_approval:
            booking.status = BookingStatus.PENDING
        if booking.status == BookingStatus.CONFIRMED and policy.checkin_required:
            booking.checkin_code = f"{self.rng.randrange(10**6):06d}"
        db.session.add(booking)
        self.planner.hold(booking, resource)
        self.created += 1


def _own_booking(
    resource: Resource,
    user: User,
    start: datetime,
    end: datetime,
    blocked_until: datetime,
    party_size: int,
    purpose: str,
    created_at: datetime,
    series: Series | None = None,
) -> Booking:
    """A confirmed booking `user` made for themselves at `created_at`."""
    return Booking.held_by(
        user,
        resource,
        start,
        end,
        series=series,
        blocked_until=blocked_until,
        party_size=party_size,
        purpose=purpose,
        status=BookingStatus.CONFIRMED,
        booked_by_id=user.id,
        created_at=created_at,
        updated_at=created_at,
    )


class _History:
    """A term of past bookings for the reports: the same crowds on the days behind us, most completed,
    some cancelled or missed, approvals decided; and the demand that was turned away (refusals by rule,
    waitlist entries never served), counted as the booking service counts it.

    Checked here, not by the engine (which refuses the past): opening hours, closures, who may book, and
    no overlap or overfull room."""

    def __init__(self, seeder: _BookingSeeder) -> None:
        self.seeder = seeder
        self.rng = random.Random(SEED + 1)
        self.taken: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
        self.refused: Counter[tuple[int, int, date, str]] = Counter()
        self.closures = list(db.session.scalars(sa.select(Closure)))
        self.created = 0

    def run(self) -> None:
        for crowd in CROWDS:
            for _ in range(crowd.attempts * HISTORY_DAYS // HORIZON_DAYS * HISTORY_DENSITY):
                self._attempt(crowd)
        for placement in PLACEMENTS:
            self._placements(placement.facility, placement.weeks)
        for (resource_id, university_id, day, code), count in sorted(self.refused.items()):
            db.session.add(
                RefusalCount(
                    resource_id=resource_id, university_id=university_id, day=day, code=code, count=count
                )
            )
        self.seeder.result.created["history"] += self.created

    def _placements(self, facility: str, weeks: int) -> None:
        """Students placed at a training base earlier in the term, each for `weeks` weeks from a Monday
        (shorter where a closure or a day without hours is in the way)."""
        seeder = self.seeder
        resource = seeder.facilities[facility]
        open_days = {h.weekday for h in resource.hours if h.opens == MIDNIGHT and h.closes == MIDNIGHT}
        first = seeder.today - timedelta(days=HISTORY_DAYS)
        first += timedelta(days=(7 - first.weekday()) % 7)
        students = [seeder.users[e] for e in PEOPLE["students"]]
        for seat in range(resource.capacity):
            monday = first + timedelta(weeks=self.rng.randrange(3))
            for length in range(weeks, 0, -1):
                days = [monday + timedelta(days=d) for d in range(7 * length)]
                start = _local(monday, MIDNIGHT, seeder.tz)
                end = _local(days[-1] + timedelta(days=1), MIDNIGHT, seeder.tz)
                if days[-1] >= seeder.today or any(d.weekday() not in open_days for d in days):
                    continue
                if self._closed(resource, start, end):
                    continue
                if (
                    sum(t[2] for t in self.taken[resource.id] if t[0] < end and start < t[1])
                    >= resource.capacity
                ):
                    break
                self._book(
                    resource,
                    students[seat % len(students)],
                    start,
                    end,
                    end,
                    1,
                    PLACEMENT_STATEMENTS[facility],
                )
                break

    def _closed(self, resource: Resource, start: datetime, end: datetime) -> bool:
        """A closure of the facility (or of its whole university) overlaps start-end."""
        return any(
            c.university_id == resource.university_id
            and c.resource_id in (None, resource.id)
            and c.start_at < end
            and start < c.end_at
            for c in self.closures
        )

    def _attempt(self, crowd: Crowd) -> None:
        seeder, rng = self.seeder, self.rng
        resource = seeder.facilities[rng.choice(crowd.facilities)]
        user = seeder.users[rng.choice(crowd.people)]
        day = seeder.today - timedelta(days=rng.randint(1, HISTORY_DAYS))
        minutes = rng.choice(crowd.minutes)
        starts = seeder._starts(resource, day, minutes)
        if not starts or user.effective_category.value not in resource.policy.allowed_categories:
            return
        start = rng.choices(starts, [seeder._weight(s, crowd.leisure) for s in starts])[0]
        end = start + timedelta(minutes=minutes)
        party = min(rng.randint(*crowd.party), resource.policy.max_party_size or 99, resource.capacity)
        if self._closed(resource, start, end):
            return
        asked = (start - timedelta(days=1)).astimezone(seeder.tz).date()
        blocked = engine.blocked_span(start, end, specs.policy_spec(resource.policy)).end
        overlapping = [t for t in self.taken[resource.id] if t[0] < blocked and start < t[1]]
        full = (
            bool(overlapping)
            if resource.mode == Mode.EXCLUSIVE
            else sum(t[2] for t in overlapping) + party > resource.capacity
        )
        if full:
            code = "conflict" if resource.mode == Mode.EXCLUSIVE else "capacity"
            self.refused[(resource.id, resource.university_id, asked, code)] += 1
            if rng.random() < 0.4:
                db.session.add(
                    WaitlistEntry(
                        resource_id=resource.id,
                        user_id=user.id,
                        start_at=start,
                        end_at=end,
                        party_size=party,
                        status=WaitlistStatus.LEFT if rng.random() < 0.5 else WaitlistStatus.WAITING,
                        created_at=start - timedelta(days=1),
                    )
                )
            return
        if rng.random() < 0.06:
            # Someone over their weekly allowance: turned away by the quota, not by the room.
            self.refused[(resource.id, resource.university_id, asked, "quota_bookings")] += 1
            return
        self._book(resource, user, start, end, blocked, party, rng.choice(crowd.purposes))

    def _book(
        self,
        resource: Resource,
        user: User,
        start: datetime,
        end: datetime,
        blocked: datetime,
        party: int,
        purpose: str,
    ) -> None:
        rng = self.rng
        created_at = start - timedelta(minutes=rng.randrange(120, 7 * 1440))
        booking = _own_booking(resource, user, start, end, blocked, party, purpose, created_at)
        booking.status, booking.updated_at = BookingStatus.COMPLETED, end
        if engine.requires_approval(user.effective_category, resource.policy.approval, resource.mode):
            decided_at = created_at + timedelta(minutes=rng.randrange(20, 2880))
            self.seeder.decide(booking, resource, min(start - timedelta(minutes=30), decided_at))
            if rng.random() < 0.1:
                booking.status = BookingStatus.REJECTED
        roll = rng.random()
        if booking.status == BookingStatus.COMPLETED and roll < 0.08:
            booking.status = BookingStatus.CANCELLED
            booking.updated_at = created_at + (start - created_at) / 2
        elif booking.status == BookingStatus.COMPLETED and roll < 0.13:
            booking.status = BookingStatus.NO_SHOW
        elif booking.status == BookingStatus.COMPLETED and resource.policy.checkin_required:
            booking.checked_in_at = start
        if booking.status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW):
            self.taken[resource.id].append((start, blocked, party))
        db.session.add(booking)
        self.created += 1


# ------------------------------------------------------------------------------------------------------------
# Facility applications: the battery lab's own questions and safety commitment


BATTERY_LAB_QUESTIONS = [
    {
        "key": "qcells",
        "type": "choice",
        "label_zh": "测试样品类型",
        "label_en": "What will you test",
        "required": True,
        "choices": [
            {"zh": "单体电芯", "en": "Single cells"},
            {"zh": "电池模组", "en": "Battery modules"},
            {"zh": "电池包", "en": "Battery packs"},
        ],
    },
    {
        "key": "qcount",
        "type": "number",
        "label_zh": "样品数量",
        "label_en": "Number of samples",
        "required": True,
    },
    {
        "key": "qtrained",
        "type": "yes_no",
        "label_zh": "操作人员已完成实验室安全培训",
        "label_en": "Everyone coming has completed the lab's safety training",
        "required": True,
    },
    {
        "key": "qtraining",
        "type": "date",
        "label_zh": "安全培训日期",
        "label_en": "Date of the safety training",
    },
    {
        "key": "qplan",
        "type": "text",
        "label_zh": "测试内容与应急措施",
        "label_en": "What you will do, and your emergency measures",
        "required": True,
    },
]
BATTERY_LAB_TERMS_ZH = (
    "安全承诺\n"
    "1. 进入实验室须穿戴防护眼镜、实验服和绝缘手套。\n"
    "2. 充放电测试期间须有人值守，不得超出电芯额定电压和温度范围。\n"
    "3. 发现冒烟、鼓包或异常发热，立即停止测试、切断电源并通知实验室老师。\n"
    "4. 测试后清理台面，废旧电芯放入指定回收箱。\n"
    "违反以上承诺者，实验室可取消其后续预约。"
)
BATTERY_LAB_TERMS_EN = (
    "Safety commitment\n"
    "1. Wear safety glasses, a lab coat and insulating gloves in the lab.\n"
    "2. Stay with every charge or discharge test; never exceed the cells' rated voltage or temperature.\n"
    "3. On smoke, swelling or unusual heat: stop the test, cut the power and call the lab staff at once.\n"
    "4. Clear the bench afterwards and put used cells in the recycling box.\n"
    "The lab may cancel later bookings of anyone who breaks this commitment."
)


def seed_application_forms(battery_lab: Resource, result: DemoResult, now: datetime) -> None:
    """The battery lab asks its own questions, its safety commitment (安全承诺) and, optionally, a safety
    plan: version 1 of its application form, made once."""
    from models import ApplicationForm

    scope = f"resource:{battery_lab.id}"
    present = db.session.scalar(
        sa.select(ApplicationForm.id).where(
            ApplicationForm.university_id == battery_lab.university_id, ApplicationForm.scope == scope
        )
    )
    if present is None:
        db.session.add(
            ApplicationForm(
                university_id=battery_lab.university_id,
                scope=scope,
                version=1,
                questions=BATTERY_LAB_QUESTIONS,
                terms_zh=BATTERY_LAB_TERMS_ZH,
                terms_en=BATTERY_LAB_TERMS_EN,
                attachment="optional",
                attachment_hint_zh="测试方案或安全预案",
                attachment_hint_en="Your test plan or safety plan",
                created_at=now,
            )
        )
    (result.present if present else result.created)["application_forms"] += 1
