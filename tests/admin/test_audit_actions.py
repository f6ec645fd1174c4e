"""Audit actions are one enum: the services write its members, the audit page names every one in words."""

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale

from booking.services import audit
from booking.services.audit import AuditAction
from booking.web.audit import events
from models import AuditEvent, db

SERVICES = Path(__file__).parents[2] / "booking" / "services"


def test_every_action_has_a_label_and_every_label_an_action() -> None:
    assert set(events.ACTION_LABELS) == set(AuditAction)


@pytest.mark.parametrize("action", list(AuditAction))
def test_every_action_label_is_translated_into_chinese(app: Flask, action: AuditAction) -> None:
    label = events.ACTION_LABELS[action]
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        chinese = str(label)
    with app.test_request_context(), force_locale("en"):
        english = str(label)
    assert chinese != english
    assert chinese.strip()


def test_actions_are_stored_as_their_strings(app: Flask) -> None:
    event = audit.record(
        AuditAction.BOOKING_MOVED, "booking", 1, actor_id=None, university_id=None, at=_now()
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(AuditEvent, event.id)
    assert type(stored.action) is str
    assert stored.action == "booking.moved"


def test_an_unknown_action_is_refused_when_written(app: Flask) -> None:
    with pytest.raises(ValueError):
        audit.record("booking.teleported", "booking", 1, actor_id=None, university_id=None, at=_now())  # type: ignore[arg-type]


def test_no_service_passes_an_action_as_a_free_string() -> None:
    """`audit.record`'s first argument is never a string literal in the services."""
    free = []
    for path in sorted(SERVICES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
                and node.args
                and _literal(node.args[0])
            ):
                free.append(f"{path.name}:{node.lineno}")
    assert free == []


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.IfExp):
        return _literal(node.body) or _literal(node.orelse)
    return isinstance(node, ast.Constant)


def _now() -> datetime:
    return datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
