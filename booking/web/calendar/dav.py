"""CalDAV, read only (RFC 4791): a person's bookings as one calendar collection that Apple Calendar,
Thunderbird and other CalDAV clients sync, opened by the same secret token as the personal feed.

    /caldav/<token>/                       the principal, and its calendar home
    /caldav/<token>/bookings/              the calendar: every event of the personal feed
    /caldav/<token>/bookings/<uid>.ics     one event (a calendar object resource, without METHOD)

PROPFIND, REPORT (calendar-query, calendar-multiget), GET and OPTIONS; anything that would write is
refused with 405. The events are the personal feed's, kept per version, so a sync costs what a feed does.
Tokens in these paths are kept out of logs like the feeds' (`routes.RedactFeedTokens`).
"""

import hashlib
from collections.abc import Callable, Iterable
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree as SafeXML
from flask import Blueprint, Response, request
from flask_babel import force_locale
from flask_babel import gettext as _

from booking import clock
from booking.extensions import csrf
from booking.ics import FeedAssembler
from booking.locales import babel_locale
from booking.services import calendar as feeds

bp = Blueprint("caldav", __name__)

DAV, CALDAV, CS = "DAV:", "urn:ietf:params:xml:ns:caldav", "http://calendarserver.org/ns/"
COLLECTION = "bookings"
READ_METHODS = ["OPTIONS", "GET", "HEAD", "PROPFIND", "REPORT"]
XML_TYPE = "application/xml; charset=utf-8"
MAX_BODY = 256 * 1024  # a REPORT listing every href of a full calendar fits well within this


def _tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


# --- what the collection holds -------------------------------------------------------------------------


class _Calendar:
    """The token owner's calendar as CalDAV resources: hrefs, ETags and calendar data."""

    def __init__(self, token: str) -> None:
        self.user = feeds.user_for_feed_token(token)
        self.root = f"/caldav/{token}/"
        self.collection = f"{self.root}{COLLECTION}/"
        self.locale = feeds.owner_locale(self.user)
        self._now = clock.now()
        self._events: dict[str, str] | None = None
        self._texts = feeds.calendar_texts(self.locale)
        self._links = feeds.calendar_links(booking_pages=True)
        self._kept: feeds.KeptEvents | None = None

    @property
    def name(self) -> str:
        with force_locale(babel_locale(self.locale)):
            return _("My bookings · Campus–City Booking")

    def kept(self) -> feeds.KeptEvents:
        if self._kept is None:
            self._kept = feeds.kept_events(
                feeds.FeedScope(user_id=self.user.id), self._now, self._texts, self._links
            )
        return self._kept

    def events(self) -> dict[str, str]:
        """href -> VEVENT text, in the feed's order."""
        if self._events is None:
            self._events = {f"{self.collection}{uuid}.ics": text for uuid, text in self.kept().events}
        return self._events

    def data(self, text: str) -> bytes:
        return FeedAssembler(self._texts, self._links).file(
            [text], spans=self.kept().spans, name=None, method=None, today=self._now.date()
        )

    def ctag(self) -> str:
        state = feeds.feed_state(feeds.FeedScope(user_id=self.user.id), self._now)
        parts = (state.count, state.last_modified, state.sequence_total, self.locale, self._now.date())
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _etag(text: str) -> str:
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


# --- XML ------------------------------------------------------------------------------------------------


def _requested(body: bytes) -> list[str] | None:
    """The property names a PROPFIND or REPORT asks for; None for allprop (or no body)."""
    if not body.strip():
        return None
    root = SafeXML.fromstring(body)
    prop = root.find(_tag(DAV, "prop"))
    if prop is None:
        return None
    return [child.tag for child in prop]


def _response(multistatus: Element, href: str, props: dict[str, object], wanted: list[str] | None) -> None:
    response = SubElement(multistatus, _tag(DAV, "response"))
    SubElement(response, _tag(DAV, "href")).text = href
    names = list(props) if wanted is None else wanted
    found = [n for n in names if n in props]
    missing = [n for n in names if n not in props]
    for group, status in ((found, "HTTP/1.1 200 OK"), (missing, "HTTP/1.1 404 Not Found")):
        if not group:
            continue
        propstat = SubElement(response, _tag(DAV, "propstat"))
        prop = SubElement(propstat, _tag(DAV, "prop"))
        for name in group:
            element = SubElement(prop, name)
            value = props.get(name)
            if callable(value):
                value(element)
            elif value is not None:
                element.text = str(value)
        SubElement(propstat, _tag(DAV, "status")).text = status


def _href(href: str) -> Callable[[Element], None]:
    def build(element: Element) -> None:
        SubElement(element, _tag(DAV, "href")).text = href

    return build


def _kinds(*tags: str) -> Callable[[Element], None]:
    def build(element: Element) -> None:
        for tag in tags:
            SubElement(element, tag)

    return build


def _read_privilege(element: Element) -> None:
    privilege = SubElement(element, _tag(DAV, "privilege"))
    SubElement(privilege, _tag(DAV, "read"))


def _vevent_only(element: Element) -> None:
    SubElement(element, _tag(CALDAV, "comp"), name="VEVENT")


def _multistatus(multistatus: Element) -> Response:
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(multistatus)
    response = Response(body, status=207, content_type=XML_TYPE)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _root_props(cal: _Calendar) -> dict[str, object]:
    return {
        _tag(DAV, "resourcetype"): _kinds(_tag(DAV, "collection"), _tag(DAV, "principal")),
        _tag(DAV, "displayname"): cal.user.display_name,
        _tag(DAV, "current-user-principal"): _href(cal.root),
        _tag(DAV, "principal-URL"): _href(cal.root),
        _tag(CALDAV, "calendar-home-set"): _href(cal.root),
        _tag(DAV, "current-user-privilege-set"): _read_privilege,
    }


def _collection_props(cal: _Calendar) -> dict[str, object]:
    return {
        _tag(DAV, "resourcetype"): _kinds(_tag(DAV, "collection"), _tag(CALDAV, "calendar")),
        _tag(DAV, "displayname"): cal.name,
        _tag(DAV, "current-user-principal"): _href(cal.root),
        _tag(DAV, "current-user-privilege-set"): _read_privilege,
        _tag(CALDAV, "supported-calendar-component-set"): _vevent_only,
        _tag(CS, "getctag"): cal.ctag(),
        _tag(DAV, "getetag"): f'"{cal.ctag()}"',
    }


def _event_props(cal: _Calendar, text: str, *, with_data: bool) -> dict[str, object]:
    props: dict[str, object] = {
        _tag(DAV, "resourcetype"): None,
        _tag(DAV, "getetag"): _etag(text),
        _tag(DAV, "getcontenttype"): "text/calendar; charset=utf-8; component=vevent",
    }
    if with_data:
        props[_tag(CALDAV, "calendar-data")] = cal.data(text).decode("utf-8")
    return props


# --- routes ----------------------------------------------------------------------------------------------


def _options() -> Response:
    response = Response(status=200)
    response.headers["DAV"] = "1, 3, calendar-access"
    response.headers["Allow"] = ", ".join(READ_METHODS)
    return response


def _read_body() -> tuple[bytes, list[str] | None] | Response:
    """The request body and the properties it asks for; a body too large (413) or not XML (400) answered."""
    if (request.content_length or 0) > MAX_BODY:
        return Response(status=413)
    body = request.get_data(cache=False)[: MAX_BODY + 1]
    try:
        return body, _requested(body)
    except (SafeXML.ParseError, ValueError):
        return Response(_("The request body is not valid XML."), status=400, mimetype="text/plain")


@csrf.exempt
@bp.route("/caldav/<token>/", methods=["OPTIONS", "PROPFIND"])
def principal(token: str) -> Response:
    """The principal and calendar home: it holds one calendar, the bookings."""
    cal = _Calendar(token)  # an unknown token: NotFound, answered in plain text (booking.web.errors)
    if request.method == "OPTIONS":
        return _options()
    read = _read_body()
    if isinstance(read, Response):
        return read
    _body, wanted = read
    multistatus = Element(_tag(DAV, "multistatus"))
    _response(multistatus, cal.root, _root_props(cal), wanted)
    if request.headers.get("Depth", "0") != "0":
        _response(multistatus, cal.collection, _collection_props(cal), wanted)
    return _multistatus(multistatus)


@csrf.exempt
@bp.route(f"/caldav/<token>/{COLLECTION}/", methods=["OPTIONS", "PROPFIND", "REPORT", "GET", "HEAD"])
def collection(token: str) -> Response:
    """The bookings calendar: its properties, its events listed (Depth 1), queried or fetched by href."""
    cal = _Calendar(token)  # an unknown token: NotFound, answered in plain text (booking.web.errors)
    if request.method == "OPTIONS":
        return _options()
    if request.method in ("GET", "HEAD"):
        return Response(cal.name, mimetype="text/plain")
    read = _read_body()
    if isinstance(read, Response):
        return read
    body, wanted = read
    multistatus = Element(_tag(DAV, "multistatus"))
    if request.method == "PROPFIND":
        _response(multistatus, cal.collection, _collection_props(cal), wanted)
        if request.headers.get("Depth", "0") != "0":
            for href, text in cal.events().items():
                _response(multistatus, href, _event_props(cal, text, with_data=False), wanted)
        return _multistatus(multistatus)
    with_data = wanted is None or _tag(CALDAV, "calendar-data") in wanted
    for href, text in _reported(cal, body):
        _response(multistatus, href, _event_props(cal, text, with_data=with_data), wanted)
    return _multistatus(multistatus)


def _reported(cal: _Calendar, body: bytes) -> Iterable[tuple[str, str]]:
    """The events a REPORT asks for: the hrefs of a calendar-multiget, or every event (a calendar-query:
    the collection is small and read only, so filters are left to the client, as RFC 4791 allows
    servers that return a superset)."""
    root = SafeXML.fromstring(body) if body.strip() else None
    events = cal.events()
    if root is not None and root.tag == _tag(CALDAV, "calendar-multiget"):
        hrefs = [h.text or "" for h in root.findall(_tag(DAV, "href"))]
        return [(href, events[href]) for href in hrefs if href in events]
    return list(events.items())


@csrf.exempt
@bp.route(f"/caldav/<token>/{COLLECTION}/<uid>.ics", methods=["OPTIONS", "GET", "HEAD", "PROPFIND"])
def event(token: str, uid: str) -> Response:
    """One booking's event as a calendar object resource."""
    cal = _Calendar(token)  # an unknown token: NotFound, answered in plain text (booking.web.errors)
    if request.method == "OPTIONS":
        return _options()
    href = f"{cal.collection}{uid}.ics"
    text = cal.events().get(href)
    if text is None:
        return Response(_("Not found."), status=404, mimetype="text/plain")
    if request.method == "PROPFIND":
        multistatus = Element(_tag(DAV, "multistatus"))
        _response(multistatus, href, _event_props(cal, text, with_data=False), None)
        return _multistatus(multistatus)
    response = Response(cal.data(text), content_type="text/calendar; charset=utf-8")
    response.set_etag(_etag(text).strip('"'))
    response.headers["Cache-Control"] = "private, no-store"
    return response
