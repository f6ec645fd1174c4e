"""The public REST API, /api/v1: JSON, authenticated by personal access tokens, described by OpenAPI 3.1
(flask-smorest) at /api/v1/openapi.json, with its documentation page at /api/v1/docs.

Conventions: problem+json errors (problems.py), cursor pagination, ETag/If-None-Match on reads,
Idempotency-Key on POSTs (auth.py), RateLimit headers, RFC 3339 times with offsets."""

import copy
import time
from typing import Any

from flask import Flask, Response, current_app, request
from flask_smorest import Api

from booking.extensions import limiter
from booking.web.api import (
    city_routes,
    docs,
    manage_routes,  # noqa: F401  (its operations join routes.manage_bp)
    problems,
    routes,
    schemas,
)

TITLE = "Campus–City Booking API"
VERSION = "1.0"
SPEC_PATH = "/api/v1/openapi.json"


class _Api(Api):
    """flask-smorest's Api without its app-wide JSON error handler: the app's own handlers answer pages with
    pages and /api with problem+json (booking/web/errors.py)."""

    ERROR_SCHEMA = schemas.Problem

    def _register_error_handlers(self) -> None:
        pass


def register(app: Flask) -> None:
    app.config.setdefault("API_TITLE", TITLE)
    app.config.setdefault("API_VERSION", VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("API_LIMIT", "600 per minute;10000 per hour")
    api = _Api()
    app.extensions["api_v1"] = api
    api.init_app(
        app,
        spec_kwargs={
            "info": {
                "description": (
                    "Book Jiaozuo's shared university facilities. Send a personal access token (made on your "
                    "profile page) as `Authorization: Bearer <token>`."
                )
            },
            "security": [{"token": []}],
        },
    )
    api.spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer", "description": "a personal access token (ccb_...)"}
    )
    for blueprint in (*routes.BLUEPRINTS, *city_routes.BLUEPRINTS):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)
    app.after_request(_conventions)


def spec() -> dict[str, Any]:
    """The OpenAPI document: flask-smorest's, with problem+json errors and the Idempotency-Key header."""
    document = copy.deepcopy(current_app.extensions["api_v1"].spec.to_dict())
    document.setdefault("servers", [{"url": request.host_url.rstrip("/")}])
    problem = {"$ref": "#/components/schemas/Problem"}
    responses = document.setdefault("components", {}).setdefault("responses", {})
    for response in responses.values():
        response["content"] = {problems.MEDIA_TYPE: {"schema": problem}}
    for path in document.get("paths", {}).values():
        for method, operation in path.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            answers = operation.setdefault("responses", {})
            for code, answer in answers.items():
                if (code == "default" or code.startswith(("4", "5"))) and "content" in answer:
                    answer["content"] = {problems.MEDIA_TYPE: {"schema": problem}}
            answers["default"] = {
                "description": "A problem (RFC 9457): status, type, title and detail in your language",
                "content": {problems.MEDIA_TYPE: {"schema": problem}},
            }
            if method == "post":
                operation.setdefault("parameters", []).append(
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "Send the same key again for the first answer; nothing more is done",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[!-~]+$"},
                    }
                )
    return document


def _conventions(response: Response) -> Response:
    """ETag on reads (304 for a matching If-None-Match) and the rate limit's state, on every /api answer."""
    if not problems.is_api_request():
        return response
    if request.method == "GET" and response.status_code == 200 and not response.direct_passthrough:
        response.add_etag()
        response.headers.setdefault("Cache-Control", "private, no-cache")
        response.make_conditional(request)
    current = limiter.current_limit
    if current is not None:
        response.headers["RateLimit-Limit"] = str(current.limit.amount)
        response.headers["RateLimit-Remaining"] = str(max(0, current.remaining))
        response.headers["RateLimit-Reset"] = str(max(0, int(current.reset_at - time.time())))
    response.vary.add("Authorization")
    response.vary.add("Accept-Language")
    return response


__all__ = ["register", "spec"]
