"""Validation messages in the request's language: a client asking for Chinese reads no English, whether the
message is marshmallow's, webargs' or the schemas' own. And a violation's times carry their offset."""

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from marshmallow import Schema, fields

from booking.services.api_tokens import Scope
from booking.web.api import city_schemas, messages, schemas
from tests.api.api_helpers import bearer, token_for
from tests.factories import local, make_booking, make_resource, make_university, make_user

ENGLISH = re.compile(r"[A-Za-z]{3,}")
# Names a message may quote: the fields and values of the request, which are the same in every language.
QUOTED = re.compile(r"\b(free_on|free_from|free_to|count|until|NUL|UTF|JSON|NaN|null|week|month|term|year)\b")


def _english_left(message: str, values: tuple[str, ...] = ()) -> list[str]:
    text = QUOTED.sub("", message.split("以下之一：")[0])  # the choices are the API's own values
    for value in values:
        text = text.replace(value, "")
    return ENGLISH.findall(text)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/bookings", {"facility": "1", "start": "tomorrow", "end": "2026-11-25T11:00:00", "x": 1}),
        ("/api/v1/bookings", {"facility": 0, "start": None, "party_size": 1e300, "purpose": "a\x00"}),
        ("/api/v1/bookings", {"facility": True, "purpose": "x" * 501, "party_size": "many"}),
        ("/api/v1/bookings", []),
        (
            "/api/v1/series/preview",
            {
                "facility": 1,
                "start": "2026-11-25T10:00:00+08:00",
                "end": "2026-11-25T11:00:00+08:00",
                "repeat": {"frequency": "hourly", "weekdays": [9], "count": 1, "until": "2026-12-01"},
            },
        ),
        ("/api/v1/series/preview", {"repeat": "weekly"}),
        ("/api/v1/webhooks", {"url": "https://door.example.edu.cn/", "events": ["nope"], "enabled": "maybe"}),
        ("/api/v1/universities", {"name_zh": "", "name_en": {"a": 1}, "code": "x" * 40}),
        ("/api/v1/targets/1", {"percent": 101}),
    ],
)
def test_a_chinese_client_reads_no_english(client: FlaskClient, url: str, body) -> None:
    from tests.factories import make_admin

    make_university()
    secret = token_for(make_admin(), Scope.READ, Scope.BOOK, Scope.MANAGE)
    method = client.put if url.startswith("/api/v1/targets") else client.post
    response = method(url, json=body, headers=bearer(secret, **{"Accept-Language": "zh-CN"}))
    assert response.status_code in (400, 422), response.json
    problem = response.json
    assert problem["errors"]
    for error in problem["errors"]:
        assert not _english_left(error["message"], ("hourly", "booking.confirmed")), error
    assert not _english_left(problem["title"]) and not _english_left(problem["detail"].split("：")[0])
    english = method(url, json=body, headers=bearer(secret, **{"Accept-Language": "en"})).json
    assert [e["field"] for e in english["errors"]] == [e["field"] for e in problem["errors"]]
    assert all(ENGLISH.search(e["message"]) for e in english["errors"])


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=x", "kind=castle", "free_on=2026-11-25", "free_on=1999-01-01", "q=" + "x" * 101],
)
def test_a_chinese_client_reads_no_english_in_a_query_either(client: FlaskClient, query: str) -> None:
    secret = token_for(make_user())
    response = client.get(f"/api/v1/facilities?{query}", headers=bearer(secret, **{"Accept-Language": "zh"}))
    assert response.status_code in (400, 422)
    for error in response.json["errors"]:
        assert not _english_left(error["message"], ("gym", "pool", "court", "room", "hall", "lab", "seat")), (
            error
        )


def test_malformed_json_is_told_in_chinese(client: FlaskClient) -> None:
    secret = token_for(make_user())
    response = client.post(
        "/api/v1/bookings",
        data=b"{nope",
        headers=bearer(secret, **{"Content-Type": "application/json", "Accept-Language": "zh-CN"}),
    )
    assert response.status_code == 400
    assert [e["message"] for e in response.json["errors"]] == ["请求正文不是有效的 JSON。"]


def _messages_of(field: fields.Field) -> set[str]:
    found = set(field.error_messages.values())
    if isinstance(field, fields.List):
        found |= _messages_of(field.inner)
    if isinstance(field, fields.Nested) and isinstance(field.nested, type):
        found |= _schema_messages(field.nested())
    return found


def _schema_messages(schema: Schema) -> set[str]:
    found = set(schema.error_messages.values())
    for field in schema.fields.values():
        found |= _messages_of(field)
    return found


def test_every_message_of_every_field_the_api_reads_has_its_translation() -> None:
    templates = set(messages.TEMPLATES)
    missing = set()
    for module in (schemas, city_schemas):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Schema) and value.__module__ == module.__name__:
                missing |= {m for m in _schema_messages(value()) if isinstance(m, str)} - templates
    assert missing == set()


def test_english_messages_stay_as_marshmallow_wrote_them(app: Flask) -> None:
    with app.test_request_context("/api/v1/bookings", headers={"Accept-Language": "en"}):
        refresh()
        for message in (
            "Must be greater than or equal to 1 and less than or equal to 50.",
            "Must be greater than or equal to 2000-01-01.",
            "Not a valid aware datetime.",
            "Must be one of: week, month.",
            "Something we never wrote.",
        ):
            assert messages.translate(message) == message
    with app.test_request_context("/api/v1/bookings", headers={"Accept-Language": "zh-CN"}):
        refresh()  # the outer app context remembers the language of the first request
        assert messages.translate("Must be greater than or equal to 1 and less than or equal to 50.") == (
            "必须大于或等于 1 且小于或等于 50。"
        )
        assert (
            messages.translate("Must be greater than or equal to 2000-01-01.")
            == "必须大于或等于 2000-01-01。"
        )
        assert messages.translate("Not a valid aware datetime.") == "不是有效的带时区偏移的日期时间。"


# --- times in violations ---------------------------------------------------------------------------


def test_a_violations_times_carry_their_offset(client: FlaskClient) -> None:
    court = make_resource()
    make_booking(court, make_user(), local(25, 10))
    start = local(25, 10)
    body = {"facility": court.id, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    refused = client.post("/api/v1/bookings", json=body, headers=bearer(token_for(make_user())))
    assert refused.status_code == 409
    [conflict] = [v for v in refused.json["violations"] if v["code"] == "conflict"]
    assert conflict["values"] == {"start": "2026-11-25T10:00:00+08:00", "until": "2026-11-25T11:00:00+08:00"}
