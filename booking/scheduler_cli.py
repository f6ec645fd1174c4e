"""The `flask --app booking.app scheduler` command: the one process that runs the scheduled jobs."""

import click
from flask import Flask, current_app


def register(app: Flask) -> None:
    @app.cli.command("scheduler")
    @click.option(
        "--interval",
        type=click.IntRange(min=1),
        envvar="SCHEDULER_INTERVAL_SECONDS",
        help="Run every job this often, in seconds, instead of the configured intervals (tests, demos).",
    )
    @click.option("--once", is_flag=True, help="Run every job once now and exit (for cron).")
    def scheduler_command(interval: int | None, once: bool) -> None:
        """Run reminders, expiry, no-shows, completion, waitlist promotion and statistics on a schedule.

        Run exactly one beside the web workers; it stops cleanly on SIGTERM or Ctrl-C.
        """
        from booking import jobs

        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if once:
            for name, count in jobs.run_all_once(app).items():
                click.echo(f"{name}: {count}")
            return
        jobs.run_blocking(app, every=interval)
