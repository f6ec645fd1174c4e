"""The SQL the app sends, recorded: for tests that bound how many statements a request or job takes."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from models import db

# Transaction control and SQLite's settings: what a count of the work itself leaves out.
CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "PRAGMA")


@contextmanager
def recorded_sql(keep: Callable[[str], bool] = lambda _statement: True) -> Iterator[list[str]]:
    """The statements (those `keep` accepts) sent to the database inside the block, in order, as sent."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if keep(statement):
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def is_work(statement: str) -> bool:
    """Not transaction control (`CONTROL`)."""
    return not statement.lstrip().upper().startswith(CONTROL)
