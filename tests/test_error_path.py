"""One error path and one guard: services raise the family, views show it one way, blueprints require a role
in one line, and object permissions are asked in one place."""

import re
from pathlib import Path

import pytest
from flask import Blueprint, Flask
from flask_babel import force_locale
from wtforms import StringField

from booking.engine.violations import N_, Violation
from booking.services.errors import Invalid, NotAllowed, NotFound, Refused, ServiceError
from booking.services.permissions import Role, can_manage, can_see_booking, has_role, university_of
from booking.web.errors import STATUS, refusals, show_invalid, status_of
from booking.web.forms import Form
from booking.web.guards import require_role
from models import db
from tests.conftest import AuthActions, make_app
from tests.factories import (
    local,
    make_admin,
    make_booking,
    make_manager,
    make_quota,
    make_resource,
    make_university,
    make_user,
)

WEB = Path(__file__).resolve().parent.parent / "booking" / "web"


class NameForm(Form):
    name = StringField()


# --- the family and its one table ------------------------------------------------------------------


def test_every_member_of_the_family_has_its_status_in_the_one_table() -> None:
    assert {NotFound: 404, NotAllowed: 403, Invalid: 422, Refused: 409} == STATUS
    assert status_of(NotFound()) == 404
    assert all(issubclass(kind, ServiceError) for kind in STATUS)


def test_a_subclass_answers_as_its_nearest_listed_base() -> None:
    class Gone(NotFound):
        pass

    assert status_of(Gone()) == 404


def test_invalid_keeps_each_field_and_message_in_order() -> None:
    error = Invalid([("name", "Enter a name."), (None, "Try again.")], code="example")
    assert error.errors == (("name", "Enter a name."), (None, "Try again."))
    assert error.fields == {"name", None}
    assert (error.field, error.message, error.code) == ("name", "Enter a name.", "example")
    assert Invalid({"day_3": "Overlaps."}).fields == {"day_3"}


def test_no_second_error_type_is_left_in_the_services() -> None:
    services = WEB.parent / "services"
    defined = [
        (path.name, match)
        for path in services.glob("*.py")
        if path.name != "errors.py"
        for match in re.findall(
            r"^class (\w+)\((?:\w+\.)?\w*(?:Exception|Error)\w*\)", path.read_text(), re.M
        )
    ]
    assert defined == [("lifecycle.py", "IllegalTransition")]  # a programming error, never a person's


# --- views: one way to show a refusal --------------------------------------------------------------


def test_show_invalid_puts_each_message_next_to_its_field_translated(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), force_locale("zh_Hans_CN"):
        form = NameForm(formdata=None)
        show_invalid(form, Invalid([("name", N_("Enter a name.")), ("elsewhere", N_("Enter a name."))]))
        assert form.name.errors == ["请输入姓名。"]
        assert form.form_errors == ["请输入姓名。"]  # a field this form does not have: the form's own


def test_refusals_puts_an_invalid_on_the_form_and_keeps_a_refused(app: Flask) -> None:
    with app.test_request_context(), force_locale("en"):
        form = NameForm(formdata=None)
        with refusals(form) as refused:
            raise Invalid("Enter a name.", field="name")
        assert refused and form.name.errors == ["Enter a name."]
        assert refused.violations == ()
        violation = Violation("duplicate", "You already hold this booking.", {})
        with refusals() as refused:
            raise Refused([violation])
        assert refused.violations == (violation,)
        with refusals() as refused:
            pass
        assert not refused


@pytest.mark.parametrize("error", [NotFound, NotAllowed, KeyError])
def test_refusals_lets_not_found_not_allowed_and_bugs_pass_to_the_handlers(app: Flask, error: type) -> None:
    with app.test_request_context(), pytest.raises(error), refusals(NameForm(formdata=None)):
        raise error()


def _views() -> list[tuple[str, str]]:
    return [(str(p.relative_to(WEB)), p.read_text()) for p in WEB.rglob("*.py") if p.name != "errors.py"]


def test_no_view_catches_not_found_or_not_allowed_or_wraps_a_call_in_or_404() -> None:
    caught = [
        name for name, text in _views() if re.search(r"except[^:\n]*\b(NotFound|NotAllowed)\b|or_404", text)
    ]
    assert caught == []


def test_no_view_catches_a_refusal_by_hand() -> None:
    caught = [name for name, text in _views() if re.search(r"except[^:\n]*\b(Invalid|Refused)\b", text)]
    assert caught == []


# --- one role guard per blueprint ------------------------------------------------------------------


def test_the_role_gate_is_written_once() -> None:
    copies = [name for name, text in _views() if "login_manager.unauthorized()" in text]
    assert copies == ["guards.py"]


@pytest.fixture
def guarded_app(database_url: str, app: Flask) -> Flask:
    guarded = make_app(database_url)
    bp = Blueprint("guarded", __name__, url_prefix="/guarded")
    require_role(bp, Role.ADMIN, open_to_all=("public",))
    bp.add_url_rule("/", "private", lambda: "private")
    bp.add_url_rule("/public", "public", lambda: "public")
    guarded.register_blueprint(bp)
    return guarded


def test_require_role_sends_visitors_to_log_in_and_refuses_others(guarded_app: Flask) -> None:
    resident, admin = make_user(), make_admin()
    db.session.commit()
    client = guarded_app.test_client()
    assert client.get("/guarded/public").get_data(as_text=True) == "public"
    assert client.get("/guarded/").status_code == 302
    AuthActions(client).login(resident)
    assert client.get("/guarded/").status_code == 403
    AuthActions(client).logout()
    AuthActions(client).login(admin)
    assert client.get("/guarded/").get_data(as_text=True) == "private"


# --- object permissions in one place ---------------------------------------------------------------


def test_roles_are_one_question(app: Flask) -> None:
    university = make_university()
    resident, manager, admin = make_user(), make_manager(university), make_admin()
    db.session.commit()
    assert [has_role(u, Role.STAFF) for u in (resident, manager, admin)] == [False, True, True]
    assert [has_role(u, Role.MANAGER) for u in (resident, manager, admin)] == [False, True, False]
    assert [has_role(u, Role.ADMIN) for u in (resident, manager, admin)] == [False, False, True]


def test_a_manager_manages_what_their_university_owns_and_nothing_else(app: Flask) -> None:
    mine, theirs = make_university(code="JZU"), make_university(code="HPU")
    manager, admin, owner = make_manager(mine), make_admin(), make_user()
    db.session.commit()
    court, hall = make_resource(mine), make_resource(theirs)
    booking = make_booking(court, owner, local(25, 10))
    quota = make_quota(theirs, max_bookings=2)
    assert university_of(booking) == mine.id and university_of(quota) == theirs.id
    assert [can_manage(manager, x) for x in (mine, mine.id, court, booking, theirs, hall, quota, None)] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    assert all(can_manage(admin, x) for x in (mine, hall, quota, booking))
    assert can_see_booking(owner, booking) and can_see_booking(manager, booking)
    assert not can_see_booking(make_manager(theirs), booking)
