"""The account service on its own: administrators, authentication, and registration races."""

import pytest
import sqlalchemy as sa

from booking import credit_code
from booking.services import accounts
from booking.services.errors import Invalid
from models import AuditEvent, Category, Organization, OrganizationKind, User, Verification, db
from tests.factories import PASSWORD, make_enterprise, make_university, make_user

COMPANY_CODE = "91410800MA4XJ8K2Q"


@pytest.fixture
def company_code() -> str:
    return COMPANY_CODE + credit_code.check_character(COMPANY_CODE)


def test_create_admin_makes_a_city_office_administrator(app):
    user = accounts.create_admin(" Admin@City.Example.com ", "City Office", "long enough 1")

    assert user.email == "admin@city.example.com"
    assert user.is_admin
    assert user.category == Category.RESIDENT
    assert user.verification == Verification.NONE
    assert accounts.authenticate("admin@city.example.com", "long enough 1") == user
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.target_id == user.id)) == (
        "account.admin_created"
    )


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("not an email", "City Office", "long enough 1", "email"),
        ("admin@city.example.com", " ", "long enough 1", "display_name"),
        ("admin@city.example.com", "City Office", "short", "password"),
        ("Taken@Example.com", "City Office", "long enough 1", "email"),
    ],
)
def test_create_admin_refusals_name_the_field(app, email, name, password, field):
    make_user(email="taken@example.com")

    with pytest.raises(Invalid) as refused:
        accounts.create_admin(email, name, password)

    assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_create_admin_command(runner):
    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "Admin@City.example.com",
            "--name",
            "City Office",
            "--password",
            "long pw 12",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Administrator admin@city.example.com created." in result.output
    assert db.session.scalar(sa.select(User).where(User.email == "admin@city.example.com")).is_admin


def test_create_admin_command_reports_a_refusal(runner):
    result = runner.invoke(
        args=["create-admin", "--email", "not an email", "--name", "City Office", "--password", "long pw 12"],
        catch_exceptions=False,
    )

    assert result.exit_code == 1
    assert "请输入有效的邮箱地址" in result.output  # commands speak the default language, Chinese


def test_authenticate_returns_the_user_only_for_the_right_password(app):
    user = make_user(email="li.ming@example.com")

    assert accounts.authenticate("LI.MING@example.com", PASSWORD) == user
    assert accounts.authenticate("li.ming@example.com", "wrong password") is None
    assert accounts.authenticate("nobody@example.com", PASSWORD) is None


def test_authenticate_returns_inactive_users_so_the_page_can_say_why(app):
    user = make_user(active=False)

    assert accounts.authenticate(user.email, PASSWORD) == user


def test_account_error_reads_as_its_message(app):
    with app.test_request_context():
        assert str(Invalid("Enter your name.", field="display_name")) == "Enter your name."


def test_concurrent_registration_of_the_same_company_joins_it(app, monkeypatch, company_code):
    """Another registration creates the company between our look-up and our insert: we join it."""
    existing = make_enterprise(code=company_code)
    real_company = accounts._company
    calls = []

    def stale_company(code, name, now):
        calls.append(code)
        if len(calls) == 1:  # what a look-up made just before the other commit would have returned
            return Organization(kind=OrganizationKind.ENTERPRISE, name_zh=name, name_en=name, code=code), True
        return real_company(code, name, now)

    monkeypatch.setattr(accounts, "_company", stale_company)

    user = accounts.register(
        email="wang.fang@example.com",
        password=PASSWORD,
        display_name="王芳",
        category=Category.ENTERPRISE,
        company_code=company_code,
        company_name="焦作新材料有限公司",
    )

    assert len(calls) == 2
    assert user.organization_id == existing.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 1


def test_register_refuses_a_university_code_as_a_company(app, company_code):
    make_university(code=company_code)

    with pytest.raises(Invalid) as refused:
        accounts.register(
            email="wang.fang@example.com",
            password=PASSWORD,
            display_name="王芳",
            category=Category.ENTERPRISE,
            company_code=company_code,
        )

    assert refused.value.field == "company_code"
