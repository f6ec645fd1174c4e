"""The `seed-scale` command: a large realistic dataset for load tests and benchmarks (the scale package).

The generator is no part of the application or its wheel, so this module's factory builds the application
and adds the command: `flask --app scale.cli seed-scale --facilities 200 ...` from a checkout.
"""

import click
from flask import Flask

from booking import clock
from booking.app import create_app as create_booking_app


def create_app() -> Flask:
    """The application, configured from the environment as usual, with `seed-scale` among its commands."""
    app = create_booking_app()
    register(app)
    return app


def register(app: Flask) -> None:
    @app.cli.command("seed-scale")
    @click.option("--facilities", default=2000, show_default=True, help="Facilities across the universities.")
    @click.option("--users", default=20000, show_default=True, help="People with an account.")
    @click.option("--bookings", default=100_000, show_default=True, help="Bookings over the last two years.")
    @click.option("--seed", default=2026, show_default=True, help="Same seed, same data.")
    @click.option(
        "--replace-bookings",
        is_flag=True,
        help="Only regenerate the bookings of the facilities already there (deleting theirs first).",
    )
    def seed_scale_command(
        facilities: int, users: int, bookings: int, seed: int, replace_bookings: bool
    ) -> None:
        """Fill the database in bulk (COPY on PostgreSQL) with facilities, people and bookings.

        Every generated account's password is scale.PASSWORD. Not for a production database.
        """
        import scale

        try:
            if replace_bookings:
                result = scale.seed_bookings(bookings, seed=seed, now=clock.now(), replace=True)
            else:
                result = scale.seed_scale(
                    facilities=facilities, users=users, bookings=bookings, seed=seed, now=clock.now()
                )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(result.summary())
        problems = scale.double_bookings()
        if problems:
            raise click.ClickException("double bookings found: " + "; ".join(problems))
