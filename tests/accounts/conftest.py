"""The real SMTP server of the mail tests (aiosmtpd on a loopback port), and reading links out of its mail."""

import re
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser that reads English, so pages and messages can be checked in words."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: EmailMessage, path: str) -> str:
    """The path (and query) of the first link in the email whose path starts with `path`."""
    for url in re.findall(r"https?://\S+", body(message)):
        parts = urlsplit(url)
        if parts.path.startswith(path):
            return parts.path
    raise AssertionError(f"no {path} link in: {body(message)}")


def code_in(message: EmailMessage) -> str:
    found = re.search(r"\b(\d{6})\b", body(message))
    assert found, body(message)
    return found.group(1)
