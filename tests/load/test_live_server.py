"""No double booking and nothing lost, proved against a real gunicorn with several worker processes.

64 people, each logged in through the real login form (CSRF on), race over HTTP for one exclusive slot and
for a room of 20 places; a worker is killed with SIGKILL in the middle of a burst of bookings; on PostgreSQL
every database connection is terminated in the middle of a burst. After each, SQL checks the whole booking
table: no overlap, no overfilled room, every booking with its audit event, every confirmation seen by a
client stored. The server is started once per database for the whole module.
"""

import http.client
import os
import signal
import threading
import time as clock
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from models import ACTIVE_STATUSES, AuditEvent, Booking, BookingStatus, Mode, db
from scale import double_bookings
from tests.conftest import backends
from tests.factories import PASSWORD, make_resource, make_university, make_user
from tests.load.browser import FRIENDLY_ERROR, Browser, Page
from tests.load.live_server import LiveServer, fresh_app
from tests.load.rush import log_in

pytestmark = pytest.mark.slow

CLIENTS = 64
WORKERS = 4
ROOM_PLACES = 20
JIAOZUO = ZoneInfo("Asia/Shanghai")
ALL_DAY = tuple((weekday, time(0), time(0)) for weekday in range(7))
POLICY = {"min_notice_minutes": 0, "max_advance_days": 60, "max_minutes": 120}


@dataclass
class Live:
    backend: str
    server: LiveServer
    app: Flask  # on the same database, for the SQL checks
    court_id: int
    room_id: int
    own_ids: list[int]  # one facility per person, for bursts that must not collide
    user_ids: list[int]
    browsers: list[Browser]

    @contextmanager
    def sql(self) -> Iterator[None]:
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()


@dataclass
class Outcome:
    """What one request came back with: a page, or a connection that broke before an answer."""

    client: int
    slot: tuple[int, date, str]  # facility, local day, start
    page: Page | None = None
    error: str = ""


@pytest.fixture(scope="module", params=backends())
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    backend = request.param
    directory = tmp_path_factory.mktemp(f"live-{backend}")
    with fresh_app(backend, directory) as (url, app):
        with app.app_context():
            university = make_university()
            court = make_resource(university, hours=ALL_DAY, policy=POLICY)
            room = make_resource(
                university, mode=Mode.SHARED, capacity=ROOM_PLACES, hours=ALL_DAY, policy=POLICY
            )
            own_ids = [make_resource(university, hours=ALL_DAY, policy=POLICY).id for _ in range(CLIENTS)]
            users = [make_user(email=f"load{n:02d}@example.com") for n in range(CLIENTS)]
            ids = (court.id, room.id, [u.id for u in users], [u.email for u in users])
            db.session.remove()
        server = LiveServer(url, workers=WORKERS, log_path=directory / "gunicorn.log")
        try:
            server.start()
            browsers = log_in(server.base_url, ids[3], own_ids, PASSWORD)  # each at their own facility
            yield Live(backend, server, app, ids[0], ids[1], own_ids, ids[2], browsers)
        finally:
            server.stop()


def local_day(days_ahead: int) -> date:
    return datetime.now(JIAOZUO).date() + timedelta(days=days_ahead)


def attempt(browser: Browser, client: int, resource_id: int, day: date, start: int) -> Outcome:
    """Book [start, start + 30 min) local time; a broken connection is an outcome, not a test error."""
    begin = f"{start // 60:02d}:{start % 60:02d}"
    end = f"{(start + 30) // 60 % 24:02d}:{(start + 30) % 60:02d}"
    outcome = Outcome(client, (resource_id, day, begin))
    try:
        outcome.page = browser.book(resource_id, day, begin, end)
    except (OSError, http.client.HTTPException) as exc:  # reset, refused, timed out, closed mid-answer
        outcome.error = f"{type(exc).__name__}: {exc}"
    return outcome


def all_at_once(live: Live, act: Callable[[int, Browser], Outcome]) -> list[Outcome]:
    """Every person acts at the same moment, each from their own thread."""
    barrier = threading.Barrier(len(live.browsers))

    def run(n: int) -> Outcome:
        barrier.wait(timeout=30)
        return act(n, live.browsers[n])

    with ThreadPoolExecutor(len(live.browsers)) as pool:
        return list(pool.map(run, range(len(live.browsers))))


@dataclass
class Burst:
    """Everyone books `rounds` slots of their own facility one after another while `disrupt` runs."""

    live: Live
    day: date
    rounds: int
    outcomes: list[Outcome] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _answered: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._answered = threading.Condition(self._lock)

    def run(self, disrupt: Callable[["Burst"], object]) -> object:
        def person(n: int) -> None:
            for round_ in range(self.rounds):
                outcome = attempt(self.live.browsers[n], n, self.live.own_ids[n], self.day, 60 * round_)
                with self._answered:
                    self.outcomes.append(outcome)
                    self._answered.notify_all()

        with ThreadPoolExecutor(CLIENTS + 1) as pool:
            people = [pool.submit(person, n) for n in range(CLIENTS)]
            disruption = pool.submit(disrupt, self)
            for future in people:
                future.result()
            return disruption.result()

    def wait_for(self, answers: int, timeout: float = 60) -> None:
        with self._answered:
            self._answered.wait_for(lambda: len(self.outcomes) >= answers, timeout=timeout)

    @property
    def dropped(self) -> list[Outcome]:
        with self._lock:
            return [o for o in self.outcomes if o.page is None]


def confirmed_ids(outcomes: list[Outcome]) -> dict[int, int]:
    """booking id -> client, for every request a client saw confirmed (302 to the booking)."""
    return {
        o.page.booking_id: o.client for o in outcomes if o.page and o.page.status == 302 and o.page.booking_id
    }


def assert_table_is_sound(live: Live, seen_confirmed: dict[int, int]) -> None:
    """Every confirmation a client saw is stored as theirs; nothing half-written; no overlap, no overfill."""
    with live.sql():
        stored = dict(
            db.session.execute(
                sa.select(Booking.id, Booking.user_id).where(
                    Booking.id.in_(list(seen_confirmed)), Booking.status == BookingStatus.CONFIRMED
                )
            )
            .tuples()
            .all()
        )
        assert stored == {booking_id: live.user_ids[n] for booking_id, n in seen_confirmed.items()}
        created = sa.select(AuditEvent.target_id).where(
            AuditEvent.action == "booking.created", AuditEvent.target_type == "booking"
        )
        assert db.session.scalar(sa.select(sa.func.count()).where(Booking.id.not_in(created))) == 0
        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(created.subquery())
        ) == db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
        assert double_bookings() == []


def active_places(live: Live, resource_id: int) -> int:
    with live.sql():
        return db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Booking.party_size), 0)).where(
                Booking.resource_id == resource_id, Booking.status.in_(ACTIVE_STATUSES)
            )
        )


def test_64_people_racing_for_one_exclusive_slot_confirm_exactly_one(live: Live) -> None:
    day = local_day(2)
    outcomes = all_at_once(live, lambda n, browser: attempt(browser, n, live.court_id, day, 10 * 60))
    statuses = sorted(o.page.status for o in outcomes if o.page)
    assert not [o.error for o in outcomes if o.error]
    assert statuses.count(302) == 1, statuses
    assert statuses.count(422) == CLIENTS - 1, statuses
    assert all(o.page.codes == ["conflict"] for o in outcomes if o.page.status == 422)
    assert active_places(live, live.court_id) == 1
    assert_table_is_sound(live, confirmed_ids(outcomes))


def test_64_people_racing_for_a_room_of_20_get_exactly_20_places(live: Live) -> None:
    day = local_day(2)
    outcomes = all_at_once(live, lambda n, browser: attempt(browser, n, live.room_id, day, 10 * 60))
    statuses = sorted(o.page.status for o in outcomes if o.page)
    assert not [o.error for o in outcomes if o.error]
    assert statuses.count(302) == ROOM_PLACES, statuses
    assert statuses.count(422) == CLIENTS - ROOM_PLACES, statuses
    assert all(o.page.codes == ["capacity"] for o in outcomes if o.page.status == 422)
    assert active_places(live, live.room_id) == ROOM_PLACES
    assert_table_is_sound(live, confirmed_ids(outcomes))


def everyone_books_once_more(live: Live, day: date) -> list[Outcome]:
    return all_at_once(live, lambda n, browser: attempt(browser, n, live.own_ids[n], day, 23 * 60))


def test_a_worker_killed_mid_burst_loses_no_confirmed_booking_and_the_server_keeps_serving(
    live: Live,
) -> None:
    def kill_workers(burst: Burst) -> list[int]:
        # Kill one busy worker; if no request happened to be in its hands, kill another (at most three).
        burst.wait_for(CLIENTS)
        killed = []
        for pid in live.server.worker_pids()[:3]:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            clock.sleep(0.3)
            if burst.dropped:
                break
        return killed

    burst = Burst(live, local_day(5), rounds=3)
    killed = burst.run(kill_workers)
    pages = [o.page for o in burst.outcomes if o.page]
    assert killed and burst.dropped, "no request was in the hands of a killed worker"
    assert all(page.status == 302 for page in pages), sorted({page.status for page in pages})
    live.server.wait_ready(exclude=set(killed))
    again = everyone_books_once_more(live, local_day(5))
    assert [o.page.status if o.page else o.error for o in again] == [302] * CLIENTS
    assert_table_is_sound(live, confirmed_ids(burst.outcomes + again))


def test_database_connections_terminated_under_load_fail_only_requests_in_flight(live: Live) -> None:
    if live.backend != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    rounds, terminations = 3, 2

    def terminate_connections(burst: Burst) -> int:
        engine = sa.create_engine(live.server.database_url, poolclass=sa.pool.NullPool)
        terminated = 0
        try:
            for n in range(terminations):
                burst.wait_for(CLIENTS * (n + 1) * rounds // (terminations + 1))
                with engine.connect() as conn:
                    terminated += conn.execute(
                        sa.text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    ).scalar_one()
        finally:
            engine.dispose()
        return terminated

    burst = Burst(live, local_day(8), rounds=rounds)
    terminated = burst.run(terminate_connections)
    pages = [o.page for o in burst.outcomes if o.page]
    failed = [page for page in pages if page.status != 302]
    assert terminated > 0
    assert not burst.dropped, [o.error for o in burst.dropped]
    # A request whose connection died answers with the friendly error page; only those in flight can fail
    # (each sync worker has one), the next ones get a fresh connection thanks to pool_pre_ping.
    assert all(page.status == 500 and FRIENDLY_ERROR in page.body for page in failed), [
        (p.status, p.body[:300]) for p in failed if FRIENDLY_ERROR not in p.body
    ]
    assert len(failed) <= WORKERS * terminations
    again = everyone_books_once_more(live, local_day(8))
    assert [o.page.status if o.page else o.error for o in again] == [302] * CLIENTS
    assert_table_is_sound(live, confirmed_ids(burst.outcomes + again))
