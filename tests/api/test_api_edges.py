"""Dates at the edges of the calendar, over the API: a 4xx problem or an answer, never a 500."""

import pytest
from flask.testing import FlaskClient

from booking.services.api_tokens import Scope
from tests.api.api_helpers import bearer, token_for
from tests.factories import make_manager, make_resource, make_university

EDGES = ["0001-01-01", "9999-12-31"]


@pytest.mark.parametrize("day", EDGES)
def test_reads_at_the_calendars_edges_never_fail(client: FlaskClient, day: str) -> None:
    university = make_university()
    court = make_resource(university)
    secret = token_for(make_manager(university), Scope.READ, Scope.BOOK, Scope.MANAGE)
    urls = [
        f"/api/v1/facilities/{court.id}/availability?week={day}",
        f"/api/v1/facilities?free_on={day}&free_from=10:00&free_to=11:00",
        f"/api/v1/reports?on={day}",
        f"/api/v1/reports?on={day}&period=year",
        f"/api/v1/reports/export?on={day}&period=year&format=xlsx",
        f"/api/v1/audit?date_from={day}&date_to={day}",
    ]
    for url in urls:
        response = client.get(url, headers=bearer(secret))
        assert response.status_code < 500, (url, response.status_code)
        assert response.status_code == 200 or response.mimetype == "application/problem+json", url


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00+14:00"),
        ("9999-12-31T22:00:00-14:00", "9999-12-31T23:00:00-14:00"),
        ("2026-11-25T10:00:00+08:00", "2026-11-25T10:00:00+08:00"),
        ("2026-11-25T11:00:00+08:00", "2026-11-25T10:00:00+08:00"),
    ],
)
def test_writes_at_the_calendars_edges_are_refused_cleanly(client: FlaskClient, start: str, end: str) -> None:
    court = make_resource()
    secret = token_for(make_manager(court.university))
    for url, body in [
        ("/api/v1/bookings", {"facility": court.id, "start": start, "end": end}),
        ("/api/v1/waitlist", {"facility": court.id, "start": start, "end": end}),
        (
            "/api/v1/series/preview",
            {"facility": court.id, "start": start, "end": end, "repeat": {"frequency": "daily", "count": 3}},
        ),
        (
            "/api/v1/series/preview",
            {
                "facility": court.id,
                "start": start,
                "end": end,
                "repeat": {"frequency": "weekly", "until": "9999-12-31"},
            },
        ),
    ]:
        response = client.post(url, json=body, headers=bearer(secret))
        assert 400 <= response.status_code < 500, (url, body, response.status_code, response.data[:300])
        assert response.mimetype == "application/problem+json"
