"""`flask` commands: seed-demo, create-admin, create-token, statistics-backfill."""

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

    @app.cli.command("create-token")
    @click.option("--email", required=True, help="The account the token acts as.")
    @click.option("--name", default="command line", show_default=True)
    @click.option(
        "--scope",
        "scopes",
        multiple=True,
        type=click.Choice(["read", "book", "manage"]),
        default=("read", "book"),
        show_default=True,
    )
    def create_token_command(email: str, name: str, scopes: tuple[str, ...]) -> None:
        """Make a personal access token for the API and print it (its owner sees and revokes it on their
        profile's token page)."""
        from booking.services import api_tokens
        from booking.services.errors import Invalid, NotFound

        try:
            made = api_tokens.create_for_email(
                email, name, {api_tokens.Scope(s) for s in scopes}, now=clock.now()
            )
        except NotFound:
            raise click.ClickException(f"No active account has the address {email}.") from None
        except Invalid as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(made.secret)
