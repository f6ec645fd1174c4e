"""Calendar use cases: secret feed tokens, the bookings a feed holds, and closures imported from an .ics file.

Feed tokens are shown to their owner once; only their SHA-256 digest is stored, so a leaked database
row opens no feed, and a lookup compares digests, never the secret itself. Feeds are read with one
aggregate query (for ETag/304) and a few more whatever their size: a personal or university feed reads
the VEVENTs kept for each booking's current version and the span of its time zones, and loads the rows of
only the bookings whose events must be made again (`private_feed`).
"""

import copy
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import icalendar
import recurring_ical_events
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, vBroken
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, lazyload

from booking import ics
from booking.engine.localtime import day_start_utc, to_utc, zone
from booking.engine.violations import N_
from booking.ics import (
    CANCEL,
    REQUEST,
    WITHDRAWN,
    Attendee,
    BookingRow,
    FeedAssembler,
    Links,
    Texts,
    booking_file,
    feed_file,
)
from booking.locales import babel_locale
from booking.services import audit
from booking.services.audit import AuditAction
from booking.services.errors import Invalid, NotFound
from booking.services.permissions import can_manage
from booking.services.transactions import lock_rows, write_transaction
from booking.text import one_line
from models import (
    Booking,
    BookingStatus,
    CalendarEvent,
    Closure,
    Mode,
    Organization,
    OrganizationKind,
    Resource,
    User,
    db,
)

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=365)
# Cancelled, rejected and expired bookings stay in feeds this long after the change, so clients remove them.
WITHDRAWN_KEPT = timedelta(days=30)
# A safety limit for the feed of a very busy university: beyond it the latest events are left out (about
# 2 s and 6 MB of iCalendar already; calendar clients struggle with more).
FEED_MAX_EVENTS = 10_000
DEFAULT_TIMEZONE = ics.DEFAULT_TIMEZONE

# secrets.token_urlsafe(32): 256 random bits in 43 URL-safe characters.
_TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


# --- feed tokens -----------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_feed_token(user: User, *, now: datetime) -> str:
    """Give `user` a new feed token, killing the old one at once; the token is returned here only."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    with write_transaction():
        lock_rows(user_ids=[user.id])
        first = user.feed_token_hash is None
        user.feed_token_hash = token_digest(token)
        audit.about(
            user,
            AuditAction.CALENDAR_FEED_CREATED if first else AuditAction.CALENDAR_FEED_RESET,
            actor_id=user.id,
            at=now,
        )
    return token


def user_for_feed_token(token: str) -> User:
    """The active user whose feed `token` opens.

    The database compares SHA-256 digests: timing can tell at most how much of a digest matched, which
    says nothing about a token that would produce it.
    """
    if not _TOKEN_SHAPE.fullmatch(token):
        raise NotFound
    user = db.session.scalar(sa.select(User).where(User.feed_token_hash == token_digest(token)))
    if user is None or not user.active:
        raise NotFound
    return user


# --- feeds -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedScope:
    """Whose bookings a feed holds: one person's, every facility of one university, or one facility."""

    user_id: int | None = None
    university_id: int | None = None
    resource_id: int | None = None

    def __post_init__(self) -> None:
        if sum(v is not None for v in (self.user_id, self.university_id, self.resource_id)) != 1:
            raise ValueError("a feed scope names exactly one user, university or facility")


@dataclass(frozen=True)
class FeedState:
    """A cheap summary of a feed's rows: if it is unchanged, so is the feed."""

    count: int
    last_modified: datetime | None
    sequence_total: int


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """From 30 days before today to a year after it, whole UTC days: within a day the feed's rows change
    only when a booking (or its facility or university) does, which is what Last-Modified can tell."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - FEED_PAST, today + FEED_AHEAD + timedelta(days=1)


def _later(*instants: datetime | None) -> datetime:
    return max(i for i in instants if i is not None)


_ROW_COLUMNS = (
    Booking.id,
    Booking.uuid,
    Booking.start_at,
    Booking.end_at,
    Booking.status,
    Booking.sequence,
    Booking.updated_at,
    Booking.purpose,
    Resource.mode,
    Resource.capacity,
    Booking.party_size,
    Resource.id,
    Resource.timezone,
    Resource.name_zh,
    Resource.name_en,
    Resource.address,
    Resource.latitude,
    Resource.longitude,
    Organization.name_zh,
    Organization.name_en,
    Resource.calendar_version,
    Resource.calendar_updated_at,
    Organization.calendar_version,
    Organization.calendar_updated_at,
)
# Where the event-defining columns end; cached VEVENT columns may follow.
_ROW_WIDTH = len(_ROW_COLUMNS)


def _feed_query(columns: Sequence[Any], scope: FeedScope, now: datetime) -> sa.Select:
    start, end = feed_window(now)
    today = start + FEED_PAST
    if scope.user_id is not None:
        owner = Booking.user_id == scope.user_id
    elif scope.university_id is not None:
        owner = Resource.university_id == scope.university_id
    else:
        owner = Booking.resource_id == scope.resource_id
    if scope.resource_id is not None:
        # The public busy times: only what holds places now, never a request still waiting for a decision
        # (a facility has no setting to show those) nor anything withdrawn.
        shown = Booking.status.not_in([*WITHDRAWN, BookingStatus.PENDING])
    else:
        shown = sa.or_(Booking.status.not_in(WITHDRAWN), Booking.updated_at >= today - WITHDRAWN_KEPT)
    return (
        sa.select(*columns)
        .select_from(Booking)
        .join(Resource, Resource.id == Booking.resource_id)
        .join(Organization, Organization.id == Resource.university_id)
        .where(owner, Booking.end_at > start, Booking.start_at < end, shown)
    )


def feed_state(scope: FeedScope, now: datetime) -> FeedState:
    """Count, latest change and total SEQUENCE of the feed's rows, in one aggregate query.

    A change to a facility or university shown in the events counts as a change of each of its bookings.
    The SEQUENCE total catches a change made within the same instant as the previous one. The feed's
    window moves at midnight UTC, so the start of today is a change too.
    """
    count, *latest, sequences = db.session.execute(
        _feed_query(
            (
                sa.func.count(Booking.id),
                sa.func.max(Booking.updated_at),
                sa.func.max(Resource.calendar_updated_at),
                sa.func.max(Organization.calendar_updated_at),
                sa.func.sum(Booking.sequence + Resource.calendar_version + Organization.calendar_version),
            ),
            scope,
            now,
        )
    ).one()
    today = feed_window(now)[0] + FEED_PAST
    return FeedState(count=count, last_modified=_later(today, *latest), sequence_total=int(sequences or 0))


def _booking_row(row: Sequence[Any]) -> BookingRow:
    (id_, uuid, start, end, status, sequence, updated, purpose, mode, capacity, party) = row[:11]
    resource_version, resource_changed, university_version, university_changed = row[20:24]
    return BookingRow(
        id_,
        uuid,
        start,
        end,
        status,
        sequence + resource_version + university_version,
        _later(updated, resource_changed, university_changed),
        purpose,
        mode == Mode.PLACEMENT,
        *row[11:20],
        shared=mode != Mode.EXCLUSIVE,
        capacity=capacity,
        party_size=party,
    )


def feed_rows(scope: FeedScope, now: datetime) -> list[BookingRow]:
    """Every booking of the feed, oldest first, in one query: 30 days back to a year ahead, withdrawn
    bookings for 30 days after they were withdrawn (at most FEED_MAX_EVENTS, the earliest)."""
    query = (
        _feed_query(_ROW_COLUMNS, scope, now).order_by(Booking.start_at, Booking.id).limit(FEED_MAX_EVENTS)
    )
    return [_booking_row(row) for row in db.session.execute(query)]


# --- feeds assembled from kept events ----------------------------------------------------------------

# Raise it when what a VEVENT holds changes: every kept event is then made again.
EVENT_FORMAT = 1


def _context_digest(texts: Texts, links: Links) -> str:
    """Everything besides the row that a private VEVENT is made from: the words and the links."""
    words = (
        texts.locale,
        *sorted((status.value, label) for status, label in texts.status_labels.items()),
        texts.purpose,
        texts.status,
    )
    # icalendar's version too: another release may write the same event differently.
    made_by = (EVENT_FORMAT, icalendar.__version__)
    return hashlib.sha256(repr((made_by, words, links.digest_parts())).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class KeptEvents:
    """A private feed's events as kept: (booking uuid, VEVENT text) in the feed's order, and for each time
    zone of its timed events the earliest start and latest end (what its VTIMEZONEs must cover)."""

    events: list[tuple[str, str]]
    spans: dict[str, tuple[datetime, datetime]]


def private_feed(scope: FeedScope, now: datetime, texts: Texts, links: Links, *, name: str) -> bytes:
    """A personal or university feed, assembled from each booking's VEVENT as kept for its version."""
    kept = kept_events(scope, now, texts, links)
    return FeedAssembler(texts, links).file(
        [text for _uuid, text in kept.events], spans=kept.spans, name=name, today=now.astimezone(UTC).date()
    )


def kept_events(scope: FeedScope, now: datetime, texts: Texts, links: Links) -> KeptEvents:
    """Each booking's VEVENT of a private feed as kept for its version; the events that are missing or
    stale are made now and kept for the next time (by any worker).

    The query itself tells which kept events are current, so that for them only the text is read: the
    rows of the others are loaded again, in full, to make their events.
    """
    kept = aliased(CalendarEvent)
    variant = f"private:{texts.locale}"
    context = _context_digest(texts, links)
    sequence = Booking.sequence + Resource.calendar_version + Organization.calendar_version
    current = sa.and_(kept.context == context, kept.sequence == sequence, kept.stamp == Booking.updated_at)
    listed = (
        _feed_query((Booking.id, Booking.uuid, sa.case((current, kept.vevent), else_=None)), scope, now)
        .outerjoin(kept, sa.and_(kept.booking_id == Booking.id, kept.variant == variant))
        .order_by(Booking.start_at, Booking.id)
        .limit(FEED_MAX_EVENTS)
    )
    events = db.session.execute(listed).all()  # (booking id, uuid, its current kept text or None)
    missing = [booking_id for booking_id, _uuid, text in events if text is None]
    assembler = FeedAssembler(texts, links)
    made: dict[int, dict[str, Any]] = {}
    for chunk in range(0, len(missing), 1000):
        query = _feed_query(_ROW_COLUMNS, scope, now).where(Booking.id.in_(missing[chunk : chunk + 1000]))
        for record in db.session.execute(query):
            row = _booking_row(record)
            made[row.id] = {
                "booking_id": row.id,
                "variant": variant,
                "context": context,
                "sequence": row.sequence,
                "stamp": record[6],  # the booking's own updated_at, as the query compares it
                "vevent": assembler.event_text(row),
            }
    # A booking changed since the list was read (READ COMMITTED) may have left the feed: it is left out.
    in_order = [
        (uuid, text if text is not None else made[booking_id]["vevent"])
        for booking_id, uuid, text in events
        if text is not None or booking_id in made
    ]
    spans = _timed_spans(scope, now)
    if made:
        _keep_events(list(made.values()))
    return KeptEvents(in_order, spans)


def _timed_spans(scope: FeedScope, now: datetime) -> dict[str, tuple[datetime, datetime]]:
    """For each zone of the feed's timed events, the earliest start and latest end: what its VTIMEZONE
    must cover (placements are whole days, without one)."""
    limited = (
        _feed_query((Booking.start_at, Booking.end_at, Resource.timezone, Resource.mode), scope, now)
        .order_by(Booking.start_at, Booking.id)
        .limit(FEED_MAX_EVENTS)
        .subquery()
    )
    spans = sa.select(limited.c.timezone, sa.func.min(limited.c.start_at), sa.func.max(limited.c.end_at))
    spans = spans.where(limited.c.mode != Mode.PLACEMENT).group_by(limited.c.timezone)
    return {zone: (start, end) for zone, start, end in db.session.execute(spans)}


def _keep_events(made: list[dict[str, Any]]) -> None:
    """Store made events for reuse, replacing stale ones; in booking-id order, so that two workers
    storing the same events at once take their row locks in the same order."""
    made.sort(key=lambda m: m["booking_id"])
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CalendarEvent)
    statement = statement.on_conflict_do_update(
        index_elements=[CalendarEvent.booking_id, CalendarEvent.variant],
        set_={name: statement.excluded[name] for name in ("context", "sequence", "stamp", "vevent")},
    )
    try:
        with write_transaction():
            for chunk in range(0, len(made), 1000):
                db.session.execute(statement, made[chunk : chunk + 1000])
    except (sa.exc.IntegrityError, sa.exc.OperationalError):
        # A booking deleted meanwhile, or the database busy: the feed was made all the same, and the
        # events will be kept by the next request.
        current_app.logger.warning("calendar events not kept for reuse", exc_info=True)


def public_feed(scope: FeedScope, now: datetime, texts: Texts, links: Links, *, name: str) -> bytes:
    return feed_file(feed_rows(scope, now), texts, links, name=name, public=True, today=now.date())


# --- words and links of a calendar, outside any request (feeds, downloads and emails alike) ---------

# The same English msgids as the status labels of the pages, so they share their translations.
STATUS_WORDS: dict[BookingStatus, str] = {
    BookingStatus.PENDING: N_("Awaiting approval"),
    BookingStatus.CONFIRMED: N_("Confirmed"),
    BookingStatus.CHECKED_IN: N_("Checked in"),
    BookingStatus.COMPLETED: N_("Completed"),
    BookingStatus.REJECTED: N_("Rejected"),
    BookingStatus.CANCELLED: N_("Cancelled"),
    BookingStatus.EXPIRED: N_("Expired"),
    BookingStatus.NO_SHOW: N_("No-show"),
}


def owner_locale(user: User) -> str:
    """The language of a person's feeds and attachments: their saved one, else the site's (zh_CN)."""
    config = current_app.config
    return user.locale if user.locale in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def calendar_texts(locale: str) -> Texts:
    with force_locale(babel_locale(locale)):
        return Texts(
            locale=locale,
            status_labels={status: gettext(word) for status, word in STATUS_WORDS.items()},
            purpose=gettext("Purpose"),
            status=gettext("Status"),
            booked=gettext("Booked"),
            full=gettext("Fully booked"),
            # %%-templates filled in per event: escaped here so that gettext leaves them alone.
            places_left=gettext(
                "%(free)s of %(capacity)s places left", free="%(free)d", capacity="%(capacity)d"
            ),
            seats_left=gettext(
                "%(free)s of %(capacity)s seats left", free="%(free)d", capacity="%(capacity)d"
            ),
        )


def calendar_links(*, booking_pages: bool = False, facility_pages: bool = False) -> Links:
    """UID domain, organizer and absolute page URLs, all from the configuration (no request needed).

    UIDs must never change: CALENDAR_UID_DOMAIN, if configured, wins over the host of BASE_URL.
    """
    config = current_app.config
    base = urlsplit(config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )

    def url_maker(endpoint: str, argument: str) -> Callable[[int], str]:
        # url_for once, not once per event of a large feed.
        marker = 987654321
        prefix, _sep, suffix = adapter.build(endpoint, {argument: marker}, force_external=True).partition(
            str(marker)
        )
        return lambda key: f"{prefix}{key}{suffix}"

    return Links(
        uid_domain=config.get("CALENDAR_UID_DOMAIN") or base.hostname or "localhost",
        organizer_email=config.get("CALENDAR_ORGANIZER_EMAIL") or config["MAIL_DEFAULT_SENDER"],
        booking_url=url_maker("bookings.detail", "booking_id") if booking_pages else None,
        facility_url=url_maker("catalog.detail", "resource_id") if facility_pages else None,
    )


def booking_calendar(booking: Booking, locale: str) -> bytes:
    """One booking's .ics in `locale`, to download and import (METHOD:PUBLISH)."""
    return booking_file(booking_row(booking), calendar_texts(locale), calendar_links(booking_pages=True))


def invitation(bookings: Booking | Sequence[Booking], holder: User) -> bytes:
    """The .ics an email carries to the booking's holder, in their language: REQUEST while the bookings
    hold their slots (a new, approved or moved booking; a series' bookings), CANCEL once they no longer
    do. Same UIDs as every other file and feed; SEQUENCE has risen with each change."""
    chosen = [bookings] if isinstance(bookings, Booking) else list(bookings)
    withdrawn = all(b.status in WITHDRAWN for b in chosen)
    return booking_file(
        [booking_row(b) for b in chosen],
        calendar_texts(owner_locale(holder)),
        calendar_links(booking_pages=True),
        method=CANCEL if withdrawn else REQUEST,
        attendee=Attendee(holder.email, holder.display_name),
    )


def booking_version(booking: Booking) -> tuple[int, datetime]:
    """The SEQUENCE and last change of a booking's event: its own, its facility's and its university's."""
    resource = booking.resource
    university = resource.university
    return (
        booking.sequence + resource.calendar_version + university.calendar_version,
        _later(booking.updated_at, resource.calendar_updated_at, university.calendar_updated_at),
    )


def booking_row(booking: Booking) -> BookingRow:
    """The same values as a feed row, for one booking already loaded."""
    resource = booking.resource
    university = resource.university
    sequence, changed = booking_version(booking)
    return BookingRow(
        id=booking.id,
        uuid=booking.uuid,
        start_at=booking.start_at,
        end_at=booking.end_at,
        status=booking.status,
        sequence=sequence,
        updated_at=changed,
        purpose=booking.purpose,
        all_day=resource.mode == Mode.PLACEMENT,
        shared=resource.mode != Mode.EXCLUSIVE,
        capacity=resource.capacity,
        party_size=booking.party_size,
        resource_id=resource.id,
        timezone=resource.timezone,
        resource_zh=resource.name_zh,
        resource_en=resource.name_en,
        address=resource.address,
        latitude=resource.latitude,
        longitude=resource.longitude,
        university_zh=university.name_zh,
        university_en=university.name_en,
    )


def public_facility(resource_id: int) -> Resource:
    """A facility whose busy times anyone may see: it exists and is listed."""
    # Only its own columns are needed: skip the hours, tags and policy the model loads eagerly.
    resource = db.session.scalar(sa.select(Resource).where(Resource.id == resource_id).options(lazyload("*")))
    if resource is None or not resource.active:
        raise NotFound
    return resource


def university(university_id: int) -> Organization:
    org = db.session.get(Organization, university_id)
    if org is None or org.kind != OrganizationKind.UNIVERSITY:
        raise NotFound
    return org


def manageable_universities(user: User) -> list[Organization]:
    """The universities `user` may import closures for: their own, or every one for an admin."""
    query = sa.select(Organization).where(Organization.kind == OrganizationKind.UNIVERSITY)
    if not user.is_admin:
        if user.manages_id is None:
            return []
        query = query.where(Organization.id == user.manages_id)
    return list(db.session.scalars(query.order_by(Organization.code)))


# --- closures from an academic calendar ----------------------------------------------------------------

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_EVENTS = 1000
MAX_REASON = 200
# Closures beyond these are surely a mistake in the file (a 10-year "holiday", a date in 1900).
MAX_CLOSURE = timedelta(days=366)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
FALLBACK_REASON = "校历"  # an event without a SUMMARY: "academic calendar"
_VEVENT_LINE = re.compile(rb"^BEGIN:VEVENT[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)


def refusal(code: str) -> Invalid:
    """Why an uploaded file cannot be imported (nothing was read from it), for its `file` field."""
    messages = {
        "too_large": N_("The file is larger than %(limit)s MB. Please upload a smaller calendar."),
        "not_calendar": N_(
            "This is not an iCalendar (.ics) file. Please export the calendar as .ics and try again."
        ),
        "malformed": N_("The calendar file could not be read: it is damaged or not valid iCalendar."),
        "too_many_events": N_(
            "The calendar has more than %(limit)s events. Please split it into smaller files."
        ),
        "no_events": N_("The calendar contains no events."),
        "too_many_dates": N_(
            "The calendar's events, with every date of its repeating events, are more than %(limit)s. "
            "Please shorten the repeating events or split the file."
        ),
    }
    params = {
        "too_large": {"limit": MAX_IMPORT_BYTES // (1024 * 1024)},
        "too_many_events": {"limit": MAX_IMPORT_EVENTS},
        "too_many_dates": {"limit": MAX_IMPORT_EVENTS},
    }
    return Invalid(_l(messages[code], **params.get(code, {})), field="file", code=code)


@dataclass(frozen=True)
class PlannedClosure:
    """A closure the import would create; `duplicate` ones already exist and are skipped."""

    start_at: datetime
    end_at: datetime
    reason: str
    all_day: bool
    duplicate: bool = False

    @property
    def key(self) -> tuple[datetime, datetime, str]:
        return self.start_at, self.end_at, self.reason


@dataclass(frozen=True)
class SkippedEvent:
    """An event of the file that becomes no closure, and why (a key of SKIP_MESSAGES)."""

    summary: str
    code: str


SKIP_MESSAGES = {
    "no_start": N_("It has no start."),
    "unreadable": N_("Its dates could not be read."),
    "no_end": N_("It has no end."),
    "ends_before_start": N_("It ends before it starts."),
    "too_frequent": N_("It repeats more often than every hour."),
    "orphan_override": N_("It changes one date of a repeating event that is not in the file."),
    "bad_rule": N_("Its repeat rule could not be read."),
    "cancelled": N_("It is marked as cancelled."),
    "out_of_range": N_("Its dates are outside 2000–2100."),
    "too_long": N_("It lasts longer than a year."),
}


@dataclass(frozen=True)
class ImportPlan:
    university_id: int
    timezone: str
    closures: list[PlannedClosure]
    skipped: list[SkippedEvent]

    @property
    def new(self) -> list[PlannedClosure]:
        return [c for c in self.closures if not c.duplicate]


def university_timezone(university_id: int) -> str:
    """The zone of a university's facilities (the most common one), where its calendar's days begin."""
    zone_name = db.session.scalar(
        sa.select(Resource.timezone)
        .where(Resource.university_id == university_id)
        .group_by(Resource.timezone)
        .order_by(sa.func.count().desc(), Resource.timezone)
        .limit(1)
    )
    return zone_name or DEFAULT_TIMEZONE


def read_calendar_file(data: bytes, timezone: str) -> tuple[list[PlannedClosure], list[SkippedEvent]]:
    """Closures from the events of an .ics file, or Invalid (`refusal`).

    DATE values are whole local days in `timezone`; DATE-TIME values keep their TZID or UTC, and
    floating times are local. Each event's SUMMARY becomes the closure's reason.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise refusal("too_large")
    calendar = _parse(data)
    events = calendar.walk("VEVENT")
    if len(events) > MAX_IMPORT_EVENTS:
        raise refusal("too_many_events")
    if not events:
        raise refusal("no_events")
    planned: list[PlannedClosure] = []
    skipped: list[SkippedEvent] = []
    for outcome in _outcomes(calendar, events, timezone):
        (planned if isinstance(outcome, PlannedClosure) else skipped).append(outcome)
        if len(planned) > MAX_IMPORT_EVENTS:
            raise refusal("too_many_dates")
    return planned, skipped


# Rules this frequent would make thousands of dates a day; an academic calendar has none of them.
_TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY"})
_EXPAND_FROM = date(EARLIEST_YEAR, 1, 1)


def _outcomes(calendar: Calendar, events: list[Any], tz_name: str) -> Iterator[PlannedClosure | SkippedEvent]:
    """Each single event as a closure (or why not); each repeating event as a closure per date, its
    exceptions (EXDATE) left out and its changed dates (RECURRENCE-ID) applied, by recurring-ical-events.
    A changed date whose repeating event is not in the file is not imported on its own."""
    series: dict[str, list[Any]] = {}
    for event in events:
        series.setdefault(str(event.get("UID", "")), []).append(event)
    for event in events:
        if "RECURRENCE-ID" in event:
            if not any("RECURRENCE-ID" not in e for e in series[str(event.get("UID", ""))]):
                yield SkippedEvent(_summary(event), "orphan_override")
            continue
        if "RRULE" not in event and "RDATE" not in event:
            yield _closure_of(event, tz_name)
            continue
        yield from _occurrences(calendar, series[str(event.get("UID", ""))], event, tz_name)


def _occurrences(
    calendar: Calendar, components: list[Any], master: Any, tz_name: str
) -> Iterator[PlannedClosure | SkippedEvent]:
    summary = _summary(master)
    found = master.get("RRULE", [])
    rules = found if isinstance(found, list) else [found]
    if any(isinstance(rule, vBroken) for rule in rules):
        yield SkippedEvent(summary, "bad_rule")
        return
    frequencies = {str(f).upper() for rule in rules for f in rule.get("FREQ", [])}
    if frequencies & _TOO_FREQUENT:
        yield SkippedEvent(summary, "too_frequent")
        return
    first = copy.copy(master)
    for name in ("RRULE", "RDATE", "EXDATE"):
        first.pop(name, None)
    checked = _closure_of(first, tz_name)
    if isinstance(checked, SkippedEvent):
        yield checked  # what is wrong with its first date is wrong with every date
        return
    one = Calendar()
    one.subcomponents = [*calendar.walk("VTIMEZONE"), *components]
    dates: list[PlannedClosure | SkippedEvent] = []
    try:
        for occurrence in recurring_ical_events.of(one).after(_EXPAND_FROM):
            start = getattr(occurrence.get("DTSTART"), "dt", None)
            if start is None or start.year > LATEST_YEAR or len(dates) > MAX_IMPORT_EVENTS:
                break  # beyond the range, or already too many: the caller refuses the file
            dates.append(_closure_of(occurrence, tz_name))
    except (ValueError, TypeError, KeyError, OverflowError):  # recurring_ical_events.InvalidCalendar is one
        dates = [SkippedEvent(summary, "bad_rule")]
    yield from dates


def _summary(event: Any) -> str:
    return one_line(str(event.get("SUMMARY", "")))[:MAX_REASON]


def _parse(data: bytes) -> Calendar:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refusal("not_calendar") from exc
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise refusal("not_calendar")
    # Counted before parsing, so a huge number of events costs no parsing at all.
    if len(_VEVENT_LINE.findall(data)) > MAX_IMPORT_EVENTS:
        raise refusal("too_many_events")
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as exc:  # what icalendar raises on broken input
        raise refusal("malformed") from exc
    if not isinstance(calendar, Calendar):
        raise refusal("malformed")
    return calendar


def _instant(value: Any, tz_name: str) -> datetime | None:
    """A DTSTART/DTEND value as a UTC instant: a date is local midnight, a floating time is local."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return to_utc(value.replace(tzinfo=None), zone(tz_name))
        return value.astimezone(UTC)
    if isinstance(value, date):
        return day_start_utc(value, zone(tz_name))
    return None


def _value(event: Any, name: str) -> Any:
    """A property's date/time/duration value; None when missing, _BROKEN when it could not be parsed."""
    prop = event.get(name)
    if prop is None:
        return None
    if isinstance(prop, vBroken):
        return _BROKEN
    return getattr(prop, "dt", _BROKEN)


_BROKEN = object()


def _closure_of(event: Any, tz_name: str) -> PlannedClosure | SkippedEvent:
    summary = _summary(event)
    start_value = _value(event, "DTSTART")
    end_value = _value(event, "DTEND")
    duration = _value(event, "DURATION")
    if _BROKEN in (start_value, end_value, duration):
        return SkippedEvent(summary, "unreadable")
    # Checked before any arithmetic: year 1 or 9999 would overflow on the way to UTC.
    if any(
        isinstance(v, date) and not EARLIEST_YEAR <= v.year <= LATEST_YEAR for v in (start_value, end_value)
    ):
        return SkippedEvent(summary, "out_of_range")
    start = _instant(start_value, tz_name)
    if start is None:
        return SkippedEvent(summary, "no_start")
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return SkippedEvent(summary, "cancelled")
    all_day = not isinstance(start_value, datetime)
    try:
        end = _end(start, start_value, end_value, duration, all_day, tz_name)
    except OverflowError:  # a DURATION of millions of weeks runs past the year 9999
        return SkippedEvent(summary, "out_of_range")
    if end is None:
        return SkippedEvent(summary, "no_end")
    if end <= start:
        return SkippedEvent(summary, "ends_before_start")
    if end - start > MAX_CLOSURE:
        return SkippedEvent(summary, "too_long")
    return PlannedClosure(start, end, summary or FALLBACK_REASON, all_day)


def _end(
    start: datetime, start_value: Any, end_value: Any, duration: Any, all_day: bool, tz_name: str
) -> datetime | None:
    if end_value is not None:
        return _instant(end_value, tz_name)
    if isinstance(duration, timedelta):
        return day_start_utc(start_value + duration, zone(tz_name)) if all_day else start + duration
    if all_day:
        return day_start_utc(start_value + timedelta(days=1), zone(tz_name))
    return None


def _existing_keys(
    university_id: int, closures: Sequence[PlannedClosure]
) -> set[tuple[datetime, datetime, str]]:
    """(start, end, reason) of the university-wide closures that could match `closures`, in one query."""
    if not closures:
        return set()
    rows = db.session.execute(
        sa.select(Closure.start_at, Closure.end_at, Closure.reason_zh, Closure.reason_en).where(
            Closure.university_id == university_id,
            Closure.resource_id.is_(None),
            Closure.start_at >= min(c.start_at for c in closures),
            Closure.end_at <= max(c.end_at for c in closures),
        )
    ).all()
    return {(start, end, reason) for start, end, zh, en in rows for reason in (zh, en)}


def _mark_duplicates(university_id: int, closures: Sequence[PlannedClosure]) -> list[PlannedClosure]:
    """Closures marked as duplicates where the university already has one (or the file repeats one)."""
    seen = _existing_keys(university_id, closures)
    marked = []
    for closure in closures:
        duplicate = closure.key in seen
        seen.add(closure.key)
        marked.append(PlannedClosure(*closure.key, closure.all_day, duplicate=duplicate))
    return marked


def plan_import(university_id: int, data: bytes) -> ImportPlan:
    """What importing `data` for the university would create and skip. Writes nothing."""
    university(university_id)
    timezone = university_timezone(university_id)
    planned, skipped = read_calendar_file(data, timezone)
    planned.sort(key=lambda c: (c.start_at, c.end_at, c.reason))
    return ImportPlan(university_id, timezone, _mark_duplicates(university_id, planned), skipped)


@dataclass(frozen=True)
class ImportResult:
    created: list[Closure]
    duplicates: int


def import_closures(
    user: User, university_id: int, closures: Iterable[PlannedClosure], *, now: datetime
) -> ImportResult:
    """Create the university-wide closures of a confirmed preview in one transaction, audited.

    The preview travelled through the browser, so every closure is checked again here, and duplicates
    are looked up again under the university's lock (someone may have imported the same file meanwhile).
    """
    wanted = [_checked(c) for c in closures]
    with write_transaction():
        if not can_manage(user, university_id):
            raise NotFound
        university(university_id)
        lock_rows(organization_ids=[university_id])
        marked = _mark_duplicates(university_id, wanted)
        created = [
            Closure(
                university_id=university_id,
                resource_id=None,
                start_at=c.start_at,
                end_at=c.end_at,
                reason_zh=c.reason,
                reason_en=c.reason,
                created_by_id=user.id,
                created_at=now,
            )
            for c in marked
            if not c.duplicate
        ]
        db.session.add_all(created)
        db.session.flush()
        for closure in created:
            audit.about(
                closure,
                AuditAction.CLOSURE_CREATED,
                actor_id=user.id,
                at=now,
                source="ics_import",
                start=closure.start_at.isoformat(),
                end=closure.end_at.isoformat(),
                reason=closure.reason_zh,
            )
    return ImportResult(created=created, duplicates=len(marked) - len(created))


def _checked(closure: PlannedClosure) -> PlannedClosure:
    start, end = closure.start_at, closure.end_at
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("closure times must be timezone-aware")
    reason = one_line(closure.reason)[:MAX_REASON] or FALLBACK_REASON
    if not (timedelta(0) < end - start <= MAX_CLOSURE):
        raise ValueError("closure span out of range")
    if not (start.year >= EARLIEST_YEAR and end.year <= LATEST_YEAR):
        raise ValueError("closure dates out of range")
    return PlannedClosure(start.astimezone(UTC), end.astimezone(UTC), reason, closure.all_day)
