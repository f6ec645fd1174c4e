"""Quotas and closures: adding and deleting them, and a closure over bookings that already exist."""

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from booking.services import bookings, facilities
from booking.services.errors import Refused
from models import Booking, BookingStatus, Closure, Mode, Quota, QuotaPeriod, QuotaScope, ResourceKind, db
from tests.factories import make_booking, make_closure, make_quota, make_resource, make_user
from tests.manage.conftest import EN, NOW, at, events, fresh, notifications, pending, quota_form


def count(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- quotas ------------------------------------------------------------------------------------------


def test_adding_a_quota_for_a_kind_of_facility(client, auth, uni_a, manager_a):
    auth.login(manager_a)
    assert client.post("/manage/quotas", data=quota_form()).status_code == 302
    quota = db.session.scalars(sa.select(Quota)).one()
    assert (quota.university_id, quota.resource_kind, quota.resource_id) == (
        uni_a.id,
        ResourceKind.SPORTS_VENUE,
        None,
    )
    assert (quota.period, quota.scope, quota.max_bookings, quota.max_hours) == (
        QuotaPeriod.WEEK,
        QuotaScope.USER,
        2,
        None,
    )
    [event] = events("quota.created")
    assert (event.target_id, event.university_id, event.details["resource_kind"]) == (
        quota.id,
        uni_a.id,
        "sports_venue",
    )
    page = client.get("/manage/quotas", headers=EN).get_data(as_text=True)
    assert f'data-quota="{quota.id}"' in page and "2 bookings" in page and "per week" in page


def test_a_quota_for_one_facility_of_the_same_university(client, auth, uni_a, manager_a):
    lab = make_resource(uni_a, kind=ResourceKind.LAB)
    auth.login(manager_a)
    response = client.post(
        "/manage/quotas",
        data=quota_form(
            applies_to=f"resource:{lab.id}",
            scope="organization",
            period="active",
            max_bookings="",
            max_hours="6.5",
        ),
    )
    assert response.status_code == 302
    quota = db.session.scalars(sa.select(Quota)).one()
    assert (quota.resource_id, quota.scope, quota.period, quota.max_hours) == (
        lab.id,
        QuotaScope.ORGANIZATION,
        QuotaPeriod.ACTIVE,
        6.5,
    )


def assert_refused_and_nothing_written(response, message: str, model: type) -> None:
    """A form sent with a mistake: shown again (422) saying `message`, and no `model` row written."""
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(model) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"max_bookings": "", "max_hours": ""}, "Give a limit in bookings, in hours, or both."),
        ({"max_bookings": "0"}, "Enter a number from 1 to 10000 bookings."),
        ({"max_bookings": "10001"}, "Enter a number from 1 to 10000 bookings."),
        ({"max_bookings": "", "max_hours": "-2"}, "Enter a number from 0.5 to 10000 hours."),
        ({"max_bookings": "", "max_hours": "1e-300"}, "Enter a number from 0.5 to 10000 hours."),
        ({"applies_to": "planet:mars"}, "Choose where the quota applies."),
        ({"period": "decade"}, "Not a valid choice"),
    ],
)
def test_quota_form_errors(client, auth, manager_a, overrides, message):
    auth.login(manager_a)
    assert_refused_and_nothing_written(
        client.post("/manage/quotas", data=quota_form(**overrides), headers=EN), message, Quota
    )


def test_a_forged_facility_of_another_university_in_a_quota_is_404(client, auth, uni_a, uni_b, manager_a):
    theirs = make_resource(uni_b)
    auth.login(manager_a)
    response = client.post("/manage/quotas", data=quota_form(applies_to=f"resource:{theirs.id}"))
    assert response.status_code == 404
    assert client.post(f"/manage/quotas?university={uni_b.id}", data=quota_form()).status_code == 404
    assert count(Quota) == 0


def test_deleting_a_quota_and_not_another_universitys(client, auth, uni_a, uni_b, manager_a):
    ours = make_quota(uni_a, max_bookings=3)
    theirs = make_quota(uni_b, max_bookings=3)
    auth.login(manager_a)
    assert client.post(f"/manage/quotas/{theirs.id}/delete").status_code == 404
    assert client.post(f"/manage/quotas/{ours.id}/delete").status_code == 302
    db.session.rollback()
    assert db.session.scalars(sa.select(Quota.id)).all() == [theirs.id]
    [event] = events("quota.deleted")
    assert (event.target_id, event.details["max_bookings"]) == (ours.id, 3)


# --- closures ----------------------------------------------------------------------------------------


def closure_form(**overrides) -> dict:
    return {
        "target": "",
        "start_day": "2026-11-25",
        "start_time": "00:00",
        "end_day": "2026-11-26",
        "end_time": "00:00",
        "reason_zh": "考试周",
        "reason_en": "Exam week",
        **overrides,
    }


def review_token(page: str) -> str:
    return re.search(r'name="reviewed" type="hidden" value="([^"]*)"', page).group(1)


def test_a_closure_without_bookings_inside_is_added_at_once(client, auth, uni_a, manager_a):
    court = make_resource(uni_a)
    auth.login(manager_a)
    response = client.post("/manage/closures", data=closure_form(target=str(court.id)))
    assert response.status_code == 302
    closure = db.session.scalars(sa.select(Closure)).one()
    assert closure.resource_id == court.id
    # 25 Nov 00:00 to 26 Nov 24:00 in Jiaozuo.
    assert (closure.start_at, closure.end_at) == (at(25, 0), at(27, 0))
    assert (closure.reason_zh, closure.reason_en) == ("考试周", "Exam week")
    [event] = events("closure.created")
    assert event.university_id == uni_a.id
    page = client.get("/manage/closures", headers=EN).get_data(as_text=True)
    assert f'data-closure="{closure.id}"' in page and "Exam week" in page


def test_closure_over_bookings_lists_them_then_cancels_the_chosen_ones_and_tells_their_owners(
    client, auth, uni_a, uni_b, manager_a
):
    court = make_resource(uni_a, name_en="Court 1")
    room = make_resource(uni_a, mode=Mode.SHARED, capacity=10, name_en="Reading room")
    elsewhere = make_resource(uni_b)
    zhang, wang, chen = (make_user(display_name=n) for n in ("Zhang San", "Wang Wu", "Chen Liu"))
    first = make_booking(court, zhang, at(25, 10))
    second = pending(room, wang, at(26, 15))
    outside = make_booking(court, chen, at(27, 10))
    other_university = make_booking(elsewhere, chen, at(25, 10))
    make_booking(court, chen, at(25, 14), status=BookingStatus.CANCELLED)
    auth.login(manager_a)

    review = client.post("/manage/closures", data=closure_form(), headers=EN)
    assert review.status_code == 200
    page = review.get_data(as_text=True)
    listed = [int(i) for i in re.findall(r'data-overlap="(\d+)"', page)]
    assert listed == [first.id, second.id]
    assert "2 bookings fall inside this closure" in page
    assert count(Closure) == 0  # nothing written until the manager has seen them

    response = client.post(
        "/manage/closures",
        data=closure_form(
            reviewed=review_token(page),
            cancel_ids=[str(first.id)],
            cancel_reason="The campus is closed for exams.",
        ),
        headers=EN,
    )
    assert response.status_code == 302
    assert fresh(Booking, first.id).status == BookingStatus.CANCELLED
    assert fresh(Booking, first.id).decision_note == "The campus is closed for exams."
    assert [fresh(Booking, b.id).status for b in (second, outside, other_university)] == [
        BookingStatus.PENDING,
        BookingStatus.CONFIRMED,
        BookingStatus.CONFIRMED,
    ]
    [note] = notifications(zhang, "booking_cancelled_by_closure")
    assert (note.booking_id, note.params["note"]) == (first.id, "The campus is closed for exams.")
    assert notifications(wang) == [] and notifications(chen) == []
    closure = db.session.scalars(sa.select(Closure)).one()
    assert closure.resource_id is None and closure.university_id == uni_a.id
    [created] = events("closure.created")
    assert (created.details["cancelled"], created.details["kept"]) == ([first.id], [second.id])
    [cancelled] = events("booking.cancelled")
    assert (cancelled.target_id, cancelled.details["closure"]) == (first.id, closure.id)
    flashed = client.get("/manage/closures", headers=EN).get_data(as_text=True)
    assert "1 booking cancelled; its owner was told." in flashed


def test_cancelling_needs_a_message_for_the_people_affected(client, auth, uni_a, manager_a):
    court = make_resource(uni_a)
    booking = make_booking(court, make_user(), at(25, 10))
    auth.login(manager_a)
    page = client.post("/manage/closures", data=closure_form(), headers=EN).get_data(as_text=True)
    response = client.post(
        "/manage/closures",
        data=closure_form(reviewed=review_token(page), cancel_ids=[str(booking.id)], cancel_reason=" "),
        headers=EN,
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Say why the bookings are cancelled; the people affected read it." in page
    assert count(Closure) == 0
    assert fresh(Booking, booking.id).status == BookingStatus.CONFIRMED


def test_changing_the_closure_after_the_review_shows_the_bookings_again(client, auth, uni_a, manager_a):
    court = make_resource(uni_a)
    make_booking(court, make_user(), at(25, 10))
    later = make_booking(court, make_user(), at(27, 10))
    auth.login(manager_a)
    page = client.post("/manage/closures", data=closure_form(), headers=EN).get_data(as_text=True)
    wider = client.post(
        "/manage/closures", data=closure_form(end_day="2026-11-28", reviewed=review_token(page)), headers=EN
    )
    assert wider.status_code == 200
    assert f'data-overlap="{later.id}"' in wider.get_data(as_text=True)
    assert count(Closure) == 0


def test_a_booking_id_outside_the_closure_is_404_and_nothing_is_written(client, auth, uni_a, manager_a):
    court = make_resource(uni_a)
    inside = make_booking(court, make_user(), at(25, 10))
    outside = make_booking(court, make_user(), at(28, 10))
    auth.login(manager_a)
    page = client.post("/manage/closures", data=closure_form(), headers=EN).get_data(as_text=True)
    response = client.post(
        "/manage/closures",
        data=closure_form(
            reviewed=review_token(page), cancel_ids=[str(inside.id), str(outside.id)], cancel_reason="Closed"
        ),
    )
    assert response.status_code == 404
    assert count(Closure) == 0
    assert [fresh(Booking, b.id).status for b in (inside, outside)] == [BookingStatus.CONFIRMED] * 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_day": "2026-11-24", "end_time": "10:00"}, "The end must be after the start."),
        (
            {"start_time": "12:00", "end_day": "2026-11-25", "end_time": "11:00"},
            "The end must be after the start.",
        ),
        ({"reason_zh": "", "reason_en": ""}, "Give the reason people will read"),
        ({"start_day": "2026-02-30"}, "Not a valid date value."),
        ({"target": "abc"}, "Choose the whole university or one facility."),
    ],
)
def test_closure_form_errors(client, auth, uni_a, manager_a, overrides, message):
    auth.login(manager_a)
    assert_refused_and_nothing_written(
        client.post("/manage/closures", data=closure_form(**overrides), headers=EN), message, Closure
    )


def test_a_closure_of_another_universitys_facility_is_404(client, auth, uni_a, uni_b, manager_a):
    theirs = make_resource(uni_b)
    theirs_closure = make_closure(theirs, at(25, 0), at(26, 0))
    auth.login(manager_a)
    assert client.post("/manage/closures", data=closure_form(target=str(theirs.id))).status_code == 404
    assert client.post(f"/manage/closures/{theirs_closure.id}/delete").status_code == 404
    assert client.get(f"/manage/closures?university={uni_b.id}").status_code == 404
    assert count(Closure) == 1


def test_removing_a_closure_reopens_booking(client, auth, uni_a, manager_a, requester):
    court = make_resource(uni_a)
    closure = make_closure(court, at(25, 0), at(26, 0))
    with pytest.raises(Refused):
        bookings.request_booking(requester, court.id, at(25, 10), at(25, 11), now=NOW)
    auth.login(manager_a)
    assert client.post(f"/manage/closures/{closure.id}/delete").status_code == 302
    assert count(Closure) == 0
    [event] = events("closure.deleted")
    assert event.target_id == closure.id
    assert bookings.request_booking(requester, court.id, at(25, 10), at(25, 11), now=NOW).id


def test_the_service_lists_only_active_bookings_inside_the_span(uni_a, manager_a):
    court = make_resource(uni_a, mode=Mode.SHARED, capacity=10)
    inside = make_booking(court, make_user(), at(25, 23, 30), at(26, 0, 30))  # straddles the start
    make_booking(court, make_user(), at(25, 22), at(26, 0), status=BookingStatus.REJECTED)
    make_booking(court, make_user(), at(25, 22), at(26, 0, 0))  # ends as the closure begins
    # Local 26 Nov 00:00 to 27 Nov 00:00, as the form hands them over: naive wall-clock times.
    draft = facilities.ClosureDraft(
        uni_a.id, court.id, datetime(2026, 11, 26), datetime(2026, 11, 27), "维修", "Maintenance"
    )
    assert [b.id for b in facilities.closure_overlaps(manager_a, draft)] == [inside.id]
