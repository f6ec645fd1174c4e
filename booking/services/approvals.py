"""Deciding requests: a campus manager's queue of pending bookings, approving and rejecting them.

An approval re-checks what may have changed since the request (closures, the facility itself, the room
left beside the bookings already confirmed) under the same locks as a booking, so approving never
over-fills a facility. Other pending requests do not block an approval: whichever is approved first takes
the place and the later one is refused. Every decision is stored on the booking, audited and told to the
requester in the same transaction; a batch (a series, a selection) approves what it can and says why not
for the rest.
"""

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from booking import engine, notify
from booking.engine.violations import N_, Violation
from booking.services import calendar, specs, waitlist
from booking.services.errors import NotFound, Refused
from booking.services.lifecycle import change_status
from booking.services.permissions import can_manage, get_managed
from booking.services.transactions import lock_rows, write_transaction
from models import Booking, BookingStatus, Resource, Series, User, db

# Rules an approval enforces besides the never-overridable ones (conflicts, capacity, malformed requests):
# what can have changed since the request and makes the booking impossible, not merely against the rules.
_APPROVAL_RULES = frozenset({"closed", "in_past", "resource_inactive"})
_ROOM_CODES = frozenset({"conflict", "capacity"})
QUEUE_LIMIT = 200


def not_pending() -> Violation:
    return Violation(
        "not_pending", N_("This request is no longer awaiting a decision."), {}, overridable=False
    )


def reason_required() -> Violation:
    return Violation("reason_required", N_("Please give a reason."), {}, overridable=False)


@dataclass(frozen=True)
class Verdict:
    """What approving a pending booking now would meet: the problems that refuse it, and whether it
    competes with other pending requests for the same places (approving it may refuse them)."""

    problems: tuple[Violation, ...]
    contested: bool

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class QueueItem:
    booking: Booking
    verdict: Verdict
    series_total: int = 0  # dates in the booking's series (0: not part of one)
    series_pending: int = 0  # of which still awaiting a decision


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]
    total: int  # pending requests in scope; `items` holds at most QUEUE_LIMIT of them, oldest first


@dataclass(frozen=True)
class Outcome:
    """The result of deciding a batch: the bookings decided, and why each of the others was not."""

    decided: list[Booking]
    refused: dict[int, tuple[Violation, ...]] = field(default_factory=dict)
    bookings: dict[int, Booking] = field(default_factory=dict)  # every booking of the batch, by id


# --- reading -----------------------------------------------------------------------------------------


def _scope_filter(viewer: User, university_id: int | None) -> sa.ColumnElement[bool]:
    """Resources of the universities `viewer` may manage, narrowed to `university_id` when given."""
    if university_id is not None and not can_manage(viewer, university_id):
        raise NotFound
    if university_id is not None:
        return Resource.university_id == university_id
    if viewer.is_admin:
        return sa.true()
    if viewer.manages_id is None:
        raise NotFound
    return Resource.university_id == viewer.manages_id


def queue(viewer: User, *, now: datetime, university_id: int | None = None) -> Queue:
    """Pending requests for the facilities `viewer` manages, oldest request first, each with its verdict."""
    scope = _scope_filter(viewer, university_id)
    pending = (
        sa.select(Booking)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(Booking.status == BookingStatus.PENDING, scope)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(pending.subquery())) or 0
    rows = list(
        db.session.scalars(
            pending.options(
                selectinload(Booking.user).selectinload(User.organization),
                selectinload(Booking.resource).options(*_RESOURCE_OPTIONS),
                selectinload(Booking.series),
            )
            .order_by(Booking.created_at, Booking.id)
            .limit(QUEUE_LIMIT)
        )
    )
    verdicts = verdicts_for(rows, now)
    totals, waiting = _series_counts({b.series_id for b in rows if b.series_id is not None})
    return Queue(
        items=[
            QueueItem(
                booking=b,
                verdict=verdicts[b.id],
                series_total=totals.get(b.series_id, 0) if b.series_id else 0,
                series_pending=waiting.get(b.series_id, 0) if b.series_id else 0,
            )
            for b in rows
        ],
        total=total,
    )


_RESOURCE_OPTIONS = (
    selectinload(Resource.university),
    selectinload(Resource.policy),
    selectinload(Resource.hours),
)


def _series_counts(series_ids: Collection[int]) -> tuple[Counter[int], Counter[int]]:
    if not series_ids:
        return Counter(), Counter()
    rows = db.session.execute(
        sa.select(Booking.series_id, Booking.status).where(Booking.series_id.in_(sorted(series_ids)))
    ).all()
    totals = Counter(series_id for series_id, _ in rows)
    waiting = Counter(series_id for series_id, status in rows if status == BookingStatus.PENDING)
    return totals, waiting


def verdicts_for(pending: Sequence[Booking], now: datetime) -> dict[int, Verdict]:
    """What approving each booking now would meet, in a fixed number of queries for the whole batch.

    A booking is weighed against the bookings already decided (confirmed, checked in); other pending
    requests only make it `contested`.
    """
    if not pending:
        return {}
    resources = {b.resource_id: b.resource for b in pending}
    start = min(b.start_at for b in pending)
    end = max(
        engine.blocked_span(b.start_at, b.end_at, specs.policy_spec(b.resource.policy)).end for b in pending
    )
    resource_specs = specs.specs_with_closures(list(resources.values()), start, end)
    occupancy = specs.load_occupancy(list(resources), start, end)
    waiting = set(
        db.session.scalars(
            sa.select(Booking.id).where(
                Booking.resource_id.in_(list(resources)),
                Booking.status == BookingStatus.PENDING,
                Booking.start_at < end,
                Booking.blocked_until > start,
            )
        )
    )
    verdicts = {}
    for booking in pending:
        others = [o for o in occupancy[booking.resource_id] if o.booking_id != booking.id]
        decided = [o for o in others if o.booking_id not in waiting]
        spec = resource_specs[booking.resource_id]
        problems = _problems(booking, spec, decided, now)
        contested = not problems and bool(_room(_evaluate(booking, spec, others, now)))
        verdicts[booking.id] = Verdict(problems, contested)
    return verdicts


def _evaluate(
    booking: Booking, spec: engine.ResourceSpec, existing: list[engine.Occupancy], now: datetime
) -> engine.Decision:
    # Quotas were weighed when the person asked; the request already counts toward them, so they are not
    # weighed again here.
    request = engine.BookingRequest(booking.start_at, booking.end_at, booking.party_size)
    return engine.evaluate(request, spec, specs.requester_spec(booking.user), existing, (), (), now)


def _problems(
    booking: Booking, spec: engine.ResourceSpec, decided: list[engine.Occupancy], now: datetime
) -> tuple[Violation, ...]:
    if booking.status != BookingStatus.PENDING:
        return (not_pending(),)
    decision = _evaluate(booking, spec, decided, now)
    return tuple(v for v in decision.violations if not v.overridable or v.code in _APPROVAL_RULES)


def _room(decision: engine.Decision) -> list[Violation]:
    return [v for v in decision.violations if v.code in _ROOM_CODES]


def get_request(manager: User, booking_id: int) -> Booking:
    """A booking of a facility `manager` manages; NotFound otherwise (never say which)."""
    return get_managed(manager, Booking, booking_id)


def get_series(manager: User, series_id: int) -> Series:
    series = db.session.get(Series, series_id)
    if series is None:
        raise NotFound
    university_id = db.session.scalar(
        sa.select(Resource.university_id).where(Resource.id == series.resource_id)
    )
    if not can_manage(manager, university_id):
        raise NotFound
    return series


# --- deciding ----------------------------------------------------------------------------------------


def approve(manager: User, booking_id: int, *, now: datetime, note: str = "") -> Booking:
    """Approve one pending request, or raise Refused saying why it cannot be (nothing is written)."""
    outcome = approve_many(manager, [booking_id], now=now, note=note)
    if booking_id in outcome.refused:
        raise Refused(outcome.refused[booking_id])
    return outcome.decided[0]


def reject(manager: User, booking_id: int, *, reason: str, now: datetime) -> Booking:
    """Reject one pending request with a reason the requester reads."""
    outcome = reject_many(manager, [booking_id], reason=reason, now=now)
    if booking_id in outcome.refused:
        raise Refused(outcome.refused[booking_id])
    return outcome.decided[0]


def approve_many(manager: User, booking_ids: Iterable[int], *, now: datetime, note: str = "") -> Outcome:
    """Approve every listed request that can be, oldest request first, in one transaction.

    Raises NotFound, writing nothing, if any id is unknown or of a university `manager` does not manage.
    """
    return _decide(manager, booking_ids, approving=True, note=note.strip(), now=now)


def reject_many(manager: User, booking_ids: Iterable[int], *, reason: str, now: datetime) -> Outcome:
    """Reject every listed pending request with the same reason, in one transaction."""
    if not reason.strip():
        raise Refused([reason_required()])
    outcome = _decide(manager, booking_ids, approving=False, note=reason.strip(), now=now)
    # The places the requests held go to the waitlist after the commit, each promotion in its own transaction.
    waitlist.promote_freed(outcome.decided, now=now)
    return outcome


def series_pending_ids(manager: User, series_id: int) -> list[int]:
    """The dates of a series still awaiting a decision; NotFound for a series `manager` does not manage."""
    get_series(manager, series_id)
    return list(
        db.session.scalars(
            sa.select(Booking.id)
            .where(Booking.series_id == series_id, Booking.status == BookingStatus.PENDING)
            .order_by(Booking.start_at)
        )
    )


def approve_series(manager: User, series_id: int, *, now: datetime, note: str = "") -> Outcome:
    return approve_many(manager, series_pending_ids(manager, series_id), now=now, note=note)


def reject_series(manager: User, series_id: int, *, reason: str, now: datetime) -> Outcome:
    if not reason.strip():
        raise Refused([reason_required()])
    return reject_many(manager, series_pending_ids(manager, series_id), reason=reason, now=now)


def _decide(
    manager: User, booking_ids: Iterable[int], *, approving: bool, note: str, now: datetime
) -> Outcome:
    ids = sorted(set(booking_ids))
    if not ids:
        return Outcome(decided=[])
    with write_transaction():
        owners = db.session.execute(
            sa.select(Booking.id, Booking.resource_id, Resource.university_id)
            .join(Resource, Resource.id == Booking.resource_id)
            .where(Booking.id.in_(ids))
        ).all()
        if len(owners) != len(ids) or not all(can_manage(manager, row) for row in owners):
            raise NotFound
        # The facility rows first (the order every booking transaction takes), then the bookings
        # themselves, so a concurrent cancel or decision is seen before we decide.
        lock_rows(resource_ids=[row.resource_id for row in owners])
        batch = list(
            db.session.scalars(
                sa.select(Booking)
                .where(Booking.id.in_(ids))
                .order_by(Booking.id)
                .with_for_update(of=Booking)
                .execution_options(populate_existing=True)
            )
        )
        _load_fresh_resources({b.resource_id for b in batch})
        decided: list[Booking] = []
        refused: dict[int, tuple[Violation, ...]] = {}
        for booking in sorted(batch, key=lambda b: (b.created_at, b.id)):
            if approving:
                # One at a time: each approval is flushed, so it holds its place against the next.
                problems = verdicts_for([booking], now)[booking.id].problems
            else:
                problems = () if booking.status == BookingStatus.PENDING else (not_pending(),)
            if problems:
                refused[booking.id] = problems
                continue
            _record(manager, booking, approving=approving, note=note, now=now)
            db.session.flush()
            decided.append(booking)
        _tell_requesters(decided, approving=approving, note=note, now=now)
    return Outcome(decided=decided, refused=refused, bookings={b.id: b for b in batch})


def _load_fresh_resources(resource_ids: Collection[int]) -> None:
    # Re-read capacity, mode, policy and hours now that the rows are locked; a manager may just have
    # changed them.
    db.session.scalars(
        sa.select(Resource)
        .where(Resource.id.in_(sorted(resource_ids)))
        .options(*_RESOURCE_OPTIONS)
        .execution_options(populate_existing=True)
    ).all()


def _record(manager: User, booking: Booking, *, approving: bool, note: str, now: datetime) -> None:
    # The requesters are told once per series, after the whole batch (`_tell_requesters`).
    change_status(
        booking,
        BookingStatus.CONFIRMED if approving else BookingStatus.REJECTED,
        actor_id=manager.id,
        at=now,
        note=note,
        series=booking.series_id,
    )
    booking.decided_by_id = manager.id
    booking.decided_at = now
    booking.decision_note = note or None


def _tell_requesters(decided: list[Booking], *, approving: bool, note: str, now: datetime) -> None:
    """One message per single booking, and one per series however many of its dates were decided."""
    groups: dict[tuple[int, int | None], list[Booking]] = {}
    for booking in decided:
        key = (booking.user_id, booking.series_id) if booking.series_id else (booking.user_id, -booking.id)
        groups.setdefault(key, []).append(booking)
    for bookings_of_one in groups.values():
        first = min(bookings_of_one, key=lambda b: b.start_at)
        params: dict[str, Any] = {"note": note} if note or not approving else {}
        if len(bookings_of_one) > 1:
            kind = "series_approved" if approving else "series_rejected"
            params["dates"] = len(bookings_of_one)
        else:
            kind = "booking_approved" if approving else "booking_rejected"
        if approving:
            # Every approved date of the series, as one invitation file.
            ordered = sorted(bookings_of_one, key=lambda b: (b.start_at, b.id))
            params["ics"] = calendar.invitation(ordered, first.user)
        notify.notify(first.user_id, kind, at=now, booking=first, **params)


__all__ = [
    "QUEUE_LIMIT",
    "Outcome",
    "Queue",
    "QueueItem",
    "Verdict",
    "approve",
    "approve_many",
    "approve_series",
    "get_request",
    "get_series",
    "not_pending",
    "queue",
    "reason_required",
    "reject",
    "reject_many",
    "reject_series",
    "series_pending_ids",
    "verdicts_for",
]
