"""The opening rush (抢场地): many people wait for the instant a week's slots open and book a few courts.

- `RushPlan.make(courts, window_days, lead)`: the slot (one start, on every court) that the booking window
  opens `lead` seconds from now, and the clock shift that puts that instant there: the live server's clock
  (booking/clock.py, CLOCK_SHIFT_SECONDS) runs behind by about a day, so the slot it opens is a whole
  half hour that lies `window_days` days after the shifted "now".
- `run_rush(base_url, browsers, plan, spacing)`: every client (already logged in) sleeps until the opening,
  then sends its request at its own moment, one after another `spacing` seconds apart in a shuffled order
  (the order of arrival, known); each client wants court `n % len(courts)`. A client refused only because
  the slot is not open yet sends again at once.
- `Rush.summary()`: winners, statuses, latency percentiles, and how close the order of winners is to the
  order of arrival: for each court, the arrival rank of its winner among those who wanted it (0 = the first).
- `cpu_seconds(pids)`: utime + stime of processes from /proc; `database_pids(url)`: PostgreSQL's backends
  serving a database (none for SQLite). Their deltas over a phase give the CPU per request.

The benchmark (bench/run.py) runs it with 256 clients; tests/load/test_opening_rush.py with 64.
"""

import http.client
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.load.browser import Browser, Page

JIAOZUO = ZoneInfo("Asia/Shanghai")
SLOT = timedelta(minutes=30)
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class RushPlan:
    courts: list[int]
    window_days: int
    start: datetime  # the slot's start, UTC, in the server's (shifted) time
    opens_at: float  # the opening as a real time.time()
    shift_seconds: float  # server clock = real clock + shift

    @classmethod
    def make(cls, courts: list[int], window_days: int, lead: float) -> "RushPlan":
        opens_at = time.time() + lead
        # A half hour of tomorrow, local time, past any grid question (slots of 30 minutes from midnight).
        tomorrow = datetime.now(JIAOZUO).date() + timedelta(days=1)
        start = datetime.combine(tomorrow, datetime.min.time(), JIAOZUO).replace(hour=19).astimezone(UTC)
        server_opening = start - timedelta(days=window_days)
        return cls(courts, window_days, start, opens_at, server_opening.timestamp() - opens_at)

    @property
    def environment(self) -> dict[str, str]:
        return {"CLOCK_SHIFT_SECONDS": f"{self.shift_seconds:.6f}"}

    def local(self) -> tuple[str, str, str]:
        start = self.start.astimezone(JIAOZUO)
        end = start + SLOT
        return start.date().isoformat(), f"{start:%H:%M}", f"{end:%H:%M}"

    def booking_form(self) -> dict[str, str]:
        """The form everyone sends: the slot that opens, for one person."""
        day, begin, end = self.local()
        return {
            "day": day,
            "start_time": begin,
            "end_time": end,
            "party_size": "1",
            "purpose": "rush",
            "action": "book",
        }


@dataclass
class Attempt:
    client: int
    court: int
    arrival: int  # the rank of this client's send among all sends (0 = first)
    sent: float = 0.0
    seconds: float = 0.0
    tries: int = 0
    page: Page | None = None
    error: str = ""


@dataclass
class Rush:
    plan: RushPlan
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def winners(self) -> list[Attempt]:
        return [a for a in self.attempts if a.page is not None and a.page.status == 302]

    def statuses(self) -> dict[int | str, int]:
        counts: dict[int | str, int] = {}
        for a in self.attempts:
            key: int | str = a.page.status if a.page else "error"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def latencies_ms(self) -> list[float]:
        return sorted(a.seconds * 1000 for a in self.attempts if a.page is not None)

    def winner_ranks(self) -> list[int]:
        """For each court won, the winner's rank in the order of arrival among those who wanted it."""
        ranks = []
        for winner in self.winners:
            rivals = sorted(a.arrival for a in self.attempts if a.court == winner.court)
            ranks.append(rivals.index(winner.arrival))
        return ranks

    def summary(self) -> dict[str, object]:
        ms = self.latencies_ms()

        def pct(p: float) -> float | None:
            return round(ms[min(len(ms) - 1, int(p * len(ms)))], 1) if ms else None

        ranks = self.winner_ranks()
        contenders = len(self.attempts) // max(1, len(self.plan.courts))
        return {
            "clients": len(self.attempts),
            "courts": len(self.plan.courts),
            "winners": len(self.winners),
            "statuses": {str(k): v for k, v in sorted(self.statuses().items(), key=str)},
            "errors": [a.error for a in self.attempts if a.error][:5],
            "retries_before_opening": sum(a.tries - 1 for a in self.attempts if a.tries > 1),
            "p50": pct(0.50),
            "p95": pct(0.95),
            "p99": pct(0.99),
            "max": round(ms[-1], 1) if ms else None,
            "first_in_won": sum(1 for r in ranks if r == 0),
            "mean_winner_rank": round(sum(ranks) / len(ranks), 2) if ranks else None,
            "contenders_per_court": contenders,
        }


def run_rush(browsers: list[Browser], plan: RushPlan, *, spacing: float, seed: int = 19) -> Rush:
    """Everyone books at the opening, one send every `spacing` seconds in a shuffled order."""
    form = plan.booking_form()
    order = list(range(len(browsers)))
    random.Random(seed).shuffle(order)
    arrival = {client: rank for rank, client in enumerate(order)}
    rush = Rush(
        plan,
        [Attempt(n, plan.courts[n % len(plan.courts)], arrival[n]) for n in range(len(browsers))],
    )

    def client(attempt: Attempt) -> None:
        browser = browsers[attempt.client]
        due = plan.opens_at + attempt.arrival * spacing
        time.sleep(max(0.0, due - time.time()))
        attempt.sent = time.perf_counter()
        while True:
            attempt.tries += 1
            try:
                page = browser.post(f"/facilities/{attempt.court}/book", form)
            except (OSError, http.client.HTTPException) as exc:
                attempt.error = f"{type(exc).__name__}: {exc}"
                break
            # Too early by a hair (the window is not open yet): press again, as people do.
            if page.status == 422 and page.codes == ["max_advance"] and attempt.tries < 50:
                time.sleep(0.005)
                continue
            attempt.page = page
            break
        attempt.seconds = time.perf_counter() - attempt.sent

    with ThreadPoolExecutor(len(browsers)) as pool:
        list(pool.map(client, rush.attempts))
    return rush


def log_in(base_url: str, emails: list[str], courts: list[int], password: str) -> list[Browser]:
    """Everyone logs in through the form and opens the booking form of the court they want."""
    browsers = [Browser(base_url) for _ in emails]
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda n: browsers[n].log_in(
                    emails[n], password, then=f"/facilities/{courts[n % len(courts)]}/book"
                ),
                range(len(emails)),
            )
        )
    return browsers


def again(browsers: list[Browser], plan: RushPlan, courts: list[int]) -> list[Page | None]:
    """Everyone asks once more for a court already taken: only losers, to measure what a refusal costs."""
    form = plan.booking_form()
    barrier = threading.Barrier(len(browsers))

    def ask(n: int) -> Page | None:
        barrier.wait(timeout=60)
        try:
            return browsers[n].post(f"/facilities/{courts[n % len(courts)]}/book", form)
        except (OSError, http.client.HTTPException):
            return None

    with ThreadPoolExecutor(len(browsers)) as pool:
        return list(pool.map(ask, range(len(browsers))))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes, from /proc/<pid>/stat (gone ones count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICKS


def database_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends serving the database (on this machine); none for SQLite."""
    url = sa.make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        return []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


class CpuMeter:
    """CPU of the web workers and the database backends over a phase: `start()`, then `stop()`."""

    def __init__(self, worker_pids: list[int], database_url: str) -> None:
        self.worker_pids = worker_pids
        self.database_url = database_url
        self.web = self.database = 0.0

    def start(self) -> None:
        self._db_pids = database_pids(self.database_url)
        self._web0, self._db0 = cpu_seconds(self.worker_pids), cpu_seconds(self._db_pids)

    def stop(self) -> dict[str, float]:
        pids = sorted(set(self._db_pids) | set(database_pids(self.database_url)))
        self.web = cpu_seconds(self.worker_pids) - self._web0
        # A backend that started during the phase is counted from zero.
        self.database = cpu_seconds(pids) - self._db0
        return {"web_s": round(self.web, 3), "db_s": round(self.database, 3)}

    def per_request_ms(self, requests: int) -> dict[str, float]:
        requests = max(1, requests)
        return {
            "web_ms": round(self.web * 1000 / requests, 2),
            "db_ms": round(self.database * 1000 / requests, 2),
            "total_ms": round((self.web + self.database) * 1000 / requests, 2),
        }
