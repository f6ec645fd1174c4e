"""Registration as a resident, a student or an enterprise member, and every way it is refused."""

import pytest
import sqlalchemy as sa

from booking import credit_code
from booking.services import accounts
from models import AuditEvent, Category, Organization, OrganizationKind, User, Verification, db
from tests.factories import PASSWORD, make_enterprise, make_university, make_user


@pytest.fixture(autouse=True)
def english(client):
    """Messages are checked in English, whatever the default language."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def code_for(first17: str) -> str:
    """A unified social credit code with the right check character."""
    return first17 + credit_code.check_character(first17)


def wrong_check_character(code: str) -> str:
    return code[:17] + ("1" if code[17] != "1" else "2")


NEW_COMPANY_CODE = code_for("91410800MA4XJ8K2Q")


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def form(**fields: str) -> dict[str, str]:
    data = {
        "category": "resident",
        "display_name": "王芳",
        "email": "wang.fang@example.com",
        "phone": "",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data.update(fields)
    return data


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_resident_registers_and_is_logged_in(client):
    response = client.post("/register", data=form(phone="+86 391-123 4567"))

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    user = user_by_email("wang.fang@example.com")
    assert user.category == Category.RESIDENT
    assert user.verification == Verification.NONE
    assert user.phone == "+86 391-123 4567"
    assert user.organization is None
    page = client.get("/profile")
    assert page.status_code == 200
    assert "Your account is ready" in page.get_data(as_text=True)


def test_password_is_stored_hashed_with_the_configured_method(client, app):
    client.post("/register", data=form())

    user = user_by_email("wang.fang@example.com")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"].split(":")[0] + ":")


def test_email_is_stored_stripped_and_lower_cased(client):
    client.post("/register", data=form(email="  Wang.Fang@Example.COM "))

    assert user_by_email("wang.fang@example.com") is not None


def test_student_registers_with_university_and_awaits_verification(client):
    university = make_university(name_en="Henan Polytechnic University", name_zh="河南理工大学")

    response = client.post(
        "/register",
        data=form(category="student", university_id=str(university.id), student_number=" 311901 "),
    )

    assert response.status_code == 302
    user = user_by_email("wang.fang@example.com")
    assert user.category == Category.STUDENT
    assert user.organization_id == university.id
    assert user.student_number == "311901"
    assert user.verification == Verification.PENDING
    assert user.effective_category == Category.RESIDENT
    profile = client.get("/profile").get_data(as_text=True)
    assert "Henan Polytechnic University" in profile
    assert "Awaiting verification" in profile


def test_registration_page_lists_universities_only(client):
    make_university(name_en="Jiaozuo University")
    make_enterprise(name_en="Duoduo Machinery")

    page = client.get("/register").get_data(as_text=True)

    assert "Jiaozuo University" in page
    assert "Duoduo Machinery" not in page


def test_enterprise_member_registers_a_new_company_awaiting_verification(client):
    response = client.post(
        "/register",
        data=form(
            category="enterprise", company_code=NEW_COMPANY_CODE.lower(), company_name="焦作新材料有限公司"
        ),
    )

    assert response.status_code == 302
    user = user_by_email("wang.fang@example.com")
    company = user.organization
    assert company.kind == OrganizationKind.ENTERPRISE
    assert company.code == NEW_COMPANY_CODE
    assert company.name_zh == company.name_en == "焦作新材料有限公司"
    assert company.verified_at is None
    assert user.verification == Verification.PENDING


def test_enterprise_member_joins_an_existing_company_by_its_code(client):
    company = make_enterprise(code=NEW_COMPANY_CODE, name_en="Jiaozuo New Materials")

    response = client.post(
        "/register",
        data=form(category="enterprise", company_code=NEW_COMPANY_CODE[:9] + " " + NEW_COMPANY_CODE[9:]),
    )

    assert response.status_code == 302
    user = user_by_email("wang.fang@example.com")
    assert user.organization_id == company.id
    assert user.verification == Verification.PENDING
    assert count(Organization) == 1


def test_registration_is_audited(client):
    client.post("/register", data=form())

    user = user_by_email("wang.fang@example.com")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "account.registered"))
    assert (event.target_id, event.actor_id) == (user.id, user.id)


def test_fields_of_another_category_are_ignored(client):
    university = make_university()

    client.post(
        "/register", data=form(university_id=str(university.id), student_number="1", company_code="x")
    )

    user = user_by_email("wang.fang@example.com")
    assert user.category == Category.RESIDENT
    assert user.organization_id is None
    assert user.student_number is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"email": "wang.fang@"}, "Enter a valid email address.", id="bad-email"),
        pytest.param({"email": ""}, "This field is required.", id="missing-email"),
        pytest.param({"display_name": "  "}, "This field is required.", id="missing-name"),
        pytest.param(
            {"password": "short7!", "confirm": "short7!"}, "Use 8 to 200 characters", id="short-password"
        ),
        pytest.param(
            {"confirm": PASSWORD + "x"}, "The two passwords do not match.", id="mismatched-confirmation"
        ),
        pytest.param({"phone": "call me"}, "Enter a phone number", id="implausible-phone"),
        pytest.param({"phone": "1234"}, "Enter a phone number", id="too-short-phone"),
        pytest.param(
            {
                "category": "enterprise",
                "company_code": wrong_check_character(NEW_COMPANY_CODE),
                "company_name": "X",
            },
            "This code is not valid",
            id="wrong-check-character",
        ),
        pytest.param(
            {"category": "enterprise", "company_code": NEW_COMPANY_CODE[:17], "company_name": "X"},
            "has 18 characters",
            id="short-credit-code",
        ),
        pytest.param(
            {"category": "enterprise", "company_code": "", "company_name": "X"},
            "Enter your company’s unified social credit code.",
            id="missing-credit-code",
        ),
        pytest.param(
            {"category": "enterprise", "company_code": NEW_COMPANY_CODE, "company_name": ""},
            "enter its name to register it",
            id="new-company-without-name",
        ),
        pytest.param(
            {"category": "student", "student_number": "311901"}, "Choose your university.", id="no-university"
        ),
        pytest.param(
            {"category": "student", "university_id": "{university}"},
            "Enter your student number.",
            id="no-number",
        ),
        pytest.param(
            {"category": "student", "university_id": "{company}", "student_number": "1"},
            "Not a valid choice",
            id="company-as-university",
        ),
        pytest.param({"category": "nobody"}, "Not a valid choice", id="unknown-category"),
    ],
)
def test_refused_registration_shows_the_error_and_writes_no_row(client, fields, message):
    university = make_university()
    company = make_enterprise()
    fields = {k: v.format(university=university.id, company=company.id) for k, v in fields.items()}
    organizations = count(Organization)

    response = client.post("/register", data=form(**fields))

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert 'class="invalid-feedback"' in response.get_data(as_text=True)
    assert count(User) == 0
    assert count(Organization) == organizations
    assert count(AuditEvent) == 0


def test_duplicate_email_in_another_case_is_a_field_error(client):
    make_user(email="wang.fang@example.com")

    response = client.post("/register", data=form(email="Wang.Fang@EXAMPLE.com"))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert "already exists" in page
    assert count(User) == 1


def test_race_on_the_unique_email_ends_as_the_same_field_error(client, monkeypatch):
    """Another registration commits the same email between our check and our insert."""
    make_user(email="wang.fang@example.com")
    real_check = accounts._email_taken
    calls = []

    def check_that_misses_the_first_time(email: str) -> bool:
        calls.append(email)
        return False if len(calls) == 1 else real_check(email)

    monkeypatch.setattr(accounts, "_email_taken", check_that_misses_the_first_time)

    response = client.post("/register", data=form())

    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert count(User) == 1


def test_logged_in_visitor_is_sent_home_from_registration(client, auth):
    user = make_user()
    auth.login(user)

    response = client.get("/register")

    assert response.status_code == 302


def test_registration_page_loads_its_script_with_the_csp_nonce(client):
    response = client.get("/register")

    page = response.get_data(as_text=True)
    assert 'src="/static/js/register.js" nonce="' in page
    nonce = page.split('src="/static/js/register.js" nonce="', 1)[1].split('"', 1)[0]
    assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
    assert 'data-category="student"' in page
    assert "style=" not in page
