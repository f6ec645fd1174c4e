"""`make bench`: the platform under gunicorn on PostgreSQL and SQLite, driven by bench/loadgen.py; one table.

For each database (PostgreSQL when TEST_POSTGRES_URL names a server; SQLite always), in a temporary
database: seed the scale dataset at the smallest tier (scale/), add 32 booking clients and a
feed owner (bench/workload.py), start gunicorn with the production settings, then per tier (regenerating
the bookings in bulk) time the free-between search and a week grid; at the largest tier, the trivial
endpoint and booking creation at 1, 8 and 32 clients, a browser booking (the POST and the page it leads to)
at 8, my bookings and the booking form, the 5,000-event calendar feed, the workers' peak RSS, the opening
rush (tests/load/rush.py: 256 people book 16 courts the instant they open, on a server of its own whose clock
puts the opening just after everyone logged in), and one tick of each scheduled job (in this process, twice:
catching up, then steady). Every HTTP measure comes with the server's CPU per request: web workers and
PostgreSQL's backends, from /proc (utime + stime), over the measured part of the run.

Prints one table and writes it with every raw figure to bench-results/latest.json.

Environment (all optional):
  TEST_POSTGRES_URL    PostgreSQL server; without it only SQLite is measured
  BENCH_SCALE          full (default: ~8 min) or quick (small tiers, short runs: ~2 min)
  BENCH_TIERS          PostgreSQL tiers in bookings, e.g. 10000,100000,1000000 (the full default)
  BENCH_SQLITE_TIERS   SQLite tiers (full default 10000,100000; add 1000000 for ~3 more minutes)
  BENCH_FACILITIES, BENCH_USERS, BENCH_DURATION (s per throughput run), BENCH_WORKERS
  BENCH_ONLY           postgresql or sqlite
  BENCH_RUSH_CLIENTS   people in the opening rush (256)
  BENCH_PROFILE        1: py-spy samples the server during each measured scenario (bench/profile.py) and
                       writes its stacks and a summary to bench-results/profiles/<database>-<scenario>.*;
                       the figures of a profiled run are a little slower than a plain one's
  LIVE_SERVER_PORTS    the servers' ports, e.g. 5151-5199 (tests/load/live_server.py); any free one if unset
"""

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import profile, report, workload  # noqa: E402
from models import db  # noqa: E402
from scale import ScaleResult, seed_bookings, seed_scale  # noqa: E402
from tests.conftest import make_app  # noqa: E402
from tests.load import rush  # noqa: E402
from tests.load.live_server import LiveServer, fresh_database, peak_rss_kib  # noqa: E402

RESULTS = ROOT / "bench-results"
PROFILES = RESULTS / "profiles"
JIAOZUO = ZoneInfo("Asia/Shanghai")
PRESETS = {
    "full": {
        "tiers": "10000,100000,1000000",
        "sqlite_tiers": "10000,100000",
        "facilities": 2000,
        "users": 20000,
        "duration": 8,
        "latency_requests": 30,
        "feed_requests": 10,
    },
    "quick": {
        "tiers": "1000,10000",
        "sqlite_tiers": "1000,10000",
        "facilities": 300,
        "users": 2000,
        "duration": 3,
        "latency_requests": 15,
        "feed_requests": 4,
    },
}
CLIENTS = (1, 8, 32)
RUSH_CLIENTS = 256
RUSH_COURTS = 16
RUSH_WINDOW_DAYS = 7
FEED_EVENTS = 5000


def settings() -> dict[str, Any]:
    preset = dict(PRESETS[os.environ.get("BENCH_SCALE", "full")])
    tiers = os.environ.get("BENCH_TIERS", preset["tiers"])
    sqlite_tiers = os.environ.get("BENCH_SQLITE_TIERS", preset["sqlite_tiers"])
    preset.update(
        tiers=[int(t) for t in tiers.split(",")],
        sqlite_tiers=[int(t) for t in sqlite_tiers.split(",")],
        facilities=int(os.environ.get("BENCH_FACILITIES", preset["facilities"])),
        users=int(os.environ.get("BENCH_USERS", preset["users"])),
        duration=float(os.environ.get("BENCH_DURATION", preset["duration"])),
        workers=int(os.environ.get("BENCH_WORKERS", 4)),
        only=os.environ.get("BENCH_ONLY", ""),
        postgres=os.environ.get("TEST_POSTGRES_URL", ""),
    )
    return preset


def say(message: str) -> None:
    print(f"[{datetime.now(UTC).strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# The server being measured, for the load generator's CPU meter: --cpu-pids and --database-url.
METER: list[str] = []
# The database and the server being measured, for the profiles' names and py-spy's pid.
MEASURED: dict[str, Any] = {}


def meter(server: LiveServer, url: str, backend: str) -> None:
    METER[:] = ["--cpu-pids", ",".join(map(str, server.worker_pids())), "--database-url", url]
    MEASURED.update(server=server, backend=backend)


def profiled(scenario: str, server: LiveServer | None = None) -> contextlib.AbstractContextManager[Any]:
    """With BENCH_PROFILE, py-spy samples the server (the one measured, unless given) while the block runs."""
    server = server or MEASURED.get("server")
    if not profile.enabled() or server is None or server.process is None:
        return contextlib.nullcontext()
    return profile.Profile(server.process.pid, PROFILES / f"{MEASURED['backend']}-{scenario}")


def loadgen(*args: str) -> dict[str, Any]:
    """One run of the load generator in its own process; its JSON figures, with the server's CPU per
    request (web workers and database backends, from /proc)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "loadgen.py"), *args, *METER],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"loadgen {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


@contextlib.contextmanager
def quiet_logs(path: Path):
    """Send the app's INFO logs (jobs, emails printed instead of sent) to a file while seeding and ticking."""
    root = logging.getLogger()
    saved = root.handlers[:]
    handler = logging.FileHandler(path)
    root.handlers = [handler]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        root.handlers = saved
        handler.close()


def bench_backend(backend: str, tiers: list[int], conf: dict[str, Any], work: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"tiers": {}}
    now = datetime.now(UTC)
    today = now.astimezone(JIAOZUO).date()
    with fresh_database(backend, work, server_url=conf["postgres"] or None) as url:
        app = make_app(url)
        say(
            f"{backend}: seeding {conf['facilities']} facilities, {conf['users']} people, {tiers[0]} bookings"
        )
        with app.app_context(), quiet_logs(work / "app.log"):
            scale: ScaleResult = seed_scale(
                facilities=conf["facilities"], users=conf["users"], bookings=tiers[0], now=now
            )
            accounts = workload.add_booking_clients("HPU", max(CLIENTS), today + timedelta(days=1))
            db.session.remove()
        server = LiveServer(url, workers=conf["workers"], log_path=work / f"gunicorn-{backend}.log")
        try:
            server.start()
            meter(server, url, backend)
            for index, tier in enumerate(tiers):
                seconds = scale.seconds
                if index:
                    say(f"{backend}: regenerating {tier} bookings")
                    with app.app_context(), quiet_logs(work / "app.log"):
                        seconds = seed_bookings(
                            tier,
                            now=now,
                            resource_ids=scale.resource_ids,
                            user_ids=scale.user_ids,
                            replace=True,
                        ).seconds
                        db.session.remove()
                say(f"{backend}: {tier} bookings seeded in {seconds:.1f} s; search and week grid")
                result["tiers"][str(tier)] = measure_reads(server, app, conf, work, today, tier) | {
                    "seed_seconds": seconds
                }
            result |= measure_writes(server, app, conf, work, accounts, today)
            result["pages"] = measure_personal_pages(server, accounts)
            result["feed"] = measure_feed(server, app, conf, now)
            result["peak_rss_kib"] = max((peak_rss_kib(pid) or 0) for pid in server.worker_pids())
            server.stop()
            result["rush"] = measure_rush(app, url, conf, work)
            say(f"{backend}: one tick of each job")
            result["jobs"] = tick_jobs(app, work)
        finally:
            server.stop()
            with app.app_context():
                db.engine.dispose()
    return result


def measure_reads(
    server: LiveServer, app, conf: dict[str, Any], work: Path, today, tier: int
) -> dict[str, Any]:
    searches = work / "search.txt"
    searches.write_text("\n".join(workload.search_paths(conf["latency_requests"], today)))
    with app.app_context():
        busiest = workload.busiest_facility(today)
        db.session.remove()
    weeks = work / "weeks.txt"
    weeks.write_text("\n".join(workload.week_paths(busiest, conf["latency_requests"], today)))
    texts = work / "text.txt"
    texts.write_text("\n".join(workload.text_search_paths(conf["latency_requests"])))
    with app.app_context():
        days = work / "timeline-day.txt"
        days.write_text("\n".join(workload.timeline_paths(conf["latency_requests"], today, week=False)))
        week_lines = work / "timeline-week.txt"
        week_lines.write_text("\n".join(workload.timeline_paths(conf["latency_requests"], today, week=True)))
        db.session.remove()
    count = str(conf["latency_requests"])
    base = server.base_url
    # A few unmeasured requests first, so every worker has its code, templates and connections warm.
    for paths in (searches, weeks, texts, days, week_lines):
        loadgen("get", "--base", base, "--urls", str(paths), "--concurrency", "4", "--requests", "8")
    figures: dict[str, Any] = {"week_facility": busiest}
    scenarios = {
        "search": searches,
        "week": weeks,
        "text_search": texts,
        "timeline_day": days,
        "timeline_week": week_lines,
    }
    for name, paths in scenarios.items():
        with profiled(f"{name}-{tier}"):
            figures[name] = loadgen("get", "--base", base, "--urls", str(paths), "--requests", count)
    return figures


def measure_writes(
    server: LiveServer, app, conf: dict[str, Any], work: Path, accounts: list[dict], today
) -> dict[str, Any]:
    base, duration = server.base_url, str(conf["duration"])
    say("trivial endpoint, 32 clients")
    with profiled("trivial"):
        trivial = loadgen(
            "get", "--base", base, "--path", "/healthz", "--concurrency", "32", "--duration", duration
        )
    booking = {}
    for run, clients in enumerate(CLIENTS):
        say(f"booking creation, {clients} clients")
        # Each run books its own days, so no run meets another's bookings.
        first_day = today + timedelta(days=1 + 40 * run)
        path = work / f"accounts-{clients}.json"
        path.write_text(json.dumps([a | {"first_day": first_day.isoformat()} for a in accounts]))
        with profiled(f"booking-{clients}"):
            booking[str(clients)] = loadgen(
                "book",
                "--base",
                base,
                "--accounts",
                str(path),
                "--concurrency",
                str(clients),
                "--duration",
                duration,
            )
    say("browser booking (the POST and the page it leads to), 8 clients")
    path = work / "accounts-browser.json"
    first_day = today + timedelta(days=1 + 40 * len(CLIENTS))
    path.write_text(json.dumps([a | {"first_day": first_day.isoformat()} for a in accounts]))
    with profiled("browser_booking"):
        browser = loadgen(
            "book", "--base", base, "--accounts", str(path), "--concurrency", "8", "--duration", duration,
            "--follow",
        )  # fmt: skip
    return {"trivial": trivial, "booking": booking, "browser_booking": browser}


def measure_personal_pages(server: LiveServer, accounts: list[dict]) -> dict[str, Any]:
    """My bookings and the booking form, for a person who has booked (the booking runs' first account)."""
    account = accounts[0]
    login = ["--email", str(account["email"]), "--password", str(account["password"])]
    pages = {"my_bookings": "/bookings", "booking_page": f"/facilities/{account['resource_id']}/book"}
    figures = {}
    for name, path in pages.items():
        say(f"{name.replace('_', ' ')}, 1 client")
        loadgen("get", "--base", server.base_url, "--path", path, "--requests", "8", *login)
        with profiled(name):
            figures[name] = loadgen(
                "get", "--base", server.base_url, "--path", path, "--requests", "30", *login
            )
    return figures


def measure_rush(app, url: str, conf: dict[str, Any], work: Path) -> dict[str, Any]:
    """The opening rush (tests/load/rush.py): RUSH_CLIENTS people, 16 courts, on a server whose clock puts
    the opening a little after everyone has logged in; then everyone asks again (only refusals)."""
    clients = int(os.environ.get("BENCH_RUSH_CLIENTS", RUSH_CLIENTS))
    say(f"opening rush: {clients} people, {RUSH_COURTS} courts")
    with app.app_context():
        courts, emails = workload.add_rush(clients, RUSH_COURTS, RUSH_WINDOW_DAYS)
        db.session.remove()
    # Logging in costs about 10 ms a person on a quiet machine; the opening waits for everyone.
    plan = rush.RushPlan.make(courts, RUSH_WINDOW_DAYS, lead=20 + clients * 0.15)
    server = LiveServer(
        url, workers=conf["workers"], log_path=work / "gunicorn-rush.log", environment=plan.environment
    )
    try:
        server.start()
        browsers = rush.log_in(server.base_url, emails, courts, workload.PASSWORD)
        if time.time() > plan.opens_at:
            return {"error": "the opening came before everyone had logged in; raise the lead"}
        cpu = rush.CpuMeter(server.worker_pids(), url)
        with profiled("rush", server):
            cpu.start()
            outcome = rush.run_rush(browsers, plan, spacing=0.001)
            cpu.stop()
        figures = outcome.summary() | {"cpu": cpu.per_request_ms(clients)}
        with profiled("rush_losers", server):
            cpu.start()
            refused = rush.again(browsers, plan, courts)
            cpu.stop()
        statuses = [str(page.status) if page else "error" for page in refused]
        figures["losers_again"] = {
            "statuses": {status: statuses.count(status) for status in sorted(set(statuses))},
            "cpu": cpu.per_request_ms(clients),
        }
        return figures
    finally:
        server.stop()


def measure_feed(server: LiveServer, app, conf: dict[str, Any], now: datetime) -> dict[str, Any] | str:
    with app.app_context():
        path = workload.add_feed_owner(FEED_EVENTS, now)
        db.session.remove()
    if path is None:
        return "n/a (personal feed not built)"
    say("personal calendar feed")
    count = str(conf["feed_requests"])
    with profiled("feed"):
        return loadgen("get", "--base", server.base_url, "--path", path, "--requests", count)


def tick_jobs(app, work: Path) -> dict[str, Any] | None:
    """Each job as the scheduler runs it: an untimed catch-up tick one interval ago (a day for the hourly and
    slower ones, whose work comes once a day), then the timed tick, which does one interval's work, and an
    idle tick right after it, which finds nothing left to do."""
    try:
        from booking.jobs.tasks import JOBS
    except ImportError:
        return None
    ticks: dict[str, Any] = {}
    with quiet_logs(work / "jobs.log"):
        for job in JOBS:
            now = datetime.now(UTC)
            interval = timedelta(days=1) if job.seconds >= 3600 else timedelta(seconds=job.seconds)
            figures: dict[str, Any] = {"interval_s": interval.total_seconds()}
            for tick, at in (("catch_up", now - interval), ("first", now), ("second", now)):
                with app.app_context():
                    began = time.perf_counter()
                    try:
                        rows = job.run(at)
                    except Exception as exc:  # a benchmark reports a failing job; it does not stop for it
                        figures = {"error": f"{type(exc).__name__}: {exc}"}
                        break
                    finally:
                        db.session.remove()
                    figures[f"{tick}_ms"] = (time.perf_counter() - began) * 1000
                    figures[f"rows_{tick}"] = rows
            ticks[job.name] = figures
    return ticks


def main() -> int:
    conf = settings()
    results: dict[str, Any] = {
        "meta": {
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(),
            "load_before": load_average(),
            "workers": conf["workers"],
            "facilities": conf["facilities"],
            "users": conf["users"],
            "duration": conf["duration"],
            "latency_requests": conf["latency_requests"],
            "notes": [],
        }
    }
    backends = [("postgresql", conf["tiers"]), ("sqlite", conf["sqlite_tiers"])]
    if conf["only"]:
        backends = [b for b in backends if b[0] == conf["only"]]
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ccb-bench-") as tmp:
        for backend, tiers in backends:
            if backend == "postgresql" and not conf["postgres"]:
                results["meta"]["notes"].append("PostgreSQL skipped: set TEST_POSTGRES_URL to include it")
                continue
            work = Path(tmp) / backend
            work.mkdir()
            results[backend] = bench_backend(backend, tiers, conf, work)
    results["meta"] |= {
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_after": load_average(),
        "seconds": round(time.perf_counter() - began),
    }
    results["table"] = report.table(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(results["table"])
    print(f"\n({results['meta']['seconds']} s; figures in {RESULTS / 'latest.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
