"""Benchmark: the reports at city scale, read from the statistics table alone.

    .venv/bin/python bench/bench_reports.py      (or: make bench)

Writes two years of facility_day rows for BENCH_REPORT_FACILITIES facilities (default 2,000, over four
universities: 1.46M rows) and a year of refusal counts straight into a temporary database (SQLite, and
PostgreSQL when TEST_POSTGRES_URL names a server), then times whole requests through the app:

  city dashboard, one year      target p95 < 300 ms
  manager's dashboard, a term   target p95 < 150 ms
  export of a year by facility  target < 2 s (XLSX, the slower format)

No booking is read by a report, so none is made here. (The backfill's speed is the snapshot job's, which
`make bench` times on its own in bench/run.py's job ticks.)
"""

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
import time_machine  # noqa: E402

from models import (  # noqa: E402
    Category,
    FacilityDay,
    Mode,
    Organization,
    OrganizationKind,
    Policy,
    RefusalCount,
    Resource,
    ResourceKind,
    User,
    db,
)
from tests.conftest import make_app  # noqa: E402
from tests.load.live_server import fresh_database  # noqa: E402

FACILITIES = int(os.environ.get("BENCH_REPORT_FACILITIES", "2000"))
DAYS = int(os.environ.get("BENCH_REPORT_DAYS", "730"))
RUNS = int(os.environ.get("BENCH_REPORT_RUNS", "9"))
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
LAST = date(2026, 11, 23)
TARGETS_MS = {"city_year": 300, "manager_term": 150, "export_year": 2000}


def seed(rng: random.Random) -> tuple[str, str, int]:
    """Universities, facilities, a city admin and a manager; facility_day and refusal_count in bulk."""
    from werkzeug.security import generate_password_hash

    password = generate_password_hash("bench password 42", method="pbkdf2:sha256:1000")
    universities = [
        Organization(
            kind=OrganizationKind.UNIVERSITY, name_zh=f"大学{n}", name_en=f"University {n}", code=f"B{n}"
        )
        for n in range(4)
    ]
    db.session.add_all(universities)
    db.session.flush()
    kinds = list(ResourceKind)
    facilities = []
    for n in range(FACILITIES):
        mode = Mode.PLACEMENT if n % 20 == 0 else Mode.SHARED if n % 5 == 0 else Mode.EXCLUSIVE
        resource = Resource(
            university_id=universities[n % 4].id,
            kind=kinds[n % len(kinds)],
            mode=mode,
            name_zh=f"场地{n}",
            name_en=f"Facility {n}",
            capacity=1 if mode == Mode.EXCLUSIVE else 20,
            slot_minutes=1440 if mode == Mode.PLACEMENT else 30,
            created_at=NOW - timedelta(days=DAYS + 10),
        )
        resource.policy = Policy()
        facilities.append(resource)
    db.session.add_all(facilities)
    admin = User(
        email="city@bench.jz",
        password_hash=password,
        display_name="City",
        category=Category.RESIDENT,
        is_admin=True,
        locale="en",
    )
    manager = User(
        email="manager@bench.jz",
        password_hash=password,
        display_name="Manager",
        category=Category.RESIDENT,
        manages_id=universities[0].id,
        locale="en",
    )
    db.session.add_all([admin, manager])
    db.session.commit()
    table = FacilityDay.__table__
    first = LAST - timedelta(days=DAYS - 1)
    for day_index in range(DAYS):
        day = first + timedelta(days=day_index)
        rows = []
        for facility in facilities:
            offered = 14.0 if facility.mode != Mode.PLACEMENT else 20.0
            booked = offered * rng.random() * 0.8
            rows.append(
                {
                    "resource_id": facility.id,
                    "university_id": facility.university_id,
                    "day": day,
                    "open_hours": 14.0,
                    "booked_hours": booked,
                    "place_hours": booked,
                    "bookings": rng.randrange(8),
                    "bookings_by_category": {},
                    "no_shows": rng.randrange(2),
                    "offered": offered,
                    "booked_resident": booked * 0.3,
                    "booked_student": booked * 0.5,
                    "booked_enterprise": booked * 0.2,
                    "requests": rng.randrange(10),
                    "cancelled": rng.randrange(2),
                    "lead_minutes": [rng.randrange(30, 2000)] if rng.random() < 0.2 else [],
                    "waitlist_unserved": rng.randrange(2),
                    "created_at": NOW,
                }
            )
        db.session.execute(sa.insert(table), rows)
        if day_index >= DAYS - 365:
            db.session.execute(
                sa.insert(RefusalCount.__table__),
                [
                    {
                        "resource_id": f.id,
                        "university_id": f.university_id,
                        "day": day,
                        "code": rng.choice(["conflict", "capacity", "quota_bookings"]),
                        "count": 1 + rng.randrange(3),
                    }
                    for f in rng.sample(facilities, 50)
                ],
            )
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return admin.email, manager.email, universities[0].id


def timed(client, path: str) -> list[float]:
    client.get(path)  # warm
    seconds = []
    for _ in range(RUNS):
        began = time.perf_counter()
        response = client.get(path)
        seconds.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return seconds


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def bench(backend: str, work: Path, server_url: str | None) -> dict[str, tuple[float, float]]:
    rng = random.Random(13)
    with fresh_database(backend, work, server_url=server_url) as url:
        app = make_app(url)
        with app.app_context():
            began = time.perf_counter()
            admin, manager, _university = seed(rng)
            print(
                f"{backend}: {FACILITIES * DAYS} facility-days written in {time.perf_counter() - began:.0f} s"
            )
            db.session.remove()
        results = {}
        with time_machine.travel(NOW, tick=True):
            city = app.test_client()
            city.post("/login", data={"email": admin, "password": "bench password 42"})
            if "--profile" in sys.argv:
                import cProfile
                import pstats

                city.get("/reports?period=year&on=2026-06-01")
                profiler = cProfile.Profile()
                profiler.runcall(city.get, "/reports?period=year&on=2026-06-01")
                pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
            results["city_year"] = timed(city, "/reports?period=year&on=2026-06-01")
            results["export_year"] = timed(city, "/reports/facilities.xlsx?period=year&on=2026-06-01")
            campus = app.test_client()
            campus.post("/login", data={"email": manager, "password": "bench password 42"})
            results["manager_term"] = timed(campus, "/reports?period=term&on=2026-10-01")
        with app.app_context():
            db.engine.dispose()
    return {name: (statistics.median(v), p95(v)) for name, v in results.items()}


def main() -> int:
    backends = ["sqlite"]
    server_url = os.environ.get("TEST_POSTGRES_URL")
    if server_url:
        backends.insert(0, "postgresql")
    failed = False
    with tempfile.TemporaryDirectory() as directory:
        for backend in backends:
            figures = bench(backend, Path(directory), server_url)
            for name, (median, high) in figures.items():
                target = TARGETS_MS[name]
                verdict = "ok" if high < target else "OVER"
                failed |= high >= target
                print(
                    f"{backend:<10} {name:<14} median {median:7.0f} ms   p95 {high:7.0f} ms"
                    f"   target {target} ms  {verdict}"
                )
    return 1 if failed and os.environ.get("BENCH_STRICT") else 0


if __name__ == "__main__":
    sys.exit(main())
