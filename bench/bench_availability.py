"""Benchmark: availability pages at city scale, timed in this process with wall and CPU time.

    .venv/bin/python bench/bench_availability.py      (or: make bench)

Seeds the scale dataset (booking/scale.py: BENCH_AVAILABILITY_FACILITIES facilities, default 2,000, and
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
import gc
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import time_machine  # noqa: E402
from booking.scale import seed_scale  # noqa: E402

from bench import workload  # noqa: E402
from models import db  # noqa: E402
from tests.conftest import make_app  # noqa: E402
from tests.load.live_server import fresh_database  # noqa: E402

QUICK = os.environ.get("BENCH_SCALE") == "quick"
FACILITIES = int(os.environ.get("BENCH_AVAILABILITY_FACILITIES", "300" if QUICK else "2000"))
BOOKINGS = int(os.environ.get("BENCH_AVAILABILITY_BOOKINGS", "10000" if QUICK else "1000000"))
REQUESTS = int(os.environ.get("BENCH_AVAILABILITY_REQUESTS", "14" if QUICK else "30"))
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Jiaozuo
TARGETS_MS = {"timeline_day": 100, "timeline_week": 250, "text_search": 50, "week_grid": 50}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


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
            result = seed_scale(
                facilities=FACILITIES,
                users=max(2000, FACILITIES * 10),
                bookings=BOOKINGS,
                now=NOW,
                audit=False,
            )
            print(
                f"{backend}: {FACILITIES} facilities, {BOOKINGS} bookings seeded in {result.seconds:.0f} s",
                flush=True,
            )
            targets = paths()
            db.session.remove()
        figures = {}
        # As each gunicorn worker does once the app is loaded (gunicorn.conf.py): what exists now is left
        # out of Python's full collections, which otherwise add their pause to one request in twenty.
        gc.collect()
        gc.freeze()
        with time_machine.travel(NOW, tick=True):
            client = app.test_client()
            for name, urls in targets.items():
                for path in urls[:2]:  # warm the caches and the database's pages
                    client.get(path)
                wall, cpu = [], []
                for path in urls:
                    began, used = time.perf_counter(), time.process_time()
                    response = client.get(path)
                    wall.append((time.perf_counter() - began) * 1000)
                    cpu.append((time.process_time() - used) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                figures[name] = {
                    "wall_p50": statistics.median(wall),
                    "wall_p95": p95(wall),
                    "cpu_p50": statistics.median(cpu),
                    "cpu_p95": p95(cpu),
                }
                if os.environ.get("BENCH_PROFILE") == name:
                    profiler = cProfile.Profile()
                    profiler.runcall(client.get, urls[0])
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        with app.app_context():
            db.engine.dispose()
    return figures


def main() -> int:
    backends = ["sqlite"]
    server_url = os.environ.get("TEST_POSTGRES_URL")
    if server_url:
        backends.insert(0, "postgresql")
    if os.environ.get("BENCH_ONLY"):
        backends = [os.environ["BENCH_ONLY"]]
    failed = False
    lines = []
    with tempfile.TemporaryDirectory() as directory:
        for backend in backends:
            for name, f in bench(backend, Path(directory), server_url).items():
                target = TARGETS_MS[name]
                verdict = "ok" if f["wall_p95"] < target else "OVER"
                failed |= f["wall_p95"] >= target
                lines.append(
                    f"{backend:<10} {name:<14} wall p50 {f['wall_p50']:6.0f} p95 {f['wall_p95']:6.0f} ms"
                    f"   CPU p50 {f['cpu_p50']:6.0f} p95 {f['cpu_p95']:6.0f} ms"
                    f"   target p95 < {target} ms  {verdict}   ({FACILITIES} facilities, {BOOKINGS} bookings)"
                )
                print(lines[-1], flush=True)
    print("\n".join(["", "availability:", *lines]))
    return 1 if failed and os.environ.get("BENCH_STRICT") else 0


if __name__ == "__main__":
    sys.exit(main())
