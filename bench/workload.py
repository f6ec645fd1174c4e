"""What the benchmark adds to the scale dataset, and the requests it sends.

- `seed_city(backend, facilities, bookings, now)`: the scale dataset itself (scale/), timed.
- `add_booking_clients(university_code, count, first_day)`: `count` people, each with a meeting room of
  their own that is open all day and bookable a year ahead by anyone, so booking throughput is measured
  without quotas or conflicts getting in the way; returns the load generator's accounts.
- `add_rush(clients, courts, window_days)`: the opening rush's courts and people (tests/load/rush.py).
- `add_feed_owner(events, now)`: one person with `events` bookings in their personal feed's window, and
  the path of that feed (None while the calendar feed is not built).
- `search_paths(count, today)`: "which facilities are free between X and Y" on the coming days.
- `week_paths(count, today)`: the week grid of the busiest facility, this week and the weeks around it.
"""

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from models import (
    Booking,
    BookingStatus,
    Category,
    Mode,
    OpeningHours,
    Organization,
    Policy,
    Resource,
    ResourceKind,
    User,
    db,
)
from scale import PASSWORD_HASH_METHOD, seed_scale

PASSWORD = "bench-password-2026"
ALL_DAY = [(weekday, time(0), time(0)) for weekday in range(7)]


def seed_city(backend: str, facilities: int, bookings: int, now: datetime) -> None:
    """The scale dataset: `facilities` facilities, ten people each (2,000 at least), `bookings` bookings over
    two years, no audit events; prints how long the seeding took."""
    result = seed_scale(
        facilities=facilities, users=max(2000, facilities * 10), bookings=bookings, now=now, audit=False
    )
    print(
        f"{backend}: scale dataset ({facilities} facilities, {bookings} bookings)"
        f" seeded in {result.seconds:.0f} s",
        flush=True,
    )


def _room(university: Organization, name: str) -> Resource:
    room = Resource(
        university=university,
        kind=ResourceKind.MEETING_ROOM,
        mode=Mode.EXCLUSIVE,
        name_zh=f"基准测试{name}",
        name_en=f"Benchmark {name}",
        capacity=12,
        slot_minutes=30,
    )
    room.hours = [OpeningHours(weekday=w, opens=o, closes=c) for w, o, c in ALL_DAY]
    room.policy = Policy(
        allowed_categories=[c.value for c in Category],
        approval_categories=[],
        min_minutes=30,
        max_minutes=120,
        min_notice_minutes=0,
        max_advance_days=365,
    )
    return room


def _person(email: str) -> User:
    return User(
        email=email,
        password_hash=generate_password_hash(PASSWORD, method=PASSWORD_HASH_METHOD),
        display_name=email.split("@")[0],
        category=Category.RESIDENT,
    )


def add_booking_clients(university_code: str, count: int, first_day: date) -> list[dict[str, object]]:
    university = db.session.scalar(sa.select(Organization).where(Organization.code == university_code))
    pairs = [(_person(f"bench-{n:02d}@bench.jz"), _room(university, f"room {n}")) for n in range(count)]
    db.session.add_all([x for pair in pairs for x in pair])
    db.session.commit()
    return [
        {
            "email": user.email,
            "password": PASSWORD,
            "resource_id": room.id,
            "first_day": first_day.isoformat(),
        }
        for user, room in pairs
    ]


def add_rush(clients: int, courts: int, window_days: int) -> tuple[list[int], list[str]]:
    """The opening rush's courts (bookable `window_days` ahead by anyone) and people: ids and emails."""
    university = db.session.scalar(sa.select(Organization).where(Organization.code == "HPU"))
    rooms = []
    for n in range(courts):
        court = _room(university, f"rush court {n}")
        court.kind = ResourceKind.SPORTS_VENUE
        court.capacity = 4
        court.policy.max_advance_days = window_days
        rooms.append(court)
    password_hash = generate_password_hash(PASSWORD, method=PASSWORD_HASH_METHOD)
    people = [
        User(
            email=f"rush-{n:03d}@bench.jz",
            password_hash=password_hash,
            display_name=f"rush-{n:03d}",
            category=Category.RESIDENT,
        )
        for n in range(clients)
    ]
    db.session.add_all([*rooms, *people])
    db.session.commit()
    return [r.id for r in rooms], [p.email for p in people]


def add_feed_owner(events: int, now: datetime) -> str | None:
    """A person with `events` bookings from a month back onward, and their feed's path (None: no feeds)."""
    try:
        from booking.services import calendar as feeds
    except ImportError:
        return None
    if "calendar.personal_feed" not in current_app.view_functions:
        return None
    university = db.session.scalar(sa.select(Organization).where(Organization.code == "HPU"))
    owner = _person("bench-feed@bench.jz")
    courts = [_room(university, f"feed court {n}") for n in range(3)]
    db.session.add_all([owner, *courts])
    db.session.commit()
    first = now - timedelta(days=29)
    step = timedelta(days=390) / events  # about 1.9 hours apart on three courts: never overlapping
    upcoming = [BookingStatus.CONFIRMED] * 8 + [BookingStatus.PENDING, BookingStatus.CANCELLED]
    ended = [BookingStatus.COMPLETED] * 9 + [BookingStatus.CANCELLED]
    rows = []
    for n in range(events):
        start = first + step * n
        end = start + timedelta(hours=1)
        status = (ended if end <= now else upcoming)[n % 10]
        # As the jobs would have left it: reminded a day ahead, completed once over.
        reminded = start - timedelta(hours=24) if status != BookingStatus.PENDING else None
        rows.append(
            {
                "uuid": str(uuid.uuid4()),
                "resource_id": courts[n % 3].id,
                "user_id": owner.id,
                "start_at": start,
                "end_at": end,
                "blocked_until": end,
                "exclusive": True,
                "party_size": 1,
                "purpose": "羽毛球协会训练 Badminton club training",
                "status": status,
                "reminded_at": reminded if reminded is not None and reminded <= now else None,
                "created_at": min(start - timedelta(days=3), now),
                "updated_at": min(start - timedelta(days=3), now),
            }
        )
    db.session.execute(sa.insert(Booking), rows)
    db.session.commit()
    token = feeds.reset_feed_token(owner, now=now)
    with current_app.test_request_context("/"):
        from flask import url_for

        return url_for("calendar.personal_feed", token=token)


def search_paths(count: int, today: date) -> list[str]:
    """Free-between searches over all facilities: a day of the next six, one or two hours from 08:00."""
    rng = random.Random(1)
    paths = []
    for _ in range(count):
        day = today + timedelta(days=rng.randint(1, 6))
        start = rng.randint(8, 20)
        end = min(start + rng.choice((1, 2)), 22)
        paths.append(f"/facilities/?date={day.isoformat()}&start={start:02d}:00&end={end:02d}:00")
    return paths


def busiest_facility(today: date) -> int:
    """The exclusive facility with the most active bookings in the coming fortnight."""
    now = datetime.combine(today, time(0), UTC)
    return db.session.scalar(
        sa.select(Booking.resource_id)
        .where(Booking.exclusive, Booking.start_at >= now, Booking.start_at < now + timedelta(days=14))
        .group_by(Booking.resource_id)
        .order_by(sa.func.count().desc(), Booking.resource_id)
        .limit(1)
    )


def week_paths(resource_id: int, count: int, today: date) -> list[str]:
    """This week and next (where people book), and now and then a past week (history browsing)."""
    offsets = [0, 1, 0, 1, -1, 0, 1, -4]
    return [
        f"/facilities/{resource_id}?week={(today + timedelta(weeks=offsets[n % len(offsets)])).isoformat()}"
        for n in range(count)
    ]


TEXT_QUERIES = (
    "羽毛球",
    "实验室",
    "实习",
    "badminton",
    "reading room",
    "labs",
    "auditorium",
    "HPU 体育馆",
    "会议室",
    "museum",
)


def text_search_paths(count: int) -> list[str]:
    """Text searches as people type them: Chinese and English, short words, kinds, an abbreviation."""
    return [f"/facilities/?q={quote(TEXT_QUERIES[n % len(TEXT_QUERIES)])}" for n in range(count)]


def timeline_paths(count: int, today: date, *, week: bool) -> list[str]:
    """A university's first 50 facilities side by side, for one of the next days (or its week)."""
    hpu = db.session.scalar(sa.select(Organization.id).where(Organization.code == "HPU"))
    span = "&span=week" if week else ""
    return [
        f"/facilities/timeline?university={hpu}&day={(today + timedelta(days=n % 7)).isoformat()}{span}"
        for n in range(count)
    ]
