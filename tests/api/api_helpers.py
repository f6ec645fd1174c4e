"""Tokens, headers and counts for the API tests."""

from datetime import UTC, datetime

import sqlalchemy as sa

from booking.services import api_tokens
from booking.services.api_tokens import Scope
from models import User, db

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 on a Tuesday in Jiaozuo
PROBLEM = "application/problem+json"


def token_for(user: User, *scopes: Scope) -> str:
    chosen = set(scopes) or {Scope.READ, Scope.BOOK}
    return api_tokens.create(user, "test", chosen, now=NOW).secret


def bearer(secret: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **headers}


def count(model: type) -> int:
    """How many rows `model` has, as committed (what a request wrote and nothing the test still holds)."""
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
