"""`flask` commands: seed-demo, create-admin, statistics-backfill."""

import click
from flask import Flask, current_app

from booking import clock


def register_commands(app: Flask) -> None:
    @app.cli.command("reindex-search")
    def reindex_search_command() -> None:
        """Write every facility's search document again (after a migration, or a university renamed)."""
        from booking.services import search

        click.echo(f"{search.reindex()} facilities reindexed.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only seed when the database has no organizations yet.")
    def seed_demo_command(if_empty: bool) -> None:
        """Load Jiaozuo's universities, facilities, enterprises and one demo account per role."""
        from booking import demo

        try:
            demo.refuse_in_production()
        except demo.DemoRefused as refused:
            raise click.ClickException(str(refused)) from None
        if if_empty and not demo.database_is_empty():
            click.echo("Database already has data; demo data not loaded.")
            return
        result = demo.seed_demo(clock.now())
        click.echo(result.summary())
        click.echo("\nDemo accounts (development only):")
        for login in result.logins:
            click.echo(f"  {login.role:<22} {login.email:<36} {login.password}")

    from booking import scheduler_cli

    scheduler_cli.register(app)

    @app.cli.command("statistics-backfill")
    @click.option(
        "--days",
        type=click.IntRange(1, 3660),
        default=None,
        help="How many past days to measure (default: STATISTICS_BACKFILL_DAYS).",
    )
    @click.option("--recompute", is_flag=True, help="Measure days already measured again.")
    def statistics_backfill_command(days: int | None, recompute: bool) -> None:
        """Write the reports' statistics for the last N ended days of every facility."""
        from booking.services import statistics

        days = days or int(current_app.config.get("STATISTICS_BACKFILL_DAYS", statistics.BACKFILL_DAYS))
        written = statistics.backfill(clock.now(), days, recompute=recompute)
        click.echo(f"{written} facility-days written.")

    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.password_option()
    def create_admin_command(email: str, name: str, password: str) -> None:
        """Create a city-office administrator account."""
        from booking.services import accounts
        from booking.services.errors import Invalid

        try:
            user = accounts.create_admin(email=email, display_name=name, password=password)
        except Invalid as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Administrator {user.email} created.")
