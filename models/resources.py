"""Facilities and what governs them: opening hours, closures, booking policy and quotas."""

from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, enum_column, utcnow
from models.enums import Category, Mode, QuotaPeriod, QuotaScope, ResourceKind
from models.organizations import Organization


class Resource(db.Model):
    __tablename__ = "resource"

    # What a booking's calendar event shows of its facility (summary, location, geo, zone, all-day or not).
    CALENDAR_FIELDS = ("name_zh", "name_en", "address", "latitude", "longitude", "timezone", "mode")

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    kind: Mapped[ResourceKind] = mapped_column(enum_column(ResourceKind, 30), index=True)
    mode: Mapped[Mode] = mapped_column(enum_column(Mode))
    name_zh: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    description_zh: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    campus: Mapped[str] = mapped_column(sa.String(100), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    # The campus and address in English, where given; English pages fall back to the ones above.
    campus_en: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    address_en: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    capacity: Mapped[int] = mapped_column(default=1)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")
    slot_minutes: Mapped[int] = mapped_column(default=30)
    image_path: Mapped[str | None] = mapped_column(sa.String(300))
    # A photo a manager uploaded (a file name in PHOTO_DIR) and its description in both languages.
    photo_file: Mapped[str | None] = mapped_column(sa.String(100))
    photo_alt_zh: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    photo_alt_en: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    # What text search looks in (names, kind and its synonyms, university and its code, campus, equipment),
    # written by booking.services.search whenever the facility is saved; indexed by trigrams (pg_trgm GIN
    # on PostgreSQL, an FTS5 trigram table on SQLite, both made by the migration).
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Raised (and stamped) whenever something its bookings' calendar events show changes: CALENDAR_FIELDS.
    calendar_version: Mapped[int] = mapped_column(default=0, server_default="0")
    calendar_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    university: Mapped[Organization] = relationship(back_populates="resources")
    tags: Mapped[list["ResourceTag"]] = relationship(
        cascade="all, delete-orphan", order_by="ResourceTag.tag", lazy="selectin"
    )
    hours: Mapped[list["OpeningHours"]] = relationship(
        cascade="all, delete-orphan", order_by="(OpeningHours.weekday, OpeningHours.opens)", lazy="selectin"
    )
    policy: Mapped["Policy"] = relationship(cascade="all, delete-orphan", uselist=False, lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("slot_minutes between 5 and 1440", name="slot_minutes_range"),
    )

    def name_for(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    def description_for(self, locale: str) -> str:
        return self.description_zh if locale.startswith("zh") else self.description_en

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    def __repr__(self) -> str:
        return f"<Resource {self.id} {self.name_en!r}>"


class ResourceTag(db.Model):
    """Equipment and features a facility offers ("projector", "showers"), lower-case."""

    __tablename__ = "resource_tag"

    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(sa.String(40), primary_key=True, index=True)


class OpeningHours(db.Model):
    """One opening interval on one weekday in the facility's local time; several per day are allowed."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column()  # 0 = Monday
    opens: Mapped[time] = mapped_column(sa.Time)
    closes: Mapped[time] = mapped_column(sa.Time)  # 00:00 means midnight at the end of the day

    __table_args__ = (sa.CheckConstraint("weekday between 0 and 6", name="weekday_range"),)


class Closure(db.Model):
    """A period when one facility, or a whole university, is closed (exam week, Spring Festival)."""

    __tablename__ = "closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    # None closes every facility of the university.
    resource_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason_zh: Mapped[str] = mapped_column(sa.String(200))
    reason_en: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="ends_after_start"),
        sa.Index("ix_closure_span", "university_id", "end_at", "start_at"),
    )

    def reason_for(self, locale: str) -> str:
        return self.reason_zh if locale.startswith("zh") else self.reason_en


class Policy(db.Model):
    """The booking rules of one facility (docs/architecture.md, "Domain rules")."""

    __tablename__ = "policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resource.id", ondelete="CASCADE"), unique=True)
    allowed_categories: Mapped[list[str]] = mapped_column(
        sa.JSON, default=lambda: [c.value for c in Category]
    )
    approval_categories: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    min_minutes: Mapped[int] = mapped_column(default=30)
    max_minutes: Mapped[int | None] = mapped_column()  # None: no upper limit (placements)
    min_notice_minutes: Mapped[int] = mapped_column(default=60)
    max_advance_days: Mapped[int] = mapped_column(default=14)
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    max_party_size: Mapped[int | None] = mapped_column()
    cancel_deadline_minutes: Mapped[int] = mapped_column(default=120)
    checkin_required: Mapped[bool] = mapped_column(default=False)
    checkin_opens_minutes: Mapped[int] = mapped_column(default=15)
    checkin_closes_minutes: Mapped[int] = mapped_column(default=15)

    @property
    def allowed(self) -> frozenset[Category]:
        return frozenset(Category(c) for c in self.allowed_categories)

    @property
    def approval(self) -> frozenset[Category]:
        return frozenset(Category(c) for c in self.approval_categories)


class Quota(db.Model):
    """A limit on bookings or hours; every quota that matches a request must hold."""

    __tablename__ = "quota"

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    category: Mapped[Category | None] = mapped_column(enum_column(Category))  # None: everyone
    resource_kind: Mapped[ResourceKind | None] = mapped_column(enum_column(ResourceKind, 30))
    resource_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resource.id", ondelete="CASCADE"))
    scope: Mapped[QuotaScope] = mapped_column(enum_column(QuotaScope), default=QuotaScope.USER)
    period: Mapped[QuotaPeriod] = mapped_column(enum_column(QuotaPeriod), default=QuotaPeriod.WEEK)
    max_bookings: Mapped[int | None] = mapped_column()
    max_hours: Mapped[float | None] = mapped_column(sa.Float)

    university: Mapped[Organization] = relationship()
    resource: Mapped[Resource | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("max_bookings is not null or max_hours is not null", name="has_limit"),
    )
