"""iCalendar files of bookings (RFC 5545): one booking's download and subscription feeds.

Plain values in, bytes out. The caller loads the rows (`BookingRow`), translates the words (`Texts`)
and says how to link back (`Links`); nothing here knows Flask or the database.
"""

import copy
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vDDDTypes, vDuration, vGeo, vInt, vText, vUri

from models.enums import BookingStatus

PRODID = "-//Campus-City Booking//校地共享预约//ZH"
REFRESH_INTERVAL = timedelta(hours=1)
MEDIA_TYPE = "text/calendar; charset=utf-8"

S = BookingStatus
# What a calendar client shows for each status. A no-show stays CONFIRMED: the slot was held and counts
# toward strikes, so the person's calendar keeps the record of what they had booked.
ICAL_STATUS: dict[BookingStatus, str] = {
    S.PENDING: "TENTATIVE",
    S.CONFIRMED: "CONFIRMED",
    S.CHECKED_IN: "CONFIRMED",
    S.COMPLETED: "CONFIRMED",
    S.NO_SHOW: "CONFIRMED",
    S.CANCELLED: "CANCELLED",
    S.REJECTED: "CANCELLED",
    S.EXPIRED: "CANCELLED",
}
# Bookings that no longer hold their slot; feeds keep them (as CANCELLED) for a while so clients remove them.
WITHDRAWN = frozenset(s for s, ical in ICAL_STATUS.items() if ical == "CANCELLED")


class BookingRow(NamedTuple):
    """One booking with what its event shows, as loaded by a single query."""

    id: int
    uuid: str
    start_at: datetime  # UTC
    end_at: datetime  # UTC
    status: BookingStatus
    sequence: int
    updated_at: datetime  # UTC; the event's DTSTAMP
    purpose: str
    all_day: bool  # placements: whole local days
    resource_id: int
    timezone: str
    resource_zh: str
    resource_en: str
    address: str
    latitude: float | None
    longitude: float | None
    university_zh: str
    university_en: str


@dataclass(frozen=True)
class Texts:
    """The words of a calendar in its reader's language, translated by the caller."""

    locale: str
    status_labels: Mapping[BookingStatus, str]
    purpose: str  # "Purpose"
    status: str  # "Status"
    booked: str  # the summary of a public busy time

    def pick(self, zh: str, en: str) -> str:
        return (zh or en) if self.locale.startswith("zh") else (en or zh)


@dataclass(frozen=True)
class Links:
    """Where events point: the UID domain, the organizer's address, and absolute page URLs."""

    uid_domain: str
    organizer_email: str
    booking_url: Callable[[int], str] | None = None  # only where the reader may open the booking
    facility_url: Callable[[int], str] | None = None


def booking_file(row: BookingRow, texts: Texts, links: Links) -> bytes:
    """A one-event calendar to download and import."""
    calendar = _calendar(name=None)
    _add_events(calendar, [row], _Private(texts, links))
    return calendar.to_ical(sorted=False)


def feed_file(
    rows: Iterable[BookingRow], texts: Texts, links: Links, *, name: str, public: bool = False
) -> bytes:
    """A subscription feed. `public` feeds show busy times only: no names, purposes or booking links."""
    calendar = _calendar(name=name)
    _add_events(calendar, rows, _Public(texts, links) if public else _Private(texts, links))
    # Properties come out in the order they were set, which is already readable; sorting costs ~10%.
    return calendar.to_ical(sorted=False)


def _calendar(name: str | None) -> Calendar:
    feed = name is not None
    calendar = Calendar.new(
        prodid=PRODID,
        method="PUBLISH",
        name=name,
        refresh_interval=REFRESH_INTERVAL if feed else None,
    )
    # Calendar.new invents a random calendar UID; a file that changes on every request only confuses caches.
    calendar.pop("UID", None)
    if feed:
        calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))  # Outlook's spelling of REFRESH-INTERVAL
    return calendar


def _add_events(calendar: Calendar, rows: Iterable[BookingRow], maker: "_EventMaker") -> None:
    first: date | None = None
    last: date | None = None
    for row in rows:
        event, day_span = maker.event(row)
        calendar.add_component(event)
        if day_span is not None:
            first = day_span[0] if first is None else min(first, day_span[0])
            last = day_span[1] if last is None else max(last, day_span[1])
    if first is None or last is None:
        return
    # A VTIMEZONE for each TZID the events use, covering the whole years of their dates (a day either
    # side): small, and the same for every file of those years, so it is computed once. This is
    # add_missing_timezones(first, last) without its scan of every property of every event for the TZIDs,
    # which we already know.
    first_year, last_year = (first - timedelta(days=1)).year, (last + timedelta(days=1)).year
    timezones = [_vtimezone(tzid, first_year, last_year) for tzid in sorted(maker.tzids_used)]
    calendar.subcomponents[:0] = timezones


def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of `tzid` from 1 January of `first_year` to the end of `last_year`, a calendar's own."""
    # A deep copy (a tenth of a millisecond) of the one kept: no calendar can change another's.
    return copy.deepcopy(_built_vtimezone(tzid, first_year, last_year))


@functools.lru_cache(maxsize=64)
def _built_vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    # Timezone.from_tzid searches the zone's offset changes: ~9 ms for a zone without DST (Asia/Shanghai),
    # most of the CPU of a booking request that mails an .ics. Whole years let every booking share it.
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))


@dataclass
class _Place:
    """What every event at one facility shares, encoded once."""

    tz: ZoneInfo
    tzid: str | None  # as icalendar writes it; None where times are written in UTC
    summary: vText
    location: vText | None
    geo: vGeo | None
    organizer: vCalAddress
    url: vUri | None


@dataclass
class _EventMaker:
    """Makes VEVENTs, encoding each value itself and sharing the encoded values that repeat (a facility's
    summary, place and organizer; statuses; descriptions): Event.add() re-infers every value's type,
    which costs more than a third of the time of a large feed. The output is the same."""

    texts: Texts
    links: Links
    _places: dict[int, _Place] = field(default_factory=dict)
    _shared: dict[tuple[type, object], Any] = field(default_factory=dict)
    tzids_used: set[str] = field(default_factory=set)

    uid_suffix = ""

    def event(self, row: BookingRow) -> tuple[Event, tuple[date, date] | None]:
        """The VEVENT of one booking, and the local dates it spans when it uses a TZID."""
        place = self._place(row)
        ical_status = ICAL_STATUS[row.status]
        start = row.start_at.astimezone(place.tz)
        end = row.end_at.astimezone(place.tz)
        event = Event()
        event["UID"] = vText(f"{row.uuid}{self.uid_suffix}@{self.links.uid_domain}")
        event["DTSTAMP"] = self._share(vDDDTypes, row.updated_at)
        event["SEQUENCE"] = self._share(vInt, row.sequence)
        day_span = None
        if row.all_day:
            first_day = start.date()
            event["DTSTART"] = vDDDTypes(first_day)
            event["DTEND"] = vDDDTypes(max(_end_day(end), first_day + timedelta(days=1)))
        else:
            event["DTSTART"] = vDDDTypes(start)
            event["DTEND"] = vDDDTypes(end)
            day_span = (start.date(), end.date())
            if place.tzid is not None:
                self.tzids_used.add(place.tzid)
        event["SUMMARY"] = place.summary
        if place.location is not None:
            event["LOCATION"] = place.location
        if place.geo is not None:
            event["GEO"] = place.geo
        event["STATUS"] = self._share(vText, ical_status)
        event["TRANSP"] = self._share(vText, "TRANSPARENT" if ical_status == "CANCELLED" else "OPAQUE")
        self.details(event, row, place)
        return event, day_span

    def details(self, event: Event, row: BookingRow, place: _Place) -> None:
        raise NotImplementedError

    def summary(self, row: BookingRow) -> str:
        raise NotImplementedError

    def place_url(self, row: BookingRow) -> str | None:
        return None

    def _share(self, kind: type, value: object) -> Any:
        """One encoded `kind(value)` for every event that has this value."""
        encoded = self._shared.get((kind, value))
        if encoded is None:
            encoded = self._shared[kind, value] = kind(value)
        return encoded

    def _place(self, row: BookingRow) -> _Place:
        place = self._places.get(row.resource_id)
        if place is None:
            organizer = vCalAddress(f"mailto:{self.links.organizer_email}")
            organizer.params["CN"] = self.texts.pick(row.university_zh, row.university_en)
            known = row.latitude is not None and row.longitude is not None
            tz = ZoneInfo(row.timezone)
            place = self._places[row.resource_id] = _Place(
                tz=tz,
                tzid=vDDDTypes(datetime(2000, 1, 1, tzinfo=tz)).params.get("TZID"),
                summary=vText(self.summary(row)),
                location=vText(row.address) if row.address else None,
                geo=vGeo((row.latitude, row.longitude)) if known else None,
                organizer=organizer,
                url=vUri(url) if (url := self.place_url(row)) else None,
            )
        return place


class _Private(_EventMaker):
    """Events for the booking's owner or its managers: what, where, why, and a link back."""

    def summary(self, row: BookingRow) -> str:
        resource = self.texts.pick(row.resource_zh, row.resource_en)
        university = self.texts.pick(row.university_zh, row.university_en)
        return f"{resource} — {university}"

    def details(self, event: Event, row: BookingRow, place: _Place) -> None:
        status = f"{self.texts.status}: {self.texts.status_labels[row.status]}"
        purpose = row.purpose.strip()
        event["DESCRIPTION"] = self._share(
            vText, f"{self.texts.purpose}: {purpose}\n{status}" if purpose else status
        )
        event["ORGANIZER"] = place.organizer
        if self.links.booking_url is not None:
            event["URL"] = vUri(self.links.booking_url(row.id))


class _Public(_EventMaker):
    """Busy times anyone may see: "Booked", the facility and its place; nothing about who or why."""

    # A busy time is not the booking itself: its own UID keeps it apart from the owner's event.
    uid_suffix = "-busy"

    def summary(self, row: BookingRow) -> str:
        return self.texts.booked

    def place_url(self, row: BookingRow) -> str | None:
        return self.links.facility_url(row.resource_id) if self.links.facility_url else None

    def details(self, event: Event, row: BookingRow, place: _Place) -> None:
        if place.url is not None:
            event["URL"] = place.url


def _end_day(local_end: datetime) -> date:
    """The exclusive end date of an all-day event ending at `local_end`."""
    if local_end.time() == time(0, 0):
        return local_end.date()
    return local_end.date() + timedelta(days=1)
