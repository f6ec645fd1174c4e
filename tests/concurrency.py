"""Racing real concurrent calls: each in its own thread and application context (so its own session and
database connection), released together by a barrier. Use with the `race_app` fixture (tests/conftest.py)."""

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from flask import Flask

from booking.services.errors import Refused
from models import db

T = TypeVar("T")


def run_at_once(app: Flask, attempts: Sequence[Callable[[], T]]) -> tuple[list[T], list[set[str]]]:
    """Run every attempt at once in its own thread; return what the successes returned and the refusals'
    codes. A crash in any thread fails the test."""
    barrier = threading.Barrier(len(attempts))
    successes: list[T] = []
    refusals: list[set[str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(attempt: Callable[[], T]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                result = attempt()
                with lock:
                    successes.append(result)
            except Refused as refused:
                with lock:
                    refusals.append(refused.codes)
            except BaseException as exc:  # a crash in a thread must fail the test, not vanish
                with lock:
                    errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(successes) + len(refusals) == len(attempts)
    db.session.rollback()  # end the test's own read transaction so it sees what the threads wrote
    return successes, refusals


def race(app: Flask, attempts: Sequence[Callable[[], object]]) -> tuple[int, list[set[str]]]:
    """Run every attempt at once in its own thread; return how many succeeded and the refusals' codes."""
    successes, refusals = run_at_once(app, attempts)
    return len(successes), refusals
