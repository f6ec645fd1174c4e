"""The benchmark's one table: each measure on PostgreSQL and SQLite beside the issue's target; and what the
in-process benches (bench/bench_*.py) share to time requests and print their figures.

`table(results)` takes what bench/run.py collected ({"meta": ..., "postgresql": ..., "sqlite": ...}) and
returns the table as text; a figure that misses its target is marked ✗, one that meets it ✓.

The in-process benches:
- `each_backend()`: (backend, temporary directory, PostgreSQL server URL) of each database to time.
- `timed_get(client, path)`: one request's wall and CPU milliseconds (this process's), asserting a 200;
  `summary(figures)`: their p50 and p95.
- `freeze_heap()`: as each gunicorn worker does once the app is loaded.
- `Printout(title)`: the lines a bench prints (`requests(...)`: summaries beside their targets), and
  `finish()`: all of them again, and the exit status (BENCH_STRICT fails a missed target).
"""

import gc
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

BACKENDS = ("postgresql", "sqlite")
TITLES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _mark(ok: bool | None) -> str:
    return "" if ok is None else (" ✓" if ok else " ✗")


def _cpu(run: dict | None) -> str:
    """The server's CPU per request: web workers + database backends (from /proc), when measured."""
    if not run or run.get("web_ms") is None:
        return ""
    return f" · CPU {_ms(run['web_ms'])}+{_ms(run['db_ms'])} ms"


def _unmeasured(run: dict | None) -> str:
    """What a cell says of a run that was not made, or that served nothing."""
    return f"failed ({run.get('statuses')})" if run else "n/a"


def _latency(run: dict | None, target_p95: float | None = None) -> str:
    if not run or not run.get("requests"):
        return _unmeasured(run)
    ok = None if target_p95 is None else run["p95"] < target_p95
    return f"{_ms(run['p50'])} / {_ms(run['p95'])} ms{_mark(ok)}{_cpu(run)}"


def _throughput(run: dict | None, target_p95: float | None = None) -> str:
    if not run or not run.get("requests"):
        return _unmeasured(run)
    ok = None if target_p95 is None else run["p95"] < target_p95
    errors = f", {run['errors']} errors" if run.get("errors") else ""
    latency = f"{_ms(run['p50'])}/{_ms(run['p95'])}/{_ms(run['p99'])} ms"
    return f"{run['throughput']:.0f}/s · {latency}{errors}{_mark(ok)}{_cpu(run)}"


def _tier_label(bookings: int) -> str:
    return f"{bookings // 1_000_000}M" if bookings >= 1_000_000 else f"{bookings // 1000}k"


def _rows(results: dict[str, Any]) -> list[tuple[str, Callable[[dict], str], str]]:
    rows: list[tuple[str, Callable[[dict], str], str]] = []
    for clients in (1, 8, 32):
        target = 100.0 if clients == 32 else None
        rows.append(
            (
                f"create booking, {clients} client{'s' if clients > 1 else ''} (req/s · p50/p95/p99)",
                lambda r, c=clients, t=target: _throughput(r.get("booking", {}).get(str(c)), t),
                "p95 < 100 ms" if clients == 32 else "",
            )
        )
    rows.append(
        (
            "trivial GET /healthz, 32 clients",
            lambda r: _throughput(r.get("trivial")),
            "",
        )
    )
    rows.append(("booking ÷ trivial throughput, 32 clients", _ratio, "≥ 35%"))
    rows.append(
        (
            "browser booking (POST + the page it leads to), 8 clients",
            lambda r: _throughput(r.get("browser_booking")) + _cpu_mark(r.get("browser_booking"), 15),
            "CPU ≤ 15 ms",
        )
    )
    rows.append(
        ("my bookings, 1 client (p50 / p95)", lambda r: _latency(r.get("pages", {}).get("my_bookings")), "")
    )
    rows.append(
        ("booking form, 1 client (p50 / p95)", lambda r: _latency(r.get("pages", {}).get("booking_page")), "")
    )
    rows.append(("opening rush: winners (16 courts)", lambda r: _rush(r, "winners"), "exactly 16, no 5xx"))
    rows.append(("opening rush: latency p50/p95/p99", lambda r: _rush(r, "latency"), "p99 < 2 s"))
    rows.append(
        (
            "opening rush: CPU per request (all / losers asking again)",
            lambda r: _rush(r, "cpu"),
            "losers < 5 ms",
        )
    )
    rows.append(
        ("opening rush: winners first to arrive at their court", lambda r: _rush(r, "order"), "close")
    )
    tiers = sorted({int(t) for b in BACKENDS for t in results.get(b, {}).get("tiers", {})})
    for tier in tiers:
        top = tier == max(tiers)
        rows.append(
            (
                f"free-between search, all facilities, {_tier_label(tier)} bookings (p50 / p95)",
                lambda r, t=tier, top=top: _latency(_tier(r, t, "search"), 100 if top else None),
                "p95 < 100 ms at 1M" if top else "",
            )
        )
    rows.append(("search growth, smallest → largest tier (p95)", _growth, "< 2x"))
    for tier in tiers:
        rows.append(
            (
                f"facility week grid, {_tier_label(tier)} bookings (p50 / p95)",
                lambda r, t=tier: _latency(_tier(r, t, "week"), 50),
                "p95 < 50 ms",
            )
        )
    for tier in tiers:
        top = tier == max(tiers)
        for measure, label, target in (
            ("text_search", "text search, all facilities", 50),
            ("timeline_day", "timeline, 50 facilities, one day", 100),
            ("timeline_week", "timeline, 50 facilities, one week", 250),
        ):
            rows.append(
                (
                    f"{label}, {_tier_label(tier)} bookings (p50 / p95)",
                    lambda r, t=tier, m=measure, n=target: _latency(_tier(r, t, m), n),
                    f"p95 < {target} ms" + (" at 1M" if top else ""),
                )
            )
    rows.append(("personal calendar feed, 5,000 events (p50 / p95)", _feed, ""))
    jobs = sorted({name for b in BACKENDS for name in (results.get(b, {}).get("jobs") or {})})
    if not jobs:
        rows.append(("one tick of each scheduled job", lambda r: "n/a (jobs not built)", "< 200 ms"))
    for name in jobs:
        rows.append(
            (f"job tick: {name} (one interval's work / idle)", lambda r, n=name: _job(r, n), "< 200 ms")
        )
    rows.append(("peak web worker RSS after the run", _rss, "< 200 MB"))
    rows.append(("seeding each tier in bulk", _seeding, "minutes at most"))
    return rows


def _cpu_mark(run: dict | None, target: float) -> str:
    if not run or run.get("total_ms") is None:
        return ""
    return _mark(run["total_ms"] <= target)


def _rush(r: dict, what: str) -> str:
    rush = r.get("rush")
    if not rush:
        return "n/a"
    if "error" in rush:
        return f"error: {rush['error'][:40]}"
    if what == "winners":
        fives = sum(
            n for status, n in rush["statuses"].items() if status.startswith("5") or status == "error"
        )
        ok = rush["winners"] == rush["courts"] and not fives
        return f"{rush['winners']} of {rush['clients']} people; statuses {rush['statuses']}{_mark(ok)}"
    if what == "latency":
        return f"{_ms(rush['p50'])}/{_ms(rush['p95'])}/{_ms(rush['p99'])} ms{_mark(rush['p99'] < 2000)}"
    if what == "cpu":
        all_, again = rush["cpu"], rush["losers_again"]["cpu"]
        return (
            f"{_ms(all_['web_ms'])}+{_ms(all_['db_ms'])} ms / {_ms(again['web_ms'])}+{_ms(again['db_ms'])} ms"
            f"{_mark(again['total_ms'] < 5)}"
        )
    return (
        f"{rush['first_in_won']} of {rush['winners']} (mean rank of the winner "
        f"{rush['mean_winner_rank']} among {rush['contenders_per_court']})"
    )


def _tier(r: dict, tier: int, measure: str) -> dict | None:
    return r.get("tiers", {}).get(str(tier), {}).get(measure)


def _ratio(r: dict) -> str:
    booking, trivial = r.get("booking", {}).get("32"), r.get("trivial")
    if not booking or not trivial or not trivial.get("throughput") or not booking.get("throughput"):
        return "n/a"
    ratio = booking["throughput"] / trivial["throughput"]
    return f"{ratio:.0%}{_mark(ratio >= 0.35)}"


def _growth(r: dict) -> str:
    tiers = r.get("tiers", {})
    if len(tiers) < 2:
        return "n/a"
    ordered = sorted(tiers, key=int)
    first, last = tiers[ordered[0]].get("search"), tiers[ordered[-1]].get("search")
    if not first or not last or not first.get("p95") or not last.get("p95"):
        return "n/a"
    growth = last["p95"] / first["p95"]
    return (
        f"{growth:.2f}x ({_tier_label(int(ordered[0]))} → {_tier_label(int(ordered[-1]))}){_mark(growth < 2)}"
    )


def _feed(r: dict) -> str:
    feed = r.get("feed")
    if isinstance(feed, str):
        return feed
    return _latency(feed)


def _job(r: dict, name: str) -> str:
    job = (r.get("jobs") or {}).get(name)
    if job is None:
        return "n/a"
    if "error" in job:
        return f"error: {job['error'][:40]}"
    first, second = job["first_ms"], job["second_ms"]
    rows = job["rows_first"]
    plural = "" if rows == 1 else "s"
    return f"{_ms(first)} / {_ms(second)} ms ({rows} row{plural}){_mark(max(first, second) < 200)}"


def _rss(r: dict) -> str:
    kib = r.get("peak_rss_kib")
    if not kib:
        return "n/a"
    return f"{kib / 1024:.0f} MB{_mark(kib / 1024 < 200)}"


def _seeding(r: dict) -> str:
    parts = [
        f"{_tier_label(int(t))} {tier['seed_seconds']:.0f} s"
        for t, tier in sorted(r.get("tiers", {}).items(), key=lambda item: int(item[0]))
        if tier.get("seed_seconds") is not None
    ]
    return ", ".join(parts) or "n/a"


def table(results: dict[str, Any]) -> str:
    backends = [b for b in BACKENDS if b in results]
    rows = _rows(results)
    header = ("measure", *(TITLES[b] for b in backends), "target")
    body = [(label, *(cell(results[b]) for b in backends), target) for label, cell, target in rows]
    widths = [max(len(str(line[i])) for line in (header, *body)) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    meta = results.get("meta", {})
    notes = [
        f"Campus–City Booking benchmark, {meta.get('finished', '')}",
        f"machine: {meta.get('cpus')} cores; load average {meta.get('load_before')} before, "
        f"{meta.get('load_after')} after (1/5/15 min; other work on the machine counts too)",
        f"server: gunicorn, {meta.get('workers')} sync workers, production settings; load generator: "
        "bench/loadgen.py (asyncio + httpx) in its own process on the same machine",
        f"dataset: {meta.get('facilities')} facilities, {meta.get('users')} people (scale/); "
        f"throughput runs {meta.get('duration')} s each; latencies over {meta.get('latency_requests')} "
        "sequential requests",
    ]
    notes.append(
        "clients are closed-loop (each sends its next request when the last returns), so latency at N "
        "clients is about N / throughput: p95 < 100 ms at 32 clients needs about 320 bookings/s"
    )
    notes.append(
        "CPU: the server's CPU per request, web workers + database backends (utime + stime from /proc; "
        "SQLite runs inside the workers): on a shared machine compare it, not wall time"
    )
    notes += [f"note: {n}" for n in meta.get("notes", [])]
    separator = "-+-".join("-" * w for w in widths)
    return "\n".join([*notes, "", line(header), separator, *(line(row) for row in body)])


def each_backend() -> Iterator[tuple[str, Path, str | None]]:
    """The databases an in-process bench times: SQLite, and PostgreSQL first when TEST_POSTGRES_URL names a
    server (BENCH_ONLY picks one); each with a temporary directory and that server's URL."""
    server_url = os.environ.get("TEST_POSTGRES_URL")
    backends = ["postgresql", "sqlite"] if server_url else ["sqlite"]
    if os.environ.get("BENCH_ONLY"):
        backends = [os.environ["BENCH_ONLY"]]
    with tempfile.TemporaryDirectory() as directory:
        for backend in backends:
            yield backend, Path(directory), server_url


def freeze_heap() -> None:
    """As each gunicorn worker does once the app is loaded (gunicorn.conf.py): what exists now is left out
    of Python's full collections, which otherwise add their pause to one request in twenty."""
    gc.collect()
    gc.freeze()


def timed_get(client: FlaskClient, path: str) -> tuple[float, float]:
    """(wall ms, CPU ms of this process) of one GET, which must answer 200."""
    began, cpu = time.perf_counter(), time.process_time()
    response = client.get(path)
    figures = (time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return figures


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def summary(figures: list[tuple[float, float]]) -> dict[str, float]:
    """p50 and p95 of (wall ms, CPU ms) pairs."""
    wall, cpu = [w for w, _c in figures], [c for _w, c in figures]
    return {
        "wall_p50": statistics.median(wall),
        "wall_p95": p95(wall),
        "cpu_p50": statistics.median(cpu),
        "cpu_p95": p95(cpu),
    }


class Printout:
    """An in-process bench's lines, each printed as it comes and all again at the end under `title`."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.lines: list[str] = []
        self.missed = False

    def line(self, text: str) -> None:
        self.lines.append(text)
        print(text, flush=True)

    def requests(
        self, backend: str, measures: dict[str, dict[str, float]], targets: dict[str, int], scale: str
    ) -> None:
        """Each measure's summary beside its p95 target: ok, or OVER."""
        for name, f in measures.items():
            target = targets[name]
            self.missed |= f["wall_p95"] >= target
            self.line(
                f"{backend:<10} {name:<14} wall p50 {f['wall_p50']:6.0f} p95 {f['wall_p95']:6.0f} ms"
                f"   CPU p50 {f['cpu_p50']:6.0f} p95 {f['cpu_p95']:6.0f} ms"
                f"   target p95 < {target} ms  {'ok' if f['wall_p95'] < target else 'OVER'}   ({scale})"
            )

    def finish(self) -> int:
        """The exit status: 1 where a target was missed and BENCH_STRICT is set."""
        print("\n".join(["", f"{self.title}:", *self.lines]))
        return 1 if self.missed and os.environ.get("BENCH_STRICT") else 0
