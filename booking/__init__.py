"""Campus–City Booking. The application factory is `booking.app.create_app`; importing this package (or the
engine) loads nothing of Flask or the database."""

from typing import Any


def __getattr__(name: str) -> Any:
    """`booking.create_app`, looked up only on use, so `flask --app booking` and 'booking:create_app()' still
    start the app."""
    if name == "create_app":
        from booking.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
