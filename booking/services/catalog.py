"""The facility catalog: finding active facilities by filters, their next free slot, and one facility's week.

Read-only queries. Availability comes from the engine (`is_free`, `next_free_slot`, `week_grid`) over
closures and bookings loaded in one query each for all the facilities concerned (see `specs`). The
free-between search first narrows every candidate down in one SQL query (`free_facility_ids`) and hands the
engine only the facilities SQL cannot settle exactly.
"""

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, joinedload

from booking import engine
from booking.engine.localtime import MIDNIGHT, day_start_utc, local_midnight, to_local, to_utc, zone
from booking.services import search as text_search
from booking.services import specs
from booking.services.errors import NotFound
from models import (
    ACTIVE_STATUSES,
    Booking,
    Closure,
    Mode,
    OpeningHours,
    Organization,
    OrganizationKind,
    Policy,
    Quota,
    QuotaPeriod,
    Resource,
    ResourceKind,
    ResourceTag,
    User,
    UTCDateTime,
    db,
)

# How far ahead the list looks for a facility's next free slot, and the facility page for closures.
NEXT_FREE_HORIZON_DAYS = 14
CLOSURES_AHEAD_DAYS = 60


@dataclass(frozen=True)
class FreeWindow:
    """A local date and wall-clock span, read in each facility's own time zone; end 00:00 is midnight."""

    day: date
    start: time
    end: time

    def interval(self, timezone: str) -> engine.Interval:
        tz = zone(timezone)
        end_day = self.day + timedelta(days=1) if self.end == time(0, 0) else self.day
        return engine.Interval(
            to_utc(datetime.combine(self.day, self.start), tz),
            to_utc(datetime.combine(end_day, self.end), tz),
        )


@dataclass(frozen=True)
class Filters:
    """What the reader asked for; empty values do not filter. `tags` must all be present (lower-case)."""

    kind: ResourceKind | None = None
    university_id: int | None = None
    campus: str = ""
    min_capacity: int | None = None
    tags: tuple[str, ...] = ()
    text: str = ""
    free: FreeWindow | None = None


@dataclass(frozen=True)
class CatalogEntry:
    resource: Resource
    next_free: engine.Interval | None
    # For a free-between search: whether the reader may book the searched span there, and if not why.
    verdict: engine.SlotVerdict | None = None


@dataclass(frozen=True)
class CatalogPage:
    entries: tuple[CatalogEntry, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def beyond_last_page(page: int) -> NotFound:
    """The page asked for lies beyond the last page of results."""
    return NotFound(_l("There is no page %(page)s of these results.", page=page))


@dataclass(frozen=True)
class FilterChoices:
    """What the filter form offers: universities, known equipment tags and campus names."""

    universities: list[Organization]
    tags: list[str]
    campuses: list[str]


@dataclass(frozen=True)
class FacilityWeek:
    """Everything the facility page shows: the facility, its rules, hours, closures, quotas and one week."""

    resource: Resource
    spec: engine.ResourceSpec
    grid: engine.WeekGrid
    this_week: date
    upcoming_closures: list[Closure]
    quotas: list[Quota]
    hours_by_weekday: list[list[OpeningHours]] = field(default_factory=list)
    # For a visitor (nobody signed in): a digest of everything the grid was computed from, the same for
    # every visitor until a booking, closure, policy, hours or facility change (or the minute) moves it.
    version: str | None = None

    @property
    def previous_week(self) -> date:
        return self.grid.week_start - timedelta(days=7)

    @property
    def next_week(self) -> date:
        return self.grid.week_start + timedelta(days=7)


def kind_counts() -> dict[ResourceKind, int]:
    """How many active facilities there are of each kind (kinds with none are absent)."""
    rows = db.session.execute(
        sa.select(Resource.kind, sa.func.count(Resource.id))
        .where(Resource.active.is_(True))
        .group_by(Resource.kind)
    )
    return {ResourceKind(kind): count for kind, count in rows}


def filter_choices() -> FilterChoices:
    universities = db.session.scalars(
        sa.select(Organization)
        .where(Organization.kind == OrganizationKind.UNIVERSITY)
        .order_by(Organization.id)
    ).all()
    tags = db.session.scalars(
        sa.select(ResourceTag.tag)
        .join(Resource, Resource.id == ResourceTag.resource_id)
        .where(Resource.active.is_(True))
        .distinct()
        .order_by(ResourceTag.tag)
    ).all()
    campuses = db.session.scalars(
        sa.select(Resource.campus)
        .where(Resource.active.is_(True), Resource.campus != "")
        .distinct()
        .order_by(Resource.campus)
    ).all()
    return FilterChoices(list(universities), list(tags), list(campuses))


def search(
    filters: Filters,
    *,
    page: int,
    per_page: int,
    now: datetime,
    locale: str | None = None,
    user: User | None = None,
) -> CatalogPage:
    """One page of active facilities matching every filter, each with its next free slot; with a free
    window, each also with the engine's verdict on booking that span for `user` (anyone if None).

    Raises NotFound when `page` lies beyond the last page (page 1 always exists, perhaps empty).
    """
    if page < 1:
        raise beyond_last_page(page)
    query = _matching(filters)
    if filters.free is None:
        counted = query.with_only_columns(Resource.id).order_by(None).subquery()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(counted))
        _check_page(page, total or 0, per_page)
        resources = db.session.scalars(
            query.options(*specs.SPEC_LOAD_OPTIONS).offset((page - 1) * per_page).limit(per_page)
        ).all()
    else:
        free_ids = free_facility_ids(filters, filters.free, now)
        total = len(free_ids)
        _check_page(page, total, per_page)
        resources = _in_order(free_ids[(page - 1) * per_page : page * per_page])
    # With a window the cards show it (and whether the reader may book it), not the next free slot.
    if filters.free is None:
        next_free, verdicts = next_free_slots(resources, now, locale), {}
    else:
        next_free = dict.fromkeys((r.id for r in resources), None)
        verdicts = window_verdicts(resources, filters.free, now, user, locale)
    entries = tuple(CatalogEntry(r, next_free[r.id], verdicts.get(r.id)) for r in resources)
    return CatalogPage(entries, total or 0, page, per_page)


def window_verdicts(
    resources: Sequence[Resource], window: FreeWindow, now: datetime, user: User | None, locale: str | None
) -> dict[int, engine.SlotVerdict]:
    """The engine's verdict on booking the window (read in each facility's zone) for `user`, loaded
    once for all the facilities: closures, bookings, the reader's quotas and usage."""
    if not resources:
        return {}
    intervals = {r.id: window.interval(r.timezone) for r in resources}
    begin = min(i.start for i in intervals.values())
    end = max(i.end for i in intervals.values())
    reach = max(grid_reach(r) for r in resources)
    closures = specs.load_closures(resources, begin, end + reach)
    occupancy = specs.load_occupancy([r.id for r in resources], begin, end + reach)
    resource_specs = {r.id: specs.resource_spec(r, closures[r.id], locale) for r in resources}
    viewer = viewer_for(user, list(resource_specs.values()), engine.Interval(begin, end), now)
    return {
        r.id: engine.verdict(
            resource_specs[r.id],
            engine.BookingRequest(intervals[r.id].start, intervals[r.id].end),
            viewer,
            occupancy[r.id],
            now,
        )
        for r in resources
    }


def _check_page(page: int, total: int, per_page: int) -> None:
    pages = max(1, math.ceil(total / per_page))
    if page > pages:
        raise beyond_last_page(page)


def matching_facilities(filters: Filters, limit: int) -> list[Resource]:
    """The first `limit` active facilities matching `filters` (free window aside), in catalog order,
    loaded with what the engine needs."""
    query = _matching(replace(filters, free=None)).options(*specs.SPEC_LOAD_OPTIONS).limit(limit)
    return list(db.session.scalars(query).unique().all())


MAP_MAX_FACILITIES = 500


def map_facilities(filters: Filters, now: datetime) -> list[Resource]:
    """The facilities the map shows: those matching `filters` (free for the window, if one is given),
    at most MAP_MAX_FACILITIES, in catalog order; those without coordinates too (the list shows them)."""
    if filters.free is None:
        return matching_facilities(filters, MAP_MAX_FACILITIES)
    return _in_order(free_facility_ids(filters, filters.free, now)[:MAP_MAX_FACILITIES])


def _matching(filters: Filters) -> sa.Select[tuple[Resource]]:
    """The facilities matching `filters`: best text matches first (`text_search.rank`), then by university."""
    order: list[Any] = [Resource.university_id, Resource.id]
    words = text_search.words_of(filters.text)
    if words:
        order.insert(0, text_search.rank(words).desc())
    return _filtered(sa.select(Resource), filters).order_by(*order)


def _filtered(query: sa.Select[Any], filters: Filters) -> sa.Select[Any]:
    """`query` (which selects from resource) narrowed to the active facilities matching every filter."""
    query = query.where(Resource.active.is_(True))
    if filters.kind is not None:
        query = query.where(Resource.kind == filters.kind)
    if filters.university_id is not None:
        query = query.where(Resource.university_id == filters.university_id)
    if filters.campus:
        # The reader's % and _ are literal characters, not wildcards.
        query = query.where(Resource.campus.icontains(filters.campus, autoescape=True))
    if filters.min_capacity is not None:
        query = query.where(Resource.capacity >= filters.min_capacity)
    for tag in filters.tags:
        query = query.where(
            sa.exists().where(ResourceTag.resource_id == Resource.id, ResourceTag.tag == tag.lower())
        )
    words = text_search.words_of(filters.text)
    if words:
        query = query.where(*text_search.matches(words, db.session.get_bind().dialect.name))
    return query


def free_facility_ids(filters: Filters, window: FreeWindow, now: datetime) -> list[int]:
    """Ids of the facilities matching `filters` that are free for the whole window, in catalog order.

    What `engine.is_free` answers for each facility, with the window read in its own time zone (and, as
    there, a window that has already begun where a facility is is not free), found without loading the
    facilities: one query settles the window's time zones and buffers, one prefilter settles most
    facilities exactly, and the engine decides the few it cannot (see `_prefilter`).
    """
    pairs = db.session.execute(
        _filtered(
            sa.select(Resource.timezone, _BUFFER_MINUTES)
            .select_from(Resource)
            .outerjoin(Policy, Policy.resource_id == Resource.id),
            filters,
        ).distinct()
    ).all()
    spans = {}
    for timezone, buffer_minutes in pairs:
        span = _LocalSpan.of(window, timezone, buffer_minutes)
        if span.interval.end > span.interval.start and span.interval.start >= now:
            spans[timezone, buffer_minutes] = span
    if not spans:
        return []
    rows = db.session.execute(_prefilter(filters, window, list(spans.values()))).all()
    doubtful = {row.id: row for row in rows if not _settled(row)}
    free_by_engine = _free_by_engine(doubtful, window) if doubtful else set()
    return [row.id for row in rows if row.id not in doubtful or row.id in free_by_engine]


# A facility without a policy row has the default rules: no buffer.
_BUFFER_MINUTES = sa.func.coalesce(Policy.buffer_minutes, 0)


@dataclass(frozen=True)
class _LocalSpan:
    """The window in one time zone with one buffer: the instants the prefilter compares bookings with."""

    timezone: str
    buffer_minutes: int
    interval: engine.Interval
    blocked_until: datetime  # the interval's end plus the buffer: a booking taking it would block this long
    # The zone keeps one UTC offset over the whole local day (no DST change, no jump at midnight), so
    # comparing opening hours with the window in wall-clock time gives what the engine finds in UTC.
    fixed_offset: bool

    @classmethod
    def of(cls, window: FreeWindow, timezone: str, buffer_minutes: int) -> "_LocalSpan":
        interval = window.interval(timezone)
        tz = zone(timezone)
        offsets = {
            local_midnight(day).replace(tzinfo=tz, fold=fold).utcoffset()
            for day in (window.day, window.day + timedelta(days=1))
            for fold in (0, 1)
        }
        return cls(
            timezone=timezone,
            buffer_minutes=buffer_minutes,
            interval=interval,
            blocked_until=interval.end + timedelta(minutes=buffer_minutes),
            fixed_offset=len(offsets) == 1,
        )


def _prefilter(filters: Filters, window: FreeWindow, spans: Sequence[_LocalSpan]) -> sa.Select[Any]:
    """The candidates that may be free, in catalog order: id, mode, capacity, fixed_offset and places
    (taken in the window, or None).

    A facility is left out when it certainly is not free: a closure of its own or of its whole university
    overlaps the window; on a fixed-offset day, its opening hours on that local weekday do not hold the
    window (`_within_hours`); or, exclusive, an active booking overlaps the window with its buffer. Those
    kept are certainly free unless the day is one where their zone changes offset (wall-clock times then
    differ from the engine's UTC ones) or, shared or a placement, the places taken by every overlapping
    booking add up to the capacity, although bookings that never meet do not add up (the engine's peak
    sweep decides). `_settled` tells which.
    """
    # The window in each (time zone, buffer) pair of the candidates, as a small table of parameters.
    rows = [
        sa.select(
            sa.literal(span.timezone, sa.String()).label("timezone"),
            sa.literal(span.buffer_minutes, sa.Integer()).label("buffer_minutes"),
            sa.literal(span.interval.start, UTCDateTime()).label("start_at"),
            sa.literal(span.interval.end, UTCDateTime()).label("end_at"),
            sa.literal(span.blocked_until, UTCDateTime()).label("blocked_until"),
            sa.literal(span.fixed_offset, sa.Boolean()).label("fixed_offset"),
        )
        for span in spans
    ]
    local = (rows[0] if len(rows) == 1 else sa.union_all(*rows)).cte("local_span")
    in_its_zone = sa.and_(local.c.timezone == Resource.timezone, local.c.buffer_minutes == _BUFFER_MINUTES)
    # Active bookings near the window, found once through the status index: their number is bounded by the
    # booking horizon, not by history as a scan of each facility's bookings would be (materialized, or
    # PostgreSQL plans that scan per facility).
    near = (
        sa.select(Booking.resource_id, Booking.start_at, Booking.blocked_until, Booking.party_size)
        .where(
            Booking.status.in_(sorted(ACTIVE_STATUSES)),
            Booking.start_at < max(span.blocked_until for span in spans),
            Booking.blocked_until > min(span.interval.start for span in spans),
        )
        .cte("near_booking")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    taken = (
        sa.select(near.c.resource_id, sa.func.sum(near.c.party_size).label("places"))
        .join(Resource, Resource.id == near.c.resource_id)
        .outerjoin(Policy, Policy.resource_id == Resource.id)
        .join(local, in_its_zone)
        .where(near.c.start_at < local.c.blocked_until, near.c.blocked_until > local.c.start_at)
        .group_by(near.c.resource_id)
        .subquery("taken")
    )
    overlapping = sa.and_(Closure.start_at < local.c.end_at, Closure.end_at > local.c.start_at)
    closed = sa.exists().where(Closure.resource_id == Resource.id, overlapping)
    university_closed = sa.exists().where(
        Closure.resource_id.is_(None), Closure.university_id == Resource.university_id, overlapping
    )
    query = (
        sa.select(
            Resource.id,
            Resource.mode,
            Resource.capacity,
            local.c.fixed_offset,
            taken.c.places,
        )
        .select_from(Resource)
        .outerjoin(Policy, Policy.resource_id == Resource.id)
        .join(local, in_its_zone)
        .outerjoin(taken, taken.c.resource_id == Resource.id)
        .where(
            ~closed,
            ~university_closed,
            sa.or_(Resource.mode == Mode.PLACEMENT, ~local.c.fixed_offset, _within_hours(window)),
            sa.or_(Resource.mode != Mode.EXCLUSIVE, taken.c.places.is_(None)),
        )
    )
    return _filtered(query, filters).order_by(Resource.university_id, Resource.id)


def _within_hours(window: FreeWindow) -> sa.ColumnElement[bool]:
    """Whether the facility's opening hours on the window's weekday hold all of it, touching or overlapping
    ones joined (08-12 and 12-14 hold 11-13), compared in wall-clock time (exact on a fixed-offset day).

    They do when one of them holds the start and no closing time inside the window is a gap: a closing
    time that no opening holds. Closing at 00:00 is midnight, the end of the day.
    """
    hours = aliased(OpeningHours)
    inside = [hours.closes != MIDNIGHT, hours.closes > window.start]
    if window.end != MIDNIGHT:
        inside.append(hours.closes < window.end)
    gap = sa.exists().where(
        hours.resource_id == Resource.id,
        hours.weekday == window.day.weekday(),
        *inside,
        ~_open_at(hours.resource_id, window, hours.closes),
    )
    return sa.and_(_open_at(Resource.id, window, window.start), ~gap)


def _open_at(
    resource_id: sa.ColumnElement[int], window: FreeWindow, moment: time | sa.ColumnElement[time]
) -> sa.Exists:
    """Whether one of the facility's openings on the window's weekday holds a wall-clock time."""
    return sa.exists().where(
        OpeningHours.resource_id == resource_id,
        OpeningHours.weekday == window.day.weekday(),
        OpeningHours.opens <= moment,
        sa.or_(OpeningHours.closes == MIDNIGHT, OpeningHours.closes > moment),
    )


def _settled(row: sa.Row[Any]) -> bool:
    """Whether the prefilter's row is certainly free (see `_prefilter`)."""
    # Kept rows on a fixed-offset day are within hours: `_within_hours` is exact there.
    hours_settled = row.mode is Mode.PLACEMENT or bool(row.fixed_offset)
    return hours_settled and _room_settled(row)


def _room_settled(row: sa.Row[Any]) -> bool:
    # A sum of places below the capacity bounds the peak; exclusive rows left have no booking in the way.
    return row.mode is Mode.EXCLUSIVE or (row.places or 0) < row.capacity


def _free_by_engine(doubtful: dict[int, sa.Row[Any]], window: FreeWindow) -> set[int]:
    """Of the facilities the prefilter left in doubt, those the engine finds free.

    None of them has a closure in the window (the prefilter is exact there), so their specs carry none;
    their bookings are loaded, in one query, only where the room is in doubt.
    """
    resources = (
        db.session.scalars(
            sa.select(Resource).where(Resource.id.in_(list(doubtful))).options(*specs.SPEC_LOAD_OPTIONS)
        )
        .unique()
        .all()
    )
    intervals = {r.id: window.interval(r.timezone) for r in resources}
    crowded = [r for r in resources if not _room_settled(doubtful[r.id])]
    occupancy: dict[int, list[engine.Occupancy]] = {}
    if crowded:
        start = min(intervals[r.id].start for r in crowded)
        end = max(
            engine.blocked_span(intervals[r.id].start, intervals[r.id].end, specs.policy_spec(r.policy)).end
            for r in crowded
        )
        occupancy = specs.load_occupancy([r.id for r in crowded], start, end)
    return {
        r.id
        for r in resources
        if engine.is_free(specs.resource_spec(r), intervals[r.id], occupancy.get(r.id, ()))
    }


def _in_order(resource_ids: Sequence[int]) -> list[Resource]:
    """The facilities with these ids, loaded for the catalog, in the order given."""
    if not resource_ids:
        return []
    loaded = db.session.scalars(
        sa.select(Resource).where(Resource.id.in_(list(resource_ids))).options(*specs.SPEC_LOAD_OPTIONS)
    ).unique()
    by_id = {r.id: r for r in loaded}
    return [by_id[resource_id] for resource_id in resource_ids]


def next_free_slots(
    resources: Sequence[Resource], now: datetime, locale: str | None = None
) -> dict[int, engine.Interval | None]:
    """The next free slot of each facility within the booking window (at most two weeks ahead)."""
    if not resources:
        return {}
    end = now + timedelta(days=NEXT_FREE_HORIZON_DAYS + 1)
    resource_specs = specs.specs_with_closures(resources, now, end, locale)
    occupancy = specs.load_occupancy([r.id for r in resources], now, end)
    result = {}
    for r in resources:
        spec = resource_specs[r.id]
        horizon = max(1, min(NEXT_FREE_HORIZON_DAYS, spec.policy.max_advance_days))
        result[r.id] = engine.next_free_slot(spec, occupancy[r.id], now, horizon_days=horizon)
    return result


def active_facility(resource_id: int) -> Resource | None:
    resource = db.session.scalar(
        sa.select(Resource).where(Resource.id == resource_id).options(*specs.SPEC_LOAD_OPTIONS)
    )
    return resource if resource is not None and resource.active else None


def local_today(resource: Resource, now: datetime) -> date:
    return to_local(now, zone(resource.timezone)).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def viewer_for(
    user: User | None,
    resources: Sequence[engine.ResourceSpec],
    span: engine.Interval,
    now: datetime,
    *,
    excluding: int | None = None,
) -> engine.Viewer | None:
    """What the engine needs to judge slots in `span` for `user` on these facilities: their requester
    spec, the quotas that may apply and their usage, each loaded once (None for nobody signed in)."""
    if user is None:
        return None
    requester = specs.requester_spec(user)
    universities = {spec.university_id for spec in resources}
    quotas = [
        quota
        for university_id in sorted(universities)
        for quota in specs.load_quotas(university_id)
        if any(engine.quota_applies(quota, spec, requester) for spec in resources)
    ]
    usage: list[engine.UsageItem] = []
    if quotas:
        not_over = any(quota.period is QuotaPeriod.ACTIVE for quota in quotas)
        excluded = () if excluding is None else (excluding,)
        usage = specs.load_usage([user], span, now, not_over=not_over, exclude_booking_ids=excluded)
    return engine.Viewer(requester, tuple(quotas), tuple(usage))


def facility_week(
    resource_id: int,
    week_of: date | None,
    now: datetime,
    locale: str | None = None,
    user: User | None = None,
) -> FacilityWeek | None:
    """The facility page of an active facility for the week holding `week_of` (default: this week), or None.

    Weeks run Monday to Sunday in the facility's time zone; each cell is judged for `user` (see
    `engine.slot_verdict`), or for anyone when nobody is signed in.
    """
    resource = active_facility(resource_id)
    if resource is None:
        return None
    tz = zone(resource.timezone)
    this_week = monday_of(local_today(resource, now))
    week_start = monday_of(week_of) if week_of is not None else this_week
    week_begin = day_start_utc(week_start, tz)
    week_end = day_start_utc(week_start + timedelta(days=7), tz)
    ahead = now + timedelta(days=CLOSURES_AHEAD_DAYS)
    # Bookings and closures a slot's smallest booking (buffer in) reaches past the week decide cells too.
    reach = grid_reach(resource)
    # One closure query serves both the week's grid and the list of closures ahead.
    closures = specs.load_closures([resource], min(week_begin, now), max(week_end + reach, ahead))
    closures = closures[resource.id]
    in_week = [c for c in closures if c.start_at < week_end + reach and c.end_at > week_begin]
    upcoming = [c for c in closures if c.start_at < ahead and c.end_at > now]
    spec = specs.resource_spec(resource, in_week, locale)
    occupancy = specs.load_occupancy([resource.id], week_begin - reach, week_end + reach)[resource.id]
    version = None
    quotas = applicable_quotas(resource)
    if user is None:
        grid, grid_version = _visitors_grid(spec, week_start, occupancy, now)
        version = _page_version(grid_version, resource, upcoming, quotas)
    else:
        viewer = viewer_for(user, [spec], engine.Interval(week_begin, week_end), now)
        grid = engine.week_grid(spec, week_start, occupancy, now, viewer)
    hours_by_weekday: list[list[OpeningHours]] = [[] for _ in range(7)]
    for hours in sorted(resource.hours, key=lambda h: (h.weekday, h.opens)):
        hours_by_weekday[hours.weekday].append(hours)
    return FacilityWeek(
        resource=resource,
        spec=spec,
        grid=grid,
        this_week=this_week,
        upcoming_closures=upcoming,
        quotas=quotas,
        hours_by_weekday=hours_by_weekday,
        version=version,
    )


class _Grids:
    """The week grids visitors see, each under everything it is computed from: the facility's spec (policy,
    hours, closures, names), the week, its bookings and the minute. Read afresh on every request, these
    inputs are the version: a booking, a closure or a policy change makes another key, never a stale grid.
    Slots start on whole minutes, so a grid judged at one moment of a minute holds for all of it."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self.grids: OrderedDict[Hashable, tuple[engine.WeekGrid, str]] = OrderedDict()
        self.lock = threading.Lock()

    def get(
        self, spec: engine.ResourceSpec, week_start: date, occupancy: list[engine.Occupancy], now: datetime
    ) -> tuple[engine.WeekGrid, str]:
        key = (spec, week_start, tuple(occupancy), now.replace(second=0, microsecond=0))
        with self.lock:
            found = self.grids.get(key)
            if found is not None:
                self.grids.move_to_end(key)
                return found
        grid = engine.week_grid(spec, week_start, occupancy, now, None)
        found = (grid, hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest())
        with self.lock:
            self.grids[key] = found
            while len(self.grids) > self.kept:
                self.grids.popitem(last=False)
        return found


_visitors_grid = _Grids(kept=512).get


def _page_version(grid_version: str, resource: Resource, upcoming: list[Closure], quotas: list[Quota]) -> str:
    """The grid's version with the rest of what the facility page shows: the facility's own columns, its
    policy, tags and university, the closures ahead and the limits that apply."""
    facts = (
        grid_version,
        [(a.key, getattr(resource, a.key)) for a in sa.inspect(Resource).column_attrs],
        [(a.key, getattr(resource.policy, a.key)) for a in sa.inspect(Policy).column_attrs],
        sorted(resource.tag_names),
        [(c.id, c.start_at, c.end_at, c.reason_zh, c.reason_en) for c in upcoming],
        [[(a.key, getattr(q, a.key)) for a in sa.inspect(Quota).column_attrs] for q in quotas],
    )
    return hashlib.blake2b(repr(facts).encode(), digest_size=12).hexdigest()


AROUND_DAYS = 3


def around_booking(booking: Booking, now: datetime, locale: str | None = None) -> engine.WeekGrid:
    """The facility's slots from the day before a booking (not before today) for three days, judged for
    its holder as if the booking were not there: where it could move to."""
    resource = db.session.scalar(
        sa.select(Resource).where(Resource.id == booking.resource_id).options(*specs.SPEC_LOAD_OPTIONS)
    )
    assert resource is not None
    tz = zone(resource.timezone)
    first = max(to_local(booking.start_at, tz).date() - timedelta(days=1), local_today(resource, now))
    begin = day_start_utc(first, tz)
    end = day_start_utc(first + timedelta(days=AROUND_DAYS), tz)
    reach = grid_reach(resource)
    closures = specs.load_closures([resource], begin, end + reach)[resource.id]
    spec = specs.resource_spec(resource, closures, locale)
    occupancy = specs.load_occupancy(
        [resource.id], begin - reach, end + reach, exclude_booking_ids=(booking.id,)
    )[resource.id]
    viewer = viewer_for(booking.user, [spec], engine.Interval(begin, end), now, excluding=booking.id)
    return engine.week_grid(spec, first, occupancy, now, viewer, days=AROUND_DAYS)


def grid_reach(resource: Resource) -> timedelta:
    """How far past a grid's last day a slot's smallest booking with its buffer may reach."""
    policy = specs.policy_spec(resource.policy)
    if resource.mode is Mode.PLACEMENT:
        return timedelta(days=max(1, -(-policy.min_minutes // (24 * 60))) + 1)
    slot = max(1, resource.slot_minutes)
    return timedelta(minutes=max(policy.min_minutes, slot) + slot + policy.buffer_minutes)


def applicable_quotas(resource: Resource) -> list[Quota]:
    """The quotas that count bookings of this facility: its university's, for all, its kind, or itself."""
    return list(
        db.session.scalars(
            sa.select(Quota)
            .where(
                Quota.university_id == resource.university_id,
                sa.or_(Quota.resource_id.is_(None), Quota.resource_id == resource.id),
                sa.or_(Quota.resource_kind.is_(None), Quota.resource_kind == resource.kind),
            )
            .options(joinedload(Quota.university))
            .order_by(Quota.id)
        ).all()
    )
