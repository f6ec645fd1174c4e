"""Email addresses: the one normalised form that names a mailbox, for storing, comparing and looking up.

Every spelling of one address is one account: `Dup@ＥＸＡＭＰＬＥ．ＣＯＭ`, `dup@example.com`, an IDNA
`xn--` domain and its Unicode form. The form is email-validator's normalisation (Unicode NFC, the domain
through IDNA/UTS-46, which also folds full-width characters, in its Unicode form), then case-folded.
`user_account.email` holds it, so its unique constraint is one account per mailbox. Registration, login,
admin and manager creation, `flask create-admin`, the demo seeder and every lookup by email use it.
"""

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """Not an email address that can be stored."""


def _normalised(address: str) -> str | None:
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.casefold()
    except EmailNotValidError:
        return None


def normalize_email(address: str) -> str:
    """The address's normalised form, for comparing and looking up. Text that is no valid address is
    only stripped and case-folded: it is stored nowhere, so it matches no account."""
    return _normalised(address) or address.strip().casefold()


def checked_email(address: str) -> str:
    """The normalised form of an address about to be stored; InvalidAddress if it is not valid."""
    normalised = _normalised(address)
    if normalised is None:
        raise InvalidAddress(address)
    return normalised
