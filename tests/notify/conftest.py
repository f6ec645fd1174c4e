"""Mail settings pointing where nothing listens (the real SMTP server, `smtp`, is in tests/conftest.py)."""

import pytest
from flask import Flask

from tests.processes import free_port


@pytest.fixture
def dead_smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    """Mail settings pointing at a loopback port where nothing listens; returns the port."""
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 2)
    return port
