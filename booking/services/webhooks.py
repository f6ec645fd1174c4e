"""Webhooks: telling a university's own systems (door access, portals) of its facilities' bookings.

Recording. `record(booking, event, at)` writes one `WebhookDelivery` per enabled endpoint of the facility's
university that wants the event, in the caller's transaction, exactly like the email outbox: a rolled-back
change takes its deliveries with it, so nothing is ever sent of a change that did not happen. It is called in
three places only: `lifecycle.change_status` (confirmed by approval, cancelled, checked in), the creation of a
booking confirmed at once (`booking_writes.audit_created`) and a move (`bookings._move_to`).

Delivering. The `deliver_webhooks` job (`deliver_pending(now)`) claims due deliveries with one
conditional UPDATE ... RETURNING in a short transaction of its own (so two senders never send one twice),
POSTs each outside any transaction with a timeout of WEBHOOK_TIMEOUT seconds and no redirects, and records
every outcome: a 2xx is delivered; anything else is tried again after 30 s, 1, 2, 4 ... minutes (at most
six hours) until WEBHOOK_MAX_ATTEMPTS, then failed. Web workers never wait on a receiver, except for the
"send test event" button, whose manager is waiting for the answer.

Signing (docs/webhooks.md; close to the Standard Webhooks scheme): each attempt carries
`Webhook-Id` (the same on every retry: receivers drop repeats), `Webhook-Timestamp` (Unix seconds of this
attempt) and `Webhook-Signature: v1=<hex>`, the HMAC-SHA256 of `timestamp + "." + body` under the endpoint's
secret (its UTF-8 bytes, `whsec_` included). A receiver recomputes it, compares in constant time, and refuses
a timestamp more than five minutes away from its clock, so a captured request cannot be replayed later.

The secret is a shared key: the platform must read it back to sign, so it cannot be hashed. It is shown once,
when made, and stored encrypted (Fernet: AES-128-CBC with HMAC-SHA256) under a key derived from
WEBHOOK_SECRET_KEY (or SECRET_KEY): a copy of the database alone cannot sign.

Personal data (PIPL, data minimisation): a payload names the booking, the facility, the university, the time,
the status and when it happened; never the holder's name, account, telephone, e-mail, purpose or check-in
code.
A door needs to know which room opens when, not for whom; a portal that wants more asks the platform's API
with its own authorisation.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from booking.database import Outbox, claim_rows, own_transaction, settle_rows
from booking.engine.localtime import zone
from booking.engine.violations import N_
from booking.services import audit
from booking.services.audit import AuditAction
from booking.services.errors import Invalid, NotFound
from booking.services.permissions import can_manage, get_managed
from booking.services.transactions import write_transaction
from models import (
    Booking,
    BookingStatus,
    DeliveryStatus,
    Organization,
    OrganizationKind,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    db,
)
from models.webhooks import URL_LENGTH

log = logging.getLogger(__name__)

# The events an endpoint may subscribe to, in the order the form lists them.
SUBSCRIBABLE = (
    WebhookEvent.BOOKING_CONFIRMED,
    WebhookEvent.BOOKING_MOVED,
    WebhookEvent.BOOKING_CANCELLED,
    WebhookEvent.BOOKING_CHECKED_IN,
)
# The status a booking moves to -> the event that tells of it (change_status).
EVENT_OF_STATUS = {
    BookingStatus.CONFIRMED: WebhookEvent.BOOKING_CONFIRMED,
    BookingStatus.CANCELLED: WebhookEvent.BOOKING_CANCELLED,
    BookingStatus.CHECKED_IN: WebhookEvent.BOOKING_CHECKED_IN,
}
DESCRIPTION_LENGTH = 100
SECRET_PREFIX = "whsec_"
# A receiver should refuse a timestamp further than this from its own clock.
TOLERANCE = timedelta(minutes=5)
CLAIM_LEASE = timedelta(minutes=10)
CLAIM_BATCH = 50
_FIRST_RETRY = timedelta(seconds=30)
_LONGEST_RETRY = timedelta(hours=6)
_USER_AGENT = "CampusCityBooking-Webhooks/1"
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}

_table = WebhookDelivery.__table__
_outbox = Outbox(_table, queued=DeliveryStatus.QUEUED.value, sending=DeliveryStatus.SENDING.value)
_endpoints = WebhookEndpoint.__table__


# --- the secret -------------------------------------------------------------------------------------


def new_secret() -> str:
    """A signing secret: 256 random bits, recognisable by its prefix in a receiver's configuration."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _fernet() -> Fernet:
    config = current_app.config
    key = str(config.get("WEBHOOK_SECRET_KEY") or config["SECRET_KEY"])
    # Its own key, derived with a label: the session-signing key itself never encrypts anything.
    derived = hashlib.sha256(b"campus-city-booking webhook secrets\x00" + key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode("ascii")


def unseal(sealed: str) -> str:
    """The secret as made; raises InvalidToken if the encryption key changed since."""
    return _fernet().decrypt(sealed.encode("ascii")).decode()


# --- signing ----------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: str) -> str:
    """The `Webhook-Signature` header: v1= and the hex HMAC-SHA256 of `timestamp.body` under `secret`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"v1={mac}"


def headers(message_id: str, secret: str, body: str, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": _USER_AGENT,
        "Webhook-Id": message_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(secret, timestamp, body),
    }


def verify(secret: str, received: Mapping[str, str], body: str, now: datetime) -> bool:
    """What a receiver does (and the tests do): the signature matches and the timestamp is recent.

    `Webhook-Signature` may list several space-separated signatures (during a secret's rotation); one
    matching is enough.
    """
    try:
        timestamp = int(received.get("Webhook-Timestamp", ""))
    except ValueError:
        return False
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        return False
    expected = signature(secret, timestamp, body)
    given = received.get("Webhook-Signature", "").split()
    return any(hmac.compare_digest(expected, candidate) for candidate in given)


# --- where a webhook may point ----------------------------------------------------------------------


def url_problem(url: str, *, allow_http_loopback: bool) -> str | None:
    """Why `url` cannot be an endpoint (an N_ message), or None.

    https with a host name or a public address, no user name or password in it, no fragment; plain http only
    to this machine and only where WEBHOOK_ALLOW_HTTP_LOOPBACK allows (development, tests).
    """
    if not url:
        return N_("Enter the address to send events to.")
    if len(url) > URL_LENGTH:
        return N_("The address is too long: at most 500 characters.")
    if any(c.isspace() or not c.isprintable() for c in url) or not url.isascii():
        return N_("Enter the address without spaces or special characters (encode them as %XX).")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        return N_("Enter a complete address, such as https://door.example.edu.cn/hooks/booking.")
    if parts.scheme not in ("http", "https") or not host:
        return N_("Enter a complete address, such as https://door.example.edu.cn/hooks/booking.")
    if parts.username is not None or parts.password is not None:
        return N_("Leave the user name and password out of the address: the signature authenticates us.")
    if parts.fragment:
        return N_("Leave the #fragment out of the address.")
    if port == 0:
        return N_("Enter a complete address, such as https://door.example.edu.cn/hooks/booking.")
    loopback = host.lower() in _LOOPBACK_NAMES
    if parts.scheme == "http" and not (loopback and allow_http_loopback):
        return N_("Use an https:// address: events must travel encrypted.")
    if not allow_http_loopback and (loopback or _internal_address(host)):
        return N_("Enter an address of your university's systems, not one of this server's own network.")
    return None


def resolved_problem(url: str, *, allow_loopback: bool) -> str | None:
    """Why an event must not be sent to `url` now: its host resolves (DNS, at this moment) to an address of
    this server's own networks: private, loopback, link-local (cloud metadata), unspecified, multicast or
    reserved. A name that pointed outside when the endpoint was saved may point inside later. With
    `allow_loopback` (WEBHOOK_ALLOW_HTTP_LOOPBACK: development, tests) this machine's own addresses pass."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname or "", port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return None  # not resolvable now: the request fails and is tried again later
    for _family, _type, _proto, _name, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_loopback and allow_loopback:
            continue
        if (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_unspecified
            or ip.is_multicast
            or ip.is_reserved
        ):
            return f"refused: {parts.hostname} resolves to {ip}, an address of the platform's own network"
    return None


def _internal_address(host: str) -> bool:
    # Literal addresses only: the platform's own machine, link-local (cloud metadata) and unspecified ones.
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast


# --- managing endpoints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    url: str
    events: tuple[str, ...]
    description: str = ""
    enabled: bool = True


def problems(draft: Draft) -> dict[str, str]:
    """Every rule a draft breaks, by field (N_ messages)."""
    found: dict[str, str] = {}
    problem = url_problem(
        draft.url, allow_http_loopback=bool(current_app.config.get("WEBHOOK_ALLOW_HTTP_LOOPBACK"))
    )
    if problem:
        found["url"] = problem
    if not draft.events:
        found["events"] = N_("Choose at least one event.")
    elif any(event not in SUBSCRIBABLE for event in draft.events):
        found["events"] = N_("Not a valid choice.")
    if len(draft.description) > DESCRIPTION_LENGTH:
        found["description"] = N_("Write at most 100 characters.")
    return found


def _check(draft: Draft) -> None:
    found = problems(draft)
    if found:
        raise Invalid(found)


def _university(viewer: User, university_id: int) -> Organization:
    university = db.session.get(Organization, university_id)
    if (
        university is None
        or university.kind != OrganizationKind.UNIVERSITY
        or not can_manage(viewer, university)
    ):
        raise NotFound
    return university


def endpoints_of(viewer: User, university_id: int) -> list[WebhookEndpoint]:
    _university(viewer, university_id)
    return list(
        db.session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.university_id == university_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def get_endpoint(viewer: User, endpoint_id: int) -> WebhookEndpoint:
    """An endpoint of a university `viewer` manages; any other is not found."""
    return get_managed(viewer, WebhookEndpoint, endpoint_id)


def _audit(action: AuditAction, endpoint: WebhookEndpoint, actor: User, at: datetime, **details: Any) -> None:
    # The URL may carry a token of the receiver's in its path: the audit keeps the host only.
    audit.about(
        endpoint, action, actor_id=actor.id, at=at, host=urlsplit(endpoint.url).hostname or "", **details
    )


def create(viewer: User, university_id: int, draft: Draft, *, now: datetime) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret, which is never shown again."""
    _check(draft)
    secret = new_secret()
    with write_transaction() as kept:
        _university(viewer, university_id)
        endpoint = WebhookEndpoint(
            university_id=university_id,
            url=draft.url,
            description=draft.description.strip(),
            events=list(draft.events),
            enabled=draft.enabled,
            secret=seal(secret),
            created_by_id=viewer.id,
            created_at=now,
            updated_at=now,
        )
        db.session.add(endpoint)
        db.session.flush()
        _audit(AuditAction.WEBHOOK_CREATED, endpoint, viewer, now, events=list(draft.events))
        kept.append(endpoint)
    return endpoint, secret


def update(viewer: User, endpoint_id: int, draft: Draft, *, now: datetime) -> WebhookEndpoint:
    _check(draft)
    with write_transaction() as kept:
        endpoint = get_endpoint(viewer, endpoint_id)
        endpoint.url = draft.url
        endpoint.description = draft.description.strip()
        endpoint.events = list(draft.events)
        endpoint.enabled = draft.enabled
        endpoint.updated_at = now
        _audit(
            AuditAction.WEBHOOK_UPDATED,
            endpoint,
            viewer,
            now,
            events=list(draft.events),
            enabled=draft.enabled,
        )
        kept.append(endpoint)
    return endpoint


def rotate_secret(viewer: User, endpoint_id: int, *, now: datetime) -> str:
    """A new secret for the endpoint, shown once; deliveries not yet sent are signed with it."""
    secret = new_secret()
    with write_transaction():
        endpoint = get_endpoint(viewer, endpoint_id)
        endpoint.secret = seal(secret)
        endpoint.updated_at = now
        _audit(AuditAction.WEBHOOK_SECRET_ROTATED, endpoint, viewer, now)
    return secret


def delete(viewer: User, endpoint_id: int, *, now: datetime) -> None:
    """Remove the endpoint and its delivery log."""
    with write_transaction():
        endpoint = get_endpoint(viewer, endpoint_id)
        _audit(AuditAction.WEBHOOK_DELETED, endpoint, viewer, now)
        db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
        db.session.delete(endpoint)


def deliveries_of(viewer: User, endpoint_id: int, *, limit: int = 100) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first."""
    endpoint = get_endpoint(viewer, endpoint_id)
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def send_test(viewer: User, endpoint_id: int, *, now: datetime) -> WebhookDelivery:
    """Queue a `webhook.test` event for the endpoint (enabled or not) and try it at once; returns it, as
    sent."""
    with write_transaction():
        endpoint = get_endpoint(viewer, endpoint_id)
        body = {
            "type": WebhookEvent.TEST.value,
            "occurred_at": _rfc3339(now, UTC),
            "data": {"university_id": endpoint.university_id},
        }
        delivery = _queue(endpoint.id, WebhookEvent.TEST, body, booking_id=None, at=now)
        db.session.flush()
        delivery_id = delivery.id
        _audit(AuditAction.WEBHOOK_TEST_SENT, endpoint, viewer, now)
    deliver([delivery_id], now, include_disabled=True)
    # The outcome was written on another connection: end any read transaction begun since, to see it.
    db.session.rollback()
    fresh = db.session.get(WebhookDelivery, delivery_id)
    if fresh is None:  # removed meanwhile
        raise NotFound
    return fresh


# --- recording events -------------------------------------------------------------------------------


def _rfc3339(moment: datetime, tz: Any) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


def payload(booking: Booking, event: WebhookEvent, at: datetime, **data: Any) -> dict[str, Any]:
    """What an event says of a booking: no person in it (see the module's docstring)."""
    resource = booking.resource
    tz = zone(resource.timezone)
    return {
        "type": event.value,
        "occurred_at": _rfc3339(at, tz),
        "data": {
            "booking_id": booking.id,
            "status": booking.status.value,
            "facility": {"id": resource.id, "name_zh": resource.name_zh, "name_en": resource.name_en},
            "university_id": resource.university_id,
            "start": _rfc3339(booking.start_at, tz),
            "end": _rfc3339(booking.end_at, tz),
            **data,
        },
    }


def record(booking: Booking, event: WebhookEvent, at: datetime, **data: Any) -> int:
    """Queue `event` of `booking` for every enabled endpoint of its university that wants it, in the caller's
    transaction; returns how many. `data` adds to the payload's data (a move's previous times)."""
    resource = booking.resource
    wanting = [
        endpoint_id for endpoint_id, events in _endpoints_of(resource.university_id) if event.value in events
    ]
    if not wanting:
        return 0
    body = payload(booking, event, at, **data)
    for endpoint_id in wanting:
        _queue(endpoint_id, event, body, booking_id=booking.id, at=at)
    return len(wanting)


def _endpoints_of(university_id: int) -> list[tuple[int, tuple[str, ...]]]:
    """The enabled endpoints of a university with their events: read once a transaction, however many
    bookings it writes (a series of fifty dates asks once, not fifty times)."""
    session = db.session()
    transaction = session.get_transaction()
    kept = session.info.get("webhook_endpoints")
    if transaction is None or kept is None or kept[0] is not transaction:
        kept = (transaction, {})
        session.info["webhook_endpoints"] = kept
    known: dict[int, list[tuple[int, tuple[str, ...]]]] = kept[1]
    if university_id not in known:
        # No autoflush: a move's new time is flushed by its caller, which turns a lost race into a refusal.
        with session.no_autoflush:
            rows = session.execute(
                sa.select(WebhookEndpoint.id, WebhookEndpoint.events).where(
                    WebhookEndpoint.university_id == university_id, WebhookEndpoint.enabled.is_(True)
                )
            ).all()
        known[university_id] = [(endpoint_id, tuple(events or ())) for endpoint_id, events in rows]
    return known[university_id]


def record_status(booking: Booking, at: datetime) -> int:
    """The event of the status `booking` has just taken, if systems are told of it."""
    event = EVENT_OF_STATUS.get(booking.status)
    return 0 if event is None else record(booking, event, at)


def record_moved(booking: Booking, previous_start: datetime, previous_end: datetime, at: datetime) -> int:
    tz = zone(booking.resource.timezone)
    return record(
        booking,
        WebhookEvent.BOOKING_MOVED,
        at,
        previous_start=_rfc3339(previous_start, tz),
        previous_end=_rfc3339(previous_end, tz),
    )


def _queue(
    endpoint_id: int,
    event: WebhookEvent,
    body: dict[str, Any],
    *,
    booking_id: int | None,
    at: datetime,
) -> WebhookDelivery:
    message_id = "msg_" + secrets.token_hex(16)
    text = json.dumps({"id": message_id, **body}, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    delivery = WebhookDelivery(
        endpoint_id=endpoint_id,
        message_id=message_id,
        event=event.value,
        booking_id=booking_id,
        body=text,
        created_at=at,
        next_attempt_at=at,
    )
    db.session.add(delivery)
    return delivery


# --- delivering -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.retrying + self.failed


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 30 s, 1, 2, 4 ... minutes, at most six hours."""
    delay: timedelta = _FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, _LONGEST_RETRY)


def deliver_pending(now: datetime, *, limit: int = 200) -> DeliveryReport:
    """Send every due delivery of an enabled endpoint: queued and past its next attempt, or claimed and
    abandoned (its sender died)."""
    due = sa.and_(
        _table.c.status.in_([DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value]),
        _table.c.next_attempt_at <= now,
        _table.c.endpoint_id.in_(sa.select(_endpoints.c.id).where(_endpoints.c.enabled.is_(True))),
    )
    totals = Counter[str]()
    while limit > 0:
        rows = _claim(due, now, min(limit, CLAIM_BATCH))
        report = _send_claimed(rows, now)
        totals.update(delivered=report.delivered, retrying=report.retrying, failed=report.failed)
        limit -= len(rows)
        if len(rows) < CLAIM_BATCH:
            break
    return DeliveryReport(totals["delivered"], totals["retrying"], totals["failed"])


def deliver(ids: Iterable[int], now: datetime, *, include_disabled: bool = False) -> DeliveryReport:
    """Try each delivery of `ids` that is still queued (of an enabled endpoint unless `include_disabled`)."""
    claimable = sa.and_(_table.c.id.in_(sorted(set(ids))), _table.c.status == DeliveryStatus.QUEUED.value)
    if not include_disabled:
        enabled = sa.select(_endpoints.c.id).where(_endpoints.c.enabled.is_(True))
        claimable = sa.and_(claimable, _table.c.endpoint_id.in_(enabled))
    return _send_claimed(_claim(claimable, now), now)


def _claim(
    claimable: sa.ColumnElement[bool], now: datetime, limit: int | None = None
) -> list[Mapping[str, Any]]:
    """Mark the claimable deliveries 'sending' (oldest first) in one short transaction; each row is claimed by
    one sender only (FOR UPDATE SKIP LOCKED on PostgreSQL, serialised writers on SQLite)."""
    with own_transaction(db.engine) as conn:
        rows = claim_rows(conn, _outbox, claimable, lease_until=now + CLAIM_LEASE, limit=limit)
        if not rows:
            return []
        endpoint_ids = {row["endpoint_id"] for row in rows}
        targets = {
            row.id: (row.url, row.secret)
            for row in conn.execute(
                sa.select(_endpoints.c.id, _endpoints.c.url, _endpoints.c.secret).where(
                    _endpoints.c.id.in_(endpoint_ids)
                )
            )
        }
    return [
        {**row, "url": targets[row["endpoint_id"]][0], "secret": targets[row["endpoint_id"]][1]}
        for row in rows
    ]


@dataclass(frozen=True)
class _Outcome:
    delivery_id: int
    attempts: int
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def _post(row: Mapping[str, Any], session: requests.Session, now: datetime) -> _Outcome:
    try:
        secret = unseal(row["secret"])
    except InvalidToken:
        return _Outcome(row["id"], row["attempts"], None, "the secret cannot be read: make a new one")
    inside = resolved_problem(
        row["url"], allow_loopback=bool(current_app.config.get("WEBHOOK_ALLOW_HTTP_LOOPBACK"))
    )
    if inside is not None:
        return _Outcome(row["id"], row["attempts"], None, inside)
    try:
        response = session.post(
            row["url"],
            data=row["body"].encode(),
            headers=headers(row["message_id"], secret, row["body"], now),
            timeout=float(current_app.config.get("WEBHOOK_TIMEOUT", 5)),
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return _Outcome(row["id"], row["attempts"], None, f"{type(error).__name__}: {error}"[:500])
    response.close()
    if 200 <= response.status_code < 300:
        return _Outcome(row["id"], row["attempts"], response.status_code, None)
    return _Outcome(row["id"], row["attempts"], response.status_code, f"HTTP {response.status_code}")


def _send_claimed(rows: Sequence[Mapping[str, Any]], now: datetime) -> DeliveryReport:
    """POST each claimed delivery, outside any transaction, then record every outcome in one transaction.

    A slow receiver costs at most WEBHOOK_TIMEOUT per delivery; deliveries not tried before half the claim's
    lease has passed are handed back unclaimed for the next run.
    """
    if not rows:
        return DeliveryReport()
    began = time.monotonic()
    outcomes: list[_Outcome] = []
    tried = 0
    with requests.Session() as session:
        # Never a proxy from the environment: events go straight to the university's system.
        session.trust_env = False
        try:
            for row in rows:
                if time.monotonic() - began > CLAIM_LEASE.total_seconds() / 2:
                    break
                tried += 1
                outcomes.append(_post(row, session, now))
        finally:
            gave_up = _record(outcomes, [row["id"] for row in rows[tried:]], now)
    delivered = sum(o.ok for o in outcomes)
    return DeliveryReport(delivered, len(outcomes) - delivered - gave_up, gave_up)


def _record(outcomes: Sequence[_Outcome], untried: Sequence[int], now: datetime) -> int:
    """Record each outcome (delivered, queued again with backoff, or failed after the last attempt) and hand
    `untried` back; returns how many were given up."""
    max_attempts = int(current_app.config.get("WEBHOOK_MAX_ATTEMPTS", 10))
    gave_up = 0
    changes = []
    for outcome in outcomes:
        if outcome.ok:
            status, retry_at = DeliveryStatus.DELIVERED, now
        elif outcome.attempts >= max_attempts:
            status, retry_at = DeliveryStatus.FAILED, now
            gave_up += 1
            log.warning("webhook delivery %s failed for good: %s", outcome.delivery_id, outcome.error)
        else:
            status, retry_at = DeliveryStatus.QUEUED, now + retry_delay(outcome.attempts)
            log.info("webhook delivery %s failed, retrying: %s", outcome.delivery_id, outcome.error)
        changes.append(
            {
                "id": outcome.delivery_id,
                "status": status.value,
                "next_attempt_at": retry_at,
                "last_status_code": outcome.status_code,
                "last_error": outcome.error,
                "delivered_at": now if outcome.ok else None,
            }
        )
    with own_transaction(db.engine) as conn:
        settle_rows(conn, _outbox, changes, untried, now)
    return gave_up


# --- the delivery log's retention -------------------------------------------------------------------


def purge_deliveries(now: datetime, *, days: int) -> int:
    """Remove the deliveries made more than `days` ago that are over (delivered, or given up); returns how
    many. Those still queued or being sent stay, whatever their age."""
    with write_transaction():
        result = db.session.execute(
            sa.delete(WebhookDelivery).where(
                WebhookDelivery.created_at < now - timedelta(days=days),
                WebhookDelivery.status.in_([DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]),
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)
