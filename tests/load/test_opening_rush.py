"""The opening rush against a real gunicorn: 64 people wait for the instant next week's slots open and book
16 courts at once, four wanting each; then every one of them asks again for a court already taken.

Exactly one winner per court, every other person told the slot is taken, no server error, every
confirmation stored and nothing overlapping. The figures (latency, CPU per request, how close the order of
winners is to the order of arrival) are `make bench`'s (bench/run.py, 256 people); here they are printed.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time

import pytest
import sqlalchemy as sa
from flask import Flask

from models import Booking, BookingStatus, db
from scale import double_bookings
from tests.conftest import backends
from tests.factories import PASSWORD, make_resource, make_university, make_user
from tests.load.live_server import LiveServer, fresh_app
from tests.load.rush import CpuMeter, Rush, RushPlan, again, log_in, run_rush

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("races")]

CLIENTS = 64
COURTS = 16
WORKERS = 4
WINDOW_DAYS = 7
ALL_DAY = tuple((weekday, time(0), time(0)) for weekday in range(7))


@dataclass
class Opening:
    app: Flask
    server: LiveServer
    plan: RushPlan
    user_ids: list[int]
    rush: Rush
    cpu: dict[str, object]
    refused_again: list[int | None]


@pytest.fixture(scope="module", params=backends())
def opening(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opening]:
    backend = request.param
    directory = tmp_path_factory.mktemp(f"rush-{backend}")
    with fresh_app(backend, directory) as (url, app):
        with app.app_context():
            university = make_university()
            policy = {"min_notice_minutes": 0, "max_advance_days": WINDOW_DAYS, "max_minutes": 120}
            courts = [make_resource(university, hours=ALL_DAY, policy=policy).id for _ in range(COURTS)]
            users = [make_user(email=f"rush{n:02d}@example.com") for n in range(CLIENTS)]
            emails, user_ids = [u.email for u in users], [u.id for u in users]
            db.session.remove()
        # The opening comes 15 s after this moment: time to start the server and log everyone in (if that
        # takes longer, everyone sends at once as soon as they are in; the rush is the same).
        plan = RushPlan.make(courts, WINDOW_DAYS, lead=15)
        server = LiveServer(
            url, workers=WORKERS, log_path=directory / "gunicorn.log", environment=plan.environment
        )
        try:
            server.start()
            browsers = log_in(server.base_url, emails, courts, PASSWORD)
            meter = CpuMeter(server.worker_pids(), url)
            meter.start()
            rush = run_rush(browsers, plan, spacing=0.002)
            cpu: dict[str, object] = {"rush": meter.stop() | meter.per_request_ms(CLIENTS)}
            meter.start()
            pages = again(browsers, plan, courts)
            cpu["losers"] = meter.stop() | meter.per_request_ms(CLIENTS)
            print(json.dumps({"backend": backend, **rush.summary(), "cpu": cpu}))
            yield Opening(app, server, plan, user_ids, rush, cpu, [p.status if p else None for p in pages])
        finally:
            server.stop()


def test_the_rush_has_exactly_one_winner_per_court_and_no_server_error(opening: Opening) -> None:
    rush = opening.rush
    assert [a.error for a in rush.attempts if a.error] == []
    assert rush.statuses() == {302: COURTS, 422: CLIENTS - COURTS}
    assert sorted(a.court for a in rush.winners) == sorted(opening.plan.courts)


def test_every_loser_is_told_the_slot_is_taken(opening: Opening) -> None:
    losers = [a for a in opening.rush.attempts if a.page is not None and a.page.status == 422]
    assert losers and all(a.page.codes == ["conflict"] for a in losers)


def test_the_winners_bookings_are_stored_and_nothing_overlaps(opening: Opening) -> None:
    seen = {a.page.booking_id: opening.user_ids[a.client] for a in opening.rush.winners}
    with opening.app.app_context():
        stored = dict(
            db.session.execute(
                sa.select(Booking.id, Booking.user_id).where(Booking.status == BookingStatus.CONFIRMED)
            )
            .tuples()
            .all()
        )
        assert stored == seen
        assert double_bookings() == []
        db.session.remove()


def test_asking_again_for_a_taken_court_is_refused_for_everyone(opening: Opening) -> None:
    assert opening.refused_again == [422] * CLIENTS
