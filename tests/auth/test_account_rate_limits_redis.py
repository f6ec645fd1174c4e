"""Production-like throttling: counters live in Redis, so every web worker shares them."""

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from flask import Flask

from tests.conftest import WORKER, throttled_app
from tests.factories import PASSWORD, make_user

REDIS_URL = os.environ.get("TEST_REDIS_URL")
# One prefix for the whole run: the limiter is a process-wide singleton that keeps the first app's prefix.
# Each pytest-xdist worker has its own, so workers sharing the Redis database never count each other's keys.
PREFIX = f"ccb-test-{WORKER}-{uuid.uuid4().hex[:8]}"
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL names no Redis server")


@pytest.fixture
def redis_app(database_url: str) -> Iterator[tuple[Flask, str]]:
    prefix = PREFIX
    try:
        with throttled_app(
            database_url,
            RATELIMIT_STORAGE_URI=REDIS_URL,
            RATELIMIT_KEY_PREFIX=prefix,
            LOGIN_LIMIT="3 per minute",
            LOGIN_ADDRESS_LIMIT="3 per minute",
            LOGIN_ACCOUNT_LIMIT="5 per minute",
        ) as app:
            yield app, prefix
    finally:
        server = redis.Redis.from_url(REDIS_URL)
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)


def sign_in(client, email: str, password: str, address: str):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_login_attempts_are_counted_in_redis_and_the_fourth_is_refused(redis_app) -> None:
    app, prefix = redis_app
    client = app.test_client()
    statuses = [
        client.post(
            "/login",
            data={"email": f"p{n}@example.com", "password": "wrong password"},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        ).status_code
        for n in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    assert any(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))


def test_the_owner_logs_in_while_an_attacker_fails_from_another_address(redis_app) -> None:
    app, _prefix = redis_app
    owner = make_user(email="owner@example.com")
    attacker = app.test_client()

    codes = [sign_in(attacker, owner.email, f"guess {n}", "10.66.0.1").status_code for n in range(6)]

    assert codes == [422, 422, 422, 429, 429, 429]
    # A browser that never signed in to the account, from the owner's own address.
    assert sign_in(app.test_client(), owner.email, PASSWORD, "10.8.0.1").status_code == 302
