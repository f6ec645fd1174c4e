"""Benchmark: the reports at city scale, read from the statistics table alone.

    .venv/bin/python bench/bench_reports.py      (or: make bench)

Writes two years of facility_day rows for BENCH_REPORT_FACILITIES facilities (default 2,000, over four
universities: 1.46M rows) and a year of refusal counts straight into a temporary database (SQLite, and
PostgreSQL when TEST_POSTGRES_URL names a server), rolls them up into facility_month with the statistics
service's own rollup (timed), then times whole requests through the app (in this process, so the CPU time
of each request is this process's: the database's own work is in it on SQLite, not on PostgreSQL):

  city dashboard, one year      target p95 < 300 ms
  manager's dashboard, a term   target p95 < 150 ms
  export of a year by facility  target < 2 s (XLSX, the slower format)

No booking is read by a report, so none is made for them. Then, unless BENCH_BACKFILL=0, the backfill:
the scale dataset (scale/: BENCH_BACKFILL_FACILITIES facilities, default 2,000, and
BENCH_BACKFILL_BOOKINGS bookings over two years, default 1,000,000) in a fresh database, and the time
`statistics.backfill` takes to measure its two years (target: minutes).

BENCH_SCALE=quick: 200 facilities and 100,000 bookings; BENCH_REPORT_FACILITIES=0 times the backfill
alone. Every figure is printed as wall and CPU time: on a busy machine wall time is noisy and CPU time is
the steadier one to compare.
"""

import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
import time_machine  # noqa: E402

from bench import report, workload  # noqa: E402
from booking.services import statistics as statistics_service  # noqa: E402
from models import (  # noqa: E402
    Category,
    FacilityMonth,
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

QUICK = os.environ.get("BENCH_SCALE") == "quick"
FACILITIES = int(os.environ.get("BENCH_REPORT_FACILITIES", "200" if QUICK else "2000"))
BACKFILL = os.environ.get("BENCH_BACKFILL", "1") != "0"
BACKFILL_FACILITIES = int(os.environ.get("BENCH_BACKFILL_FACILITIES", "200" if QUICK else "2000"))
BACKFILL_BOOKINGS = int(os.environ.get("BENCH_BACKFILL_BOOKINGS", "100000" if QUICK else "1000000"))
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
    first = LAST - timedelta(days=DAYS - 1)
    facts = [(f.id, f.university_id, f.mode) for f in facilities]
    for day_index in range(DAYS):
        day = first + timedelta(days=day_index)
        rows = []
        for facility_id, university_id, mode in facts:
            offered = 14.0 if mode != Mode.PLACEMENT else 20.0
            booked = offered * rng.random() * 0.8
            rows.append(
                (
                    facility_id,
                    university_id,
                    day,
                    14.0,
                    booked,
                    booked,
                    rng.randrange(8),
                    "{}",
                    rng.randrange(2),
                    offered,
                    booked * 0.3,
                    booked * 0.5,
                    booked * 0.2,
                    rng.randrange(10),
                    rng.randrange(2),
                    f"[{rng.randrange(30, 2000)}]" if rng.random() < 0.2 else "[]",
                    rng.randrange(2),
                    NOW,
                )
            )
        _insert_days(rows)
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


_DAY_COLUMNS = (
    "resource_id, university_id, day, open_hours, booked_hours, place_hours, bookings, bookings_by_category,"
    " no_shows, offered, booked_resident, booked_student, booked_enterprise, requests, cancelled,"
    " lead_minutes, waitlist_unserved, created_at"
)


def _insert_days(rows: list[tuple]) -> None:
    """facility_day rows straight to the driver: COPY on PostgreSQL, executemany on SQLite."""
    driver = db.session.connection().connection.driver_connection
    if db.engine.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY facility_day ({_DAY_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(rows[0]))
        plain = [
            (*row[:2], row[2].isoformat(), *row[3:17], row[17].replace(tzinfo=None).isoformat(" "))
            for row in rows
        ]
        driver.executemany(f"INSERT INTO facility_day ({_DAY_COLUMNS}) VALUES ({marks})", plain)


def timed(client, path: str) -> list[tuple[float, float]]:
    """(wall ms, CPU ms of this process) of each of RUNS requests, after one to warm up."""
    client.get(path)
    return [report.timed_get(client, path) for _ in range(RUNS)]


def bench(backend: str, work: Path, server_url: str | None) -> dict[str, tuple[float, float]]:
    rng = random.Random(13)
    with fresh_database(backend, work, server_url=server_url) as url:
        app = make_app(url)
        with app.app_context():
            began = time.perf_counter()
            admin, manager, _university = seed(rng)
            print(
                f"{backend}: {FACILITIES * DAYS} facility-days written"
                f" in {time.perf_counter() - began:.0f} s",
                flush=True,
            )
            began, cpu = time.perf_counter(), time.process_time()
            months = statistics_service.roll_up_months()
            print(
                f"{backend}: rolled up into {months} facility-months in {time.perf_counter() - began:.1f} s"
                f" (CPU {time.process_time() - cpu:.1f} s)",
                flush=True,
            )
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE facility_month")
            db.session.remove()
        results = {}
        report.freeze_heap()
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
    return {name: report.summary(v) for name, v in results.items()}


def bench_backfill(backend: str, work: Path, server_url: str | None) -> dict[str, float]:
    """The scale dataset's two years of bookings, then the backfill of their statistics, timed."""
    with fresh_database(backend, work, server_url=server_url) as url:
        app = make_app(url)
        with app.app_context():
            workload.seed_city(backend, BACKFILL_FACILITIES, BACKFILL_BOOKINGS, NOW)
            db.session.remove()
            began, cpu = time.perf_counter(), time.process_time()
            written = statistics_service.backfill(NOW, DAYS)
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
            months = db.session.scalar(sa.select(sa.func.count()).select_from(FacilityMonth))
            db.session.remove()
            db.engine.dispose()
    return {"facility_days": written, "facility_months": months, "wall_s": wall, "cpu_s": cpu}


def main() -> int:
    printout = report.Printout("reports")
    for backend, directory, server_url in report.each_backend():
        if FACILITIES:
            measures = bench(backend, directory, server_url)
            printout.requests(backend, measures, TARGETS_MS, f"{FACILITIES} facilities x {DAYS} days")
        if BACKFILL:
            b = bench_backfill(backend, directory, server_url)
            printout.line(
                f"{backend:<10} backfill       {b['facility_days']} facility-days, {b['facility_months']}"
                f" facility-months from {BACKFILL_BOOKINGS} bookings: wall {b['wall_s']:.0f} s,"
                f" CPU {b['cpu_s']:.0f} s   target: minutes"
            )
    return printout.finish()


if __name__ == "__main__":
    sys.exit(main())
