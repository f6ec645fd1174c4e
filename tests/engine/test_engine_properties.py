"""Property tests: the engine agrees with a brute-force minute-by-minute oracle and never double books."""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine_builders import resource as facility
from hypothesis import event, given, settings
from hypothesis import strategies as st

from booking.engine import (
    BookingRequest,
    ClosureSpec,
    HoursSpec,
    Occupancy,
    PolicySpec,
    RequesterSpec,
    ResourceSpec,
    evaluate,
)
from models.enums import Category, Mode

# A Tuesday and Wednesday with no DST change in any of the zones below.
FIRST_DAY = date(2025, 11, 25)
WINDOW_MINUTES = 2 * 24 * 60
ZONES = ["Asia/Shanghai", "Europe/Berlin", "Asia/Kolkata", "UTC"]
MINUTE = timedelta(minutes=1)
WHO = RequesterSpec(
    user_id=1, organization_id=None, category=Category.RESIDENT, active=True, suspended_until=None
)


@dataclass(frozen=True)
class World:
    resource: ResourceSpec
    origin: datetime  # local midnight of FIRST_DAY, in UTC
    hours: tuple[tuple[int, int, int], ...]  # (weekday, opens minute, closes minute) for the oracle


@st.composite
def worlds(draw: st.DrawFn) -> World:
    timezone = draw(st.sampled_from(ZONES))
    slot = draw(st.sampled_from([15, 30, 60]))
    mode = draw(st.sampled_from([Mode.EXCLUSIVE, Mode.SHARED]))
    capacity = draw(st.integers(1, 5))
    hours = []
    for weekday in (FIRST_DAY.weekday(), FIRST_DAY.weekday() + 1):
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):
            # Opening no earlier than 01:00 keeps a booking from running across midnight into an open day,
            # which the engine (one opening interval of one day) and a minute oracle would judge differently.
            opens = draw(st.integers(4, 60)) * 15
            closes = min(24 * 60, opens + draw(st.sampled_from([4, 16, 40, 64, 80])) * 15)
            hours.append((weekday, opens, closes))
    origin = datetime.combine(FIRST_DAY, time(0)).replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    closures = tuple(
        ClosureSpec(start, start + timedelta(minutes=draw(st.integers(1, 16)) * 15), "Maintenance")
        for start in (
            origin + timedelta(minutes=draw(st.integers(0, WINDOW_MINUTES // 15)) * 15)
            for _ in range(draw(st.sampled_from([0, 0, 1, 2])))
        )
    )
    policy = PolicySpec(
        allowed_categories=frozenset(Category),
        approval_categories=frozenset(),
        min_minutes=draw(st.sampled_from([15, 30, 60])),
        max_minutes=draw(st.sampled_from([60, 120, 240, None])),
        min_notice_minutes=0,
        max_advance_days=30,
        buffer_minutes=draw(st.sampled_from([0, 15])),
    )
    resource = replace(
        facility(
            mode=mode,
            capacity=capacity,
            timezone=timezone,
            slot_minutes=slot,
            hours=tuple(HoursSpec(w, _clock(o), _clock(c)) for w, o, c in hours),
            closures=closures,
        ),
        policy=policy,
    )
    return World(resource, origin, tuple(hours))


def _clock(minute: int) -> time:
    return time(minute // 60 % 24, minute % 60)


@st.composite
def requests(draw: st.DrawFn, world: World) -> BookingRequest:
    # Mostly on the slot grid, sometimes on quarter hours, so both acceptance and misalignment are common.
    grain = draw(st.sampled_from([15, *[world.resource.slot_minutes] * 3]))
    if world.hours and draw(st.integers(0, 3)):
        # Most requests start inside an opening, where the interesting refusals happen.
        weekday, opens, closes = draw(st.sampled_from(world.hours))
        day_offset = (weekday - FIRST_DAY.weekday()) * 24 * 60
        first = -(-opens // grain) * grain
        offset = day_offset + first + draw(st.integers(0, max(0, (closes - first) // grain))) * grain
    else:
        offset = draw(st.integers(0, WINDOW_MINUTES // grain - 1)) * grain
    start = world.origin + timedelta(minutes=offset)
    end = start + timedelta(minutes=draw(st.integers(1, 240 // grain)) * grain)
    # Now and then one more than a shared facility holds.
    most = (
        world.resource.capacity + (draw(st.integers(0, 4)) == 0) if world.resource.mode is Mode.SHARED else 3
    )
    return BookingRequest(start, end, draw(st.integers(1, most)))


@st.composite
def occupancies(draw: st.DrawFn, world: World) -> Occupancy:
    # Existing bookings sit where requests go (often inside openings), so conflicts are common.
    booking = draw(requests(world))
    buffer = timedelta(minutes=world.resource.policy.buffer_minutes)
    return Occupancy(booking.start, booking.end + buffer, draw(st.integers(1, world.resource.capacity)))


def minutes(start: datetime, end: datetime):
    moment = start
    while moment < end:
        yield moment
        moment += MINUTE


def oracle_fits(world: World, request: BookingRequest, existing: list[Occupancy]) -> bool:
    """Brute force: duration, grid, every minute open and not closed, every blocked minute with room."""
    resource, policy = world.resource, world.resource.policy
    tz = ZoneInfo(resource.timezone)
    length = (request.end - request.start) // MINUTE
    if length < policy.min_minutes or (policy.max_minutes is not None and length > policy.max_minutes):
        return False
    for edge in (request.start, request.end):
        local = edge.astimezone(tz)
        if (local.hour * 60 + local.minute) % resource.slot_minutes:
            return False
    if request.party_size < 1 or (resource.mode is Mode.SHARED and request.party_size > resource.capacity):
        return False
    for moment in minutes(request.start, request.end):
        local = moment.astimezone(tz)
        of_day = local.hour * 60 + local.minute
        if not any(w == local.weekday() and o <= of_day < c for w, o, c in world.hours):
            return False
        if any(c.start <= moment < c.end for c in resource.closures):
            return False
    buffer = timedelta(minutes=policy.buffer_minutes)
    for moment in minutes(request.start, request.end + buffer):
        present = [o for o in existing if o.start <= moment < o.blocked_until]
        if resource.mode is Mode.EXCLUSIVE and present:
            return False
        if (
            resource.mode is Mode.SHARED
            and sum(o.party_size for o in present) + request.party_size > resource.capacity
        ):
            return False
    return True


def engine_accepts(world: World, request: BookingRequest, existing: list[Occupancy]) -> bool:
    now = world.origin - timedelta(days=1)
    return evaluate(request, world.resource, WHO, existing, [], [], now).ok


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[World, list[Occupancy], BookingRequest]:
    world = draw(worlds())
    existing = draw(st.lists(occupancies(world), max_size=4))
    return world, existing, draw(requests(world))


@st.composite
def request_sequences(draw: st.DrawFn) -> tuple[World, list[BookingRequest]]:
    world = draw(worlds())
    return world, draw(st.lists(requests(world), min_size=1, max_size=10))


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_engine_accepts_exactly_what_the_minute_oracle_says_fits(scenario):
    world, existing, request = scenario
    fits = oracle_fits(world, request, existing)
    event("fits" if fits else "refused")

    assert engine_accepts(world, request, existing) == fits


@settings(max_examples=200, deadline=None)
@given(request_sequences())
def test_accepted_bookings_never_overlap_or_exceed_capacity(sequence):
    world, candidates = sequence
    buffer = timedelta(minutes=world.resource.policy.buffer_minutes)
    accepted: list[Occupancy] = []

    for request in candidates:
        fits = oracle_fits(world, request, accepted)
        assert engine_accepts(world, request, accepted) == fits
        if fits:
            accepted.append(Occupancy(request.start, request.end + buffer, request.party_size))

    event(f"{world.resource.mode} accepted {min(len(accepted), 3)}+")
    limit = 1 if world.resource.mode is Mode.EXCLUSIVE else world.resource.capacity
    for booking in accepted:
        for moment in minutes(booking.start, booking.blocked_until):
            present = [o for o in accepted if o.start <= moment < o.blocked_until]
            taken = (
                len(present) if world.resource.mode is Mode.EXCLUSIVE else sum(o.party_size for o in present)
            )
            assert taken <= limit
