"""Layer rules import-linter cannot express, read from the source (docs/architecture.md, "Dependency rules").

import-linter (`make lint`) sees which modules import which; it cannot see that a view reaches for
`db.session` through `models`, or that a service takes `request` from Flask, whose `current_app` it may
use. These tests read the syntax tree of every module in the layer.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Flask's request-context globals: a service called by a job or a command has none of them.
REQUEST_CONTEXT = {"request", "session", "g"}

# Views that still touch the SQLAlchemy session, each for a reason; anything new goes through a service.
VIEWS_WITH_SESSION = {
    # After an unhandled error it rolls back the failed request's session, or ends it when the database is
    # down: cleaning up the request, not reading or writing data.
    "booking/web/errors.py": "rolls back the failed request's session",
    # The audit page's read-only queries live beside their one page until they move into
    # booking.services.audit with the AuditAction enum (issue 12, item 5).
    "booking/web/audit/events.py": "read-only queries of the audit page",
}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _request_context_uses(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in {"flask", "flask.globals"}:
            found += [f"from {node.module} import {a.name}" for a in node.names if a.name in REQUEST_CONTEXT]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "flask"
            and node.attr in REQUEST_CONTEXT
        ):
            found.append(f"flask.{node.attr}")
    return found


def _session_uses(tree: ast.AST) -> list[str]:
    """`db.session`, `db.paginate`, `db.engine`, ...: any use of Flask-SQLAlchemy's handle, and SQLAlchemy."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "db":
            found.append(f"db.{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "sqlalchemy"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found.append(f"from {node.module} import ...")
    return found


def test_services_use_no_request_context() -> None:
    offenders = {}
    for path in _modules("booking/services"):
        uses = _request_context_uses(ast.parse(path.read_text(), filename=str(path)))
        if uses:
            offenders[_relative(path)] = uses
    assert offenders == {}


def test_request_context_check_sees_both_spellings() -> None:
    tree = ast.parse("import flask\nfrom flask import current_app, g\nflask.session.get('x')\n")
    assert _request_context_uses(tree) == ["from flask import g", "flask.session"]


def test_views_reach_the_database_only_through_services() -> None:
    offenders = {}
    for path in _modules("booking/web"):
        name = _relative(path)
        if name in VIEWS_WITH_SESSION:
            continue
        uses = _session_uses(ast.parse(path.read_text(), filename=str(path)))
        if uses:
            offenders[name] = uses
    assert offenders == {}


def test_every_listed_exception_is_still_needed() -> None:
    """A view that no longer touches the session leaves the list, so the list stays the truth."""
    for name in VIEWS_WITH_SESSION:
        path = ROOT / name
        assert path.exists(), name
        assert _session_uses(ast.parse(path.read_text())), f"{name} no longer uses the session: unlist it"
