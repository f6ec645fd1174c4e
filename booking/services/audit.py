"""Writing audit events inside the caller's transaction."""

from datetime import datetime
from typing import Any

from models import AuditEvent, db


def record(
    action: str,
    target_type: str,
    target_id: int | None,
    *,
    actor_id: int | None,
    university_id: int | None,
    at: datetime,
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        target_type=target_type,
        target_id=target_id,
        actor_id=actor_id,
        university_id=university_id,
        details=details,
        at=at,
    )
    db.session.add(event)
    return event
