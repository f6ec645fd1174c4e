"""Stopping a server a test started in its own process group (`start_new_session=True`)."""

import os
import signal
import subprocess


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Ask the whole group (a master and its workers) to stop; kill it if it has not within 15 seconds."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
