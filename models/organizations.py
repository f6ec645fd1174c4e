"""Organizations: the universities that share facilities and the enterprises that book them."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, enum_column, utcnow
from models.enums import OrganizationKind


class Organization(db.Model):
    __tablename__ = "organization"

    CALENDAR_FIELDS = ("name_zh", "name_en")

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganizationKind] = mapped_column(enum_column(OrganizationKind), index=True)
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    # Short code for universities (e.g. "HPU"); the unified social credit code for enterprises.
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    industry: Mapped[str | None] = mapped_column(sa.String(100))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Raised (and stamped) whenever its name, which calendar events show, changes: CALENDAR_FIELDS.
    calendar_version: Mapped[int] = mapped_column(default=0, server_default="0")
    calendar_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    resources = relationship("Resource", back_populates="university", lazy="raise_on_sql")

    @property
    def is_university(self) -> bool:
        return self.kind == OrganizationKind.UNIVERSITY

    @property
    def is_verified(self) -> bool:
        return self.is_university or self.verified_at is not None

    def name_for(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    def __repr__(self) -> str:
        return f"<Organization {self.code} {self.name_en!r}>"
