"""Security defaults: headers, cookies, CSRF, production secrets, friendly errors."""

import re

import pytest

from booking.app import create_app
from booking.config import ProductionConfig
from tests.conftest import make_app


def test_pages_carry_a_content_security_policy_without_inline_script(client) -> None:
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_script_tag_on_a_page_is_external_or_has_the_nonce(client) -> None:
    import re

    response = client.get("/register")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    for tag in re.findall(r"<script[^>]*>", response.get_data(as_text=True)):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag


def test_production_refuses_to_start_without_a_secret_key(monkeypatch) -> None:
    class NoSecret(ProductionConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(NoSecret)


def test_production_session_cookies_are_secure_httponly_and_lax() -> None:
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True


def test_forms_without_a_csrf_token_are_refused(database_url, app) -> None:
    protected = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    response = client.post("/login", data={"email": "a@example.com", "password": "whatever1"})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True) or "刷新" in response.get_data(as_text=True)
    assert client.post("/language", data={"locale": "en"}).status_code == 400


def test_unknown_pages_get_a_friendly_404(client) -> None:
    response = client.get("/no/such/page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_no_template_carries_an_inline_style_the_content_security_policy_would_block():
    """style-src is 'self' only: a style="..." attribute is silently dropped by the browser (the battery lab's
    terms once lost their scrolling box and line breaks that way). Styles belong in static/css."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "templates"
    inline = [str(t.relative_to(root)) for t in root.rglob("*.html") if re.search(r"\sstyle=", t.read_text())]
    assert inline == []
