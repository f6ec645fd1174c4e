"""The one family of refusals every service raises, and the web and API map to answers in one place.

- `NotFound`: the thing does not exist, or is not the caller's to see (never say which) → 404.
- `NotAllowed`: the caller lacks the role or right for this → 403.
- `Invalid`: input that breaks a rule; `errors` holds (field, message) pairs, None for the whole form → 422.
- `Refused`: a booking request broke rules; `violations` holds every one with its code and values → 409/422.

Messages are translatable (lazy strings or `N_` templates); nothing here imports Flask.
"""

from collections.abc import Iterable, Mapping
from typing import Any


class ServiceError(Exception):
    """Base of the family: anything a service refuses for a reason a person can be told."""


class NotFound(ServiceError):
    """The thing does not exist, or is not the caller's to see (never say which).

    A `message` says more where that is safe ("there is no page 9 of these results")."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(*([] if message is None else [message]))
        self.message = message


class NotAllowed(ServiceError):
    """The caller lacks the role or the right for this."""


class Invalid(ServiceError):
    """Input that breaks a rule. `errors` is a tuple of (field, message); field None means the whole form.

    `Invalid(message)`, `Invalid(message, field="name")`, `Invalid({"name": message, ...})` or
    `Invalid([("name", message), (None, message)])`. `code` names the refusal for machines (an API's
    problem type, a view that answers 413 rather than 422 for a file too large).
    """

    def __init__(
        self,
        errors: Any,
        field: str | None = None,
        *,
        code: str | None = None,
    ) -> None:
        pairs: list[tuple[str | None, Any]]
        if isinstance(errors, Mapping):
            pairs = [(key, value) for key, value in errors.items()]
        elif (
            isinstance(errors, list | tuple)
            and errors
            and all(isinstance(pair, tuple) and len(pair) == 2 for pair in errors)
        ):
            pairs = list(errors)
        else:
            pairs = [(field, errors)]
        super().__init__("; ".join(f"{k}: {v}" if k else str(v) for k, v in pairs))
        self.errors: tuple[tuple[str | None, Any], ...] = tuple(pairs)
        self.code = code

    @property
    def message(self) -> Any:
        """The first message (for a refusal that has only one)."""
        return self.errors[0][1]

    @property
    def field(self) -> str | None:
        """The field of the first message."""
        return self.errors[0][0]

    @property
    def fields(self) -> set[str | None]:
        """Every field a message names."""
        return {field for field, _message in self.errors}

    def __str__(self) -> str:
        return "; ".join(str(message) for _field, message in self.errors)


class Refused(ServiceError):
    """A request broke booking rules; nothing was written. `violations` holds every one, with its code."""

    def __init__(self, violations: Iterable[Any]) -> None:
        self.violations: tuple[Any, ...] = tuple(violations)
        super().__init__("; ".join(str(v) for v in self.violations))

    @property
    def codes(self) -> set[str]:
        return {v.code for v in self.violations}
