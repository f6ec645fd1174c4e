"""The managers' operations over the API: facilities, hours, rules, quotas, closures, bulk decisions, booking
on someone's behalf, the desk and suspensions; each through the page's service, scoped to the manager's
university (another's is a 404), refused for tokens without `manage` or people without the role (403),
and bad input a 4xx problem that writes nothing."""

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from booking.services.api_tokens import Scope
from models import (
    ApplicationForm,
    AuditEvent,
    Booking,
    BookingStatus,
    Closure,
    Notification,
    Organization,
    Quota,
    Resource,
    User,
    db,
)
from tests.api.api_helpers import NOW, PROBLEM, bearer, count, token_for
from tests.factories import (
    local,
    make_admin,
    make_booking,
    make_closure,
    make_manager,
    make_quota,
    make_resource,
    make_university,
    make_user,
)


def manage_token(user: User) -> str:
    return token_for(user, Scope.READ, Scope.MANAGE)


def call(client: FlaskClient, method: str, path: str, secret: str, body: Any = None, **headers: str):
    return client.open(f"/api/v1{path}", method=method, json=body, headers=bearer(secret, **headers))


def written() -> tuple[int, ...]:
    """Everything a managers' operation may write: rows, and the audit log that records each change."""
    return tuple(
        count(m) for m in (Resource, Quota, Closure, Booking, Notification, ApplicationForm, AuditEvent)
    )


FACILITY = {
    "name": {"zh": "新球场", "en": "New court"},
    "kind": "sports_venue",
    "mode": "exclusive",
    "capacity": 4,
    "slot_minutes": 60,
    "campus": {"zh": "南校区", "en": "South campus"},
    "tags": ["Lights", "lights", "showers"],
}
RULES = {
    "allowed_categories": ["resident", "student"],
    "approval_categories": ["resident"],
    "min_minutes": 60,
}


# --- facilities --------------------------------------------------------------------------------------


def test_a_manager_creates_describes_opens_and_closes_a_facility(client: FlaskClient) -> None:
    university = make_university()
    secret = manage_token(make_manager(university))
    made = call(client, "POST", "/manage/facilities", secret, FACILITY)
    assert made.status_code == 201, made.json
    facility = made.json
    assert facility["university"]["id"] == university.id and facility["active"] is False
    assert facility["tags"] == ["lights", "showers"] and facility["campus"] == {
        "zh": "南校区",
        "en": "South campus",
    }
    path = f"/manage/facilities/{facility['id']}"

    edited = call(
        client, "PUT", path, secret, {**FACILITY, "capacity": 6, "name": {"zh": "球场", "en": "Court"}}
    )
    assert edited.status_code == 200 and edited.json["capacity"] == 6 and edited.json["name"]["en"] == "Court"
    hours = call(
        client,
        "PUT",
        f"{path}/hours",
        secret,
        {
            "hours": [
                {"weekday": 0, "opens": "08:00", "closes": "12:00"},
                {"weekday": 0, "opens": "14:00", "closes": "00:00"},
            ]
        },
    )
    assert hours.status_code == 200
    assert [(h["opens"], h["closes"]) for h in hours.json["hours"]] == [
        ("08:00:00", "12:00:00"),
        ("14:00:00", "00:00:00"),
    ]
    rules = call(client, "PUT", f"{path}/rules", secret, RULES)
    assert rules.status_code == 200
    assert (
        rules.json["rules"]["approval_categories"] == ["resident"]
        and rules.json["rules"]["min_minutes"] == 60
    )
    assert call(client, "POST", f"{path}/activate", secret).json["active"] is True
    assert call(client, "GET", path, secret).json["active"] is True
    assert call(client, "POST", f"{path}/deactivate", secret).json["active"] is False
    db.session.rollback()
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[1:] == [  # after the token's creation, each change audited as the pages audit it
        "facility.created",
        "facility.updated",
        "hours.updated",
        "policy.updated",
        "facility.updated",
        "facility.updated",
    ]


def test_the_facility_list_is_the_managers_university_and_the_city_office_sees_every_one(
    client: FlaskClient,
) -> None:
    ours, theirs = make_university(), make_university()
    mine = [make_resource(ours).id, make_resource(ours, active=False).id]
    other = make_resource(theirs).id
    secret = manage_token(make_manager(ours))
    listed = call(client, "GET", "/manage/facilities?limit=1", secret).json
    following = call(client, "GET", f"/manage/facilities?limit=1&cursor={listed['next_cursor']}", secret).json
    assert sorted(f["id"] for f in listed["items"] + following["items"]) == sorted(mine)
    assert following["next_cursor"] is None
    assert call(client, "GET", f"/manage/facilities?university={theirs.id}", secret).status_code == 404
    assert call(client, "GET", f"/manage/facilities/{other}", secret).status_code == 404
    everything = call(client, "GET", "/manage/facilities", manage_token(make_admin())).json["items"]
    assert {f["id"] for f in everything} == {*mine, other}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/manage/facilities", {**FACILITY, "name": {"zh": " ", "en": "x"}}, "name_zh"),
        ("/manage/facilities", {**FACILITY, "capacity": 0}, "capacity"),
        ("/manage/facilities", {**FACILITY, "timezone": "Mars/Olympus"}, "timezone"),
        ("/manage/facilities", {**FACILITY, "latitude": 91.0}, "latitude"),
        ("{facility}/rules", {**RULES, "min_minutes": 90, "max_minutes": 60}, "max_minutes"),
        ("{facility}/rules", {**RULES, "buffer_minutes": 10**9}, "buffer_minutes"),
        ("{facility}/rules", {**RULES, "allowed_categories": []}, "allowed_categories"),
        ("{facility}/hours", {"hours": [{"weekday": 1, "opens": "10:00", "closes": "09:00"}]}, "day_1"),
        (
            "{facility}/hours",
            {
                "hours": [
                    {"weekday": 2, "opens": "08:00", "closes": "12:00"},
                    {"weekday": 2, "opens": "11:00", "closes": "13:00"},
                ]
            },
            "day_2",
        ),
        ("{facility}/hours", {"hours": [{"weekday": 9, "opens": "08:00", "closes": "12:00"}]}, "hours"),
    ],
)
def test_a_broken_rule_is_a_422_naming_its_field_and_writes_nothing(
    client: FlaskClient, path: str, body: dict, field: str
) -> None:
    university = make_university()
    court = make_resource(university)
    secret = manage_token(make_manager(university))
    before = written()
    method = "POST" if path == "/manage/facilities" else "PUT"
    answer = call(client, method, path.format(facility=f"/manage/facilities/{court.id}"), secret, body)
    assert answer.status_code == 422 and answer.mimetype == PROBLEM, answer.json
    assert answer.json["type"].endswith("/problems/invalid")
    assert field in {e["field"] for e in answer.json["errors"]}
    assert written() == before


def test_another_universitys_facility_is_not_found_for_every_operation(client: FlaskClient) -> None:
    theirs = make_resource(make_university())
    secret = manage_token(make_manager(make_university()))
    before = written()
    path = f"/manage/facilities/{theirs.id}"
    for method, url, body in [
        ("GET", path, None),
        ("PUT", path, FACILITY),
        ("PUT", f"{path}/hours", {"hours": []}),
        ("PUT", f"{path}/rules", RULES),
        ("POST", f"{path}/activate", None),
        ("POST", f"{path}/deactivate", None),
        ("POST", "/manage/facilities", {**FACILITY, "university": theirs.university_id}),
    ]:
        assert call(client, method, url, secret, body).status_code == 404, url
    assert written() == before


# --- quotas ------------------------------------------------------------------------------------------


def test_a_manager_lists_adds_changes_and_deletes_quotas(client: FlaskClient) -> None:
    university = make_university()
    court = make_resource(university)
    secret = manage_token(make_manager(university))
    made = call(
        client,
        "POST",
        "/manage/quotas",
        secret,
        {"category": "student", "facility": court.id, "max_bookings": 3},
    )
    assert made.status_code == 201, made.json
    assert made.json | {"id": 0} == {
        "id": 0,
        "university": university.id,
        "category": "student",
        "facility_kind": None,
        "facility": court.id,
        "scope": "user",
        "period": "week",
        "max_bookings": 3,
        "max_hours": None,
    }
    quota = made.json["id"]
    changed = call(
        client, "PUT", f"/manage/quotas/{quota}", secret, {"facility_kind": "lab", "max_hours": 4.5}
    )
    assert changed.status_code == 200
    assert (changed.json["facility"], changed.json["facility_kind"], changed.json["max_hours"]) == (
        None,
        "lab",
        4.5,
    )
    assert [q["id"] for q in call(client, "GET", "/manage/quotas", secret).json["items"]] == [quota]
    assert call(client, "DELETE", f"/manage/quotas/{quota}", secret).status_code == 204
    assert call(client, "GET", "/manage/quotas", secret).json["items"] == []


def test_quotas_of_another_university_and_broken_quotas_write_nothing(client: FlaskClient) -> None:
    ours, theirs = make_university(), make_university()
    their_court = make_resource(theirs)
    their_quota = make_quota(theirs, max_bookings=2)
    mine = make_quota(ours, max_bookings=2)
    secret = manage_token(make_manager(ours))
    before = written()
    assert call(client, "GET", f"/manage/quotas?university={theirs.id}", secret).status_code == 404
    assert (
        call(client, "PUT", f"/manage/quotas/{their_quota.id}", secret, {"max_bookings": 1}).status_code
        == 404
    )
    assert call(client, "DELETE", f"/manage/quotas/{their_quota.id}", secret).status_code == 404
    foreign = {"facility": their_court.id, "max_bookings": 1}
    assert call(client, "POST", "/manage/quotas", secret, foreign).status_code == 404
    for bad in (
        {},
        {"max_bookings": 0},
        {"max_hours": 0.1},
        {"facility_kind": "lab", "facility": their_court.id, "max_bookings": 1},
    ):
        answer = call(client, "POST", "/manage/quotas", secret, bad)
        assert answer.status_code in (404, 422) and answer.mimetype == PROBLEM, bad
    assert call(client, "PUT", f"/manage/quotas/{mine.id}", secret, {}).status_code == 422
    assert written() == before


# --- closures ----------------------------------------------------------------------------------------


def _closure(court: Resource, **extra: Any) -> dict[str, Any]:
    return {
        "facility": court.id,
        "start": "2026-11-25T00:00:00+08:00",
        "end": "2026-11-26T00:00:00+08:00",
        "reason": {"zh": "维修", "en": "Repairs"},
        **extra,
    }


def test_a_closure_over_bookings_is_previewed_then_added_cancelling_the_chosen_ones(
    client: FlaskClient,
) -> None:
    university = make_university()
    court = make_resource(university)
    owner, other = make_user(), make_user()
    first = make_booking(court, owner, local(25, 10))
    second = make_booking(court, other, local(25, 14))
    make_booking(court, other, local(27, 10))  # outside the closure
    secret = manage_token(make_manager(university))

    preview = call(client, "POST", "/manage/closures/preview", secret, _closure(court))
    assert preview.status_code == 200
    assert [(b["id"], b["cancellable"]) for b in preview.json["covered"]] == [
        (first.id, True),
        (second.id, True),
    ]

    before = written()
    unreviewed = call(client, "POST", "/manage/closures", secret, _closure(court))
    assert unreviewed.status_code == 409 and unreviewed.mimetype == PROBLEM
    assert unreviewed.json["type"].endswith("/problems/refused/closure_covers_bookings")
    assert unreviewed.json["violations"][0]["values"]["bookings"] == [first.id, second.id]
    assert written() == before

    no_reason = call(
        client, "POST", "/manage/closures", secret, _closure(court, cancel_booking_ids=[first.id])
    )
    assert no_reason.status_code == 422 and written() == before

    added = call(
        client,
        "POST",
        "/manage/closures",
        secret,
        _closure(court, cancel_booking_ids=[first.id], cancel_reason="The roof is being repaired."),
    )
    assert added.status_code == 201, added.json
    assert [b["id"] for b in added.json["cancelled"]] == [first.id]
    assert [b["id"] for b in added.json["kept"]] == [second.id]
    assert added.json["closure"]["start"] == "2026-11-24T16:00:00+00:00"
    db.session.rollback()
    assert db.session.get(Booking, first.id).status == BookingStatus.CANCELLED
    told = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == owner.id)).all()
    assert "booking_cancelled_by_closure" in told
    listed = call(client, "GET", "/manage/closures", secret).json["items"]
    assert [c["id"] for c in listed] == [added.json["closure"]["id"]]
    assert call(client, "DELETE", f"/manage/closures/{listed[0]['id']}", secret).status_code == 204
    assert call(client, "GET", "/manage/closures", secret).json["items"] == []


def test_a_closure_over_nothing_or_keeping_everything_needs_no_list(client: FlaskClient) -> None:
    university = make_university()
    court = make_resource(university)
    secret = manage_token(make_manager(university))
    whole = {**_closure(court), "facility": None}
    assert call(client, "POST", "/manage/closures", secret, whole).status_code == 201
    booked = make_booking(court, make_user(), local(25, 10))
    kept = call(client, "POST", "/manage/closures", secret, _closure(court, cancel_booking_ids=[]))
    assert kept.status_code == 201 and [b["id"] for b in kept.json["kept"]] == [booked.id]


def test_closures_of_another_university_are_not_found_and_bad_closures_write_nothing(
    client: FlaskClient,
) -> None:
    ours, theirs = make_university(), make_university()
    court, their_court = make_resource(ours), make_resource(theirs)
    their_closure = make_closure(their_court, local(25, 0), local(26, 0))
    their_booking = make_booking(their_court, make_user(), local(25, 10))
    secret = manage_token(make_manager(ours))
    before = written()
    for method, path, body in [
        ("GET", f"/manage/closures?university={theirs.id}", None),
        ("POST", "/manage/closures/preview", _closure(their_court)),
        ("POST", "/manage/closures", _closure(their_court, cancel_booking_ids=[])),
        ("POST", "/manage/closures", {**_closure(court), "university": theirs.id}),
        (
            "POST",
            "/manage/closures",
            _closure(court, cancel_booking_ids=[their_booking.id], cancel_reason="x"),
        ),
        ("DELETE", f"/manage/closures/{their_closure.id}", None),
    ]:
        assert call(client, method, path, secret, body).status_code == 404, (method, path)
    for bad in (
        _closure(court, end="2026-11-24T00:00:00+08:00"),
        _closure(court, reason={"zh": " ", "en": ""}),
        _closure(court, start="2026-11-25T00:00:00"),
        _closure(court, start="1999-12-31T00:00:00+08:00"),
        _closure(court, reason={"zh": "a\u202eb", "en": "x"}),
    ):
        answer = call(client, "POST", "/manage/closures", secret, bad)
        assert answer.status_code == 422 and answer.mimetype == PROBLEM, (bad, answer.json)
    assert written() == before


# --- bulk decisions, booking for someone -------------------------------------------------------------


def test_bulk_decisions_report_each_request(client: FlaskClient) -> None:
    university = make_university()
    hall = make_resource(university, policy={"approval_categories": ["resident"]})
    first = make_booking(hall, make_user(), local(25, 10), status=BookingStatus.PENDING)
    clash = make_booking(hall, make_user(), local(25, 12))  # already confirmed: nothing to decide
    later = make_booking(hall, make_user(), local(26, 10), status=BookingStatus.PENDING)
    secret = manage_token(make_manager(university))
    approved = call(
        client, "POST", "/approvals/bulk", secret, {"booking_ids": [first.id, clash.id], "action": "approve"}
    )
    assert approved.status_code == 200, approved.json
    assert [b["id"] for b in approved.json["decided"]] == [first.id]
    assert [r["booking"] for r in approved.json["refused"]] == [clash.id]
    assert approved.json["refused"][0]["violations"]
    unexplained = call(
        client, "POST", "/approvals/bulk", secret, {"booking_ids": [later.id], "action": "decline"}
    )
    assert unexplained.status_code == 422
    declined = call(
        client,
        "POST",
        "/approvals/bulk",
        secret,
        {"booking_ids": [later.id], "action": "decline", "reason": "Full."},
    )
    assert [b["status"] for b in declined.json["decided"]] == ["rejected"]


def test_bulk_decisions_with_another_universitys_request_decide_nothing(client: FlaskClient) -> None:
    ours, theirs = make_university(), make_university()
    mine = make_booking(make_resource(ours), make_user(), local(25, 10), status=BookingStatus.PENDING)
    foreign = make_booking(make_resource(theirs), make_user(), local(25, 10), status=BookingStatus.PENDING)
    secret = manage_token(make_manager(ours))
    before = written()
    body = {"booking_ids": [mine.id, foreign.id], "action": "approve"}
    assert call(client, "POST", "/approvals/bulk", secret, body).status_code == 404
    for bad in ({"booking_ids": [], "action": "approve"}, {"booking_ids": [mine.id], "action": "maybe"}):
        assert call(client, "POST", "/approvals/bulk", secret, bad).status_code == 422
    assert written() == before
    db.session.rollback()
    assert db.session.get(Booking, mine.id).status == BookingStatus.PENDING


def test_a_manager_books_for_a_person_found_by_their_exact_address_and_they_are_told(
    client: FlaskClient,
) -> None:
    university = make_university()
    court = make_resource(university, policy={"allowed_categories": ["student"]})
    person = make_user(email="caller@example.com", phone="13800000000")
    secret = manage_token(make_manager(university))
    body = {
        "contact": "Caller@Example.com",
        "facility": court.id,
        "start": "2026-11-25T10:00:00+08:00",
        "end": "2026-11-25T11:00:00+08:00",
        "reason": "Phoned the office",
    }
    made = call(client, "POST", "/manage/bookings", secret, body)
    assert made.status_code == 201, made.json
    db.session.rollback()
    booking = db.session.get(Booking, made.json["id"])
    assert booking.user_id == person.id and booking.status == BookingStatus.CONFIRMED  # the rules overridden
    told = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == person.id)).all()
    assert told == ["booking_made_for_you"]
    again = {
        **body,
        "contact": "138 0000 0000",
        "start": "2026-11-25T12:00:00+08:00",
        "end": "2026-11-25T13:00:00+08:00",
    }
    assert call(client, "POST", "/manage/bookings", secret, again).status_code == 201


def test_booking_for_someone_out_of_reach_or_without_a_reason_writes_nothing(client: FlaskClient) -> None:
    ours, theirs = make_university(), make_university()
    court, their_court = make_resource(ours), make_resource(theirs)
    stranger = make_user()  # no link with our university: found only by the exact address they give
    client_of_ours = make_user()
    make_booking(court, client_of_ours, local(20, 10))
    secret = manage_token(make_manager(ours))
    slot = {"start": "2026-11-25T10:00:00+08:00", "end": "2026-11-25T11:00:00+08:00", "reason": "Phoned"}
    before = written()
    for body, status in [
        ({"person": stranger.id, "facility": court.id, **slot}, 404),
        ({"contact": "nobody@example.com", "facility": court.id, **slot}, 404),
        ({"person": client_of_ours.id, "facility": their_court.id, **slot}, 404),
        ({"person": client_of_ours.id, "facility": court.id, **slot, "reason": ""}, 422),
        ({"person": client_of_ours.id, "contact": "x@example.com", "facility": court.id, **slot}, 422),
        ({"person": client_of_ours.id, "facility": court.id, **slot, "end": slot["start"]}, 409),
    ]:
        answer = call(client, "POST", "/manage/bookings", secret, body)
        assert answer.status_code == status and answer.mimetype == PROBLEM, (body, answer.json)
    assert written() == before


# --- the desk and suspensions --------------------------------------------------------------------------


def test_the_desk_lists_today_and_checks_people_in(client: FlaskClient) -> None:
    university = make_university()
    court = make_resource(university, policy={"checkin_required": True})
    visitor = make_user(display_name="Li Lei")
    now_booking = make_booking(court, visitor, NOW - timedelta(minutes=5), checkin_code="123456")
    tomorrow = make_booking(court, visitor, NOW + timedelta(days=1), checkin_code="654321")
    secret = manage_token(make_manager(university))
    day = call(client, "GET", "/manage/today", secret).json
    assert day["day"] == "2026-11-24"
    assert [(r["id"], r["person"], r["checkin"]["state"]) for r in day["items"]] == [
        (now_booking.id, "Li Lei", "open")
    ]
    checked = call(client, "POST", f"/manage/bookings/{now_booking.id}/check-in", secret, {})
    assert checked.status_code == 200 and checked.json["status"] == "checked_in"
    early = call(client, "POST", f"/manage/bookings/{tomorrow.id}/check-in", secret, {})
    assert early.status_code == 409 and early.json["violations"]


def test_the_desk_of_another_university_is_not_found(client: FlaskClient) -> None:
    ours, theirs = make_university(), make_university()
    theirs_now = make_booking(
        make_resource(theirs), make_user(), NOW - timedelta(minutes=5), checkin_code="111111"
    )
    secret = manage_token(make_manager(ours))
    before = written()
    assert call(client, "GET", f"/manage/today?university={theirs.id}", secret).status_code == 404
    assert call(client, "POST", f"/manage/bookings/{theirs_now.id}/check-in", secret, {}).status_code == 404
    assert (
        call(client, "POST", f"/manage/bookings/{theirs_now.id}/check-in", secret, {"x": 1}).status_code
        == 422
    )
    assert written() == before
    admin = call(client, "GET", "/manage/today", manage_token(make_admin())).json
    assert [r["id"] for r in admin["items"]] == [theirs_now.id]


def test_a_manager_lifts_the_suspension_of_someone_who_missed_their_booking(client: FlaskClient) -> None:
    ours, theirs = make_university(), make_university()
    missed, missed_elsewhere = (
        make_user(suspended_until=NOW + timedelta(days=9)),
        make_user(suspended_until=NOW + timedelta(days=3)),
    )
    make_booking(make_resource(ours), missed, NOW - timedelta(days=2), status=BookingStatus.NO_SHOW)
    make_booking(
        make_resource(theirs), missed_elsewhere, NOW - timedelta(days=2), status=BookingStatus.NO_SHOW
    )
    secret = manage_token(make_manager(ours))
    listed = call(client, "GET", "/manage/suspensions", secret).json["items"]
    assert [p["person"] for p in listed] == [missed.id]
    before = written()
    assert (
        call(client, "POST", f"/manage/people/{missed_elsewhere.id}/lift-suspension", secret, {}).status_code
        == 404
    )
    assert (
        call(
            client, "POST", f"/manage/people/{missed.id}/lift-suspension", secret, {"note": "a\x00"}
        ).status_code
        == 422
    )
    assert written() == before
    lifted = call(client, "POST", f"/manage/people/{missed.id}/lift-suspension", secret, {"note": "Was ill"})
    assert lifted.status_code == 200 and lifted.json["suspended_until"] is None
    again = call(client, "POST", f"/manage/people/{missed.id}/lift-suspension", secret, {})
    assert again.status_code == 409


# --- application forms -----------------------------------------------------------------------------------


QUESTIONS = {
    "questions": [
        {"type": "number", "label": {"zh": "人数", "en": "People"}, "required": True},
        {
            "type": "choice",
            "label": {"zh": "用途", "en": "Use"},
            "choices": [{"zh": "教学", "en": "Teaching"}, {"zh": "科研", "en": "Research"}],
        },
    ],
    "terms": {"zh": "遵守实验室规定。", "en": "Follow the lab rules."},
    "attachment": "optional",
}


def test_a_manager_sets_the_questions_of_a_kind_and_of_a_facility_each_save_a_version(
    client: FlaskClient,
) -> None:
    university = make_university()
    lab = make_resource(university)
    secret = manage_token(make_manager(university))
    empty = call(client, "GET", "/manage/application-forms/lab", secret).json
    assert empty["version"] is None and empty["questions"] == [] and empty["scope"] == "kind:lab"
    first = call(client, "PUT", "/manage/application-forms/lab", secret, QUESTIONS)
    assert first.status_code == 200, first.json
    assert first.json["version"] == 1 and [q["type"] for q in first.json["questions"]] == ["number", "choice"]
    kept = first.json["questions"][0]
    second = call(client, "PUT", "/manage/application-forms/lab", secret, {"questions": [kept]})
    assert second.json["version"] == 2 and second.json["questions"][0]["key"] == kept["key"]
    assert call(client, "GET", "/manage/application-forms/lab", secret).json == second.json
    own = call(client, "PUT", f"/manage/facilities/{lab.id}/application-form", secret, QUESTIONS)
    assert own.status_code == 200 and own.json["scope"] == f"resource:{lab.id}"
    assert call(client, "GET", f"/manage/facilities/{lab.id}/application-form", secret).json == own.json


def test_forms_of_another_university_and_broken_forms_write_nothing(client: FlaskClient) -> None:
    ours, theirs = make_university(), make_university()
    mine, their_lab = make_resource(ours), make_resource(theirs)
    secret = manage_token(make_manager(ours))
    before = written()
    for method, path in [
        ("GET", f"/manage/application-forms/lab?university={theirs.id}"),
        ("PUT", f"/manage/application-forms/lab?university={theirs.id}"),
        ("GET", f"/manage/facilities/{their_lab.id}/application-form"),
        ("PUT", f"/manage/facilities/{their_lab.id}/application-form"),
        ("GET", "/manage/application-forms/spaceship"),
    ]:
        assert call(client, method, path, secret, QUESTIONS if method == "PUT" else None).status_code == 404
    one_choice = {"questions": [{**QUESTIONS["questions"][1], "choices": [{"zh": "一", "en": "One"}]}]}
    for bad in (one_choice, {"terms": {"zh": "只有中文", "en": ""}}, {"attachment": "always"}):
        answer = call(client, "PUT", f"/manage/facilities/{mine.id}/application-form", secret, bad)
        assert answer.status_code == 422 and answer.mimetype == PROBLEM, (bad, answer.json)
    assert written() == before


# --- who may ---------------------------------------------------------------------------------------------


@pytest.fixture
def scene(app: Flask) -> tuple[Organization, dict[str, int]]:
    """A university with a facility, a quota, a closure, and a suspended person's booking now."""
    university = make_university()
    court = make_resource(university)
    person = make_user(suspended_until=NOW + timedelta(days=3))
    return university, {
        "court": court.id,
        "quota": make_quota(university, max_bookings=2).id,
        "closure": make_closure(court, local(25, 0), local(26, 0)).id,
        "booking": make_booking(court, person, NOW, checkin_code="123456").id,
        "person": person.id,
    }


OPERATIONS = [
    ("GET", "/manage/facilities"),
    ("POST", "/manage/facilities"),
    ("GET", "/manage/facilities/{court}"),
    ("PUT", "/manage/facilities/{court}"),
    ("PUT", "/manage/facilities/{court}/hours"),
    ("PUT", "/manage/facilities/{court}/rules"),
    ("POST", "/manage/facilities/{court}/activate"),
    ("POST", "/manage/facilities/{court}/deactivate"),
    ("GET", "/manage/quotas"),
    ("POST", "/manage/quotas"),
    ("PUT", "/manage/quotas/{quota}"),
    ("DELETE", "/manage/quotas/{quota}"),
    ("GET", "/manage/closures"),
    ("POST", "/manage/closures/preview"),
    ("POST", "/manage/closures"),
    ("DELETE", "/manage/closures/{closure}"),
    ("POST", "/approvals/bulk"),
    ("POST", "/manage/bookings"),
    ("GET", "/manage/today"),
    ("POST", "/manage/bookings/{booking}/check-in"),
    ("GET", "/manage/suspensions"),
    ("GET", "/manage/application-forms/lab"),
    ("PUT", "/manage/application-forms/lab"),
    ("GET", "/manage/facilities/{court}/application-form"),
    ("PUT", "/manage/facilities/{court}/application-form"),
    ("POST", "/manage/people/{person}/lift-suspension"),
]


@pytest.mark.parametrize(("method", "template"), OPERATIONS)
def test_without_the_manage_scope_or_the_role_every_operation_is_403_and_writes_nothing(
    client: FlaskClient, scene: tuple[Organization, dict[str, int]], method: str, template: str
) -> None:
    university, ids = scene
    path = template.format(**ids)
    secrets = (
        token_for(make_manager(university), Scope.READ, Scope.BOOK),  # a manager, but no `manage` scope
        token_for(make_user(), Scope.READ, Scope.BOOK, Scope.MANAGE),  # the scope, but no manager
    )
    before = written()
    for secret in secrets:
        answer = call(client, method, path, secret, {} if method in ("POST", "PUT") else None)
        assert answer.status_code == 403 and answer.mimetype == PROBLEM, (path, answer.status_code)
    assert written() == before


HOSTILE = [
    {"name": {"zh": "a\x00", "en": "b"}, "kind": "lab", "mode": "exclusive"},
    {"capacity": 10**30},
    {"capacity": "1"},
    {"latitude": "NaN"},
    {"hours": [{"weekday": 0, "opens": "25:00", "closes": "26:00"}]},
    {"hours": "08:00-12:00"},
    {"allowed_categories": ["nobody"]},
    {"min_minutes": 1.5},
    {"max_hours": 1e309},
    {"facility": -1},
    {"booking_ids": [2**40], "action": "approve"},
    {"start": "2026-02-30T00:00:00+08:00", "end": "9999-12-31T23:59:59-14:00"},
    {"unknown": True},
    [],
    "text",
]


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_bodies_to_every_write_are_a_problem_and_write_nothing(
    client: FlaskClient, scene: tuple[Organization, dict[str, int]], body: Any
) -> None:
    university, ids = scene
    secret = manage_token(make_manager(university))
    before = written()
    for method, template in OPERATIONS:
        if method not in ("POST", "PUT") or template.endswith(("/activate", "/deactivate")):
            continue
        answer = call(client, method, template.format(**ids), secret, body)
        assert answer.status_code in (400, 404, 409, 422), (template, body, answer.status_code, answer.json)
        assert answer.mimetype == PROBLEM
    assert written() == before


def test_a_repeated_idempotency_key_adds_one_closure(client: FlaskClient) -> None:
    university = make_university()
    court = make_resource(university)
    secret = manage_token(make_manager(university))
    headers = {"Idempotency-Key": "closure-1"}
    first = call(client, "POST", "/manage/closures", secret, _closure(court), **headers)
    again = call(client, "POST", "/manage/closures", secret, _closure(court), **headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert count(Closure) == 1


def test_problems_speak_the_callers_language(client: FlaskClient) -> None:
    university = make_university()
    court = make_resource(university)
    make_booking(court, make_user(), local(25, 10))
    secret = manage_token(make_manager(university))
    answer = call(client, "POST", "/manage/closures", secret, _closure(court), **{"Accept-Language": "zh-CN"})
    assert answer.status_code == 409 and answer.headers["Content-Language"] == "zh-CN"
    assert answer.json["violations"][0]["message"] != answer.json["violations"][0]["code"]
