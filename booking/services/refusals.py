"""Refusals by rule: how many requests each rule turned away, per facility and local day.

Counted when the booking service refuses, in a transaction of their own after the refused one rolled
back. Only the rule's code is kept: not who asked, nor for when or what.
"""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from booking.engine.localtime import to_local, zone
from booking.services.transactions import write_transaction
from models import RefusalCount, Resource, db


def record(resource_id: int, codes: Iterable[str], now: datetime) -> None:
    """Add one to the count of each rule code for the facility's local day of `now`."""
    codes = sorted(set(codes))
    if not codes:
        return
    with write_transaction():
        facility = db.session.execute(
            sa.select(Resource.university_id, Resource.timezone).where(Resource.id == resource_id)
        ).one_or_none()
        if facility is None:
            return
        day = to_local(now, zone(facility.timezone)).date()
        rows = [
            {
                "resource_id": resource_id,
                "university_id": facility.university_id,
                "day": day,
                "code": code,
                "count": 1,
            }
            for code in codes
        ]
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        table = RefusalCount.__table__
        statement = dialect.insert(table).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=["day", "resource_id", "code"],
            set_={"count": table.c.count + statement.excluded.count},
        )
        db.session.execute(statement)
