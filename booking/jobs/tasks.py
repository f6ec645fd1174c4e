"""The scheduled jobs: each takes the time, calls one service in the current app context, and returns how
many rows it touched. Settings come from the app config, with the defaults below."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from booking import mail, notify
from booking.services import (
    applications,
    housekeeping,
    personal_data,
    reminders,
    statistics,
    strikes,
    waitlist,
    webhooks,
)


def send_reminders(now: datetime) -> int:
    lead = timedelta(minutes=int(current_app.config.get("REMINDER_LEAD_MINUTES", 24 * 60)))
    return reminders.send_reminders(now, lead=lead)


def send_window_reminders(now: datetime) -> int:
    return reminders.send_window_reminders(now)


def expire_pending(now: datetime) -> int:
    return housekeeping.expire_pending(now)


def mark_no_shows(now: datetime) -> int:
    return strikes.mark_no_shows(now, rules=strikes.StrikeRules.from_config(current_app.config))


def complete_past(now: datetime) -> int:
    return housekeeping.complete_past(now)


def promote_waitlist(now: datetime) -> int:
    return waitlist.promote_all(now)


def snapshot_statistics(now: datetime) -> int:
    config = current_app.config
    backfill = int(config.get("STATISTICS_BACKFILL_DAYS", statistics.BACKFILL_DAYS))
    limit = int(config.get("STATISTICS_DAYS_PER_TICK", statistics.DAYS_PER_TICK))
    return statistics.snapshot(now, backfill_days=backfill, limit=limit)


def remove_expired_attachments(now: datetime) -> int:
    """Files attached to requests go once their booking's retention (ATTACHMENT_RETENTION_DAYS) has passed."""
    config = current_app.config
    return applications.remove_expired_attachments(
        now, Path(config["ATTACHMENT_DIR"]), keep_days=int(config["ATTACHMENT_RETENTION_DAYS"])
    )


def send_digests(now: datetime) -> int:
    return notify.send_digests(now)


def deliver_emails(now: datetime) -> int:
    """Retry the outbox: emails whose first try after commit failed, or whose sender died mid-send."""
    report = mail.deliver_pending(now)
    return report.sent + report.retrying + report.failed


def deliver_webhooks(now: datetime) -> int:
    """Send the webhook outbox: new events, and retries whose backoff has passed."""
    return webhooks.deliver_pending(now).total


def purge_webhook_deliveries(now: datetime) -> int:
    """Remove webhook deliveries that are over and older than WEBHOOK_DELIVERY_RETENTION_DAYS."""
    days = int(current_app.config.get("WEBHOOK_DELIVERY_RETENTION_DAYS", 30))
    return webhooks.purge_deliveries(now, days=days)


def purge_unconfirmed(now: datetime) -> int:
    """Remove sign-ups whose address was not confirmed within UNCONFIRMED_RETENTION_DAYS."""
    days = int(current_app.config.get("UNCONFIRMED_RETENTION_DAYS", 7))
    return personal_data.purge_unconfirmed(now, days=days)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], int]
    seconds: int  # how often, unless SCHEDULER_INTERVALS[name] or SCHEDULER_INTERVAL_SECONDS says otherwise


JOBS: tuple[Job, ...] = (
    Job("send_reminders", send_reminders, 300),
    Job("send_window_reminders", send_window_reminders, 300),
    Job("expire_pending", expire_pending, 60),
    Job("mark_no_shows", mark_no_shows, 60),
    Job("complete_past", complete_past, 300),
    Job("promote_waitlist", promote_waitlist, 300),
    # Each facility's day is snapshotted once, after it has ended: in effect nightly, in slices of
    # STATISTICS_DAYS_PER_TICK facility-days every ten minutes, so no tick holds the scheduler long.
    Job("snapshot_statistics", snapshot_statistics, 600),
    Job("send_digests", send_digests, 3600),
    Job("remove_expired_attachments", remove_expired_attachments, 3600),
    Job("deliver_emails", deliver_emails, 60),
    # Door systems want to know soon: every half minute (a run with nothing due is one indexed query).
    Job("deliver_webhooks", deliver_webhooks, 30),
    Job("purge_unconfirmed", purge_unconfirmed, 3600),
    Job("purge_webhook_deliveries", purge_webhook_deliveries, 3600),
)
