"""A facility that asks its own questions takes no waitlist: a promotion would book without the answers,
terms and files a manager needs, so joining is refused with a reason and never offered."""

import pytest
import sqlalchemy as sa
import time_machine

from booking.services import waitlist
from booking.services.errors import Refused
from models import WaitlistEntry, db
from tests.applications.conftest import EN, NOW, answers, post_booking
from tests.factories import local, make_booking, make_user

SLOT = (local(25, 10), local(25, 11))


def test_joining_the_waitlist_of_a_facility_with_a_form_is_refused_and_writes_nothing(
    lab, lab_form, engineer
):
    make_booking(lab, make_user(email="first@example.com"), *SLOT)
    with time_machine.travel(NOW, tick=False), pytest.raises(Refused) as refused:
        waitlist.join(engineer, lab.id, *SLOT, purpose="Cell testing", now=NOW)
    assert refused.value.codes == {"waitlist_asks_questions"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WaitlistEntry)) == 0


def test_a_taken_slot_of_a_facility_with_a_form_offers_no_waitlist(
    client, auth, lab, lab_form, engineer, files
):
    make_booking(lab, make_user(email="first@example.com"), *SLOT)
    auth.login(engineer)
    response = post_booking(client, lab, answers(lab_form))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="waitlist-offer"' not in page


def test_a_facility_without_a_form_still_offers_its_waitlist(client, auth, lab, engineer, files):
    make_booking(lab, make_user(email="first@example.com"), *SLOT)
    auth.login(engineer)
    data = {"day": "2026-11-25", "start_time": "10:00", "end_time": "11:00", "party_size": "1"}
    response = client.post(f"/facilities/{lab.id}/book", data=data, headers=EN)
    assert response.status_code == 422
    assert 'id="waitlist-offer"' in response.get_data(as_text=True)
