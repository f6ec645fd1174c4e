"""Calendar fixtures: a frozen clock, a university with a court, and three parsers that must agree on a file
(icalendar, vobject, and recurring-ical-events, which reads events as a calendar client shows them)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar

from models import Organization, Resource
from tests.conftest import clock_frozen_at, made_for_each_test
from tests.factories import NOW, make_hpu, make_resource

frozen_clock = clock_frozen_at(NOW)
hpu = made_for_each_test(make_hpu)


@pytest.fixture
def court(hpu: Organization) -> Resource:
    """Badminton court 3 of HPU, with an address and a place on the map, bookable 400 days ahead."""
    return make_resource(
        hpu,
        name_zh="羽毛球3号场",
        name_en="Badminton court 3",
        address="焦作市高新区世纪大道2001号",
        latitude=35.1902,
        longitude=113.2731,
        policy={"max_advance_days": 400},
    )


@dataclass(frozen=True)
class EventFacts:
    """What both parsers must read the same way."""

    uid: str
    start: datetime | date  # an instant in UTC, or a date for all-day events
    end: datetime | date
    status: str


def _instant(value: datetime | date) -> datetime | date:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def parse_both(body: bytes) -> list[EventFacts]:
    """Read an .ics with icalendar, vobject and recurring-ical-events; they must agree on every event.
    Sorted by UID."""
    ours = Calendar.from_ical(body)
    theirs = vobject.readOne(body.decode("utf-8"))
    first = sorted(
        (
            EventFacts(str(e["UID"]), _instant(e.start), _instant(e.end), str(e["STATUS"]))
            for e in ours.walk("VEVENT")
        ),
        key=lambda f: f.uid,
    )
    second = sorted(
        (
            EventFacts(e.uid.value, _instant(e.dtstart.value), _instant(e.dtend.value), e.status.value)
            for e in getattr(theirs, "vevent_list", [])
        ),
        key=lambda f: f.uid,
    )
    shown = recurring_ical_events.of(Calendar.from_ical(body)).between(date(2000, 1, 1), date(2100, 1, 1))
    third = sorted(
        (EventFacts(str(e["UID"]), _instant(e.start), _instant(e.end), str(e["STATUS"])) for e in shown),
        key=lambda f: f.uid,
    )
    assert first == second == third
    return first


@pytest.fixture
def parse_ics() -> Callable[[bytes], list[EventFacts]]:
    return parse_both


@pytest.fixture(autouse=True)
def every_file_read_three_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every calendar file the calendar tests make (downloads, feeds, emails, CalDAV) is read by all three
    parsers, which must agree on it."""
    from booking import ics
    from booking.services import calendar as feeds

    def checked(make: Callable[..., bytes]) -> Callable[..., bytes]:
        def make_and_check(*args: object, **kwargs: object) -> bytes:
            body = make(*args, **kwargs)
            parse_both(body)
            return body

        return make_and_check

    for module in (ics, feeds):  # the service imported the names themselves
        monkeypatch.setattr(module, "booking_file", checked(ics.booking_file))
        monkeypatch.setattr(module, "feed_file", checked(ics.feed_file))
    monkeypatch.setattr(ics.FeedAssembler, "file", checked(ics.FeedAssembler.file))
