"""Account use cases: registration, login checks, profile and password changes."""

from datetime import datetime
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from booking import clock, credit_code
from booking.mailbox import InvalidAddress, checked_email, normalize_email
from booking.services import audit, email_verification, inbox, passwords
from booking.services.audit import AuditAction
from booking.services.errors import Invalid
from booking.services.transactions import lock_rows, write_transaction
from models import Category, Organization, OrganizationKind, User, Verification, db

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH

EMAIL_TAKEN = _l("An account with this email address already exists. Log in instead, or use another address.")


def _address(email: str) -> str:
    """The normalised address to store (booking.mailbox), or the form's message."""
    try:
        return checked_email(email)
    except InvalidAddress:
        raise Invalid(_l("Enter a valid email address."), field="email") from None


def universities() -> list[Organization]:
    """The universities a student can register with."""
    query = sa.select(Organization).where(Organization.kind == OrganizationKind.UNIVERSITY)
    return list(db.session.scalars(query.order_by(Organization.name_en)))


def register(
    *,
    email: str,
    password: str,
    display_name: str,
    category: Category,
    phone: str | None = None,
    university_id: int | None = None,
    student_number: str | None = None,
    company_code: str | None = None,
    company_name: str | None = None,
    locale: str | None = None,
    now: datetime | None = None,
) -> User:
    """Create a resident, student or enterprise-member account in one transaction.

    The address is unconfirmed until the emailed link or code is used (booking.services.
    email_verification); the email goes out in `locale`, the language chosen at sign-up. Students and
    enterprise members start with verification pending. An enterprise member joins the company with that
    unified social credit code, or registers it (unverified) if it is new here.
    """
    email = _address(email)
    if locale is not None and locale not in current_app.config["LANGUAGES"]:
        raise Invalid(_l("Choose a language from the list."), field="locale")
    _check_password(password, email=email, name=display_name)
    password_hash = _hash(password)  # slow on purpose: before the write lock, not while holding it
    # Two tries: a concurrent registration may create the same company between our check and our insert;
    # the second try then joins it.
    for attempt in (1, 2):
        try:
            with write_transaction() as fresh:
                user = _insert_account(
                    email=email,
                    password_hash=password_hash,
                    display_name=display_name.strip(),
                    category=category,
                    phone=phone or None,
                    university_id=university_id,
                    student_number=student_number,
                    company_code=company_code,
                    company_name=company_name,
                    locale=locale,
                    now=now or clock.now(),
                )
                fresh.append(user)
        except IntegrityError:
            if _email_taken(email):
                raise Invalid(EMAIL_TAKEN, field="email") from None
            if attempt == 2:
                raise
        else:
            return user
    raise AssertionError("unreachable")


def _insert_account(
    *,
    email: str,
    password_hash: str,
    display_name: str,
    category: Category,
    phone: str | None,
    university_id: int | None,
    student_number: str | None,
    company_code: str | None,
    company_name: str | None,
    locale: str | None,
    now: datetime,
) -> User:
    if not display_name:
        raise Invalid(_l("Enter your name."), field="display_name")
    if _email_taken(email):
        raise Invalid(EMAIL_TAKEN, field="email")
    user = User(
        email=email,
        password_hash=password_hash,
        display_name=display_name,
        phone=phone,
        category=category,
        verification=Verification.NONE if category == Category.RESIDENT else Verification.PENDING,
        locale=locale,
        created_at=now,
    )
    new_company = False
    if category == Category.STUDENT:
        user.organization = _university(university_id)
        user.student_number = _student_number(student_number)
    elif category == Category.ENTERPRISE:
        user.organization, new_company = _company(company_code, company_name, now)
    db.session.add(user)
    db.session.flush()
    # The column's default counts platform-made accounts as confirmed; a self-service sign-up is not.
    user.email_verified_at = None
    audit.about(
        user,
        AuditAction.ACCOUNT_REGISTERED,
        user.organization_id if category == Category.STUDENT else None,
        actor_id=user.id,
        at=now,
        category=category.value,
        organization_id=user.organization_id,
        new_organization=new_company,
    )
    email_verification.send(user, now)
    return user


def _university(university_id: int | None) -> Organization:
    university = db.session.get(Organization, university_id) if university_id is not None else None
    if university is None or not university.is_university:
        raise Invalid(_l("Choose your university from the list."), field="university_id")
    return university


def _student_number(student_number: str | None) -> str:
    number = (student_number or "").strip()
    if not number:
        raise Invalid(_l("Enter your student number."), field="student_number")
    return number


def _company(code: str | None, name: str | None, now: datetime) -> tuple[Organization, bool]:
    """The company with this credit code, registering it (unverified) if it is new; and whether it is new."""
    code = credit_code.normalize(code or "")
    if not credit_code.is_valid(code):
        raise Invalid(_l("This unified social credit code is not valid."), field="company_code")
    company = db.session.scalar(sa.select(Organization).where(Organization.code == code))
    if company is not None:
        if company.kind != OrganizationKind.ENTERPRISE:
            raise Invalid(_l("This code does not belong to a company."), field="company_code")
        return company, False
    name = (name or "").strip()
    if not name:
        raise Invalid(
            _l("Your company is not registered here yet: enter its name to register it."),
            field="company_name",
        )
    company = Organization(
        kind=OrganizationKind.ENTERPRISE,
        name_zh=name,
        name_en=name,
        code=code,
        verified_at=None,
        created_at=now,
    )
    db.session.add(company)
    return company, True


def authenticate(email: str, password: str) -> User | None:
    """The account with this email and password, active or not; None if either is wrong."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None:
        # Do the same hashing work as for a real account, so response times do not reveal which emails exist.
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def update_profile(
    user: User, *, display_name: str, phone: str | None, locale: str, now: datetime | None = None
) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise Invalid(_l("Choose a language from the list."), field="locale")
    values = {"display_name": display_name.strip(), "phone": phone or None, "locale": locale}
    with write_transaction():
        changed = sorted(name for name, value in values.items() if getattr(user, name) != value)
        for name, value in values.items():
            setattr(user, name, value)
        if changed:
            audit.about(
                user,
                AuditAction.ACCOUNT_PROFILE_UPDATED,
                actor_id=user.id,
                at=now or clock.now(),
                fields=changed,
            )


def change_password(
    user: User, *, current_password: str, new_password: str, now: datetime | None = None
) -> None:
    # Both hashes are slow on purpose, so they are computed before the write lock is taken.
    user_id, checked_hash = user.id, user.password_hash
    if not check_password_hash(checked_hash, current_password):
        raise Invalid(_l("Your current password is not correct."), field="current_password")
    _check_password(new_password, email=user.email, name=user.display_name, field="new_password")
    new_hash = _hash(new_password)
    with write_transaction():
        lock_rows(user_ids=[user_id])
        if user.password_hash != checked_hash:  # changed meanwhile: what was typed is no longer current
            raise Invalid(_l("Your current password is not correct."), field="current_password")
        user.password_hash = new_hash
        user.session_version += 1  # every login issued before, on any device, ends
        audit.about(user, AuditAction.ACCOUNT_PASSWORD_CHANGED, actor_id=user_id, at=now or clock.now())


def end_sessions(user_id: int) -> None:
    """Sign the person out everywhere: every session and remember-me cookie issued so far stops working."""
    with write_transaction():
        db.session.execute(
            sa.update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
        )


def set_locale(user: User, locale: str) -> None:
    with write_transaction():
        user.locale = locale


def create_admin(email: str, display_name: str, password: str, *, now: datetime | None = None) -> User:
    """A city-office administrator (used by `flask create-admin`)."""
    email = _address(email)
    if not display_name.strip():
        raise Invalid(_l("Enter a name."), field="display_name")
    _check_password(password, email=email, name=display_name)
    password_hash = _hash(password)
    try:
        with write_transaction() as fresh:
            if _email_taken(email):
                raise Invalid(EMAIL_TAKEN, field="email")
            user = User(
                email=email,
                password_hash=password_hash,
                display_name=display_name.strip(),
                category=Category.RESIDENT,
                verification=Verification.NONE,
                is_admin=True,
            )
            audit.created(user, AuditAction.ACCOUNT_ADMIN_CREATED, actor_id=None, at=now or clock.now())
            fresh.append(user)
    except IntegrityError:
        raise Invalid(EMAIL_TAKEN, field="email") from None
    return user


def _email_taken(email: str) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.email == email)) is not None


def _check_password(password: str, *, email: str, name: str, field: str = "password") -> None:
    passwords.check(password, email=email, name=name, field=field)


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not a real password", method=method)


# Built once, with its SQL cache key: every signed-in request runs it.
_SIGNED_IN = sa.select(User, inbox.UNREAD_OF_USER).where(User.id == sa.bindparam("user_id"))


def signed_in(user_id: int) -> tuple[User, int] | None:
    """The account a signed-in session names and how many unread notifications it has (the navigation's
    badge), in one statement; None if the account is gone."""
    found = db.session.execute(_SIGNED_IN, {"user_id": user_id}).one_or_none()
    return None if found is None else (found[0], found[1] or 0)
