"""Tokens and headers for the API tests."""

from datetime import UTC, datetime

from booking.services import api_tokens
from booking.services.api_tokens import Scope
from models import User

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 on a Tuesday in Jiaozuo


def token_for(user: User, *scopes: Scope) -> str:
    chosen = set(scopes) or {Scope.READ, Scope.BOOK}
    return api_tokens.create(user, "test", chosen, now=NOW).secret


def bearer(secret: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **headers}
