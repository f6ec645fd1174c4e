"""Fixtures for facility applications: a lab of university A with a form, its managers, an enterprise
member who books it, files to attach, and a directory of this test's own for them."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from models import (
    Application,
    ApplicationForm,
    Attachment,
    Booking,
    Category,
    Mode,
    Organization,
    Resource,
    ResourceKind,
    User,
    db,
)
from tests.conftest import clock_frozen_at, made_for_each_test
from tests.factories import (
    NOW,
    make_application_form,
    make_enterprise,
    make_hpu,
    make_jzu,
    make_resource,
    make_user,
)

EN = {"Accept-Language": "en"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


frozen_clock = clock_frozen_at(NOW)
uni_a = made_for_each_test(make_hpu)  # Henan Polytechnic University here, Jiaozuo University in tests/manage
uni_b = made_for_each_test(make_jzu)


@pytest.fixture
def files(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(directory))
    return directory


@pytest.fixture
def lab(uni_a: Organization) -> Resource:
    return make_resource(
        uni_a,
        kind=ResourceKind.LAB,
        mode=Mode.EXCLUSIVE,
        name_en="Battery lab",
        name_zh="电池实验室",
        policy={"approval_categories": ["enterprise", "resident", "student"]},
    )


@pytest.fixture
def lab_form(lab: Resource) -> ApplicationForm:
    return make_application_form(lab)


@pytest.fixture
def engineer(app: Flask) -> User:
    return make_user(
        Category.ENTERPRISE,
        organization_id=make_enterprise(name_en="Jiaozuo New Energy Co.").id,
        display_name="Chen Engineer",
        email="chen@example.com",
    )


@pytest.fixture
def stranger(app: Flask) -> User:
    return make_user(display_name="Someone Else", email="someone@example.com")


# The series fields of the booking form: weekly on Wednesdays, two dates.
TWO_WEDNESDAYS = {
    "repeat": "y",
    "frequency": "weekly",
    "interval": "1",
    "weekdays": "2",
    "ends": "count",
    "count": "2",
}


def answers(form: ApplicationForm, **overrides: str) -> dict[str, str]:
    """A valid set of answers to the lab form, for tomorrow 10:00–11:00."""
    data = {
        "day": "2026-11-25",
        "start_time": "10:00",
        "end_time": "11:00",
        "party_size": "1",
        "purpose": "Cell testing",
        "application_form": str(form.id),
        "answer-qpeople": "3",
        "answer-qhazard": "1",
        "answer-qtrained": "yes",
        "answer-qdate": "2026-11-01",
        "answer-qplan": "Cycle-life tests of 18650 cells",
        "accept_terms": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def with_file(data: dict, content: bytes, name: str = "plan.pdf") -> dict:
    return {**data, "attachment": (io.BytesIO(content), name)}


def post_booking(client, resource: Resource, data: dict):
    return client.post(
        f"/facilities/{resource.id}/book", data=data, content_type="multipart/form-data", headers=EN
    )


def book_two_wednesdays_with_a_file(client, auth, person: User, lab: Resource, form: ApplicationForm):
    """`person` signs in and books the lab on two Wednesdays, the form answered and a PDF attached."""
    auth.login(person)
    return post_booking(client, lab, with_file(answers(form, **TWO_WEDNESDAYS), PDF))


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    """Bookings, applications and attachments in the database."""
    db.session.rollback()
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Booking, Application, Attachment)
    )


def stored_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []
