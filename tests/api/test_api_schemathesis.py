"""Schemathesis, a tool none of us wrote, tests every operation of the served spec on the app with the demo
data and a token for each role: no 5xx, and every response matches the spec (status, content type, body).

A bounded number of examples in the normal run (API_FUZZ_EXAMPLES, default 6); `make api-fuzz` runs long."""

import os
from collections.abc import Iterator

import pytest
import schemathesis
import sqlalchemy as sa
import time_machine
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from booking import demo
from booking.services.api_tokens import Scope
from models import Booking, User, db
from tests.api.api_helpers import NOW, token_for

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def demo_app(app: Flask) -> Iterator[Flask]:
    with time_machine.travel(NOW, tick=False):
        demo.seed_demo(NOW)
        yield app


def _tokens() -> dict[str, str]:
    """One token with every scope for a resident, a manager and the city office."""
    every = (Scope.READ, Scope.BOOK, Scope.MANAGE)
    resident = db.session.scalar(
        sa.select(User)
        .where(User.manages_id.is_(None), User.is_admin.is_(False), User.id.in_(sa.select(Booking.user_id)))
        .order_by(User.id)
        .limit(1)
    )
    manager = db.session.scalar(
        sa.select(User).where(User.manages_id.is_not(None)).order_by(User.id).limit(1)
    )
    admin = db.session.scalar(sa.select(User).where(User.is_admin.is_(True)).order_by(User.id).limit(1))
    return {
        name: token_for(user, *every)
        for name, user in (("resident", resident), ("manager", manager), ("admin", admin))
    }


@pytest.fixture(params=["resident", "manager", "admin"])
def api_schema(demo_app: Flask, request: pytest.FixtureRequest) -> schemathesis.BaseSchema:
    token = _tokens()[request.param]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    schema.token = token  # type: ignore[attr-defined]  # the role's token, read by the test below
    return schema


def test_every_operation_answers_by_its_spec(api_schema: schemathesis.BaseSchema) -> None:
    # Each operation in turn (schemathesis.pytest.from_fixture does not run under pytest 9): every failure
    # is collected, named by its operation, so one run shows them all.
    headers = {"Authorization": f"Bearer {api_schema.token}"}
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 16

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=os.environ.get("API_FUZZ_RANDOM") is None,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as failure:  # every operation's failure is reported, not only the first
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
