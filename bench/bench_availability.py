"""Benchmark: availability pages at city scale, timed in this process with wall and CPU time.

    .venv/bin/python bench/bench_availability.py      (or: make bench)

Seeds the scale dataset (scale/: BENCH_AVAILABILITY_FACILITIES facilities, default 2,000, and
BENCH_AVAILABILITY_BOOKINGS bookings over two years, default 1,000,000) in a temporary database (SQLite, and
PostgreSQL when TEST_POSTGRES_URL names a server; BENCH_ONLY picks one), then times whole requests through
the app, the same paths as bench/run.py's loadgen (bench/workload.py):

  timeline of 50 facilities, a day     target p95 < 100 ms
  timeline of 50 facilities, a week    target p95 < 250 ms
  text search                          target p95 < 50 ms
  the truthful week grid               target p95 < 50 ms

bench/run.py measures the same pages under gunicorn with concurrent clients; this one measures each request
alone, with the CPU time it took (this process's: the database's work is in it on SQLite, not on
PostgreSQL), which stays steady on a busy machine where wall time does not. Like a gunicorn worker, the
process freezes its heap (gc.freeze) before serving. BENCH_SCALE=quick: 300
facilities and 10,000 bookings. BENCH_PROFILE=<name> prints a cProfile of one request of that target.
"""

import cProfile
import os
import pstats
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import time_machine  # noqa: E402

from bench import report, workload  # noqa: E402
from models import db  # noqa: E402
from tests.conftest import make_app  # noqa: E402
from tests.load.live_server import fresh_database  # noqa: E402

QUICK = os.environ.get("BENCH_SCALE") == "quick"
FACILITIES = int(os.environ.get("BENCH_AVAILABILITY_FACILITIES", "300" if QUICK else "2000"))
BOOKINGS = int(os.environ.get("BENCH_AVAILABILITY_BOOKINGS", "10000" if QUICK else "1000000"))
REQUESTS = int(os.environ.get("BENCH_AVAILABILITY_REQUESTS", "14" if QUICK else "30"))
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Jiaozuo
TARGETS_MS = {"timeline_day": 100, "timeline_week": 250, "text_search": 50, "week_grid": 50}


def paths() -> dict[str, list[str]]:
    today = NOW.date()
    return {
        "timeline_day": workload.timeline_paths(REQUESTS, today, week=False),
        "timeline_week": workload.timeline_paths(REQUESTS, today, week=True),
        "text_search": workload.text_search_paths(REQUESTS),
        "week_grid": workload.week_paths(workload.busiest_facility(today), REQUESTS, today),
    }


def bench(backend: str, work: Path, server_url: str | None) -> dict[str, dict[str, float]]:
    with fresh_database(backend, work, server_url=server_url) as url:
        app = make_app(url)
        with app.app_context():
            workload.seed_city(backend, FACILITIES, BOOKINGS, NOW)
            targets = paths()
            db.session.remove()
        figures = {}
        report.freeze_heap()
        with time_machine.travel(NOW, tick=True):
            client = app.test_client()
            for name, urls in targets.items():
                for path in urls[:2]:  # warm the caches and the database's pages
                    client.get(path)
                figures[name] = report.summary([report.timed_get(client, path) for path in urls])
                if os.environ.get("BENCH_PROFILE") == name:
                    profiler = cProfile.Profile()
                    profiler.runcall(client.get, urls[0])
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        with app.app_context():
            db.engine.dispose()
    return figures


def main() -> int:
    printout = report.Printout("availability")
    for backend, directory, server_url in report.each_backend():
        measures = bench(backend, directory, server_url)
        printout.requests(backend, measures, TARGETS_MS, f"{FACILITIES} facilities, {BOOKINGS} bookings")
    return printout.finish()


if __name__ == "__main__":
    sys.exit(main())
