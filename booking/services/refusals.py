"""Refusals by rule: how many requests each rule turned away, per facility and local day.

Only the rule's code is kept: not who asked, nor for when or what.

A refusal is counted in the memory of the process that refused it, and what a process counted is written
in one statement, in a transaction of its own, REFUSAL_FLUSH_SECONDS (1 s) after the first refusal not yet
written: by a timer thread of the process, so a quiet process writes too. An opening rush refuses hundreds
of requests in a second; each used to open a write transaction of its own (the write lock on SQLite, a row
lock on PostgreSQL, and every object the request had loaded expired by the commit and read again by the
page), and now costs an addition in a dictionary. A process that exits writes what it holds (gunicorn's
`worker_exit`, booking/gunicorn_config.py, and `atexit`); one that is killed outright (SIGKILL, out of
memory) loses at most the last second's refusals, a figure in the reports and nothing a person relies on.
A write that fails keeps the counts for the next one. REFUSAL_FLUSH_SECONDS = 0 (the tests) writes each
refusal before the request goes on, as one transaction.
"""

import atexit
import logging
import threading
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite

from booking.engine.localtime import to_local, zone
from booking.services.transactions import write_transaction
from models import RefusalCount, Resource, db

log = logging.getLogger(__name__)

# Every time zone's offset is a whole number of quarter hours: refusals within one quarter hour (UTC) fall
# on the same local day in any zone, so the memory holds one count per facility, rule and quarter hour.
_QUARTER = timedelta(minutes=15)
_Key = tuple[int, str, datetime]  # facility, rule code, the quarter hour (UTC) of the refusal

_lock = threading.Lock()
_pending: Counter[_Key] = Counter()
_timer: threading.Timer | None = None
_app: Flask | None = None


def record(resource_id: int, codes: Iterable[str], now: datetime) -> None:
    """Add one to the count of each rule code for the facility's local day of `now`."""
    codes = sorted(set(codes))
    if not codes:
        return
    quarter = now - (now - datetime.min.replace(tzinfo=now.tzinfo)) % _QUARTER
    delay = float(current_app.config.get("REFUSAL_FLUSH_SECONDS", 1.0))
    global _timer, _app
    with _lock:
        _pending.update((resource_id, code, quarter) for code in codes)
        if delay > 0 and _timer is None:
            _app = current_app._get_current_object()  # type: ignore[attr-defined]
            _timer = threading.Timer(delay, _flush_in, args=(_app,))
            _timer.daemon = True
            _timer.start()
    if delay <= 0:
        flush()


def pending() -> int:
    """How many refusals this process counted and has not written yet."""
    with _lock:
        return sum(_pending.values())


def flush() -> None:
    """Write what this process counted, in one transaction of its own (the app context's session)."""
    global _timer
    with _lock:
        counts = dict(_pending)
        _pending.clear()
        if _timer is not None and _timer is not threading.current_thread():
            _timer.cancel()
        _timer = None
    if not counts:
        return
    try:
        _write(counts)
    except BaseException:
        with _lock:  # the next write takes them along
            _pending.update(counts)
        raise


def flush_at_exit() -> None:
    """What a process still holds when it stops, written if an app ever counted anything here."""
    if _app is None or not pending():
        return
    try:
        with _app.app_context():
            flush()
    except Exception:
        log.exception("refusal counts not written at exit: %s", pending())


def _flush_in(app: Flask) -> None:
    try:
        with app.app_context():
            flush()
    except Exception:
        log.exception("refusal counts not written; kept for the next write")


def _write(counts: dict[_Key, int]) -> None:
    with write_transaction():
        facilities = {
            row.id: row
            for row in db.session.execute(
                sa.select(Resource.id, Resource.university_id, Resource.timezone).where(
                    Resource.id.in_(sorted({resource_id for resource_id, _, _ in counts}))
                )
            )
        }
        totals: Counter[tuple[date, int, str]] = Counter()
        for (resource_id, code, quarter), count in counts.items():
            facility = facilities.get(resource_id)
            if facility is not None:  # a facility deleted meanwhile has no reports either
                totals[to_local(quarter, zone(facility.timezone)).date(), resource_id, code] += count
        if not totals:
            return
        # In the unique key's order, so two processes writing at once take the rows' locks in the same order.
        rows = [
            {
                "resource_id": resource_id,
                "university_id": facilities[resource_id].university_id,
                "day": day,
                "code": code,
                "count": count,
            }
            for (day, resource_id, code), count in sorted(totals.items())
        ]
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        table = RefusalCount.__table__
        statement = dialect.insert(table).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["day", "resource_id", "code"],
            set_={"count": table.c.count + statement.excluded.count},
        )
        db.session.execute(statement)


atexit.register(flush_at_exit)
