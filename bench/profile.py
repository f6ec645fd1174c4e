"""py-spy profiles of the server while a scenario runs (`BENCH_PROFILE=1 make bench`).

`Profile(pid, path)` is a context manager: py-spy samples the gunicorn master and all its workers
(`--subprocesses`, `--idle` off, so only time on a CPU counts) while the block runs, and writes
  <path>.txt      the collapsed stacks (one "frame;frame;... count" line per stack: speedscope.app and
                  flamegraph.pl read them),
  <path>.top.txt  a summary: the functions with the most samples, inclusive (on the stack) and own (at its
                  top), and the project's own functions and templates, as shares of all the samples.
Profiling costs the workers a little time (py-spy reads their memory without stopping them:
`--nonblocking`), so a profiled run's figures are for explaining, not for the table.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

RATE = int(os.environ.get("BENCH_PROFILE_RATE", "250"))  # samples per second per process
# "function (path:line)" frames; the line is dropped so that a function counts once.
_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def enabled() -> bool:
    return os.environ.get("BENCH_PROFILE", "") not in ("", "0")


class Profile:
    def __init__(self, pid: int, path: Path) -> None:
        self.pid = pid
        self.path = path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Profile":
        binary = py_spy()
        if binary is None:
            raise RuntimeError("BENCH_PROFILE needs py-spy: pip install -e '.[bench]'")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        command = [binary, "record", "--pid", str(self.pid), "--subprocesses", "--nonblocking"]
        command += ["--rate", str(RATE), "--format", "raw", "--output", str(self.path.with_suffix(".txt"))]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(0.5)  # py-spy attaches to each worker before the scenario begins
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        raw = self.path.with_suffix(".txt")
        if raw.exists():
            self.path.with_suffix(".top.txt").write_text(summary(raw.read_text()))
        else:
            self.path.with_suffix(".top.txt").write_text(f"py-spy wrote nothing: {err.decode()[-500:]}")


def _function(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match["file"]
    for marker in ("/site-packages/", "/lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    else:
        file = file.rsplit("/perf/", 1)[-1] if "/perf/" in file else os.path.relpath(file, Path.cwd())
    return f"{match['name']} ({file})"


def summary(collapsed: str, top: int = 45) -> str:
    """The functions with most samples, inclusive and own, from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_function(f) for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        total += n
        for name in set(frames):
            inclusive[name] += n
        own[frames[-1]] += n
    if not total:
        return "no samples\n"
    lines = [f"{total} samples at {RATE}/s per process (on-CPU only)", "", "inclusive (on the stack):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "own (at the top of the stack):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    ours = [(name, n) for name, n in inclusive.most_common() if _is_ours(name)][:top]
    lines += ["", "the project's own functions and templates, inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in ours]
    return "\n".join(lines) + "\n"


def _is_ours(function: str) -> bool:
    file = function.rpartition(" (")[2].rstrip(")")
    return file.startswith(("booking/", "models/")) or file.endswith(".html")
