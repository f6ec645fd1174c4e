"""The demo's battery lab asks its own questions and safety commitment, in both languages, once."""

from datetime import UTC, datetime

import sqlalchemy as sa

from booking import demo
from booking.services import applications
from models import ApplicationForm, Resource, db

SEEDED_AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_the_demo_battery_lab_asks_questions_and_a_safety_commitment(app) -> None:
    first = demo.seed_demo(SEEDED_AT)
    lab = db.session.scalars(sa.select(Resource).where(Resource.name_en == "New-Energy Battery Lab")).one()
    form = applications.form_in_force(lab)
    assert form is not None and form.version == 1 and form.attachment == "optional"
    assert "安全承诺" in form.terms_zh and "Safety commitment" in form.terms_en
    types = {q.type for q in applications.questions_of(form)}
    assert types == {"text", "number", "choice", "yes_no", "date"}
    assert all(q.label_zh and q.label_en for q in applications.questions_of(form))
    assert first.created["application_forms"] == 1
    again = demo.seed_demo(SEEDED_AT)
    assert again.created["application_forms"] == 0 and again.present["application_forms"] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApplicationForm)) == 1
