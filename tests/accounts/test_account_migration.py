"""The accounts migration on both backends: accounts that existed before count as confirmed."""

import runpy
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from models import db
from tests.test_email_migration import insert, old_app  # noqa: F401 - the fixture

MIGRATION = runpy.run_path(
    str(
        Path(__file__).resolve().parents[2]
        / "migrations/versions/b15e7a11c0de_account_recovery_and_verification.py"
    )
)


def test_existing_accounts_are_backfilled_as_confirmed_and_the_migration_goes_down_again(
    old_app: Flask,  # noqa: F811 - the fixture imported above
) -> None:
    upgrade(revision=MIGRATION["down_revision"])
    insert("before@example.com", "also.before@example.com")

    upgrade(revision=MIGRATION["revision"])

    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT email_verified_at, created_at FROM user_account")).all()
    assert len(rows) == 2 and all(
        confirmed is not None and confirmed == created for confirmed, created in rows
    )
    downgrade(revision=MIGRATION["down_revision"])
    with db.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("user_account")}
    assert "email_verified_at" not in columns
