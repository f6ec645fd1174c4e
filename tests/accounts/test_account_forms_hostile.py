"""The hostile-input sweep over the account forms that only a person with an unconfirmed address, or a
reset link, is shown (the matrix's roles all have confirmed addresses, so the main sweep sees the others)."""

from datetime import timedelta

import time_machine
from flask import Flask

from booking.services import account_links, email_verification
from models import User, db
from tests.factories import PASSWORD, make_user
from tests.test_authorization_matrix import NOW
from tests.test_hostile_sweep import FormParser, Sweep, sweep_form


def test_no_hostile_input_to_the_confirmation_and_account_forms_errs_or_writes(app: Flask) -> None:
    with time_machine.travel(NOW, tick=False):
        person = make_user(email="unconfirmed.sweep@example.com")
        person.email_verified_at = None
        email_verification.send(person, NOW)  # the link and code of a sign-up, waiting
        reset = account_links.issue(
            person.id, account_links.RESET_PASSWORD, person.email, now=NOW, lifetime=timedelta(days=1)
        )
        db.session.commit()
        client = app.test_client()
        assert client.post("/login", data={"email": person.email, "password": PASSWORD}).status_code == 302
        sweep = Sweep(app)
        forms = []
        for path in ("/verify", "/profile/email", "/profile/delete", "/password/forgot"):
            page = client.get(path)
            assert page.status_code == 200, path
            parser = FormParser("http://localhost" + path)
            parser.feed(page.get_data(as_text=True))
            forms.extend(parser.forms)
        refusable = [form for form in forms if form.refusable]
        assert {form.action.removeprefix("http://localhost") for form in refusable} >= {
            "/verify",
            "/profile/email",
            "/profile/delete",
            "/password/forgot",
        }
        for form in refusable:
            sweep_form(sweep, client, form)

        assert sweep.requests > 50
        assert not sweep.findings, "\n".join(str(f) for f in sweep.findings)
        db.session.expire_all()
        still = db.session.get(User, person.id)
        assert still.email_verified_at is None and still.deleted_at is None and still.pending_email is None
        assert client.get(f"/password/reset/{reset.token}").status_code == 200  # the link is untouched
