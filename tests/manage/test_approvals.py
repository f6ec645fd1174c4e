"""The approval queue as a manager uses it: scope, approving, declining, series, bulk, the re-checks."""

import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from booking.services import approvals, bookings
from booking.services.errors import Refused
from models import Booking, BookingStatus, Frequency, Mode, ResourceKind, Series, db
from tests.factories import make_admin, make_booking, make_closure, make_exam_week, make_resource, make_user
from tests.manage.conftest import EN, NOW, at, events, fresh, notifications, pending


def statuses(*items: Booking) -> list[BookingStatus]:
    db.session.rollback()
    return [db.session.get(Booking, b.id).status for b in items]


def make_series(resource, user, starts, **fields) -> tuple[Series, list[Booking]]:
    series = Series(
        user_id=user.id,
        resource_id=resource.id,
        frequency=Frequency.WEEKLY,
        interval=1,
        weekdays=[starts[0].weekday()],
        count=len(starts),
        local_start=time(10, 0),
        duration_minutes=60,
    )
    db.session.add(series)
    db.session.commit()
    return series, [pending(resource, user, start, series_id=series.id, **fields) for start in starts]


# --- the queue ---------------------------------------------------------------------------------------


def test_the_queue_shows_only_the_managers_own_university_oldest_first(
    client, auth, uni_a, uni_b, manager_a, requester
):
    court = make_resource(uni_a, name_en="Badminton court 3")
    other = make_resource(uni_b, name_en="HPU gym")
    later = pending(
        court, requester, at(26, 10), created_at=NOW - timedelta(minutes=5), purpose="Club training"
    )
    older = pending(
        court, make_user(display_name="Zhang Wei"), at(27, 10), created_at=NOW - timedelta(hours=5)
    )
    pending(other, requester, at(26, 10))
    auth.login(manager_a)
    page = client.get("/manage/", headers=EN).get_data(as_text=True)
    assert "Badminton court 3" in page
    assert "HPU gym" not in page
    assert page.index(f'id="request-{older.id}"') < page.index(f'id="request-{later.id}"')
    assert "Club training" in page and "Li Na" in page and "Resident" in page
    assert "Thu 2026-11-26 10:00 – 11:00" in page
    assert "2 requests await a decision" in page


def test_the_queue_shows_series_size_and_party(client, auth, uni_a, manager_a, requester):
    room = make_resource(uni_a, mode=Mode.SHARED, capacity=30, name_en="Reading room")
    _series, dates = make_series(room, requester, [at(25, 10), at(26, 10), at(27, 10)], party_size=4)
    auth.login(manager_a)
    page = client.get("/manage/", headers=EN).get_data(as_text=True)
    assert "One of 3 dates in a series" in page
    assert "3 await a decision." in page
    assert f'data-booking="{dates[0].id}"' in page
    assert "Approve all 3 pending dates" in page


def test_the_queue_says_when_approving_would_clash_and_why(client, auth, uni_a, manager_a, requester):
    room = make_resource(uni_a, mode=Mode.SHARED, capacity=1, name_en="Study booth")
    make_booking(room, make_user(), at(25, 10), at(25, 11))
    clash = pending(room, requester, at(25, 10, 30))
    fine = pending(room, requester, at(25, 14))
    auth.login(manager_a)
    page = client.get("/manage/", headers=EN).get_data(as_text=True)
    clash_card = page[page.index(f'id="request-{clash.id}"') : page.index(f'id="request-{fine.id}"')]
    assert 'data-clash="yes"' in clash_card
    assert "This time is fully booked." in clash_card
    assert 'data-clash="no"' in page[page.index(f'id="request-{fine.id}"') :]


def test_an_admin_sees_every_university_and_can_filter(client, auth, uni_a, uni_b, requester):
    pending(make_resource(uni_a, name_en="JZU court"), requester, at(25, 10))
    pending(make_resource(uni_b, name_en="HPU court"), requester, at(25, 10))
    auth.login(make_admin())
    page = client.get("/manage/", headers=EN).get_data(as_text=True)
    assert "JZU court" in page and "HPU court" in page
    filtered = client.get(f"/manage/?university={uni_b.id}", headers=EN).get_data(as_text=True)
    assert "HPU court" in filtered and "JZU court" not in filtered


# --- another university's requests -------------------------------------------------------------------


def test_a_manager_of_another_university_gets_404_by_url_and_by_bulk_form(
    client, auth, uni_a, uni_b, manager_b, requester
):
    theirs = pending(make_resource(uni_a), requester, at(25, 10))
    ours = pending(make_resource(uni_b), requester, at(25, 12))
    series, _dates = make_series(make_resource(uni_a), requester, [at(26, 10)])
    auth.login(manager_b)
    assert client.post(f"/manage/requests/{theirs.id}/approve").status_code == 404
    assert client.get(f"/manage/requests/{theirs.id}/reject").status_code == 404
    assert client.post(f"/manage/requests/{theirs.id}/reject", data={"reason": "no"}).status_code == 404
    assert client.post(f"/manage/series/{series.id}/approve").status_code == 404
    assert client.get(f"/manage/series/{series.id}/reject").status_code == 404
    bulk = client.post(
        "/manage/requests/bulk", data={"booking_ids": [str(ours.id), str(theirs.id)], "action": "approve"}
    )
    assert bulk.status_code == 404
    assert client.get(f"/manage/?university={uni_a.id}").status_code == 404
    assert statuses(theirs, ours) == [BookingStatus.PENDING, BookingStatus.PENDING]


def test_the_service_refuses_another_universitys_booking_as_not_found(uni_a, manager_b, requester):
    theirs = pending(make_resource(uni_a), requester, at(25, 10))
    with pytest.raises(bookings.NotFound):
        approvals.approve(manager_b, theirs.id, now=NOW)
    with pytest.raises(bookings.NotFound):
        approvals.reject_many(manager_b, [theirs.id], reason="No", now=NOW)
    assert statuses(theirs) == [BookingStatus.PENDING]


# --- deciding one ------------------------------------------------------------------------------------


def test_approving_confirms_stores_the_decision_audits_and_tells_the_requester(
    client, auth, uni_a, manager_a, requester
):
    booking = pending(make_resource(uni_a), requester, at(25, 10))
    auth.login(manager_a)
    response = client.post(f"/manage/requests/{booking.id}/approve", headers=EN)
    assert response.status_code == 302
    done = fresh(Booking, booking.id)
    assert done.status == BookingStatus.CONFIRMED
    assert done.decided_by_id == manager_a.id
    assert done.decided_at == NOW
    assert [n.booking_id for n in notifications(requester, "booking_approved")] == [booking.id]
    [event] = events("booking.approved")
    assert (event.target_id, event.actor_id, event.university_id) == (booking.id, manager_a.id, uni_a.id)
    assert "Approved:" in client.get("/manage/", headers=EN).get_data(as_text=True)


def test_declining_needs_a_reason(client, auth, uni_a, manager_a, requester):
    booking = pending(make_resource(uni_a), requester, at(25, 10))
    auth.login(manager_a)
    response = client.post(f"/manage/requests/{booking.id}/reject", data={"reason": "  "}, headers=EN)
    assert response.status_code == 422
    assert "Give the reason for declining; the requester reads it." in response.get_data(as_text=True)
    assert statuses(booking) == [BookingStatus.PENDING]
    with pytest.raises(Refused) as refused:
        approvals.reject(manager_a, booking.id, reason="", now=NOW)
    assert refused.value.codes == {"reason_required"}


def test_declining_stores_the_reason_and_tells_the_requester(client, auth, uni_a, manager_a, requester):
    booking = pending(make_resource(uni_a), requester, at(25, 10))
    auth.login(manager_a)
    response = client.post(
        f"/manage/requests/{booking.id}/reject", data={"reason": "The court is reserved for exams."}
    )
    assert response.status_code == 302
    done = fresh(Booking, booking.id)
    assert done.status == BookingStatus.REJECTED
    assert done.decision_note == "The court is reserved for exams."
    assert done.decided_by_id == manager_a.id
    [note] = notifications(requester, "booking_rejected")
    assert note.params["note"] == "The court is reserved for exams."
    [event] = events("booking.rejected")
    assert event.university_id == uni_a.id
    assert event.details["note"] == "The court is reserved for exams."
    # The requester sees the manager's note on the booking page.
    auth.logout()
    auth.login(requester)
    page = client.get(f"/bookings/{booking.id}", headers=EN).get_data(as_text=True)
    assert "The court is reserved for exams." in page


def test_a_decided_request_cannot_be_decided_again(uni_a, manager_a, requester):
    booking = pending(make_resource(uni_a), requester, at(25, 10))
    approvals.approve(manager_a, booking.id, now=NOW)
    with pytest.raises(Refused) as refused:
        approvals.approve(manager_a, booking.id, now=NOW)
    assert refused.value.codes == {"not_pending"}
    with pytest.raises(Refused):
        approvals.reject(manager_a, booking.id, reason="Changed my mind", now=NOW)
    assert statuses(booking) == [BookingStatus.CONFIRMED]


# --- the re-checks -----------------------------------------------------------------------------------


def test_approval_refuses_to_over_fill_a_shared_facility(client, auth, uni_a, manager_a, requester):
    room = make_resource(uni_a, mode=Mode.SHARED, capacity=3, name_en="Reading room")
    make_booking(room, make_user(), at(25, 10), at(25, 12), party_size=1)
    first = pending(room, requester, at(25, 10), party_size=2)
    second = pending(room, make_user(), at(25, 10, 30), party_size=1)
    auth.login(manager_a)
    assert client.post(f"/manage/requests/{first.id}/approve").status_code == 302
    response = client.post(f"/manage/requests/{second.id}/approve", headers=EN, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Not approved:" in page
    assert "This time is fully booked." in page
    assert statuses(first, second) == [BookingStatus.CONFIRMED, BookingStatus.PENDING]
    assert notifications(second.user, "booking_approved") == []


def test_approval_refuses_a_booking_inside_a_closure_added_after_the_request(uni_a, manager_a, requester):
    court = make_resource(uni_a)
    booking = pending(court, requester, at(25, 10))
    make_exam_week(court, at(25, 0), at(26, 0))
    with pytest.raises(Refused) as refused:
        approvals.approve(manager_a, booking.id, now=NOW)
    assert refused.value.codes == {"closed"}
    assert statuses(booking) == [BookingStatus.PENDING]
    assert events("booking.approved") == []


def test_a_whole_university_closure_also_refuses_approval(uni_a, manager_a, requester):
    court = make_resource(uni_a)
    booking = pending(court, requester, at(25, 10))
    make_closure(court, at(25, 0), at(26, 0), resource_id=None)
    with pytest.raises(Refused) as refused:
        approvals.approve(manager_a, booking.id, now=NOW)
    assert "closed" in refused.value.codes


def test_a_request_whose_time_has_passed_is_not_approved(uni_a, manager_a, requester):
    booking = pending(make_resource(uni_a), requester, at(24, 8))
    with pytest.raises(Refused) as refused:
        approvals.approve(manager_a, booking.id, now=NOW)
    assert refused.value.codes == {"in_past"}


def test_approval_weighs_the_changeover_buffer_set_since_the_request(uni_a, manager_a, requester):
    court = make_resource(uni_a)
    booking = pending(court, requester, at(25, 10))
    make_booking(court, make_user(), at(25, 11), at(25, 12))
    court.policy.buffer_minutes = 30  # raised after the request: 10-11 now blocks the court until 11:30
    db.session.commit()
    with pytest.raises(Refused) as refused:
        approvals.approve(manager_a, booking.id, now=NOW)
    assert refused.value.codes == {"conflict"}


def test_rules_broken_since_the_request_do_not_block_approval(uni_a, manager_a, requester):
    # A manager decides knowingly; only what makes the booking impossible refuses it.
    court = make_resource(uni_a, policy={"max_minutes": 60})
    booking = pending(court, requester, at(25, 10), hours=2)
    assert approvals.approve(manager_a, booking.id, now=NOW).status == BookingStatus.CONFIRMED


# --- series and bulk ---------------------------------------------------------------------------------


def test_approving_a_series_approves_its_pending_dates_and_reports_the_rest(
    client, auth, uni_a, manager_a, requester
):
    room = make_resource(uni_a, mode=Mode.SHARED, capacity=2, kind=ResourceKind.LIBRARY)
    series, dates = make_series(room, requester, [at(25, 10), at(26, 10), at(27, 10)], party_size=1)
    make_booking(room, make_user(), at(26, 10), at(26, 11), party_size=2)  # the 26th is full
    auth.login(manager_a)
    response = client.post(f"/manage/series/{series.id}/approve", headers=EN, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "2 requests approved." in page
    assert "Not decided:" in page and "fully booked" in page
    assert statuses(*dates) == [BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.CONFIRMED]
    # One message for the series, not one per date.
    assert notifications(requester, "booking_approved") == []
    (told,) = notifications(requester, "series_approved")
    assert told.params["dates"] == 2


def test_declining_a_series_declines_every_pending_date_with_the_reason(
    client, auth, uni_a, manager_a, requester
):
    series, dates = make_series(make_resource(uni_a), requester, [at(25, 10), at(26, 10)])
    auth.login(manager_a)
    form = client.get(f"/manage/series/{series.id}/reject", headers=EN).get_data(as_text=True)
    assert "Decline the whole series" in form
    assert client.post(f"/manage/series/{series.id}/reject", data={"reason": ""}).status_code == 422
    response = client.post(f"/manage/series/{series.id}/reject", data={"reason": "Term has ended"})
    assert response.status_code == 302
    assert statuses(*dates) == [BookingStatus.REJECTED, BookingStatus.REJECTED]
    (told,) = notifications(requester, "series_rejected")
    assert (told.params["note"], told.params["dates"]) == ("Term has ended", 2)


def test_bulk_approval_approves_what_it_can_and_says_what_it_could_not(client, auth, uni_a, manager_a):
    room = make_resource(uni_a, mode=Mode.SHARED, capacity=1, name_en="Study booth")
    people = [make_user(display_name=f"Person {n}") for n in range(3)]
    first = pending(room, people[0], at(25, 10), created_at=NOW - timedelta(hours=3))
    rival = pending(room, people[1], at(25, 10), created_at=NOW - timedelta(hours=2))
    other = pending(room, people[2], at(25, 15), created_at=NOW - timedelta(hours=1))
    untouched = pending(room, people[2], at(26, 15))
    auth.login(manager_a)
    response = client.post(
        "/manage/requests/bulk",
        data={"booking_ids": [str(first.id), str(rival.id), str(other.id)], "action": "approve"},
        headers=EN,
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "2 requests approved." in page
    assert "Not decided:" in page and "Person 1" in page
    assert statuses(first, rival, other, untouched) == [
        BookingStatus.CONFIRMED,  # the older request of the two wins the place
        BookingStatus.PENDING,
        BookingStatus.CONFIRMED,
        BookingStatus.PENDING,
    ]


def test_bulk_decline_needs_a_reason_and_a_selection(client, auth, uni_a, manager_a, requester):
    court = make_resource(uni_a)
    a, b = pending(court, requester, at(25, 10)), pending(court, requester, at(25, 12))
    auth.login(manager_a)
    no_reason = client.post(
        "/manage/requests/bulk",
        data={"booking_ids": [str(a.id), str(b.id)], "action": "reject", "reason": ""},
        headers=EN,
        follow_redirects=True,
    )
    assert "Give the reason for declining; the requesters read it." in no_reason.get_data(as_text=True)
    nothing = client.post(
        "/manage/requests/bulk", data={"action": "approve"}, headers=EN, follow_redirects=True
    )
    assert "Tick at least one request." in nothing.get_data(as_text=True)
    assert statuses(a, b) == [BookingStatus.PENDING, BookingStatus.PENDING]
    client.post(
        "/manage/requests/bulk",
        data={"booking_ids": [str(a.id), str(b.id)], "action": "reject", "reason": "Maintenance"},
    )
    assert statuses(a, b) == [BookingStatus.REJECTED, BookingStatus.REJECTED]
    assert len(events("booking.rejected")) == 2


def test_a_bulk_form_with_a_made_up_id_is_404_and_changes_nothing(client, auth, uni_a, manager_a, requester):
    mine = pending(make_resource(uni_a), requester, at(25, 10))
    auth.login(manager_a)
    response = client.post(
        "/manage/requests/bulk", data={"booking_ids": [str(mine.id), "999999"], "action": "approve"}
    )
    assert response.status_code == 404
    assert statuses(mine) == [BookingStatus.PENDING]


def test_the_redirect_after_a_decision_stays_on_the_site(client, auth, uni_a, manager_a, requester):
    booking = pending(make_resource(uni_a), requester, at(25, 10))
    auth.login(manager_a)
    response = client.post(f"/manage/requests/{booking.id}/approve", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/manage/"


def test_every_decision_is_in_the_audit_log_with_the_university(uni_a, manager_a, requester):
    court = make_resource(uni_a)
    a, b = pending(court, requester, at(25, 10)), pending(court, requester, at(25, 12))
    approvals.approve(manager_a, a.id, now=NOW, note="Enjoy")
    approvals.reject(manager_a, b.id, reason="Full day event", now=NOW)
    db.session.rollback()
    rows = db.session.execute(
        sa.text("select action, university_id, actor_id from audit_event order by id")
    ).all()
    assert [tuple(r) for r in rows] == [
        ("booking.approved", uni_a.id, manager_a.id),
        ("booking.rejected", uni_a.id, manager_a.id),
    ]
    assert re.search("Enjoy", str(notifications(requester, "booking_approved")[0].params))


def test_declining_a_request_gives_its_place_to_the_waitlist(uni_a, manager_a, requester):
    from booking.services import waitlist

    booth = make_resource(uni_a, mode=Mode.SHARED, capacity=1)
    request = pending(booth, requester, at(25, 10))
    waiting = make_user(display_name="Next in line")
    waitlist.join(waiting, booth.id, at(25, 10), at(25, 11), now=NOW)
    approvals.reject(manager_a, request.id, reason="Room reserved for a lecture", now=NOW)
    db.session.rollback()
    [promoted] = db.session.scalars(sa.select(Booking).where(Booking.user_id == waiting.id)).all()
    assert promoted.status == BookingStatus.CONFIRMED
    assert [n.kind for n in notifications(waiting)] == ["waitlist_promoted"]
