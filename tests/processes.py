"""Servers a test runs in processes of their own: a free port, started in their own process group, stopped."""

import os
import signal
import socket
import subprocess
from pathlib import Path
from typing import IO


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
