"""Campus sign-on (CAS 2.0/3.0): the city office's settings per university, ticket validation, and signing a
person in as that university's verified student or staff member.

The protocol is python-cas's (`cas.CASClient`): the login URL and the service-ticket validation, whose
answer it parses. What we add around it: a timeout and an error for every HTTP failure (`_Session`), a
refusal of XML with a DTD or entities before python-cas parses it (defusedxml), and the mapping of the
CAS user and attributes to an account.

Accounts are linked by `CampusIdentity` (university, CAS user), never by email address: an address in the
university's directory is not proof that the person owns the account here that has it (directories let
people set forwarding addresses and aliases, and an address here may never have been confirmed), so merging
on it would let one side take over the other. An existing account is linked when its owner, signed in with
their password, signs in through the university as well: both proofs in one browser.
"""

import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

import requests
import sqlalchemy as sa
from cas import CASClient
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from booking.mailbox import InvalidAddress, checked_email
from booking.services import audit
from booking.services.audit import AuditAction
from booking.services.errors import Invalid, NotAllowed, NotFound
from booking.services.transactions import lock_rows, write_transaction
from booking.text import text_problem
from models import (
    CampusIdentity,
    CampusRole,
    CampusSignOn,
    Category,
    Organization,
    OrganizationKind,
    User,
    Verification,
    db,
)

PROTOCOLS = (2, 3)
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")
# CAS 3.0 §3.1.1/§3.7: service tickets begin with "ST-" and are at most 256 characters (32 or more
# recommended), in ASCII. Anything else is refused without asking the server.
TICKET = re.compile(r"^ST-[\x21-\x7e]{1,253}$")
NUMBER_MAX = 40  # user_account.student_number, campus_identity.number
CAS_USER_MAX = 255

# Why a sign-on failed; the web layer answers "server" with 502 and the others with 400.
TICKET_REFUSED, ATTRIBUTE_MISSING, SERVER_FAILED = "ticket", "attributes", "server"


# --- the city office's settings ------------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotAllowed


def settings_overview(admin: User) -> list[tuple[Organization, CampusSignOn | None]]:
    """Every university with its sign-on settings, if any, by English name."""
    _require_admin(admin)
    rows = db.session.execute(
        sa.select(Organization, CampusSignOn)
        .outerjoin(CampusSignOn, CampusSignOn.university_id == Organization.id)
        .where(Organization.kind == OrganizationKind.UNIVERSITY)
        .order_by(Organization.name_en, Organization.id)
    ).all()
    return [(university, settings) for university, settings in rows]


def settings_of(admin: User, university_id: int) -> tuple[Organization, CampusSignOn | None]:
    _require_admin(admin)
    university = db.session.get(Organization, university_id)
    if university is None or not university.is_university:
        raise NotFound
    return university, db.session.get(CampusSignOn, university_id)


def _server_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or parts.query
        or parts.fragment
        or text_problem(url) is not None
        or any(ch.isspace() for ch in url)
    ):
        raise Invalid(
            _l("Enter the CAS server's address, such as https://cas.example.edu.cn/cas/."), field="server_url"
        )
    # python-cas resolves "login" and "serviceValidate" against it: without the "/" they would replace
    # its last path segment.
    return url if url.endswith("/") else url + "/"


def _attribute(name: str | None, field: str, *, required: bool) -> str | None:
    name = (name or "").strip()
    if not name:
        if required:
            raise Invalid(_l("Enter the name of the attribute, such as employeeNumber."), field=field)
        return None
    if not ATTRIBUTE_NAME.match(name):
        raise Invalid(
            _l("An attribute name is letters, digits, '_', '.', ':' or '-', such as employeeNumber."),
            field=field,
        )
    return name


def _staff_values(values: str | None, role_attribute: str | None) -> str | None:
    cleaned = ",".join(v.strip() for v in (values or "").split(",") if v.strip())
    if role_attribute and not cleaned:
        raise Invalid(_l("List the values of the role attribute that mean staff."), field="staff_values")
    if not role_attribute and cleaned:
        raise Invalid(
            _l("Name the attribute these values come from, or leave both empty."), field="role_attribute"
        )
    return cleaned or None


def configure(
    admin: User,
    university_id: int,
    *,
    server_url: str,
    protocol: int,
    number_attribute: str,
    role_attribute: str | None,
    staff_values: str | None,
    name_attribute: str | None,
    email_attribute: str | None,
    enabled: bool,
    now: datetime,
) -> CampusSignOn:
    """Create or change a university's sign-on settings; audited with what changed."""
    _require_admin(admin)
    if protocol not in PROTOCOLS:
        raise Invalid(_l("Choose CAS 2.0 or CAS 3.0."), field="protocol")
    role = _attribute(role_attribute, "role_attribute", required=False)
    values: dict[str, Any] = {
        "server_url": _server_url(server_url),
        "protocol": protocol,
        "number_attribute": _attribute(number_attribute, "number_attribute", required=True),
        "role_attribute": role,
        "staff_values": _staff_values(staff_values, role),
        "name_attribute": _attribute(name_attribute, "name_attribute", required=False),
        "email_attribute": _attribute(email_attribute, "email_attribute", required=False),
        "enabled": bool(enabled),
    }
    with write_transaction() as fresh:
        lock_rows(organization_ids=[university_id])
        university, settings = settings_of(admin, university_id)
        if settings is None:
            settings = CampusSignOn(university_id=university.id)
            db.session.add(settings)
            changes = {name: [None, value] for name, value in values.items()}
            audit.apply(settings, values)
        else:
            changes = audit.apply(settings, values)
        settings.updated_at = now
        audit.changed(university, AuditAction.CAMPUS_SIGN_ON_UPDATED, changes, actor_id=admin.id, at=now)
        fresh.append(settings)
    return settings


# --- signing in ------------------------------------------------------------------------------------------


def enabled_sign_ons() -> list[CampusSignOn]:
    """The universities whose sign-on is on, for the login page."""
    return list(
        db.session.scalars(
            sa.select(CampusSignOn)
            .join(Organization, Organization.id == CampusSignOn.university_id)
            .where(CampusSignOn.enabled.is_(True))
            .options(selectinload(CampusSignOn.university))
            .order_by(Organization.name_en, Organization.id)
        )
    )


def enabled_sign_on(university_id: int) -> CampusSignOn:
    settings = db.session.get(CampusSignOn, university_id)
    if settings is None or not settings.enabled:
        raise NotFound
    return settings


def _client(settings: CampusSignOn, service_url: str, timeout: float) -> Any:
    return CASClient(
        version=settings.protocol,
        service_url=service_url,
        server_url=settings.server_url,
        session=_Session(timeout),
    )


def login_url(settings: CampusSignOn, service_url: str) -> str:
    """The university's CAS login page, sending the person back to `service_url` with a ticket."""
    return str(_client(settings, service_url, timeout=0).get_login_url())


class _Session(requests.Session):
    """requests as python-cas uses it, with a timeout on every call and an error for every 4xx/5xx."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.hooks["response"].append(lambda response, *args, **kwargs: response.raise_for_status())

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class Assertion:
    """What the university's CAS server confirmed about the person, read from a validated ticket."""

    university_id: int
    cas_user: str
    number: str
    role: str  # CampusRole's value
    name: str
    email: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "Assertion | None":
        """Read back from the session; None for anything that is not one."""
        if not isinstance(data, dict) or set(data) != set(cls.__dataclass_fields__):
            return None
        if not isinstance(data["university_id"], int) or data["role"] not in set(CampusRole):
            return None
        if not all(isinstance(data[k], str) for k in ("cas_user", "number", "role", "name", "email")):
            return None
        return cls(**data)


def _first(value: Any) -> str:
    """One attribute's value: CAS may send an attribute once or several times (a list)."""
    if isinstance(value, list):
        value = next((v for v in value if v and str(v).strip()), None)
    return str(value).strip() if value is not None else ""


def _refused(field: str) -> Invalid:
    messages = {
        TICKET_REFUSED: _l(
            "Your university did not confirm this sign-in: the ticket was refused, already used or expired."
        ),
        SERVER_FAILED: _l("Your university's sign-on service could not be reached or gave no usable answer."),
    }
    return Invalid(messages[field], field=field)


# No answer, an HTTP error, or an answer that is not a CAS response python-cas can read.
_UNUSABLE_ANSWER = (
    requests.RequestException,
    ParseError,
    DefusedXmlException,
    IndexError,
    AttributeError,
    ValueError,
)


def validate_ticket(settings: CampusSignOn, ticket: str, service_url: str, *, timeout: float) -> Assertion:
    """Ask the university's CAS server whether `ticket` is good for `service_url`, and read the person.

    Raises Invalid with field TICKET_REFUSED, ATTRIBUTE_MISSING or SERVER_FAILED. Writes nothing: it may
    wait for the network, so it runs before any transaction.
    """
    if not isinstance(ticket, str) or not TICKET.match(ticket):
        raise _refused(TICKET_REFUSED)
    client = _client(settings, service_url, timeout)
    try:
        response = client.get_verification_response(ticket)
        defused_fromstring(response)  # no DTD, no entities: refused before python-cas parses it
        cas_user, attributes, _pgtiou = client.verify_response(response)
    except _UNUSABLE_ANSWER:
        raise _refused(SERVER_FAILED) from None
    if not cas_user or not isinstance(cas_user, str):
        raise _refused(TICKET_REFUSED)
    cas_user = cas_user.strip()
    if not cas_user or len(cas_user) > CAS_USER_MAX or text_problem(cas_user) is not None:
        raise _refused(SERVER_FAILED)
    return _assertion(settings, cas_user, attributes or {})


def _assertion(settings: CampusSignOn, cas_user: str, attributes: dict[str, Any]) -> Assertion:
    number = _first(attributes.get(settings.number_attribute))
    if not number:
        raise Invalid(
            _l(
                "Your university's sign-on did not send your student or staff number (attribute "
                "“%(attribute)s”).",
                attribute=settings.number_attribute,
            ),
            field=ATTRIBUTE_MISSING,
        )
    if len(number) > NUMBER_MAX or text_problem(number) is not None:
        raise Invalid(
            _l(
                "Your university's sign-on sent a student or staff number that is not usable "
                "(attribute “%(attribute)s”).",
                attribute=settings.number_attribute,
            ),
            field=ATTRIBUTE_MISSING,
        )
    role = CampusRole.STUDENT
    if settings.role_attribute:
        raw = attributes.get(settings.role_attribute)
        said = {str(v).strip().lower() for v in (raw if isinstance(raw, list) else [raw]) if v is not None}
        said.discard("")
        if not said:
            raise Invalid(
                _l(
                    "Your university's sign-on did not say whether you are a student or staff (attribute "
                    "“%(attribute)s”).",
                    attribute=settings.role_attribute,
                ),
                field=ATTRIBUTE_MISSING,
            )
        if said & settings.staff_value_set():
            role = CampusRole.STAFF
    name = _first(attributes.get(settings.name_attribute)) if settings.name_attribute else ""
    email = _first(attributes.get(settings.email_attribute)) if settings.email_attribute else ""
    return Assertion(
        university_id=settings.university_id,
        cas_user=cas_user,
        number=number,
        role=role.value,
        name=name[:100] if text_problem(name) is None else "",
        email=email[:254] if text_problem(email) is None else "",
    )


@dataclass(frozen=True)
class SignIn:
    """The outcome of a validated sign-on: the account to sign in, or None when a new one must be made."""

    user: User | None
    linked_now: bool = False
    verified_now: bool = False


def _identity(university_id: int, cas_user: str) -> CampusIdentity | None:
    return db.session.scalar(
        sa.select(CampusIdentity).where(
            CampusIdentity.university_id == university_id, CampusIdentity.cas_user == cas_user
        )
    )


def _conflict(message: Any) -> Invalid:
    return Invalid(message, field="account")


def _check_linkable(user: User, university: Organization) -> None:
    if not user.is_active:
        raise _conflict(_l("This account has been deactivated. Please contact the city office."))
    if user.is_admin:
        raise _conflict(_l("City office accounts sign in with their password only."))
    if user.category == Category.ENTERPRISE:
        raise _conflict(
            _l("This account belongs to an enterprise member; university sign-on is for students and staff.")
        )
    if user.manages_id is not None and user.manages_id != university.id:
        raise _conflict(_l("This account manages another university and cannot be linked to this one."))
    other = db.session.scalar(
        sa.select(CampusIdentity).where(
            CampusIdentity.user_id == user.id, CampusIdentity.university_id != university.id
        )
    )
    if other is not None:
        raise _conflict(_l("This account is already connected to another university's sign-on."))


def _make_campus_member(user: User, assertion: Assertion, now: datetime, *, actor_id: int | None) -> bool:
    """Make the account this university's verified student or staff member; whether it was not before."""
    before = (user.category, user.organization_id, user.verification)
    user.category = Category.STUDENT
    user.organization_id = assertion.university_id
    user.student_number = assertion.number
    if user.verification != Verification.VERIFIED or before[1] != assertion.university_id:
        user.verification = Verification.VERIFIED
        user.verified_at = now
    verified_now = before != (user.category, user.organization_id, user.verification)
    if verified_now:
        audit.about(
            user,
            AuditAction.ACCOUNT_VERIFIED,
            assertion.university_id,
            actor_id=actor_id,
            at=now,
            category=Category.STUDENT.value,
            method="campus_sign_on",
            role=assertion.role,
        )
    return verified_now


def sign_in(assertion: Assertion, *, current: User | None, now: datetime) -> SignIn:
    """The account a validated assertion signs in to, linking or verifying it where it must.

    - A linked identity signs in to its account (refused if another person is signed in here).
    - Otherwise a signed-in person (who proved their password) gets the identity linked to their account.
    - Otherwise nobody is known: SignIn(None), and the web layer asks for a name and address (`create`).
    """
    try:
        with write_transaction() as fresh:
            if current is not None:
                lock_rows(organization_ids=[assertion.university_id], user_ids=[current.id])
            else:
                lock_rows(organization_ids=[assertion.university_id])
            settings = enabled_sign_on(assertion.university_id)
            university = settings.university
            identity = _identity(assertion.university_id, assertion.cas_user)
            if identity is not None:
                if current is not None and identity.user_id != current.id:
                    raise _conflict(
                        _l("This university sign-on is already connected to another account here.")
                    )
                lock_rows(user_ids=[identity.user_id])
                user = db.session.get(User, identity.user_id)
                if user is None or not user.is_active:
                    raise _conflict(_l("This account has been deactivated. Please contact the city office."))
                identity.number, identity.role = assertion.number, CampusRole(assertion.role)
                identity.last_sign_in_at = now
                verified = _make_campus_member(user, assertion, now, actor_id=None)
                fresh.append(user)
                return SignIn(user, verified_now=verified)
            if current is None:
                return SignIn(None)
            user = db.session.get(User, current.id)
            if user is None:
                raise NotFound
            _check_linkable(user, university)
            if db.session.scalar(
                sa.select(CampusIdentity.id).where(
                    CampusIdentity.user_id == user.id, CampusIdentity.university_id == university.id
                )
            ):
                raise _conflict(
                    _l("Your account is already connected to another sign-on identity at this university.")
                )
            _link(user, assertion, now)
            verified = _make_campus_member(user, assertion, now, actor_id=user.id)
            fresh.append(user)
            return SignIn(user, linked_now=True, verified_now=verified)
    except IntegrityError:  # the same identity linked at the same moment by another request
        raise _conflict(_l("This university sign-on is already connected to another account here.")) from None


def _link(user: User, assertion: Assertion, now: datetime) -> CampusIdentity:
    identity = CampusIdentity(
        university_id=assertion.university_id,
        cas_user=assertion.cas_user,
        user_id=user.id,
        number=assertion.number,
        role=CampusRole(assertion.role),
        linked_at=now,
        last_sign_in_at=now,
    )
    db.session.add(identity)
    db.session.flush()
    audit.about(
        user,
        AuditAction.ACCOUNT_CAMPUS_LINKED,
        assertion.university_id,
        actor_id=user.id,
        at=now,
        number=assertion.number,
        role=assertion.role,
    )
    return identity


EMAIL_TAKEN = _l(
    "An account with this email address already exists. Log in with its password, then sign in with your "
    "university to connect the two; or use another address."
)


def create_account(
    assertion: Assertion, *, display_name: str, email: str, locale: str | None, now: datetime
) -> User:
    """A new account for a person their university just confirmed: verified at once, linked to the identity.

    It has no password (an unusable hash): the person signs in through the university, or sets one with a
    password reset.
    """
    display_name = (display_name or "").strip()
    if not display_name:
        raise Invalid(_l("Enter your name."), field="display_name")
    try:
        address = checked_email(email or "")
    except InvalidAddress:
        raise Invalid(_l("Enter a valid email address."), field="email") from None
    try:
        with write_transaction() as fresh:
            lock_rows(organization_ids=[assertion.university_id])
            enabled_sign_on(assertion.university_id)
            if _identity(assertion.university_id, assertion.cas_user) is not None:
                raise _conflict(
                    _l("This university sign-on is already connected to an account here. Sign in again.")
                )
            if db.session.scalar(sa.select(User.id).where(User.email == address)) is not None:
                raise Invalid(EMAIL_TAKEN, field="email")
            user = User(
                email=address,
                password_hash="!" + secrets.token_hex(16),  # no password matches it (werkzeug's format)
                display_name=display_name,
                category=Category.STUDENT,
                organization_id=assertion.university_id,
                student_number=assertion.number,
                verification=Verification.VERIFIED,
                verified_at=now,
                locale=locale,
                created_at=now,
            )
            audit.created(
                user,
                AuditAction.ACCOUNT_REGISTERED,
                assertion.university_id,
                actor_id=user.id,
                at=now,
                category=Category.STUDENT.value,
                organization_id=assertion.university_id,
                method="campus_sign_on",
            )
            _link(user, assertion, now)
            fresh.append(user)
    except IntegrityError:
        if db.session.scalar(sa.select(User.id).where(User.email == address)) is not None:
            raise Invalid(EMAIL_TAKEN, field="email") from None
        raise _conflict(
            _l("This university sign-on is already connected to an account here. Sign in again.")
        ) from None
    return user


def identities_of(user: User) -> list[CampusIdentity]:
    """The person's own links, for their sign-on page."""
    return list(
        db.session.scalars(
            sa.select(CampusIdentity)
            .where(CampusIdentity.user_id == user.id)
            .options(selectinload(CampusIdentity.university))
            .order_by(CampusIdentity.linked_at)
        )
    )
