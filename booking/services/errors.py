"""The refusals every service shares: not found, not allowed, and a message for one form field."""

from flask_babel import LazyString


class NotFound(Exception):
    """The thing does not exist, or is not the caller's to see (never say which)."""


class NotAllowed(Exception):
    """The caller lacks the role for this."""


class FieldError(Exception):
    """A refused change; `field` names the form field the (translated) message belongs to, if any."""

    def __init__(self, message: str | LazyString, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
