"""iCalendar files of bookings (RFC 5545): one booking's download or email, and subscription feeds.

Plain values in, bytes out. The caller loads the rows (`BookingRow`), translates the words (`Texts`)
and says how to link back (`Links`); nothing here knows Flask or the database.

A feed can be written whole (`feed_file`) or assembled from VEVENT texts made earlier, one per booking
version (`FeedAssembler`): icalendar writes each component's lines on their own, folded, so the
concatenation of events made one by one is byte for byte the file icalendar would write for them all.
"""

import copy
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from icalendar import (
    Calendar,
    Event,
    Timezone,
    vCalAddress,
    vDDDTypes,
    vDuration,
    vGeo,
    vInt,
    vText,
    vUri,
)

from models.enums import BookingStatus

PRODID = "-//Campus-City Booking//校地共享预约//ZH"
REFRESH_INTERVAL = timedelta(hours=1)
MEDIA_TYPE = "text/calendar; charset=utf-8"
DEFAULT_TIMEZONE = "Asia/Shanghai"
# iTIP methods (RFC 5546) of the files we write: feeds and downloads publish; an email invites its
# recipient to one booking (REQUEST, updated by a later REQUEST of a higher SEQUENCE) or withdraws it.
PUBLISH, REQUEST, CANCEL = "PUBLISH", "REQUEST", "CANCEL"

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
    # The booking's SEQUENCE plus its facility's and university's calendar versions: every part only
    # ever rises, so the sum rises with any change a calendar client must apply.
    sequence: int
    updated_at: datetime  # UTC; the latest of those changes: the event's DTSTAMP and LAST-MODIFIED
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
    shared: bool = False  # shared or placement: several bookings at once, up to `capacity` places
    capacity: int = 1
    party_size: int = 1


@dataclass(frozen=True)
class Texts:
    """The words of a calendar in its reader's language, translated by the caller."""

    locale: str
    status_labels: Mapping[BookingStatus, str]
    purpose: str  # "Purpose"
    status: str  # "Status"
    booked: str  # the summary of a public busy time
    full: str = "Fully booked"  # a shared facility with no place left
    places_left: str = "%(free)d of %(capacity)d places left"
    seats_left: str = "%(free)d of %(capacity)d seats left"  # a placement (training base) period

    def pick(self, zh: str, en: str) -> str:
        return (zh or en) if self.locale.startswith("zh") else (en or zh)


@dataclass(frozen=True)
class Links:
    """Where events point: the UID domain, the organizer's address, and absolute page URLs."""

    def digest_parts(self) -> tuple[str, ...]:
        """What of the links shows in an event, for the version of a VEVENT kept for reuse."""
        booking = self.booking_url(0) if self.booking_url else ""
        facility = self.facility_url(0) if self.facility_url else ""
        return self.uid_domain, self.organizer_email, booking, facility

    uid_domain: str
    organizer_email: str
    booking_url: Callable[[int], str] | None = None  # only where the reader may open the booking
    facility_url: Callable[[int], str] | None = None


class Attendee(NamedTuple):
    """The person an emailed invitation (REQUEST/CANCEL) is for."""

    email: str
    name: str


def booking_file(
    rows: BookingRow | Iterable[BookingRow],
    texts: Texts,
    links: Links,
    *,
    method: str = PUBLISH,
    attendee: Attendee | None = None,
) -> bytes:
    """A calendar of one booking (or of a series' bookings) to download, import, or attach to an email.

    With REQUEST or CANCEL the events name the holder as an ATTENDEE who has already accepted and need not
    reply (the booking is theirs), which is what makes mail clients treat the file as an invitation to
    keep up to date rather than a copy to import once.
    """
    calendar = _calendar(name=None, method=method)
    _add_events(calendar, [rows] if isinstance(rows, BookingRow) else rows, _Private(texts, links, attendee))
    return calendar.to_ical(sorted=False)


def feed_file(
    rows: Iterable[BookingRow],
    texts: Texts,
    links: Links,
    *,
    name: str,
    public: bool = False,
    today: date | None = None,
) -> bytes:
    """A subscription feed. `public` feeds show busy times only: no names, purposes or booking links.

    A feed with no event still holds one component (RFC 5545 requires one): the VTIMEZONE of the site's
    zone for the year of `today`.
    """
    calendar = _calendar(name=name)
    maker = _Public(texts, links) if public else _Private(texts, links)
    _add_events(calendar, _busy(rows, texts) if public else rows, maker, today=today)
    # Properties come out in the order they were set, which is already readable; sorting costs ~10%.
    return calendar.to_ical(sorted=False)


class FeedAssembler:
    """Writes a private feed from VEVENT texts: `event_text` makes one (to keep, keyed by its version),
    `file` puts kept texts together with the header and VTIMEZONEs exactly as `feed_file` would."""

    def __init__(self, texts: Texts, links: Links) -> None:
        self._maker = _Private(texts, links)

    def event_text(self, row: BookingRow) -> str:
        event, _span = self._maker.event(row)
        return event.to_ical(sorted=False).decode("utf-8")

    def file(
        self,
        events: Sequence[str],
        *,
        spans: Mapping[str, tuple[datetime, datetime]],
        name: str | None,
        today: date,
        method: str | None = PUBLISH,
    ) -> bytes:
        """The feed of the VEVENT texts `events`, in order; `spans` holds, for each time zone of the timed
        events, their earliest start and latest end (UTC): what the VTIMEZONEs must cover. Without a
        `name` or `method`: a calendar object resource of CalDAV (RFC 4791 forbids METHOD there)."""
        calendar = _calendar(name=name, method=method)
        first: date | None = None
        last: date | None = None
        tzids: set[str] = set()
        for timezone, (start, end) in spans.items():
            tz = ZoneInfo(timezone)
            # Local dates rise with the instant, so the earliest start and latest end bound every event.
            first = min(first or date.max, start.astimezone(tz).date())
            last = max(last or date.min, end.astimezone(tz).date())
            if (tzid := _tzid(timezone)) is not None:
                tzids.add(tzid)
        _add_timezones(calendar, tzids, first, last, today=today, empty=not events)
        header = calendar.to_ical(sorted=False)
        closing = b"END:VCALENDAR\r\n"
        return header[: -len(closing)] + "".join(events).encode("utf-8") + closing


def _calendar(name: str | None, method: str | None = PUBLISH) -> Calendar:
    feed = name is not None
    calendar = Calendar.new(prodid=PRODID, method=method)
    # Calendar.new invents a random calendar UID; a file that changes on every request only confuses caches.
    calendar.pop("UID", None)
    if feed:
        # TEXT values, escaped like any other (Calendar.new writes a comma or semicolon raw).
        calendar["NAME"] = vText(name)
        calendar["X-WR-CALNAME"] = vText(name)
        interval = vDuration(REFRESH_INTERVAL)
        interval.params["VALUE"] = "DURATION"  # RFC 7986 requires the VALUE parameter here
        calendar["REFRESH-INTERVAL"] = interval
        calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))  # Outlook's spelling of REFRESH-INTERVAL
    return calendar


def _add_events(
    calendar: Calendar, rows: Iterable[BookingRow], maker: "_EventMaker", *, today: date | None = None
) -> None:
    first: date | None = None
    last: date | None = None
    count = 0
    for row in rows:
        event, day_span = maker.event(row)
        calendar.add_component(event)
        count += 1
        if day_span is not None:
            first = day_span[0] if first is None else min(first, day_span[0])
            last = day_span[1] if last is None else max(last, day_span[1])
    _add_timezones(calendar, maker.tzids_used, first, last, today=today, empty=count == 0)


def _add_timezones(
    calendar: Calendar,
    tzids: Iterable[str],
    first: date | None,
    last: date | None,
    *,
    today: date | None,
    empty: bool,
) -> None:
    if first is None or last is None:
        if empty and today is not None:
            # No event at all: the site's zone keeps the calendar valid (one component at least).
            calendar.subcomponents[:0] = [_vtimezone(DEFAULT_TIMEZONE, today.year, today.year)]
        return
    # A VTIMEZONE for each TZID the events use, covering the whole years of their dates (a day either
    # side): small, and the same for every file of those years, so it is computed once. This is
    # add_missing_timezones(first, last) without its scan of every property of every event for the TZIDs,
    # which we already know.
    first_year, last_year = (first - timedelta(days=1)).year, (last + timedelta(days=1)).year
    timezones = [_vtimezone(tzid, first_year, last_year) for tzid in sorted(tzids)]
    calendar.subcomponents[:0] = timezones


@functools.lru_cache(maxsize=64)
def _tzid(timezone: str) -> str | None:
    """The TZID icalendar writes for times in `timezone`; None where it writes them in UTC."""
    return vDDDTypes(datetime(2000, 1, 1, tzinfo=ZoneInfo(timezone))).params.get("TZID")


def _busy(rows: Iterable[BookingRow], texts: Texts) -> Iterator[BookingRow]:
    """What a public feed shows of bookings that hold their places: each booking of an exclusive
    facility; for a shared facility or a placement, each stretch of time with the same number of places
    taken, as one event that says how many are left (`BookingRow.purpose` carries that summary)."""
    shared: dict[int, list[BookingRow]] = {}
    for row in rows:
        if row.shared:
            shared.setdefault(row.resource_id, []).append(row)
        else:
            yield row
    for bookings in shared.values():
        yield from _occupancy(bookings, texts)


def _occupancy(rows: list[BookingRow], texts: Texts) -> Iterator[BookingRow]:
    first = rows[0]
    changes: dict[datetime, int] = {}
    for row in rows:
        changes[row.start_at] = changes.get(row.start_at, 0) + row.party_size
        changes[row.end_at] = changes.get(row.end_at, 0) - row.party_size
    taken = 0
    since: datetime | None = None
    for instant in sorted(changes):
        before, taken = taken, taken + changes[instant]
        if before == taken:
            continue
        if before > 0 and since is not None:
            yield _stretch(first, rows, since, instant, before, texts)
        since = instant if taken > 0 else None


def _stretch(
    first: BookingRow, rows: list[BookingRow], start: datetime, end: datetime, taken: int, texts: Texts
) -> BookingRow:
    free = max(first.capacity - taken, 0)
    if free == 0:
        summary = texts.full
    else:
        template = texts.seats_left if first.all_day else texts.places_left
        summary = template % {"free": free, "capacity": first.capacity}
    during = [r for r in rows if r.start_at < end and r.end_at > start]
    return first._replace(
        id=0,
        # The same stretch keeps its UID while its count changes; DTSTAMP says when it last did.
        uuid=f"{first.resource_id}-{start:%Y%m%dT%H%M%SZ}",
        start_at=start,
        end_at=end,
        status=BookingStatus.CONFIRMED,
        sequence=0,
        updated_at=max(r.updated_at for r in during),
        purpose=summary,
        party_size=taken,
    )


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
    attendee: Attendee | None = None
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
        event["DTSTAMP"] = stamp = self._share(vDDDTypes, row.updated_at)
        event["LAST-MODIFIED"] = stamp
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
        event["SUMMARY"] = self.event_summary(row, place)
        if place.location is not None:
            event["LOCATION"] = place.location
        if place.geo is not None:
            event["GEO"] = place.geo
        event["STATUS"] = self._share(vText, ical_status)
        event["TRANSP"] = self._share(vText, "OPAQUE" if self.busy(row, ical_status) else "TRANSPARENT")
        event["ORGANIZER"] = place.organizer
        self.details(event, row, place)
        return event, day_span

    def busy(self, row: BookingRow, ical_status: str) -> bool:
        return ical_status != "CANCELLED"

    def event_summary(self, row: BookingRow, place: _Place) -> vText:
        return place.summary

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
            # The university organizes every event at its facilities (CN), from the site's address.
            organizer = vCalAddress(f"mailto:{self.links.organizer_email}")
            organizer.params["CN"] = self.texts.pick(row.university_zh, row.university_en)
            known = row.latitude is not None and row.longitude is not None
            tz = ZoneInfo(row.timezone)
            place = self._places[row.resource_id] = _Place(
                tz=tz,
                tzid=_tzid(row.timezone),
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
        if self.attendee is not None:
            # The holder, who booked it and so has accepted already: no reply is asked for (RSVP=FALSE).
            attendee = vCalAddress(f"mailto:{self.attendee.email}")
            attendee.params["CN"] = self.attendee.name
            attendee.params["ROLE"] = "REQ-PARTICIPANT"
            attendee.params["PARTSTAT"] = "ACCEPTED"
            attendee.params["RSVP"] = "FALSE"
            event["ATTENDEE"] = attendee
        if self.links.booking_url is not None:
            event["URL"] = vUri(self.links.booking_url(row.id))


class _Public(_EventMaker):
    """Busy times anyone may see: "Booked", the facility and its place; nothing about who or why. A
    stretch of a shared facility or placement says how many places are left, and is busy only when full."""

    # A busy time is not the booking itself: its own UID keeps it apart from the owner's event.
    uid_suffix = "-busy"

    def summary(self, row: BookingRow) -> str:
        return self.texts.booked

    def event_summary(self, row: BookingRow, place: _Place) -> vText:
        return self._share(vText, row.purpose) if row.shared else place.summary

    def busy(self, row: BookingRow, ical_status: str) -> bool:
        return row.party_size >= row.capacity if row.shared else ical_status != "CANCELLED"

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
