"""The one clock of the application; tests freeze it with time-machine."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
