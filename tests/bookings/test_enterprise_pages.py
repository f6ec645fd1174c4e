"""An enterprise member sees the company's pooled allowance before a refusal; a series cut by the booking
window says so and when the rest opens."""

from datetime import UTC, datetime

import pytest
import time_machine
from flask import Flask

from models import Category, QuotaPeriod, QuotaScope, ResourceKind
from tests.factories import (
    make_booking,
    make_enterprise,
    make_quota,
    make_resource,
    make_university,
    make_user,
)

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Jiaozuo
EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


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


def test_a_series_cut_by_the_booking_window_says_so_and_when_the_rest_opens(client, auth, app: Flask) -> None:
    court = make_resource(name_en="Court", policy={"max_advance_days": 14})
    auth.login(make_user())
    series = {
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
    preview = client.post(f"/facilities/{court.id}/book", data={**series, "action": "preview"}, headers=EN)
    text = preview.get_data(as_text=True)
    expected = (
        "3 dates lie beyond the booking window (2 weeks ahead) and cannot be booked yet; "
        "the first of them can be booked from 2026-11-25 10:00."
    )
    assert expected in text
    done = client.post(
        f"/facilities/{court.id}/book", data={**series, "action": "book"}, headers=EN, follow_redirects=True
    )
    assert expected in done.get_data(as_text=True)
