"""The migration normalising stored email addresses, both backends: backfill or stop on a shared mailbox."""

import runpy
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from models import db
from tests.conftest import POSTGRES_URL, backends, make_app

MIGRATION = runpy.run_path(
    str(
        Path(__file__).resolve().parent.parent
        / "migrations/versions/a7c3e9d2b415_normalise_email_addresses.py"
    )
)
BEFORE = MIGRATION["down_revision"]


@pytest.fixture(params=backends())
def old_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh database migrated only up to the revision before the normalisation."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        name = f"ccb_mig_{uuid.uuid4().hex[:12]}"
        admin_url = sa.make_url(POSTGRES_URL)
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        with sa.create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    app = make_app(url)
    with app.app_context():
        upgrade(revision=BEFORE)
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
    if name is not None:
        with sa.create_engine(sa.make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def insert(*emails: str) -> None:
    """Accounts as the older code stored them: stripped and lower-cased only."""
    with db.engine.begin() as conn:
        for n, email in enumerate(emails):
            conn.execute(
                sa.text(
                    "INSERT INTO user_account (email, password_hash, display_name, category, "
                    "verification, is_admin, active, created_at) VALUES (:email, 'x', :name, 'resident', "
                    "'none', false, true, CURRENT_TIMESTAMP)"
                ),
                {"email": email, "name": f"Person {n}"},
            )


def stored() -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT email FROM user_account ORDER BY id")))


def test_existing_addresses_are_backfilled_in_their_normalised_form(old_app: Flask) -> None:
    insert("dup@ｅｘａｍｐｌｅ.ｃｏｍ", "x@xn--exmple-cua.com", "plain@example.com", "straße@example.com")
    upgrade()
    assert stored() == ["dup@example.com", "x@exämple.com", "plain@example.com", "strasse@example.com"]


def test_accounts_sharing_a_mailbox_stop_the_upgrade_and_nothing_changes(
    old_app: Flask, capfd: pytest.CaptureFixture[str]
) -> None:
    insert("dup@example.com", "dup@ｅｘａｍｐｌｅ.ｃｏｍ", "x@xn--exmple-cua.com")
    with pytest.raises(SystemExit):  # flask db upgrade exits non-zero with the message
        upgrade()
    message = capfd.readouterr().err  # Alembic's logging configuration writes to stderr
    assert "share a mailbox" in message and "#1 'dup@example.com', #2" in message
    assert stored() == ["dup@example.com", "dup@ｅｘａｍｐｌｅ.ｃｏｍ", "x@xn--exmple-cua.com"]
