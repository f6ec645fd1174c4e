"""One account per mailbox: every spelling of an address (case, full-width, IDNA) is the same account."""

import pytest
import sqlalchemy as sa
from flask import Flask

from booking import demo
from booking.mailbox import normalize_email
from booking.services import accounts, organizations
from booking.services.errors import Invalid
from models import User, db
from tests.concurrency import run_at_once
from tests.factories import PASSWORD, make_admin, make_university

# Each group: spellings of one mailbox, the first as it is stored.
SAME_MAILBOX = [
    (
        "dup@example.com",
        "DUP@Example.COM",
        "dup@ＥＸＡＭＰＬＥ．ＣＯＭ",
        "dup@ｅｘａｍｐｌｅ.ｃｏｍ",
        " dup@example.com ",
    ),
    ("dup@exämple.com", "dup@xn--exmple-cua.com", "DUP@EXÄMPLE.COM", "dup@XN--EXMPLE-CUA.COM"),
    ("strasse@example.com", "Straße@example.com", "STRASSE@EXAMPLE.COM"),
]
SPELLINGS = [(group[0], spelling) for group in SAME_MAILBOX for spelling in group]


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def register(email: str) -> User:
    return accounts.register(
        email=email, password=PASSWORD, display_name="王芳", category=accounts.Category.RESIDENT
    )


def accounts_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


@pytest.mark.parametrize(("stored", "spelling"), SPELLINGS)
def test_every_spelling_normalises_to_one_address(stored: str, spelling: str) -> None:
    assert normalize_email(spelling) == stored


@pytest.mark.parametrize(("stored", "spelling"), SPELLINGS)
def test_a_second_registration_of_the_same_mailbox_is_refused(client, stored: str, spelling: str) -> None:
    register(stored)
    response = client.post(
        "/register",
        data={
            "category": "resident",
            "display_name": "Someone",
            "email": spelling,
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert "already exists" in response.get_data(as_text=True)
    assert accounts_count() == 1


def test_the_address_is_stored_normalised(client) -> None:
    user = register("Wang.Fang@ＥＸＡＭＰＬＥ．ＣＯＭ")
    assert user.email == "wang.fang@example.com"


@pytest.mark.parametrize(("stored", "spelling"), SPELLINGS)
def test_any_spelling_logs_in(client, auth, stored: str, spelling: str) -> None:
    register(stored)
    response = auth.login(spelling)
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200


def test_the_database_refuses_a_second_row_for_one_mailbox(app: Flask) -> None:
    register("dup@ＥＸＡＭＰＬＥ．ＣＯＭ")
    db.session.add(
        User(
            email=normalize_email("DUP@example.com"), password_hash="x", display_name="x", category="resident"
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert accounts_count() == 1


def test_simultaneous_registrations_of_one_mailbox_make_one_account(race_app: Flask) -> None:
    spellings = ["dup@example.com", "DUP@EXAMPLE.COM", "dup@ＥＸＡＭＰＬＥ．ＣＯＭ", "Dup@Example.com"] * 2

    def attempt(spelling: str):
        def run() -> str:
            try:
                return register(spelling).email
            except Invalid:
                return "refused"

        return run

    results, _ = run_at_once(race_app, [attempt(s) for s in spellings])
    assert sorted(results) == ["dup@example.com"] + ["refused"] * (len(spellings) - 1)
    assert accounts_count() == 1


def test_an_admin_cannot_be_created_for_a_taken_mailbox(app: Flask) -> None:
    register("dup@example.com")
    with pytest.raises(Invalid):
        accounts.create_admin("DUP@ＥＸＡＭＰＬＥ．ＣＯＭ", "Admin", PASSWORD)
    assert accounts.create_admin("Boss@ＥＸＡＭＰＬＥ．ＣＯＭ", "Admin", PASSWORD).email == "boss@example.com"


def test_the_cli_create_admin_uses_the_same_normalisation(runner) -> None:
    register("dup@example.com")
    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "Dup@ＥＸＡＭＰＬＥ．ＣＯＭ",
            "--name",
            "Admin",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code != 0 and "Error" in result.output
    assert accounts_count() == 1


def test_an_admin_grants_manager_rights_by_any_spelling(app: Flask) -> None:
    university = make_university()
    person = register("wang.fang@example.com")
    granted = organizations.grant_manager(
        make_admin(),
        email="WANG.FANG@ＥＸＡＭＰＬＥ．ＣＯＭ",
        university_id=university.id,
        now=accounts.clock.now(),
    )
    assert granted.id == person.id


def test_registration_refuses_an_invalid_address_below_the_form(app: Flask) -> None:
    with pytest.raises(Invalid) as refused:
        register("not an address")
    assert refused.value.field == "email"
    assert accounts_count() == 0


def test_the_demo_seeder_stores_normalised_addresses_and_finds_them_again(app: Flask) -> None:
    from tests.test_demo import NOW

    demo.seed_demo(NOW)
    emails = list(db.session.scalars(sa.select(User.email)))
    assert emails and all(e == normalize_email(e) for e in emails)
    assert demo.seed_demo(NOW).created["accounts"] == 0
