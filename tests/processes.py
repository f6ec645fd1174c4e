"""Servers a test runs in processes of their own: a free port, started in their own process group, stopped."""

import os
import signal
import socket
import subprocess
from pathlib import Path
from typing import IO


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now: any (the kernel's choice), or, with
    LIVE_SERVER_PORTS="5151-5199", the first free one of that range (machines shared by several runs give
    each its own range)."""
    first, _, last = os.environ.get("LIVE_SERVER_PORTS", "").partition("-")
    candidates = range(int(first), int(last or first) + 1) if first else [0]
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise RuntimeError(f"no free port in LIVE_SERVER_PORTS={os.environ['LIVE_SERVER_PORTS']}")


def start_group(
    command: list[str], *, cwd: Path, env: dict[str, str], log: IO[bytes]
) -> subprocess.Popen[bytes]:
    """Start `command` in a process group of its own (`stop_group` then ends a master and its workers
    together), its output and errors written to `log`."""
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log, start_new_session=True)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Ask the whole group (a master and its workers) to stop; kill it if it has not within 15 seconds."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
