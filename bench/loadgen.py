"""The load generator: an asyncio HTTP client (httpx) run as its own process, printing its figures as JSON.

    python bench/loadgen.py get  --base URL --path /healthz --concurrency 32 --duration 5
    python bench/loadgen.py get  --base URL --urls urls.txt --concurrency 1 --requests 40
    python bench/loadgen.py book --base URL --accounts accounts.json --concurrency 8 --duration 8

`get` requests one path (or cycles through a file of paths), anonymously or, with --email/--password,
logged in. `book` logs each client in as its own account through the real form (CSRF token scraped, not
timed), then books consecutive half-hour slots of that account's own facility from its `first_day`, and
times each POST (a success is the 302 to the new booking). With --duration the clients run that long
after a warm-up; with --requests they make that many requests in all. Output: requests, errors, seconds,
throughput, p50/p95/p99/max latency in ms, and the status counts; with --cpu-pids (the web workers) and
--database-url (PostgreSQL's backends serving it are found from pg_stat_activity), the server's CPU per
request over the measured part (utime + stime from /proc: web workers and database backends apart).
`book --follow` also loads the page the booking redirects to, as a browser does, and times the two together.

The server's session cookie is marked Secure (production settings); over plain HTTP on loopback we send
it by hand, so httpx's own cookie jar is switched off.
"""

import argparse
import asyncio
import http.cookiejar
import json
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.load.rush import CpuMeter  # noqa: E402

_CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
_VALUE = re.compile(r"\bvalue=\"([^\"]+)\"")
SLOT_MINUTES = 30


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    cpu: dict[str, float] = field(default_factory=dict)

    def record(self, seconds: float, status: int | str, ok: bool) -> None:
        self.statuses[str(status)] += 1
        if ok:
            self.latencies.append(seconds)
        else:
            self.errors += 1

    def report(self, seconds: float) -> dict[str, object]:
        ms = sorted(x * 1000 for x in self.latencies)
        done = len(ms)

        def pct(p: float) -> float | None:
            return round(ms[min(done - 1, int(p * done))], 2) if done else None

        return {
            "requests": done,
            "errors": self.errors,
            "seconds": round(seconds, 3),
            "throughput": round(done / seconds, 2) if seconds > 0 else None,
            "p50": round(statistics.median(ms), 2) if done else None,
            "p95": pct(0.95),
            "p99": pct(0.99),
            "max": round(ms[-1], 2) if done else None,
            "statuses": dict(self.statuses),
            **self.cpu,
        }


class Session:
    """One client: its own cookies and CSRF token over a shared connection pool."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""

    async def send(
        self, method: str, path: str, data: dict[str, str] | None = None, *, keep_cookies: bool = True
    ) -> httpx.Response:
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = await self.client.request(method, path, data=data, headers=headers)
        if not keep_cookies:
            return response
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    async def page(self, path: str) -> httpx.Response:
        response = await self.send("GET", path)
        field_ = _CSRF_INPUT.search(response.text)
        value = _VALUE.search(field_.group(0)) if field_ else None
        if value:
            self.csrf_token = value.group(1)
        return response

    async def log_in(self, email: str, password: str, then: str) -> None:
        await self.page("/login")
        response = await self.send(
            "POST",
            "/login",
            {"csrf_token": self.csrf_token, "email": email, "password": password, "next": ""},
        )
        if response.status_code != 302:
            raise SystemExit(f"login of {email} answered {response.status_code}")
        await self.page(then)


def make_client(base: str, concurrency: int) -> httpx.AsyncClient:
    no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        base_url=base,
        timeout=60,
        follow_redirects=False,
        cookies=no_cookies,
        limits=httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4),
    )


class Clock:
    """When measuring starts and stops: after a warm-up for `duration`, or after `requests` in all."""

    def __init__(self, duration: float | None, warmup: float, requests: int | None) -> None:
        self.started = time.perf_counter()
        self.measure_from = self.started + (warmup if duration else 0)
        self.stop_at = self.measure_from + duration if duration else None
        self.remaining = requests

    def take(self) -> bool:
        """Whether another request may start."""
        now = time.perf_counter()
        if self.stop_at is not None:
            return now < self.stop_at
        if self.remaining is not None and self.remaining > 0:
            self.remaining -= 1
            return True
        return False

    def counts(self, began: float) -> bool:
        return began >= self.measure_from

    async def meter(self, meter: CpuMeter | None) -> None:
        """Start the CPU meter when measuring starts."""
        if meter is not None:
            await asyncio.sleep(max(0.0, self.measure_from - time.perf_counter()))
            meter.start()

    def elapsed(self) -> float:
        """From the start of measuring until now (call once every request has finished)."""
        return time.perf_counter() - self.measure_from


async def run_get(args: argparse.Namespace) -> dict[str, object]:
    paths = [args.path] if args.path else Path(args.urls).read_text().split()
    tally = Tally()
    async with make_client(args.base, args.concurrency) as client:
        sessions = [Session(client) for _ in range(args.concurrency)]
        if args.email:
            for session in sessions:
                await session.log_in(args.email, args.password, "/")
        clock = Clock(args.duration, args.warmup, args.requests)
        counter = iter(range(10**9))
        meter = cpu_meter(args)

        async def worker(session: Session) -> None:
            while clock.take():
                path = paths[next(counter) % len(paths)]
                began = time.perf_counter()
                try:
                    response = await session.send("GET", path)
                    status, ok = response.status_code, response.status_code == 200
                except httpx.HTTPError as exc:
                    status, ok = type(exc).__name__, False
                if clock.counts(began):
                    tally.record(time.perf_counter() - began, status, ok)

        await asyncio.gather(clock.meter(meter), *(worker(s) for s in sessions))
    return finish(tally, clock, meter)


async def run_book(args: argparse.Namespace) -> dict[str, object]:
    accounts = json.loads(Path(args.accounts).read_text())[: args.concurrency]
    if len(accounts) < args.concurrency:
        raise SystemExit(f"{args.accounts} has fewer than {args.concurrency} accounts")
    tally = Tally()
    async with make_client(args.base, args.concurrency) as client:
        sessions = [Session(client) for _ in accounts]
        await asyncio.gather(
            *(
                s.log_in(a["email"], a["password"], f"/facilities/{a['resource_id']}/book")
                for s, a in zip(sessions, accounts, strict=True)
            )
        )
        clock = Clock(args.duration, args.warmup, args.requests)
        meter = cpu_meter(args)

        async def worker(session: Session, account: dict[str, object]) -> None:
            first = date.fromisoformat(str(account["first_day"]))
            slot = 0
            while clock.take():
                day = first + timedelta(days=slot * SLOT_MINUTES // 1440)
                minute = slot * SLOT_MINUTES % 1440
                end = minute + SLOT_MINUTES
                form = {
                    "csrf_token": session.csrf_token,
                    "day": day.isoformat(),
                    "start_time": f"{minute // 60:02d}:{minute % 60:02d}",
                    "end_time": f"{end // 60 % 24:02d}:{end % 60:02d}",
                    "party_size": "1",
                    "purpose": "benchmark",
                    "action": "book",
                }
                slot += 1
                began = time.perf_counter()
                try:
                    # The answer's cookie adds a "booked" flash message that the page it redirects to would
                    # show and remove; we don't follow the redirect, so we keep the cookie we had instead of
                    # letting flash messages pile up in it (each costs the server time to read).
                    response = await session.send(
                        "POST",
                        f"/facilities/{account['resource_id']}/book",
                        form,
                        keep_cookies=args.follow,
                    )
                    status, ok = response.status_code, response.status_code == 302
                    if ok and args.follow:
                        page = await session.send("GET", response.headers["location"])
                        status, ok = page.status_code, page.status_code == 200
                except httpx.HTTPError as exc:
                    status, ok = type(exc).__name__, False
                if clock.counts(began):
                    tally.record(time.perf_counter() - began, status, ok)

        await asyncio.gather(
            clock.meter(meter), *(worker(s, a) for s, a in zip(sessions, accounts, strict=True))
        )
    return finish(tally, clock, meter)


def cpu_meter(args: argparse.Namespace) -> CpuMeter | None:
    if not args.cpu_pids:
        return None
    return CpuMeter([int(p) for p in args.cpu_pids.split(",")], args.database_url or "sqlite://")


def finish(tally: Tally, clock: Clock, meter: CpuMeter | None) -> dict[str, object]:
    """The figures; with a meter, the server's CPU per request measured (the errors' included)."""
    if meter is not None:
        meter.stop()
        tally.cpu = meter.per_request_ms(len(tally.latencies) + tally.errors)
    return tally.report(clock.elapsed())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=("get", "book"))
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT (loopback only)")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, help="seconds to measure, after --warmup")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--requests", type=int, help="requests in all (instead of --duration)")
    parser.add_argument("--path", help="get: the one path to request")
    parser.add_argument("--urls", help="get: a file of paths, one a line, requested in turn")
    parser.add_argument("--email", help="get: log in first as this account")
    parser.add_argument("--password")
    parser.add_argument("--accounts", help="book: JSON list of {email, password, resource_id, first_day}")
    parser.add_argument("--follow", action="store_true", help="book: load the page the booking leads to")
    parser.add_argument("--cpu-pids", help="comma-separated pids of the web workers, for CPU per request")
    parser.add_argument("--database-url", help="with --cpu-pids: PostgreSQL's backends count too")
    args = parser.parse_args(argv)
    if not args.base.startswith(("http://127.", "http://localhost")):
        parser.error("the load generator only targets loopback addresses")
    if not (args.duration or args.requests):
        parser.error("give --duration or --requests")
    result = asyncio.run(run_book(args) if args.scenario == "book" else run_get(args))
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
