"""The engine is pure: in a fresh interpreter, its import loads no web or database library, writes nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"flask", "sqlalchemy", "werkzeug", "jinja2", "babel"}

# Runs in the child: every file opened for writing and every directory made is recorded by an audit hook
# installed before the import, then the loaded modules and those writes are printed as JSON.
PROBE = """
import json, os, sys

writes = []
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def audit(event, args):
    if event == "open" and args[0] is not None:
        mode, flags = args[1], args[2]
        if (mode and set(mode) & set("wax+")) or (mode is None and flags & WRITE_FLAGS):
            writes.append(str(args[0]))
    elif event in ("os.mkdir", "os.rename", "os.remove", "os.symlink", "os.chmod"):
        writes.append(f"{event} {args[0]}")


sys.addaudithook(audit)
import booking.engine  # noqa: E402

print(json.dumps({"modules": sorted(sys.modules), "writes": writes}))
"""


def test_importing_the_engine_loads_no_flask_or_sqlalchemy_and_writes_nothing(tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("SECRET_KEY", None)
    command = [sys.executable, "-c", PROBE]
    done = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout)
    web_or_database = [
        name for name in seen["modules"] if name.split(".")[0] in FORBIDDEN or name.startswith("flask_")
    ]
    assert "booking.engine" in seen["modules"]
    assert web_or_database == []
    assert seen["writes"] == []
    assert list(tmp_path.iterdir()) == []
