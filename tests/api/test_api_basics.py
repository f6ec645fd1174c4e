"""The public API: tokens, scopes, problem+json, bookings through the same services as the pages,
idempotency, ETags, languages."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from booking.services import api_tokens
from booking.services.api_tokens import Scope
from models import ApiToken, Booking, BookingStatus, IdempotentAnswer, db
from tests.api.api_helpers import NOW, PROBLEM, bearer, token_for
from tests.factories import local, make_booking, make_manager, make_resource, make_university, make_user


def booking_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Booking))


def slot(day: int = 25, hour: int = 10) -> dict[str, str]:
    start = local(day, hour).astimezone(local(1, 0).tzinfo)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}


def test_a_token_is_stored_only_as_its_digest(app: Flask) -> None:
    user = make_user()
    made = api_tokens.create(user, "door system", {Scope.READ}, now=NOW)
    assert made.secret.startswith("ccb_") and len(made.secret) > 40
    stored = db.session.get(ApiToken, made.token.id)
    assert stored.token_hash == api_tokens.digest(made.secret)
    assert made.secret not in repr(stored.__dict__)


def test_without_a_token_the_api_answers_401_problem(client: FlaskClient) -> None:
    response = client.get("/api/v1/facilities")
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["type"].endswith("/api/v1/problems/unauthenticated")


def test_a_browser_session_does_not_authenticate_the_api(client: FlaskClient, auth) -> None:
    auth.login(make_user())
    assert client.get("/bookings").status_code == 200
    assert client.get("/api/v1/bookings").status_code == 401


def test_a_revoked_token_stops_working(client: FlaskClient) -> None:
    user = make_user()
    secret = token_for(user)
    assert client.get("/api/v1/bookings", headers=bearer(secret)).status_code == 200
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    api_tokens.revoke(user, token.id, now=NOW)
    assert client.get("/api/v1/bookings", headers=bearer(secret)).status_code == 401


def test_profile_page_creates_shows_once_and_revokes_a_token(client: FlaskClient, auth) -> None:
    user = make_user()
    auth.login(user)
    page = client.post("/profile/tokens", data={"name": "portal", "read": "y", "book": "y"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    secret = text.split('id="new-token" class="user-select-all">')[1].split("<")[0]
    assert api_tokens.digest(secret) == token.token_hash and token.scope_set == {"read", "book"}
    assert secret not in client.get("/profile/tokens").get_data(as_text=True)  # shown once
    assert client.get("/api/v1/bookings", headers=bearer(secret)).status_code == 200
    client.post(f"/profile/tokens/{token.id}/revoke")
    assert client.get("/api/v1/bookings", headers=bearer(secret)).status_code == 401


def test_a_token_form_without_scope_or_name_is_refused(client: FlaskClient, auth) -> None:
    user = make_user()
    auth.login(user)
    assert client.post("/profile/tokens", data={"name": "x"}).status_code == 422
    assert client.post("/profile/tokens", data={"name": "", "read": "y"}).status_code == 422
    assert client.post("/profile/tokens", data={"name": "a\x00b", "read": "y"}).status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_nobody_revokes_another_persons_token(client: FlaskClient, auth) -> None:
    owner = make_user()
    token = api_tokens.create(owner, "mine", {Scope.READ}, now=NOW)
    auth.login(make_user())
    assert client.post(f"/profile/tokens/{token.token.id}/revoke").status_code == 404
    db.session.rollback()
    assert db.session.get(ApiToken, token.token.id).revoked_at is None


def test_catalog_lists_facilities_in_both_languages_with_a_cursor(client: FlaskClient) -> None:
    for _ in range(3):
        make_resource()
    secret = token_for(make_user())
    first = client.get("/api/v1/facilities?limit=2", headers=bearer(secret))
    assert first.status_code == 200
    assert len(first.json["items"]) == 2 and first.json["total"] == 3
    assert set(first.json["items"][0]["name"]) == {"zh", "en"}
    second = client.get(
        f"/api/v1/facilities?limit=2&cursor={first.json['next_cursor']}", headers=bearer(secret)
    )
    assert len(second.json["items"]) == 1 and second.json["next_cursor"] is None
    ids = {f["id"] for f in first.json["items"] + second.json["items"]}
    assert len(ids) == 3


def test_a_read_answers_304_to_its_etag(client: FlaskClient) -> None:
    court = make_resource()
    secret = token_for(make_user())
    first = client.get(f"/api/v1/facilities/{court.id}", headers=bearer(secret))
    etag = first.headers["ETag"]
    again = client.get(f"/api/v1/facilities/{court.id}", headers=bearer(secret, **{"If-None-Match": etag}))
    assert again.status_code == 304


def test_availability_gives_cells_with_the_engines_reasons(client: FlaskClient) -> None:
    court = make_resource()
    user = make_user()
    make_booking(court, make_user(), local(24, 10))
    secret = token_for(user)
    week = client.get(f"/api/v1/facilities/{court.id}/availability", headers=bearer(secret)).json
    cells = [c for day in week["days"] for c in day["cells"]]
    states = {c["state"] for c in cells}
    assert {"free", "booked", "past"} <= states
    booked = next(c for c in cells if c["state"] == "booked")
    assert booked["start"].endswith("+00:00")


def test_free_between_search_judges_the_span_for_the_caller(client: FlaskClient) -> None:
    taken, free = make_resource(), make_resource()
    make_booking(taken, make_user(), local(25, 14), local(25, 16))
    secret = token_for(make_user())
    found = client.get(
        "/api/v1/facilities?free_on=2026-11-25&free_from=14:00&free_to=15:00", headers=bearer(secret)
    ).json
    assert [f["id"] for f in found["items"]] == [free.id]
    assert found["items"][0]["bookable"] is True


def test_booking_over_the_api_is_the_same_booking_the_pages_make(client: FlaskClient) -> None:
    court = make_resource()
    user = make_user()
    secret = token_for(user)
    response = client.post("/api/v1/bookings", json={"facility": court.id, **slot()}, headers=bearer(secret))
    assert response.status_code == 201, response.json
    assert response.json["status"] == "confirmed"
    booking = db.session.get(Booking, response.json["id"])
    assert booking.user_id == user.id and booking.status == BookingStatus.CONFIRMED
    mine = client.get("/api/v1/bookings", headers=bearer(secret)).json["items"]
    assert [b["id"] for b in mine] == [booking.id]


def test_a_refused_booking_lists_every_violation_in_the_requested_language(client: FlaskClient) -> None:
    lab = make_resource(policy={"allowed_categories": ["student"], "max_minutes": 60})
    secret = token_for(make_user())
    start = local(25, 10)
    body = {"facility": lab.id, "start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()}
    response = client.post("/api/v1/bookings", json=body, headers=bearer(secret, **{"Accept-Language": "en"}))
    assert response.status_code == 409 and response.mimetype == PROBLEM
    codes = {v["code"] for v in response.json["violations"]}
    assert {"category_not_allowed", "too_long"} <= codes
    assert all(v["message"] and isinstance(v["values"], dict) for v in response.json["violations"])
    chinese = client.post(
        "/api/v1/bookings", json=body, headers=bearer(secret, **{"Accept-Language": "zh-CN"})
    )
    assert chinese.json["title"] != response.json["title"]
    assert booking_count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"facility": 1, "start": "2026-11-25T10:00:00+08:00", "end": "2026-11-25T11:00:00+08:00", "x": 1},
        {"facility": "1", "start": "2026-11-25T10:00:00+08:00", "end": "2026-11-25T11:00:00+08:00"},
        {"facility": 10**30, "start": "2026-11-25T10:00:00+08:00", "end": "2026-11-25T11:00:00+08:00"},
        {"facility": 1, "start": "2026-11-25T10:00:00", "end": "2026-11-25T11:00:00+08:00"},
        {"facility": 1, "start": "9999-12-31T23:59:59-23:59", "end": "9999-12-31T23:59:59+23:59"},
        {
            "facility": 1,
            "start": "2026-11-25T10:00:00+08:00",
            "end": "2026-11-25T11:00:00+08:00",
            "purpose": "a\x00",
        },
        {
            "facility": 1,
            "start": "2026-11-25T10:00:00+08:00",
            "end": "2026-11-25T11:00:00+08:00",
            "party_size": 1e300,
        },
        [],
        "not an object",
    ],
)
def test_hostile_bodies_get_a_problem_and_write_nothing(client: FlaskClient, body) -> None:
    court = make_resource()
    if isinstance(body, dict) and body.get("facility") == 1:
        body = {**body, "facility": court.id}
    secret = token_for(make_user())
    response = client.post("/api/v1/bookings", json=body, headers=bearer(secret))
    assert response.status_code in (400, 409, 422), response.data
    assert response.mimetype == PROBLEM
    assert booking_count() == 0


def test_malformed_json_is_a_400_problem(client: FlaskClient) -> None:
    secret = token_for(make_user())
    response = client.post(
        "/api/v1/bookings", data=b"{nope", headers=bearer(secret, **{"Content-Type": "application/json"})
    )
    assert response.status_code in (400, 422) and response.mimetype == PROBLEM


def test_405_and_404_inside_the_api_are_problems(client: FlaskClient) -> None:
    secret = token_for(make_user())
    assert client.delete("/api/v1/facilities", headers=bearer(secret)).mimetype == PROBLEM
    assert client.get("/api/v1/facilities/99999", headers=bearer(secret)).mimetype == PROBLEM
    assert client.get("/api/v1/facilities/99999999999999", headers=bearer(secret)).status_code == 404


def test_a_repeated_idempotency_key_returns_the_first_booking(client: FlaskClient) -> None:
    court = make_resource()
    secret = token_for(make_user())
    headers = bearer(secret, **{"Idempotency-Key": "order-17"})
    first = client.post("/api/v1/bookings", json={"facility": court.id, **slot()}, headers=headers)
    again = client.post("/api/v1/bookings", json={"facility": court.id, **slot()}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert booking_count() == 1


def test_an_idempotency_key_used_for_another_operation_is_refused(client: FlaskClient) -> None:
    court = make_resource()
    secret = token_for(make_user())
    headers = bearer(secret, **{"Idempotency-Key": "k1"})
    booked = client.post("/api/v1/bookings", json={"facility": court.id, **slot()}, headers=headers).json
    cancel = client.post(f"/api/v1/bookings/{booked['id']}/cancel", json={}, headers=headers)
    assert cancel.status_code == 422 and cancel.mimetype == PROBLEM
    db.session.rollback()
    assert db.session.get(Booking, booked["id"]).status == BookingStatus.CONFIRMED


def test_a_read_token_cannot_book(client: FlaskClient) -> None:
    court = make_resource()
    secret = token_for(make_user(), Scope.READ)
    response = client.post("/api/v1/bookings", json={"facility": court.id, **slot()}, headers=bearer(secret))
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert booking_count() == 0


def test_cancel_move_and_check_in_go_through_the_services(client: FlaskClient) -> None:
    court = make_resource()
    secret = token_for(make_user())
    booked = client.post(
        "/api/v1/bookings", json={"facility": court.id, **slot()}, headers=bearer(secret)
    ).json
    moved = client.post(f"/api/v1/bookings/{booked['id']}/move", json=slot(26, 11), headers=bearer(secret))
    assert moved.status_code == 200, moved.json
    assert moved.json["start"].startswith("2026-11-26T03:00")
    wrong = client.post(
        f"/api/v1/bookings/{booked['id']}/check-in", json={"code": "000000"}, headers=bearer(secret)
    )
    assert wrong.status_code == 409 and wrong.json["violations"]
    cancelled = client.post(f"/api/v1/bookings/{booked['id']}/cancel", json={}, headers=bearer(secret))
    assert cancelled.status_code == 200 and cancelled.json["cancelled"][0]["status"] == "cancelled"


def test_someone_elses_booking_is_not_found(client: FlaskClient) -> None:
    court = make_resource()
    theirs = make_booking(court, make_user(), local(25, 10))
    secret = token_for(make_user())
    assert client.get(f"/api/v1/bookings/{theirs.id}", headers=bearer(secret)).status_code == 404
    response = client.post(f"/api/v1/bookings/{theirs.id}/cancel", json={}, headers=bearer(secret))
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.get(Booking, theirs.id).status == BookingStatus.CONFIRMED


def test_a_series_preview_books_nothing_and_the_series_books_the_dates(client: FlaskClient) -> None:
    court = make_resource()
    secret = token_for(make_user())
    body = {"facility": court.id, **slot(), "repeat": {"frequency": "weekly", "count": 3, "weekdays": [2]}}
    preview = client.post("/api/v1/series/preview", json=body, headers=bearer(secret))
    assert preview.status_code == 200, preview.json
    assert len(preview.json["occurrences"]) == 3
    assert booking_count() == 0
    made = client.post("/api/v1/series", json=body, headers=bearer(secret))
    assert made.status_code == 201, made.json
    assert len(made.json["booked"]) == preview.json["bookable"]


def test_waitlist_join_and_leave(client: FlaskClient) -> None:
    court = make_resource()
    make_booking(court, make_user(), local(25, 10))
    secret = token_for(make_user())
    joined = client.post("/api/v1/waitlist", json={"facility": court.id, **slot()}, headers=bearer(secret))
    assert joined.status_code == 201, joined.json
    left = client.post(f"/api/v1/waitlist/{joined.json['id']}/leave", headers=bearer(secret))
    assert left.status_code == 200 and left.json["status"] == "left"


def test_a_manager_approves_only_at_their_university(client: FlaskClient) -> None:
    ours, theirs = make_university(), make_university()
    hall = make_resource(ours, policy={"approval_categories": ["resident"]})
    other = make_resource(theirs, policy={"approval_categories": ["resident"]})
    requester = make_user()
    pending = make_booking(hall, requester, local(25, 10), status=BookingStatus.PENDING)
    foreign = make_booking(other, requester, local(25, 10), status=BookingStatus.PENDING)
    manager = make_manager(ours)
    secret = token_for(manager, Scope.READ, Scope.MANAGE)
    queue = client.get("/api/v1/approvals", headers=bearer(secret)).json
    assert [item["id"] for item in queue["items"]] == [pending.id]
    assert (
        client.post(f"/api/v1/approvals/{foreign.id}/approve", json={}, headers=bearer(secret)).status_code
        == 404
    )
    approved = client.post(f"/api/v1/approvals/{pending.id}/approve", json={}, headers=bearer(secret))
    assert approved.status_code == 200 and approved.json["status"] == "confirmed"


def test_a_resident_with_a_manage_token_is_still_no_manager(client: FlaskClient) -> None:
    secret = token_for(make_user(), Scope.MANAGE)
    assert client.get("/api/v1/approvals", headers=bearer(secret)).status_code == 403
    assert client.get("/api/v1/reports", headers=bearer(secret)).status_code == 403


def test_a_manager_reads_report_figures(client: FlaskClient) -> None:
    university = make_university()
    make_resource(university)
    secret = token_for(make_manager(university), Scope.MANAGE)
    response = client.get("/api/v1/reports?period=month", headers=bearer(secret))
    assert response.status_code == 200, response.json
    assert response.json["period_start"] <= response.json["period_end"]


def test_the_spec_is_openapi_3_1_and_valid(client: FlaskClient) -> None:
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    for path in spec["paths"].values():
        for method, operation in path.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"]
            if method == "post":
                assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


def test_the_docs_page_serves_swagger_ui_locally(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js" in text and "https://" not in text.split("<body")[1]
    )
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_rate_limit_answers_429_problem_with_retry_after(database_url: str) -> None:
    from tests.conftest import make_app

    limited = make_app(database_url, RATELIMIT_ENABLED=True, API_LIMIT="2 per minute")
    with limited.app_context():
        try:
            secret = token_for(make_user())
            client = limited.test_client()
            answers = [client.get("/api/v1/bookings", headers=bearer(secret)) for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 429]
            assert answers[0].headers["RateLimit-Limit"] == "2"
            assert answers[2].mimetype == PROBLEM and int(answers[2].headers["Retry-After"]) >= 1
        finally:
            db.session.remove()
            from tests.conftest import clear_database

            clear_database()
            db.engine.dispose()


def test_idempotent_answers_are_kept_per_token(client: FlaskClient) -> None:
    court = make_resource()
    secret = token_for(make_user())
    client.post(
        "/api/v1/bookings",
        json={"facility": court.id, **slot()},
        headers=bearer(secret, **{"Idempotency-Key": "a"}),
    )
    kept = db.session.scalars(sa.select(IdempotentAnswer)).all()
    assert len(kept) == 1 and json.loads(kept[0].body)["facility"]["id"] == court.id


def test_a_manager_approves_a_whole_series_and_hears_which_dates_could_not_be(client: FlaskClient) -> None:
    from models import Frequency, Series

    university = make_university()
    hall = make_resource(university, policy={"approval_categories": ["resident"]})
    requester = make_user()
    series = Series(
        user_id=requester.id,
        resource_id=hall.id,
        frequency=Frequency.WEEKLY,
        interval=1,
        weekdays=[2],
        count=2,
        local_start=local(25, 10).time(),
        duration_minutes=60,
    )
    db.session.add(series)
    db.session.commit()
    dates = [
        make_booking(hall, requester, local(25, 10), status=BookingStatus.PENDING, series_id=series.id),
        make_booking(
            hall, requester, local(2, 10, month=12), status=BookingStatus.PENDING, series_id=series.id
        ),
    ]
    secret = token_for(make_manager(university), Scope.MANAGE)
    response = client.post(f"/api/v1/series/{series.id}/approve", json={}, headers=bearer(secret))
    assert response.status_code == 200, response.json
    assert sorted(b["id"] for b in response.json["decided"]) == sorted(b.id for b in dates)
    assert response.json["refused"] == []
    other = token_for(make_manager(make_university()), Scope.MANAGE)
    assert (
        client.post(
            f"/api/v1/series/{series.id}/decline", json={"reason": "x"}, headers=bearer(other)
        ).status_code
        == 404
    )


def test_my_waitlist_lists_my_places(client: FlaskClient) -> None:
    court = make_resource()
    make_booking(court, make_user(), local(25, 10))
    secret = token_for(make_user())
    joined = client.post(
        "/api/v1/waitlist", json={"facility": court.id, **slot()}, headers=bearer(secret)
    ).json
    listed = client.get("/api/v1/waitlist", headers=bearer(secret)).json["items"]
    assert [entry["id"] for entry in listed] == [joined["id"]]


def test_the_create_token_command_prints_a_working_token(client: FlaskClient, runner) -> None:
    user = make_user(email="door@example.com")
    result = runner.invoke(args=["create-token", "--email", "Door@Example.com", "--scope", "read"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert client.get("/api/v1/bookings", headers=bearer(secret)).status_code == 200
    assert db.session.scalar(sa.select(ApiToken.scopes).where(ApiToken.user_id == user.id)) == "read"
    missing = runner.invoke(args=["create-token", "--email", "nobody@example.com"])
    assert missing.exit_code != 0
