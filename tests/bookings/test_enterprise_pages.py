"""An enterprise member sees the company's pooled allowance before a refusal; a series cut by the booking
window says so and when the rest opens, and offers to remind them then."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from booking.services import reminders
from models import Category, Notification, QuotaPeriod, QuotaScope, ResourceKind, WindowReminder, db
from tests.factories import (
    NOW,
    make_booking,
    make_enterprise,
    make_quota,
    make_resource,
    make_university,
    make_user,
)

EN = {"Accept-Language": "en"}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # time stands at NOW


@pytest.fixture
def company_lab(app: Flask):
    """A lab at HPU whose enterprises share 3 bookings a week; a colleague already holds one."""
    hpu = make_university(name_en="HPU")
    lab = make_resource(hpu, kind=ResourceKind.LAB, name_en="Materials lab")
    make_quota(
        hpu,
        category=Category.ENTERPRISE,
        resource_kind=ResourceKind.LAB,
        scope=QuotaScope.ORGANIZATION,
        period=QuotaPeriod.WEEK,
        max_bookings=3,
    )
    company = make_enterprise(name_en="Jiaozuo Alloys")
    colleague = make_user(Category.ENTERPRISE, organization_id=company.id)
    make_booking(lab, colleague, datetime(2026, 11, 26, 2, tzinfo=UTC))
    member = make_user(Category.ENTERPRISE, organization_id=company.id)
    return lab, member


def test_the_profile_shows_the_companys_pooled_usage(client, auth, company_lab) -> None:
    _lab, member = company_lab
    auth.login(member)
    page = client.get("/profile", headers=EN).get_data(as_text=True)
    assert "Jiaozuo Alloys’s shared allowance" in page
    assert "1 of 3 bookings of laboratories at HPU used in the week of Nov 23" in page


def test_the_booking_form_shows_the_companys_pooled_usage(client, auth, company_lab) -> None:
    lab, member = company_lab
    auth.login(member)
    page = client.get(f"/facilities/{lab.id}/book", headers=EN).get_data(as_text=True)
    assert "1 of 3 bookings of laboratories at HPU used in the week of Nov 23" in page


def test_a_resident_sees_no_pooled_allowance(client, auth, company_lab) -> None:
    lab, _member = company_lab
    auth.login(make_user())
    assert "shared allowance" not in client.get(f"/facilities/{lab.id}/book", headers=EN).get_data(
        as_text=True
    )


# Five Wednesdays from tomorrow, 10:00-11:00: the last three lie beyond a 14-day booking window.
FIVE_WEDNESDAYS = {
    "day": "2026-11-25",
    "start_time": "10:00",
    "end_time": "11:00",
    "party_size": "1",
    "repeat": "y",
    "frequency": "weekly",
    "interval": "1",
    "weekdays": "2",
    "ends": "count",
    "count": "5",
}


def test_a_series_cut_by_the_booking_window_says_so_and_when_the_rest_opens(client, auth, app: Flask) -> None:
    court = make_resource(name_en="Court", policy={"max_advance_days": 14})
    auth.login(make_user())
    preview = client.post(
        f"/facilities/{court.id}/book", data={**FIVE_WEDNESDAYS, "action": "preview"}, headers=EN
    )
    text = preview.get_data(as_text=True)
    expected = (
        "3 dates lie beyond the booking window (2 weeks ahead) and cannot be booked yet; "
        "the first of them can be booked from 2026-11-25 10:00."
    )
    assert expected in text
    done = client.post(
        f"/facilities/{court.id}/book",
        data={**FIVE_WEDNESDAYS, "action": "book"},
        headers=EN,
        follow_redirects=True,
    )
    assert expected in done.get_data(as_text=True)


def test_asking_to_be_reminded_when_the_next_dates_open(client, auth, app: Flask) -> None:
    court = make_resource(name_en="Court", policy={"max_advance_days": 14})
    person = make_user()
    auth.login(person)
    first_start = datetime(2026, 12, 9, 2, tzinfo=UTC)  # 9 Dec 10:00, beyond the 14-day window
    response = client.post(
        f"/facilities/{court.id}/window-reminder", data={"first_start": first_start.isoformat()}, headers=EN
    )
    assert "We will tell you on 2026-11-25 10:00" in client.get(
        response.headers["Location"], headers=EN
    ).get_data(as_text=True)
    client.post(f"/facilities/{court.id}/window-reminder", data={"first_start": first_start.isoformat()})
    assert reminders.send_window_reminders(NOW) == 0  # not yet
    assert (
        reminders.send_window_reminders(datetime(2026, 11, 25, 2, tzinfo=UTC)) == 1
    )  # once, though asked twice
    assert reminders.send_window_reminders(datetime(2026, 11, 25, 3, tzinfo=UTC)) == 0
    [told] = db.session.scalars(sa.select(Notification).where(Notification.user_id == person.id)).all()
    assert told.kind == "window_open" and told.params["when"] == "2026-12-09 10:00"


def test_a_reminder_for_a_date_already_open_or_malformed_writes_nothing(client, auth, app: Flask) -> None:
    court = make_resource(policy={"max_advance_days": 14})
    auth.login(make_user())
    url = f"/facilities/{court.id}/window-reminder"
    assert (
        client.post(url, data={"first_start": datetime(2026, 11, 30, 2, tzinfo=UTC).isoformat()}).status_code
        == 302
    )
    assert client.post(url, data={"first_start": "not a date"}).status_code == 400
    assert client.post(url, data={"first_start": "2026-12-09T10:00"}).status_code == 400  # no zone
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WindowReminder)) == 0


def test_the_series_preview_offers_the_reminder(client, auth, app: Flask) -> None:
    court = make_resource(name_en="Court", policy={"max_advance_days": 14})
    auth.login(make_user())
    page = client.post(
        f"/facilities/{court.id}/book", data={**FIVE_WEDNESDAYS, "action": "preview"}, headers=EN
    ).get_data(as_text=True)
    assert f'action="/facilities/{court.id}/window-reminder"' in page
    assert 'name="first_start" value="2026-12-09T02:00:00+00:00"' in page
