"""RFC 9457 problem details for every error under /api: the service error family by the one `STATUS` table of
booking/web/errors.py, HTTP errors (400, 404, 405, 413, 429) and request-validation errors, each with a stable
`type`, a title and detail in the requested language, and a refused booking's every violation."""

import enum
import math
from datetime import date, datetime, time
from typing import Any

from flask import Response, current_app, json, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from booking import engine
from booking.engine.localtime import zone
from booking.services.errors import Invalid, NotAllowed, NotFound, Refused, ServiceError
from booking.web.api import messages as messages_
from booking.web.errors import MESSAGES, TITLES, _seconds_until_allowed, _text, status_of
from booking.web.labels import format_param, render_violation

MEDIA_TYPE = "application/problem+json"
PREFIX = "/api/"

# The stable `type` of each kind of problem: its code, under /api/v1/problems/ (documented in the spec).
CODES: dict[type[ServiceError], str] = {
    NotFound: "not-found",
    NotAllowed: "not-allowed",
    Invalid: "invalid",
    Refused: "refused",
}
HTTP_CODES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "not-allowed",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
    429: "too-many-requests",
    500: "server-error",
}
EXTRA_TITLES = {
    401: _l("Not signed in"),
    406: _l("Not acceptable"),
    412: _l("Precondition failed"),
    415: _l("Unsupported media type"),
    500: _l("Server error"),
}
UNAUTHENTICATED = _l("Send a valid personal access token: “Authorization: Bearer <token>”.")


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def type_uri(code: str) -> str:
    return f"{request.host_url.rstrip('/')}/api/v1/problems/{code}"


def json_value(value: Any, timezone: str | None = None) -> Any:
    """A violation parameter as plain JSON: instants in RFC 3339 with their offset (the engine's local times
    are in the facility's zone, `timezone`, else the platform's), names in both languages, the rest as
    text."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone(timezone or current_app.config["BABEL_DEFAULT_TIMEZONE"]))
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, engine.LocalizedName):
        return {"zh": value.zh, "en": value.en}
    if isinstance(value, frozenset | set | list | tuple):
        return (
            [json_value(v, timezone) for v in sorted(value, key=str)]
            if isinstance(value, set | frozenset)
            else [json_value(v, timezone) for v in value]
        )
    return format_param(value)


def violation_json(violation: Any, timezone: str | None = None) -> dict[str, Any]:
    """A violation with its code, its message in the requested language and its values; `timezone` is the
    facility's, where the caller knows it."""
    return {
        "code": violation.code,
        "message": render_violation(violation),
        "values": {key: json_value(value, timezone) for key, value in violation.params.items()},
    }


def problem(status: int, code: str, detail: str | None = None, **extra: Any) -> Response:
    title = TITLES.get(status) or EXTRA_TITLES.get(status) or _l("Error")
    body: dict[str, Any] = {"type": type_uri(code), "title": str(title), "status": status}
    body["detail"] = detail or str(MESSAGES.get(status) or title)
    body.update(extra)
    response = current_app.response_class(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers["Content-Language"] = "en" if _("Not valid") == "Not valid" else "zh-CN"
    return response


def service_problem(error: ServiceError) -> Response:
    status = status_of(error)
    code = next((CODES[kind] for kind in type(error).__mro__ if kind in CODES), "error")
    if isinstance(error, Refused):
        violations = [violation_json(v) for v in error.violations]
        if len(violations) == 1:
            code = f"refused/{error.violations[0].code}"
        return problem(
            status, code, " ".join(v["message"] for v in violations) or None, violations=violations
        )
    if isinstance(error, Invalid):
        errors = [{"field": field, "message": _text(message)} for field, message in error.errors]
        detail = " ".join(str(e["message"]) for e in errors)
        return problem(status, code, detail or None, errors=errors)
    message = getattr(error, "message", None)
    return problem(status, code, _text(message) if message is not None else None)


def http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    code = HTTP_CODES.get(status, "error")
    data = getattr(error, "data", None) or {}
    extra: dict[str, Any] = {}
    detail = None
    messages = data.get("errors") or data.get("messages")
    if isinstance(messages, dict):
        # webargs/marshmallow through flask-smorest: {"json": {"field": ["message", ...]}, "query": {...}}
        extra["errors"] = _field_errors(messages)
        detail = _(
            "Some fields are not valid: %(fields)s.", fields=", ".join(e["field"] for e in extra["errors"])
        )
    elif status == 401:
        detail = str(UNAUTHENTICATED)
    elif error.description and error.description != type(error).description and status != 429:
        detail = str(error.description)
    response = problem(status, code, detail, **extra)
    if status == 429:
        response.headers["Retry-After"] = str(_seconds_until_allowed())
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow's nested messages into [{"field": "json.start", "message": ...}]."""
    found: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            found += _field_errors(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list | tuple):
        for value in messages:
            if isinstance(value, str):
                found.append({"field": prefix, "message": messages_.translate(value)})
            else:
                found += _field_errors(value, prefix)
    else:
        found.append({"field": prefix, "message": messages_.translate(str(messages))})
    return found
