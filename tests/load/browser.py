"""One person's browser over plain HTTP: cookies, the CSRF token scraped from forms, the real login.

The server runs the production configuration, whose session cookie is marked Secure; on loopback over
plain HTTP this browser sends it anyway (as a TLS-terminating proxy would make possible). Every request
opens its own connection: gunicorn's sync workers close each one after answering.
"""

import http.client
import re
from dataclasses import dataclass
from datetime import date
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

_CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
_VALUE = re.compile(r"\bvalue=\"([^\"]+)\"")
_VIOLATION_CODE = re.compile(r"data-code=\"([a-z_]+)\"")
FRIENDLY_ERROR = "Something went wrong on our side"


@dataclass(frozen=True)
class Page:
    status: int
    location: str
    body: str

    @property
    def codes(self) -> list[str]:
        """The refusal's violation codes, as the booking form lists them."""
        return _VIOLATION_CODE.findall(self.body)

    @property
    def booking_id(self) -> int | None:
        """The booking a successful request redirected to (/bookings/<id>)."""
        match = re.fullmatch(r"/bookings/(\d+)", urlsplit(self.location).path)
        return int(match.group(1)) if match else None


class Browser:
    def __init__(self, base_url: str, *, timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Page:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {"Accept-Language": "en", "User-Agent": "ccb-load-test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for header in response.headers.get_all("Set-Cookie") or ():
                self._remember(header)
            page = Page(response.status, response.headers.get("Location", ""), text)
        finally:
            connection.close()
        token = _csrf_token(page.body)
        if token:
            self.csrf_token = token
        return page

    def _remember(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            if morsel.value and morsel["max-age"] != "0":
                self.cookies[name] = morsel.value
            else:
                self.cookies.pop(name, None)

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Page:
        return self.request("POST", path, {"csrf_token": self.csrf_token, **form})

    def log_in(self, email: str, password: str, *, then: str = "/") -> None:
        """Log in through the form, then open `then` for a CSRF token tied to the new session."""
        self.get("/login")
        page = self.post("/login", {"email": email, "password": password, "next": ""})
        if page.status != 302:
            raise AssertionError(f"login of {email} answered {page.status}")
        page = self.get(then)
        if page.status != 200 or not self.csrf_token:
            raise AssertionError(f"{then} answered {page.status} after login")

    def book(self, resource_id: int, day: date, start: str, end: str, party_size: int = 1) -> Page:
        return self.post(
            f"/facilities/{resource_id}/book",
            {
                "day": day.isoformat(),
                "start_time": start,
                "end_time": end,
                "party_size": str(party_size),
                "purpose": "load test",
                "action": "book",
            },
        )


def _csrf_token(html: str) -> str | None:
    field = _CSRF_INPUT.search(html)
    if field is None:
        return None
    value = _VALUE.search(field.group(0))
    return value.group(1) if value else None
