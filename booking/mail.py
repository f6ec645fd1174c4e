"""Sending the email outbox: claim a queued message, hand it to SMTP, record the outcome.

`booking.notify` writes `EmailMessage` rows in the caller's transaction. Once that transaction
commits, the session hook below delivers the rows it wrote (unless `MAIL_DELIVER_AFTER_COMMIT` is
off); `deliver_pending(now)` sends whatever is due, for a scheduled job to retry failures. Messages are
claimed a batch at a time with one conditional UPDATE ... RETURNING in its own short transaction, so
two senders never send one message twice; the batch goes over one SMTP connection, outside any
transaction, so a slow server holds no lock; then every outcome is recorded in one more transaction.
Each message has its own outcome: a failed send is logged and retried with backoff, the others of its
batch are marked sent, and nothing touches the change that queued it. A message that cannot be made into
an email at all (an address with a line break, say) fails at once with its error, never to be claimed
again, and never stops the rest of its batch.

Settings (booking.config): MAIL_SERVER (empty: write messages to the log, for development),
MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER,
MAIL_TIMEOUT (seconds), MAIL_MAX_ATTEMPTS, MAIL_DELIVER_AFTER_COMMIT.
"""

import email.encoders
import email.errors
import email.message
import email.utils
import functools
import logging
import re
import smtplib
import socket
import ssl
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session, SessionTransaction

from booking import clock
from booking.database import Outbox, claim_rows, own_transaction, settle_rows
from models import EmailMessage, EmailStatus, db

log = logging.getLogger(__name__)

_table = EmailMessage.__table__
_outbox = Outbox(_table, queued=EmailStatus.QUEUED.value, sending=EmailStatus.SENDING.value)
# A claimed message whose sender died is offered again after this long.
CLAIM_LEASE = timedelta(minutes=10)
# Messages claimed, sent and recorded together: a sender that dies leaves at most this many claimed.
CLAIM_BATCH = 50
# Retry delays grow 1, 2, 4 ... minutes, up to six hours.
_FIRST_RETRY = timedelta(minutes=1)
_LONGEST_RETRY = timedelta(hours=6)
_FLUSHED_IDS = "outbox_flushed_ids"
_COMMITTED_IDS = "outbox_committed_ids"


# Line breaks and other control characters: a header value must be one line of text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# What the email package raises for a message it cannot build or write out.
_COMPOSITION_ERRORS = (ValueError, TypeError, UnicodeError, LookupError, email.errors.MessageError)


class Uncomposable(Exception):
    """An outbox row that no retry can turn into an email; it fails at once with this error."""


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try."""
    return min(_FIRST_RETRY * 2 ** max(attempts - 1, 0), _LONGEST_RETRY)


def compose(row: Mapping[str, Any], sender: str) -> email.message.Message:
    """The MIME message for one outbox row: plain text, UTF-8, the .ics attached when present.

    Whatever the row holds: a subject with line breaks (a facility's name may have them) is sent on one
    line; a row that cannot make an email (an address with a line break) raises Uncomposable.
    """
    if _CONTROL.search(row["to_address"]) or _CONTROL.search(sender):
        raise Uncomposable(
            "the message cannot be composed: its address contains a line break or control character"
        )
    row = {**row, "subject": _CONTROL.sub(" ", row["subject"]).strip()}
    try:
        return _compose(row, sender)
    except _COMPOSITION_ERRORS as error:
        raise _uncomposable(error) from error


def _uncomposable(error: Exception) -> Uncomposable:
    # The error may quote the bad header: one line, so the log and the stored error stay readable.
    return Uncomposable(
        f"the message cannot be composed: {type(error).__name__}: {_CONTROL.sub(' ', str(error))}"
    )


def _compose(row: Mapping[str, Any], sender: str) -> email.message.Message:
    if not (sender.isascii() and row["to_address"].isascii()):
        return _compose_international(row, sender)
    # The legacy MIME classes: the same message as EmailMessage would make, about twenty times faster,
    # because headers are stored as given rather than parsed (a burst of emails is composed in one tick).
    text = MIMEText(row["body"], "plain", "utf-8")
    message: email.message.Message = text
    if row["ics"]:
        # As calendar servers send invitations: the text and the calendar as alternatives (Outlook acts
        # only on an inline text/calendar part), and the same file attached for clients that import it.
        ics = bytes(row["ics"])
        body = MIMEMultipart("alternative")
        body.attach(text)
        body.attach(_calendar_part(ics))
        message = MIMEMultipart()
        message.attach(body)
        attachment = _calendar_part(ics)
        attachment.add_header("Content-Disposition", "attachment", filename=ICS_FILENAME)
        message.attach(attachment)
    message["From"] = sender
    message["To"] = row["to_address"]
    message["Subject"] = Header(row["subject"], "utf-8")
    message["Date"] = email.utils.format_datetime(row["created_at"])
    message["Message-ID"] = _message_id(row["id"])
    return message


def _compose_international(row: Mapping[str, Any], sender: str) -> email.message.EmailMessage:
    """The same message for a non-ASCII address, which only the modern API sends (SMTPUTF8)."""
    message = email.message.EmailMessage()
    message["From"] = sender
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Date"] = email.utils.format_datetime(row["created_at"])
    message["Message-ID"] = _message_id(row["id"])
    message.set_content(row["body"])
    if row["ics"]:
        ics = bytes(row["ics"])
        params = {"charset": "utf-8", "method": calendar_method(ics)}
        message.add_alternative(ics, maintype="text", subtype="calendar", params=params)
        message.add_attachment(ics, maintype="text", subtype="calendar", filename=ICS_FILENAME, params=params)
    return message


ICS_FILENAME = "booking.ics"
_METHOD_LINE = re.compile(rb"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)


def calendar_method(ics: bytes) -> str:
    """The METHOD of an iCalendar file, which its MIME part must repeat (Outlook refuses a mismatch)."""
    found = _METHOD_LINE.search(ics)
    return found.group(1).decode().upper() if found else "PUBLISH"


def _calendar_part(ics: bytes) -> MIMEBase:
    part = MIMEBase("text", "calendar", charset="utf-8", method=calendar_method(ics))
    part.set_payload(ics)
    email.encoders.encode_base64(part)
    return part


@functools.cache
def _host_name() -> str:
    return socket.getfqdn()  # may ask DNS: once per process, not once per message


def _message_id(message_id: int) -> str:
    return email.utils.make_msgid(idstring=f"outbox{message_id}", domain=_host_name())


def _plain_text(message: email.message.Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            return payload.decode(part.get_content_charset() or "utf-8")
    return ""


def send(message: email.message.Message, config: Mapping[str, Any]) -> None:
    """Hand one message to the configured SMTP server, or log it when none is configured."""
    with Outgoing(config) as outgoing:
        outgoing.send(message)


class Outgoing:
    """One SMTP connection for many messages: opened on the first send, opened again after a broken one.

    Without MAIL_SERVER the messages are written to the log instead (development).
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config
        self._smtp: smtplib.SMTP | None = None
        # Whether the last attempt to open a connection failed: the server is down, for now.
        self.unreachable = False

    def __enter__(self) -> "Outgoing":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, message: email.message.Message) -> None:
        if not self._config.get("MAIL_SERVER"):
            log.info(
                "MAIL_SERVER is not set; email printed instead of sent.\nTo: %s\nSubject: %s\n\n%s",
                message["To"],
                message["Subject"],
                _plain_text(message),
            )
            return
        if self._smtp is None:
            try:
                self._smtp = self._open()
            except (smtplib.SMTPException, OSError):
                self.unreachable = True
                raise
            self.unreachable = False
        try:
            self._smtp.send_message(message)
        except _COMPOSITION_ERRORS as error:
            # smtplib writes the message out before it starts the mail transaction: the session is intact.
            raise _uncomposable(error) from error
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            # The server refused this message (a recipient, its size) but the session goes on; RSET
            # clears the half-done transaction for the next message, or a fresh connection takes over.
            try:
                self._smtp.rset()
            except (smtplib.SMTPException, OSError):
                self.close()
            raise
        except (smtplib.SMTPException, OSError):
            self.close()  # the connection broke: the next message opens a new one
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _open(self) -> smtplib.SMTP:
        config = self._config
        timeout = config.get("MAIL_TIMEOUT", 10)
        port = config.get("MAIL_PORT", 25)
        smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
        smtp = smtp_class(config["MAIL_SERVER"], port, timeout=timeout)
        try:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        except BaseException:
            smtp.close()
            raise
        return smtp


def deliver_pending(now: datetime, *, limit: int = 200) -> DeliveryReport:
    """Send every message that is due: queued and past its next attempt, or claimed and abandoned.

    Messages are claimed CLAIM_BATCH at a time, so a sender that dies mid-tick leaves at most one batch
    for the lease to hand back, and all of them go over one SMTP connection.
    """
    # A 'sending' row is due when its claim has lapsed (next_attempt_at holds the claim's end).
    due = sa.and_(
        _table.c.status.in_([EmailStatus.QUEUED.value, EmailStatus.SENDING.value]),
        _table.c.next_attempt_at <= now,
    )
    totals = Counter[str]()
    with Outgoing(current_app.config) as outgoing:
        while limit > 0:
            rows = _claim(due, now, min(limit, CLAIM_BATCH))
            report = _send_claimed(rows, now, outgoing)
            totals.update(sent=report.sent, retrying=report.retrying, failed=report.failed)
            limit -= len(rows)
            if len(rows) < CLAIM_BATCH or report.connection_failed:
                break  # nothing more is due, or the server is down: the rest waits for the next tick
    return DeliveryReport(sent=totals["sent"], retrying=totals["retrying"], failed=totals["failed"])


def deliver(ids: Iterable[int], now: datetime, *, retry_stale: bool = False) -> DeliveryReport:
    """Try to send each message of `ids` that is still queued (and, if `retry_stale`, abandoned claims)."""
    wanted = sorted(set(ids))
    claimable = _table.c.status == EmailStatus.QUEUED.value
    if retry_stale:
        stale = sa.and_(_table.c.status == EmailStatus.SENDING.value, _table.c.next_attempt_at <= now)
        claimable = sa.or_(claimable, stale)
    sent = retrying = failed = 0
    with Outgoing(current_app.config) as outgoing:
        for first in range(0, len(wanted), CLAIM_BATCH):
            chunk = wanted[first : first + CLAIM_BATCH]
            report = _send_claimed(_claim(sa.and_(_table.c.id.in_(chunk), claimable), now), now, outgoing)
            sent, retrying, failed = sent + report.sent, retrying + report.retrying, failed + report.failed
    return DeliveryReport(sent=sent, retrying=retrying, failed=failed)


def _claim(
    claimable: sa.ColumnElement[bool], now: datetime, limit: int | None = None
) -> list[Mapping[str, Any]]:
    """Mark the `claimable` messages 'sending' (up to `limit`, oldest first) in one short transaction
    (`claim_rows`: each row is claimed by one sender only)."""
    with own_transaction(db.engine) as conn:
        return claim_rows(conn, _outbox, claimable, lease_until=now + CLAIM_LEASE, limit=limit)


@dataclass(frozen=True)
class _BatchReport(DeliveryReport):
    connection_failed: bool = False


def _send_claimed(rows: Sequence[Mapping[str, Any]], now: datetime, outgoing: Outgoing) -> _BatchReport:
    """Send claimed messages over `outgoing`, then record every outcome in one transaction.

    Each message has its own outcome: one refused or failed message is retried later and the others are
    marked sent. If no connection can be opened, the messages not yet tried fail with that error. Messages
    not tried at all (the claim nearly lapsed, or an unexpected error) are handed back unclaimed.
    """
    config = current_app.config
    max_attempts = config.get("MAIL_MAX_ATTEMPTS", 8)
    began = time.monotonic()
    sent: list[int] = []
    failures: list[tuple[Mapping[str, Any], Exception]] = []
    unsendable: list[tuple[Mapping[str, Any], Exception]] = []
    connection_error: Exception | None = None
    tried = 0
    try:
        for row in rows:
            if time.monotonic() - began > CLAIM_LEASE.total_seconds() / 2:
                break  # a slow server: give the rest back before another sender may take them
            tried += 1
            if connection_error is not None:
                failures.append((row, connection_error))
                continue
            try:
                outgoing.send(compose(row, config["MAIL_DEFAULT_SENDER"]))
            except Uncomposable as error:
                unsendable.append((row, error))
            except (smtplib.SMTPException, OSError) as error:
                failures.append((row, error))
                if outgoing.unreachable:
                    connection_error = error
            else:
                sent.append(row["id"])
    finally:
        gave_up = _record(sent, failures, unsendable, [row["id"] for row in rows[tried:]], now, max_attempts)
    return _BatchReport(
        sent=len(sent),
        retrying=len(failures) - gave_up,
        failed=gave_up + len(unsendable),
        connection_failed=connection_error is not None,
    )


def _record(
    sent: Sequence[int],
    failures: Sequence[tuple[Mapping[str, Any], Exception]],
    unsendable: Sequence[tuple[Mapping[str, Any], Exception]],
    untried: Sequence[int],
    now: datetime,
    max_attempts: int,
) -> int:
    """Mark `sent` sent, queue each failure again with backoff (or give it up after `max_attempts`), fail
    each `unsendable` message for good, and hand `untried` back unclaimed, in one transaction; returns how
    many failures were given up."""
    changes = []
    gave_up = 0
    for row, error in unsendable:
        log.error("email %s (%s) cannot be composed; it is marked failed: %s", row["id"], row["kind"], error)
        changes.append(
            {
                "id": row["id"],
                "status": EmailStatus.FAILED.value,
                "next_attempt_at": now,
                "last_error": f"{type(error).__name__}: {error}"[:500],
            }
        )
    for row, error in failures:
        attempts = row["attempts"]
        given_up = attempts >= max_attempts
        gave_up += given_up
        log.warning(
            "email %s to %s failed (attempt %s%s): %s",
            row["id"],
            row["to_address"],
            attempts,
            ", giving up" if given_up else "",
            error,
        )
        changes.append(
            {
                "id": row["id"],
                "status": (EmailStatus.FAILED if given_up else EmailStatus.QUEUED).value,
                "next_attempt_at": now + retry_delay(attempts),
                "last_error": f"{type(error).__name__}: {error}"[:500],
            }
        )
    if not (sent or changes or untried):
        return 0
    with own_transaction(db.engine) as conn:
        if sent:
            conn.execute(
                sa.update(_table)
                .where(_table.c.id.in_(sent))
                .values(status=EmailStatus.SENT.value, sent_at=now, last_error=None)
            )
        settle_rows(conn, _outbox, changes, untried, now)
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
