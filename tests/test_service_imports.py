"""Services share code through public names at module level: no import of another module's private names,
no imports hidden inside functions (the way import cycles hide)."""

import ast
from pathlib import Path

BOOKING = Path(__file__).parents[1] / "booking"
SERVICES = BOOKING / "services"


def _trees(folder: Path) -> list[tuple[str, ast.Module]]:
    return [(p.name, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.py"))]


def test_no_module_imports_another_modules_private_names() -> None:
    private = [
        f"{name}:{node.lineno} {alias.name} from {node.module}"
        for folder in (SERVICES, BOOKING / "jobs", BOOKING / "engine")
        for name, tree in _trees(folder)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("booking")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private == []


def test_services_import_each_other_at_module_level_only() -> None:
    hidden = [
        f"{name}:{inner.lineno}"
        for name, tree in _trees(SERVICES)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    ]
    assert hidden == []


def test_bookings_and_waitlist_share_the_writing_primitives() -> None:
    from booking.services import booking_writes, bookings, errors, waitlist

    assert bookings.load_context is booking_writes.load_context
    assert waitlist.booking_writes is booking_writes
    assert bookings.Refused is waitlist.Refused is errors.Refused
