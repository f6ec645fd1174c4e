"""Facility-specific applications: the questions and terms a facility (or a kind of facility) asks, the
answers a request gave, and the files attached to it."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow


class ApplicationForm(db.Model):
    """One version of what a facility, or every facility of a kind at one university, asks of a request.

    Rows are never changed: every edit adds the next version of its scope ("resource:<id>" or "kind:<kind>"),
    so a booking keeps the questions and terms it answered and accepted.
    """

    __tablename__ = "application_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))
    scope: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[int] = mapped_column()
    # [{"key", "type", "label_zh", "label_en", "required", "choices": [{"zh", "en"}, ...]}, ...]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    terms_zh: Mapped[str] = mapped_column(sa.Text, default="")
    terms_en: Mapped[str] = mapped_column(sa.Text, default="")
    attachment: Mapped[str] = mapped_column(sa.String(10), default="none")  # none | optional | required
    attachment_hint_zh: Mapped[str] = mapped_column(sa.String(300), default="")
    attachment_hint_en: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("university_id", "scope", "version", name="uq_application_form_version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )

    @property
    def has_terms(self) -> bool:
        return bool(self.terms_zh.strip() or self.terms_en.strip())

    @property
    def is_empty(self) -> bool:
        """Asks nothing: a facility's empty form leaves its kind's form in force."""
        return not self.questions and not self.has_terms and self.attachment == "none"

    def terms_for(self, locale: str) -> str:
        return (
            (self.terms_zh or self.terms_en) if locale.startswith("zh") else (self.terms_en or self.terms_zh)
        )


class Application(db.Model):
    """The answers one request (a booking, or a whole series) gave to its facility's form."""

    __tablename__ = "booking_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(sa.ForeignKey("application_form.id"))
    # The booking the request made (the first date of a series); a series' other dates find it by series_id.
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("booking.id"), unique=True)
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # When the person ticked "I accept" for the form's terms (None: the form had no terms).
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    form: Mapped[ApplicationForm] = relationship(lazy="joined")
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="application", order_by="Attachment.id", lazy="selectin"
    )


class Attachment(db.Model):
    """A file attached to a request (a safety plan, a certificate), stored in ATTACHMENT_DIR.

    The row outlives its file: once the booking's retention has passed the file is removed and
    `removed_at` says when.
    """

    __tablename__ = "booking_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("booking_application.id"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship(back_populates="attachments")
