"""Campus sign-on against a real CAS server (django-cas-server in a subprocess): a student or staff member
signs in with their university, is linked to an account or gets one, and is verified at once; a wrong,
replayed or unusable ticket, a missing attribute or an unreachable server gets a clear page and changes
nothing."""

import re
import socket
from collections.abc import Callable, Iterator
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from werkzeug.test import TestResponse

from booking.services import accounts, verification
from models import (
    AuditEvent,
    CampusIdentity,
    CampusRole,
    CampusSignOn,
    Category,
    Organization,
    User,
    Verification,
    db,
)
from tests.campus_cas import (
    MAIL,
    NAME,
    NO_NUMBER,
    NO_ROLE,
    NUMBER,
    ROLE,
    STUDENT,
    TEACHER,
    CasServer,
    Person,
    cas_ticket,
    start_cas_server,
)
from tests.factories import make_admin, make_hpu, make_jzu, make_manager, make_university, make_user
from tests.processes import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def cas_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CasServer]:
    server = start_cas_server(tmp_path_factory.mktemp("cas"), free_port())
    yield server
    server.stop()


def english(client: FlaskClient) -> FlaskClient:
    """Pages in English, so the tests can read them (the site's default is Chinese)."""
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return english(app.test_client())


def connect(university: Organization, server_url: str, **fields: object) -> CampusSignOn:
    settings = CampusSignOn(
        university_id=university.id,
        server_url=server_url,
        protocol=fields.pop("protocol", 3),
        number_attribute=NUMBER,
        role_attribute=fields.pop("role_attribute", ROLE),
        staff_values=fields.pop("staff_values", "staff,faculty"),
        name_attribute=NAME,
        email_attribute=MAIL,
        enabled=fields.pop("enabled", True),
        **fields,
    )
    db.session.add(settings)
    db.session.commit()
    return settings


@pytest.fixture
def hpu(app: Flask, cas_server: CasServer) -> Organization:
    university = make_hpu()
    connect(university, cas_server.url)
    return university


def start(client: FlaskClient, university: Organization, next_url: str = "") -> str:
    """Press "Sign in with <university>": the CAS service address the browser is sent to log in for."""
    response = client.post(f"/sso/{university.id}/start", data={"next": next_url})
    assert response.status_code == 200
    return parse_qs(urlsplit(cas_login_url(response)).query)["service"][0]


def cas_login_url(response) -> str:
    """Where the page after "Sign in with ..." sends the browser (its refresh and its link agree)."""
    link = re.search(r'id="continue" href="([^"]+)"', page(response))
    refresh = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', page(response))
    assert link and refresh and link.group(1) == refresh.group(1)
    return unescape(link.group(1))


def sign_on(client: FlaskClient, university: Organization, server: CasServer, person: Person, next_url=""):
    """The whole way out to the university's CAS server and back: the callback's response."""
    service = start(client, university, next_url)
    ticket = cas_ticket(server.url, service, person)
    return client.get(f"/sso/{university.id}/callback", query_string={"ticket": ticket})


def refused_changing_nothing(sign_in: Callable[[], TestResponse]) -> str:
    """The page of a sign-in refused (400) without a change to any table or account."""
    before = state()
    response = sign_in()
    assert response.status_code == 400
    assert state() == before
    return page(response)


def state() -> tuple:
    """Everything a failed sign-on must leave as it was: every table's row count and every account."""
    db.session.rollback()
    counts = tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in db.metadata.sorted_tables
    )
    people = db.session.execute(
        sa.select(
            User.id, User.category, User.organization_id, User.student_number, User.verification, User.email
        ).order_by(User.id)
    ).all()
    return counts, tuple(people)


def signed_in_as(client: FlaskClient) -> str | None:
    response = client.get("/profile")
    if response.status_code != 200:
        return None
    return next(u.email for u in db.session.scalars(sa.select(User)) if u.email in response.get_data(True))


def page(response) -> str:
    return response.get_data(as_text=True)


# --- success ------------------------------------------------------------------------------------------------


def test_a_new_student_signs_in_with_their_university_and_is_verified_at_once(client, hpu, cas_server):
    response = sign_on(client, hpu, cas_server, STUDENT)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/sso/new-account")

    form = client.get("/sso/new-account")
    assert form.status_code == 200
    assert STUDENT.attributes[NAME] in page(form)  # prefilled from the university's attributes
    assert STUDENT.attributes[MAIL] in page(form)
    assert STUDENT.attributes[NUMBER] in page(form)

    created = client.post("/sso/new-account", data={"display_name": "李明", "email": "liming@example.com"})
    assert created.status_code == 302

    user = db.session.scalar(sa.select(User).where(User.email == "liming@example.com"))
    assert user.category == Category.STUDENT
    assert user.organization_id == hpu.id
    assert user.verification == Verification.VERIFIED
    assert user.student_number == STUDENT.attributes[NUMBER]
    assert user.effective_category == Category.STUDENT
    identity = db.session.scalar(sa.select(CampusIdentity).where(CampusIdentity.user_id == user.id))
    assert (identity.university_id, identity.cas_user, identity.role) == (
        hpu.id,
        "liming",
        CampusRole.STUDENT,
    )
    assert signed_in_as(client) == "liming@example.com"
    # Nobody waits for a manager: the university's verification queue is empty.
    manager = make_manager(hpu)
    assert verification.students(manager, status="pending").items == []
    # The account has no password anyone could guess.
    assert accounts.authenticate("liming@example.com", "") is None
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.target_id == user.id)))
    assert {"account.registered", "account.campus_linked"} <= actions


def test_signing_in_again_goes_straight_to_the_linked_account(app, client, hpu, cas_server):
    sign_on(client, hpu, cas_server, STUDENT)
    client.post("/sso/new-account", data={"display_name": "李明", "email": "liming@example.com"})
    client.post("/logout")
    accounts_before = db.session.scalar(sa.select(sa.func.count(User.id)))

    other_browser = english(app.test_client())
    response = sign_on(other_browser, hpu, cas_server, STUDENT, next_url="/bookings")

    assert response.status_code == 302
    assert response.headers["Location"] == "/bookings"
    assert signed_in_as(other_browser) == "liming@example.com"
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == accounts_before


def test_a_signed_in_student_links_their_account_and_leaves_the_verification_queue(
    client, auth, hpu, cas_server
):
    waiting = make_user(
        Category.STUDENT, organization_id=hpu.id, student_number="typo-123", verification=Verification.PENDING
    )
    manager = make_manager(hpu)
    assert [u.id for u in verification.students(manager, status="pending").items] == [waiting.id]
    auth.login(waiting)

    response = sign_on(client, hpu, cas_server, STUDENT)

    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(User, waiting.id)
    assert person.verification == Verification.VERIFIED
    assert person.student_number == STUDENT.attributes[NUMBER]  # the university's number, not the typo
    assert verification.students(manager, status="pending").items == []
    assert db.session.scalar(sa.select(CampusIdentity.user_id)) == waiting.id
    assert signed_in_as(client) == waiting.email  # still the same login
    verified = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "account.verified"))
    assert verified.details["method"] == "campus_sign_on"


def test_a_resident_who_links_their_university_becomes_its_student(client, auth, hpu, cas_server):
    resident = make_user()
    auth.login(resident)
    sign_on(client, hpu, cas_server, STUDENT)
    db.session.expire_all()
    person = db.session.get(User, resident.id)
    assert (person.category, person.organization_id, person.verification) == (
        Category.STUDENT,
        hpu.id,
        Verification.VERIFIED,
    )


def test_staff_are_told_apart_by_the_role_attribute(client, hpu, cas_server):
    sign_on(client, hpu, cas_server, TEACHER)
    client.post("/sso/new-account", data={"display_name": "王老师", "email": "wang@example.com"})
    identity = db.session.scalar(sa.select(CampusIdentity))
    assert identity.role == CampusRole.STAFF
    assert identity.number == "T19980042"
    user = db.session.get(User, identity.user_id)
    assert user.verification == Verification.VERIFIED


def test_cas_2_servers_work_too(client, app, cas_server):
    university = make_university()
    connect(university, cas_server.url, protocol=2)
    response = sign_on(client, university, cas_server, STUDENT)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/sso/new-account")


# --- failures: a clear page, nothing changed ----------------------------------------------------------------


def test_a_wrong_ticket_is_refused_and_changes_nothing(client, hpu, cas_server):
    start(client, hpu)
    shown = refused_changing_nothing(
        lambda: client.get(f"/sso/{hpu.id}/callback", query_string={"ticket": "ST-not-a-ticket-it-issued"})
    )
    assert "did not confirm this sign-in" in shown
    assert "Nothing was changed." in shown
    assert signed_in_as(client) is None


def test_a_replayed_ticket_is_refused_and_changes_nothing(app, client, hpu, cas_server):
    service = start(client, hpu)
    ticket = cas_ticket(cas_server.url, service, STUDENT)
    assert client.get(f"/sso/{hpu.id}/callback", query_string={"ticket": ticket}).status_code == 302
    client.post("/sso/new-account", data={"display_name": "李明", "email": "liming@example.com"})

    thief = english(app.test_client())
    start(thief, hpu)  # even with a sign-in of its own under way, the used ticket is worth nothing
    shown = refused_changing_nothing(
        lambda: thief.get(f"/sso/{hpu.id}/callback", query_string={"ticket": ticket})
    )
    assert "already used" in shown
    assert signed_in_as(thief) is None


def test_a_missing_number_attribute_is_refused_and_changes_nothing(client, hpu, cas_server):
    shown = refused_changing_nothing(lambda: sign_on(client, hpu, cas_server, NO_NUMBER))
    assert "did not send your student or staff number" in shown
    assert NUMBER in shown
    assert signed_in_as(client) is None


def test_a_missing_role_attribute_is_refused_when_one_is_configured(client, hpu, cas_server):
    assert ROLE in refused_changing_nothing(lambda: sign_on(client, hpu, cas_server, NO_ROLE))


def test_an_unreachable_server_gets_a_clear_page_and_changes_nothing(app, client):
    university = make_university(name_en="Offline University")
    connect(university, f"http://127.0.0.1:{free_port()}/cas/")  # nothing listens there
    start(client, university)
    before = state()
    response = client.get(f"/sso/{university.id}/callback", query_string={"ticket": "ST-1-abcdefghijklmnop"})
    assert response.status_code == 502
    assert "could not be reached" in page(response)
    assert "Offline University" in page(response)  # the button to try again
    assert state() == before


def test_a_server_that_stopped_answering_gets_the_same_page(app, client, monkeypatch):
    """A server that accepts the connection but never answers: the timeout ends the wait."""
    monkeypatch.setitem(app.config, "CAS_TIMEOUT_SECONDS", 0.5)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        university = make_university()
        connect(university, f"http://127.0.0.1:{silent.getsockname()[1]}/cas/")
        start(client, university)
        before = state()
        response = client.get(
            f"/sso/{university.id}/callback", query_string={"ticket": "ST-1-abcdefghijklmn"}
        )
    assert response.status_code == 502
    assert state() == before


def test_a_callback_this_browser_did_not_start_is_refused_before_any_ticket_is_checked(
    client, hpu, cas_server
):
    # A ticket from someone else's sign-in (login CSRF): refused without asking the CAS server.
    service = f"http://localhost/sso/{hpu.id}/callback"
    ticket = cas_ticket(cas_server.url, service, STUDENT)
    shown = refused_changing_nothing(
        lambda: client.get(f"/sso/{hpu.id}/callback", query_string={"ticket": ticket})
    )
    assert "not started on this site" in shown
    # The ticket was never used, so it is still good for the browser that did start the sign-in.
    assert cas_ticket(cas_server.url, service, STUDENT) != ticket


def test_a_sign_in_started_for_another_university_is_refused(client, hpu, cas_server):
    other = make_university()
    connect(other, cas_server.url)
    start(client, other)
    response = client.get(f"/sso/{hpu.id}/callback", query_string={"ticket": "ST-1-abcdefghijklmnop"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "ticket", ["", "not-a-ticket", "ST-", "ST-a b", "ST-\x00", "PT-123", "ST-" + "x" * 300]
)
def test_malformed_tickets_are_refused_without_asking_the_server(client, app, ticket):
    university = make_university()
    connect(university, f"http://127.0.0.1:{free_port()}/cas/")  # unreachable: a request would say 502
    start(client, university)
    response = client.get(f"/sso/{university.id}/callback", query_string={"ticket": ticket})
    assert response.status_code == 400


def test_an_identity_linked_to_another_account_cannot_be_taken_by_a_signed_in_person(
    app, client, auth, hpu, cas_server
):
    sign_on(client, hpu, cas_server, STUDENT)
    client.post("/sso/new-account", data={"display_name": "李明", "email": "liming@example.com"})
    client.post("/logout")

    intruder = make_user()
    other = english(app.test_client())
    other.post("/login", data={"email": intruder.email, "password": "correct horse 42"})
    before = state()
    response = sign_on(other, hpu, cas_server, STUDENT)
    assert response.status_code == 409
    assert "already connected to another account" in page(response)
    assert state() == before
    assert signed_in_as(other) == intruder.email


@pytest.mark.parametrize("who", ["admin", "enterprise", "other_manager"])
def test_accounts_that_must_not_be_linked_are_refused(app, client, auth, hpu, cas_server, who):
    from tests.factories import make_enterprise

    person = {
        "admin": lambda: make_admin(),
        "enterprise": lambda: make_user(Category.ENTERPRISE, organization_id=make_enterprise().id),
        "other_manager": lambda: make_manager(make_university()),
    }[who]()
    auth.login(person)
    before = state()
    response = sign_on(client, hpu, cas_server, STUDENT)
    assert response.status_code == 409
    assert state() == before


def test_a_deactivated_account_cannot_sign_in_through_its_university(app, client, hpu, cas_server):
    sign_on(client, hpu, cas_server, STUDENT)
    client.post("/sso/new-account", data={"display_name": "李明", "email": "liming@example.com"})
    english(client).post("/logout")
    english(client)
    with app.app_context():
        db.session.execute(sa.update(User).values(active=False))
        db.session.commit()
    before = state()
    response = sign_on(client, hpu, cas_server, STUDENT)
    assert response.status_code == 409
    assert "deactivated" in page(response)
    assert state() == before
    assert signed_in_as(client) is None


def test_a_new_account_with_an_address_already_taken_is_refused(client, hpu, cas_server):
    existing = make_user(email="liming@example.com")
    sign_on(client, hpu, cas_server, STUDENT)
    before = state()
    response = client.post("/sso/new-account", data={"display_name": "李明", "email": "LiMing@Example.com"})
    assert response.status_code == 422
    assert "already exists" in page(response)
    assert state() == before
    assert db.session.get(User, existing.id).category == Category.RESIDENT  # never merged by address


def test_the_new_account_page_needs_a_confirmed_identity(client, app):
    response = client.get("/sso/new-account")
    assert response.status_code == 400
    with client.session_transaction() as session:
        session["campus_new_account"] = {"university_id": 1, "cas_user": "forged"}  # not a whole one
    assert client.get("/sso/new-account").status_code == 400


def test_a_disabled_university_offers_no_sign_on(client, app, cas_server):
    university = make_university(name_en="Quiet University")
    connect(university, cas_server.url, enabled=False)
    assert "Quiet University" not in page(client.get("/login"))
    assert client.post(f"/sso/{university.id}/start").status_code == 404


# --- redirects: only to this site ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_next_never_leads_off_the_site(client, hpu, cas_server, target):
    sign_on(client, hpu, cas_server, STUDENT)
    client.post("/sso/new-account", data={"display_name": "李明", "email": "liming@example.com"})
    client.post("/logout")
    response = sign_on(client, hpu, cas_server, STUDENT, next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_service_address_is_fixed_whatever_the_request_says(client, hpu):
    response = client.post(
        f"/sso/{hpu.id}/start?service=https://evil.example/",
        data={"next": "/", "service": "https://evil.example/"},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    location = urlsplit(cas_login_url(response))
    assert location.netloc == "127.0.0.1:" + str(urlsplit(hpu_server_url(hpu)).port)
    assert parse_qs(location.query)["service"] == [f"http://localhost/sso/{hpu.id}/callback"]


def hpu_server_url(university: Organization) -> str:
    return db.session.get(CampusSignOn, university.id).server_url


# --- sessions -----------------------------------------------------------------------------------------------


def test_a_sign_on_login_follows_the_session_rules(app, client, hpu, cas_server):
    sign_on(client, hpu, cas_server, STUDENT)
    client.post("/sso/new-account", data={"display_name": "李明", "email": "liming@example.com"})
    with client.session_transaction() as session:
        assert session["_user_id"].count(".") == 2  # <id>.<issued at>.<marker>, as a password login
        assert "campus_new_account" not in session and "campus_sign_on" not in session
    user = db.session.scalar(sa.select(User).where(User.email == "liming@example.com"))
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert signed_in_as(thief) == user.email

    accounts.end_sessions(user.id)  # a logout elsewhere

    assert signed_in_as(thief) is None
    assert signed_in_as(client) is None


# --- the login page and the city office ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [("zh_CN", "使用河南理工大学统一身份认证登录"), ("en", "Sign in with Henan Polytechnic University")],
)
def test_the_login_page_offers_each_enabled_university(client, hpu, language, text):
    client.post("/language", data={"locale": language})
    assert text in page(client.get("/login"))


def test_the_city_office_connects_a_university_and_it_is_audited(client, auth, app):
    university = make_university(name_en="Jiaozuo University")
    admin = make_admin()
    auth.login(admin)
    form = client.get(f"/admin/sign-on/{university.id}")
    assert form.status_code == 200
    assert f"http://localhost/sso/{university.id}/callback" in page(form)  # what the IT office must allow

    response = client.post(
        f"/admin/sign-on/{university.id}",
        data={
            "server_url": " https://cas.jzu.example.edu.cn/cas ",
            "protocol": "2",
            "number_attribute": "XH",
            "role_attribute": "userType",
            "staff_values": "teacher, staff",
            "name_attribute": "",
            "email_attribute": "",
            "enabled": "y",
        },
    )
    assert response.status_code == 302
    settings = db.session.get(CampusSignOn, university.id)
    assert settings.server_url == "https://cas.jzu.example.edu.cn/cas/"
    assert (settings.protocol, settings.number_attribute, settings.staff_values) == (2, "XH", "teacher,staff")
    assert settings.enabled
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "campus_sign_on.updated"))
    assert event.actor_id == admin.id and event.target_id == university.id
    assert event.details["changes"]["number_attribute"] == [None, "XH"]
    assert "Jiaozuo University" in page(client.get("/admin/sign-on/"))
    assert "Campus sign-on settings changed" in page(client.get("/audit"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("server_url", "ftp://cas.example.edu.cn/"),
        ("server_url", "https://user:pw@cas.example.edu.cn/cas/"),
        ("server_url", "https://cas.example.edu.cn/cas/?x=1"),
        ("server_url", "not a url"),
        ("protocol", "1"),
        ("number_attribute", "student number"),
        ("number_attribute", ""),
        ("role_attribute", "x<y"),
    ],
)
def test_bad_settings_are_refused_with_a_message_and_nothing_saved(client, auth, app, field, value):
    university = make_university()
    auth.login(make_admin())
    data = {
        "server_url": "https://cas.example.edu.cn/cas/",
        "protocol": "3",
        "number_attribute": "employeeNumber",
        "role_attribute": "",
        "staff_values": "",
        "enabled": "y",
        field: value,
    }
    before = state()
    response = client.post(f"/admin/sign-on/{university.id}", data=data)
    assert response.status_code == 422
    assert 'role="alert"' in page(response) or "-error" in page(response)
    assert state() == before


def test_staff_values_need_their_attribute_and_the_attribute_needs_values(client, auth, app):
    university = make_university()
    auth.login(make_admin())
    base = {"server_url": "https://cas.example.edu.cn/cas/", "protocol": "3", "number_attribute": "uid"}
    for extra in ({"role_attribute": "userType"}, {"staff_values": "staff"}):
        response = client.post(f"/admin/sign-on/{university.id}", data={**base, **extra})
        assert response.status_code == 422
    assert db.session.get(CampusSignOn, university.id) is None


def test_people_linked_to_their_university_see_it_on_their_sign_on_page(client, auth, hpu, cas_server):
    student = make_user(Category.STUDENT, organization_id=hpu.id, verification=Verification.PENDING)
    auth.login(student)
    assert "Henan Polytechnic University" in page(client.get("/sso/"))  # a button to connect
    sign_on(client, hpu, cas_server, STUDENT)
    listed = page(client.get("/sso/"))
    assert STUDENT.attributes[NUMBER] in listed


# --- hostile input ----------------------------------------------------------------------------------------


def waiting_identity(client: FlaskClient, university: Organization) -> None:
    """What the callback keeps in the session after the university confirmed someone new."""
    import time

    with client.session_transaction() as session:
        session["campus_new_account"] = {
            "university_id": university.id,
            "cas_user": "liming",
            "number": "312405060001",
            "role": "student",
            "name": "李明",
            "email": "",
            "at": int(time.time()),
            "next": "",
        }


def test_the_new_account_form_refuses_hostile_input_and_writes_nothing(client, hpu):
    """The hostile-input sweep cannot reach this form (it needs a confirmed identity): its values here."""
    from tests.test_hostile_sweep import HOSTILE, TEXT

    waiting_identity(client, hpu)
    assert client.get("/sso/new-account").status_code == 200
    plausible = {"display_name": "李明", "email": "liming@example.com"}
    for hostile in HOSTILE:
        if TEXT not in hostile.attacks:
            continue
        for field in [*plausible, None]:
            data = dict(plausible) if field else dict.fromkeys(plausible, hostile.value)
            if field:
                data[field] = hostile.value
            before = state()
            response = client.post("/sso/new-account", data=data)
            assert response.status_code == 422, (hostile.name, field)
            assert "-error" in page(response) or 'role="alert"' in page(response), (hostile.name, field)
            assert state() == before, (hostile.name, field)


def test_a_forged_new_account_state_is_refused(client, hpu):
    waiting_identity(client, hpu)
    with client.session_transaction() as session:
        session["campus_new_account"] = {**session["campus_new_account"], "role": "admin"}
    assert client.get("/sso/new-account").status_code == 400


# --- a server that answers badly -----------------------------------------------------------------------

ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess>
<cas:user>&lol2;</cas:user><cas:attributes><cas:employeeNumber>1</cas:employeeNumber></cas:attributes>
</cas:authenticationSuccess></cas:serviceResponse>"""


@pytest.fixture
def bad_server() -> Iterator[tuple[str, list[tuple[int, bytes]]]]:
    """A local HTTP server answering each request with the next (status, body) the test queued."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answers: list[tuple[int, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers.pop(0) if answers else (404, b"")
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cas/", answers
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "answer",
    [(200, ENTITY_BOMB), (500, b"<html>Internal Server Error</html>"), (200, b"not xml"), (200, b"<a/>")],
    ids=["entities", "http-500", "not-xml", "not-cas"],
)
def test_an_answer_that_is_no_cas_response_gets_the_server_page_and_changes_nothing(
    app, client, bad_server, answer
):
    url, answers = bad_server
    university = make_university()
    connect(university, url)
    start(client, university)
    answers.append(answer)
    before = state()
    response = client.get(f"/sso/{university.id}/callback", query_string={"ticket": "ST-1-abcdefghijklmnop"})
    assert response.status_code == 502
    assert "no usable answer" in page(response)
    assert state() == before
    assert signed_in_as(client) is None


def test_the_sign_on_list_says_on_and_off_in_chinese_not_a_weekday(client, auth):
    """ "On" in the status column once borrowed the repeat form's "On" (星期, before the weekdays): the status
    has words of its own, in both languages."""
    connect(
        make_jzu(),
        "https://a.example.cn/cas/",
    )
    connect(
        make_university(name_zh="黄河交通学院", name_en="Huanghe Jiaotong", code="HJU"),
        "https://b.example.cn/cas/",
        enabled=False,
    )
    auth.login(make_admin())
    assert re.search(r"<td>\s*On\s*</td>", page(client.get("/admin/sign-on/")))
    with client.session_transaction() as session:
        session["locale"] = "zh_CN"
    chinese = page(client.get("/admin/sign-on/"))
    assert "星期" not in chinese
    assert re.search(r"<td>\s*已启用\s*</td>", chinese) and re.search(r"<td>\s*已关闭\s*</td>", chinese)


def test_the_new_account_page_names_the_profile_button_it_sends_people_to(client, auth):
    """The hint for people who already have an account quotes the button on their profile word for word, in
    both languages (it once said “Sign in with your university” for a button called “University sign-on”)."""
    from pathlib import Path

    template = (Path(__file__).resolve().parents[2] / "templates" / "sso" / "new_account.html").read_text()
    hint = re.search(r"_\('(Already have an account here\?[^']+)'\)", template)
    assert hint
    auth.login(make_user())
    for locale in ("en", "zh_CN"):
        with client.session_transaction() as session:
            session["locale"] = locale
        with force_locale(locale):
            quoted = re.search(r"“([^”]+)”", gettext(hint.group(1)))
        assert quoted
        assert f">{quoted.group(1)}</a>" in page(client.get("/profile"))
