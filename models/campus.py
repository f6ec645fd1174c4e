"""Campus sign-on: a university's CAS server as the city office configured it, and the people linked to it."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, enum_column, utcnow
from models.organizations import Organization


class CampusRole(StrEnum):
    """What the university's sign-on says a person is there."""

    STUDENT = "student"
    STAFF = "staff"


class CampusSignOn(db.Model):
    """One university's CAS server (CAS 2.0 or 3.0): where it is, and which attributes name the person."""

    __tablename__ = "campus_sign_on"

    university_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), primary_key=True)
    # The CAS base URL, ending in "/": "login" and "p3/serviceValidate" are resolved against it.
    server_url: Mapped[str] = mapped_column(sa.String(300))
    protocol: Mapped[int] = mapped_column(sa.SmallInteger(), default=3)
    # The attribute whose value is the student or staff number (学号/工号).
    number_attribute: Mapped[str] = mapped_column(sa.String(64))
    # Optional: the attribute telling students from staff, and the values of it that mean staff.
    role_attribute: Mapped[str | None] = mapped_column(sa.String(64))
    staff_values: Mapped[str | None] = mapped_column(sa.String(300))
    # Optional: attributes that prefill a new account's name and email address.
    name_attribute: Mapped[str | None] = mapped_column(sa.String(64))
    email_attribute: Mapped[str | None] = mapped_column(sa.String(64))
    enabled: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    university: Mapped[Organization] = relationship()

    def staff_value_set(self) -> set[str]:
        return {v.strip().lower() for v in (self.staff_values or "").split(",") if v.strip()}


class CampusIdentity(db.Model):
    """A person's account linked to their identity at one university's CAS: the key of every later sign-on."""

    __tablename__ = "campus_identity"
    __table_args__ = (
        sa.UniqueConstraint("university_id", "cas_user", name="uq_campus_identity_cas_user"),
        sa.UniqueConstraint("university_id", "user_id", name="uq_campus_identity_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    # The CAS <cas:user>: the university's stable name for the person.
    cas_user: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40))
    role: Mapped[CampusRole] = mapped_column(enum_column(CampusRole, length=10))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    university: Mapped[Organization] = relationship()
