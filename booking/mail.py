"""Sending the email outbox: claim a queued message, hand it to SMTP, record the outcome.

`booking.notify` writes `EmailMessage` rows in the caller's transaction. Once that transaction
commits, the session hook below delivers the rows it wrote (unless `MAIL_DELIVER_AFTER_COMMIT` is
off); `deliver_pending(now)` sends whatever is due, for a scheduled job to retry failures. Each
message is claimed with a conditional UPDATE in its own short transaction, so two senders never send
one message twice, and SMTP runs outside any transaction, so a slow server holds no lock. A failed
send is logged and retried with backoff; it never touches the change that queued it.

Settings (booking.config): MAIL_SERVER (empty: write messages to the log, for development),
MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER,
MAIL_TIMEOUT (seconds), MAIL_MAX_ATTEMPTS, MAIL_DELIVER_AFTER_COMMIT.
"""

import email.message
import email.utils
import logging
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session, SessionTransaction

from booking import clock
from models import EmailMessage, EmailStatus, db

log = logging.getLogger(__name__)

_table = EmailMessage.__table__
# A claimed message whose sender died is offered again after this long.
CLAIM_LEASE = timedelta(minutes=10)
# Retry delays grow 1, 2, 4 ... minutes, up to six hours.
_FIRST_RETRY = timedelta(minutes=1)
_LONGEST_RETRY = timedelta(hours=6)
_FLUSHED_IDS = "outbox_flushed_ids"
_COMMITTED_IDS = "outbox_committed_ids"


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try."""
    return min(_FIRST_RETRY * 2 ** max(attempts - 1, 0), _LONGEST_RETRY)


def compose(row: Mapping[str, Any], sender: str) -> email.message.EmailMessage:
    """The MIME message for one outbox row: plain text, UTF-8, the .ics attached when present."""
    message = email.message.EmailMessage()
    message["From"] = sender
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Date"] = email.utils.format_datetime(row["created_at"])
    message["Message-ID"] = email.utils.make_msgid(idstring=f"outbox{row['id']}")
    message.set_content(row["body"])
    if row["ics"]:
        message.add_attachment(
            bytes(row["ics"]),
            maintype="text",
            subtype="calendar",
            filename="booking.ics",
            params={"method": "PUBLISH"},
        )
    return message


def send(message: email.message.EmailMessage, config: Mapping[str, Any]) -> None:
    """Hand one message to the configured SMTP server, or log it when none is configured."""
    server = config.get("MAIL_SERVER")
    if not server:
        log.info(
            "MAIL_SERVER is not set; email printed instead of sent.\nTo: %s\nSubject: %s\n\n%s",
            message["To"],
            message["Subject"],
            message.get_body(("plain",)).get_content(),
        )
        return
    timeout = config.get("MAIL_TIMEOUT", 10)
    port = config.get("MAIL_PORT", 25)
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(server, port, timeout=timeout) as smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        smtp.send_message(message)


def deliver_pending(now: datetime, *, limit: int = 200) -> DeliveryReport:
    """Send every message that is due: queued and past its next attempt, or claimed and abandoned."""
    # A 'sending' row is due when its claim has lapsed (next_attempt_at holds the claim's end).
    due = sa.and_(
        _table.c.status.in_([EmailStatus.QUEUED.value, EmailStatus.SENDING.value]),
        _table.c.next_attempt_at <= now,
    )
    with db.engine.connect() as conn:
        ids = (
            conn.execute(sa.select(_table.c.id).where(due).order_by(_table.c.id).limit(limit)).scalars().all()
        )
    return deliver(ids, now, retry_stale=True)


def deliver(ids: Iterable[int], now: datetime, *, retry_stale: bool = False) -> DeliveryReport:
    """Try to send each message of `ids` that is still queued (and, if `retry_stale`, abandoned claims)."""
    config = current_app.config
    sent = retrying = failed = 0
    for message_id in ids:
        row = _claim(message_id, now, retry_stale=retry_stale)
        if row is None:  # sent, failed, or claimed by another sender meanwhile
            continue
        try:
            send(compose(row, config["MAIL_DEFAULT_SENDER"]), config)
        except (smtplib.SMTPException, OSError) as error:
            gave_up = _record_failure(row, error, now, config.get("MAIL_MAX_ATTEMPTS", 8))
            failed += gave_up
            retrying += not gave_up
        else:
            _record_sent(message_id, now)
            sent += 1
    return DeliveryReport(sent=sent, retrying=retrying, failed=failed)


def _claim(message_id: int, now: datetime, *, retry_stale: bool) -> Mapping[str, Any] | None:
    """Mark one message 'sending' if nobody else has: one short transaction, a conditional UPDATE."""
    claimable = _table.c.status == EmailStatus.QUEUED.value
    if retry_stale:
        stale = sa.and_(_table.c.status == EmailStatus.SENDING.value, _table.c.next_attempt_at <= now)
        claimable = sa.or_(claimable, stale)
    with db.engine.begin() as conn:
        claimed = conn.execute(
            sa.update(_table)
            .where(_table.c.id == message_id, claimable)
            .values(
                status=EmailStatus.SENDING.value,
                attempts=_table.c.attempts + 1,
                next_attempt_at=now + CLAIM_LEASE,
            )
        ).rowcount
        if claimed != 1:
            return None
        return conn.execute(sa.select(_table).where(_table.c.id == message_id)).mappings().one()


def _record_sent(message_id: int, now: datetime) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(_table)
            .where(_table.c.id == message_id)
            .values(status=EmailStatus.SENT.value, sent_at=now, last_error=None)
        )


def _record_failure(row: Mapping[str, Any], error: Exception, now: datetime, max_attempts: int) -> bool:
    """Queue the message again with backoff, or give up after `max_attempts`; True when given up."""
    attempts = row["attempts"]
    gave_up = attempts >= max_attempts
    log.warning(
        "email %s to %s failed (attempt %s%s): %s",
        row["id"],
        row["to_address"],
        attempts,
        ", giving up" if gave_up else "",
        error,
    )
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(_table)
            .where(_table.c.id == row["id"])
            .values(
                status=(EmailStatus.FAILED if gave_up else EmailStatus.QUEUED).value,
                next_attempt_at=now + retry_delay(attempts),
                last_error=f"{type(error).__name__}: {error}"[:500],
            )
        )
    return gave_up


# --- after commit -----------------------------------------------------------------------------------


def install_outbox_hooks() -> None:
    """Deliver outbox rows right after the transaction that wrote them commits (once per process).

    Rows are noted when flushed, kept if the transaction commits, forgotten if it rolls back, and
    sent when the transaction has ended and given its connection back, so delivery never holds two.
    """
    sessionmaker = db.session.session_factory
    if sa.event.contains(sessionmaker, "after_flush", _note_new_messages):
        return
    sa.event.listen(sessionmaker, "after_flush", _note_new_messages)
    sa.event.listen(sessionmaker, "after_commit", _keep_committed_messages)
    sa.event.listen(sessionmaker, "after_rollback", _forget_messages)
    sa.event.listen(sessionmaker, "after_transaction_end", _deliver_committed)


def _note_new_messages(session: Session, _context: Any) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, EmailMessage)]
    if ids:
        session.info.setdefault(_FLUSHED_IDS, []).extend(ids)


def _keep_committed_messages(session: Session) -> None:
    ids = session.info.pop(_FLUSHED_IDS, None)
    if ids:
        session.info.setdefault(_COMMITTED_IDS, []).extend(ids)


def _forget_messages(session: Session) -> None:
    # Rolled back: those rows never existed, so there is nothing to send.
    session.info.pop(_FLUSHED_IDS, None)


def _deliver_committed(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or _COMMITTED_IDS not in session.info:
        return
    ids = session.info.pop(_COMMITTED_IDS)
    if not has_app_context() or not current_app.config.get("MAIL_DELIVER_AFTER_COMMIT", True):
        return  # they wait in the outbox for deliver_pending
    try:
        deliver(ids, clock.now())
    except Exception:
        # The change is committed; a broken mail path must not turn it into an error page.
        # The rows stay in the outbox for deliver_pending.
        log.exception("delivering emails %s after commit failed; they stay queued", ids)
