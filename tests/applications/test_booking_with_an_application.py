"""A facility's own questions, terms and files on the booking form: asked, checked on the server, stored with
the booking (with the terms' version accepted), and shown to the holder and the facility's managers."""

import pytest
import sqlalchemy as sa

from booking.services import applications, bookings
from booking.services.errors import Invalid, NotFound
from models import Application, Booking, BookingStatus, db
from tests.applications.conftest import (
    EN,
    NOW,
    PDF,
    TWO_WEDNESDAYS,
    answers,
    book_two_wednesdays_with_a_file,
    counts,
    post_booking,
    stored_files,
    with_file,
)
from tests.factories import make_application_form, make_resource


def test_a_lab_asks_its_questions_terms_and_file_on_the_booking_form(client, auth, lab, lab_form, engineer):
    auth.login(engineer)
    page = client.get(f"/facilities/{lab.id}/book", headers=EN).get_data(as_text=True)
    for label in ("How many people", "Hazard level", "Safety trained", "Training date", "What you will do"):
        assert label in page
    assert "Wear protective equipment and keep the safety commitment." in page
    assert 'name="accept_terms"' in page and 'type="file"' in page and 'enctype="multipart/form-data"' in page
    assert f'name="application_form" value="{lab_form.id}"' in page


def test_the_answers_and_the_terms_version_accepted_are_stored_with_the_booking(
    client, auth, lab, lab_form, engineer, files
):
    auth.login(engineer)
    response = post_booking(client, lab, answers(lab_form))
    assert response.status_code == 302, response.get_data(as_text=True)
    booking = db.session.scalars(sa.select(Booking)).one()
    application = applications.application_for(booking)
    assert application.form_id == lab_form.id and application.form.version == 1
    assert application.answers == {
        "qpeople": 3,
        "qhazard": 1,
        "qtrained": True,
        "qdate": "2026-11-01",
        "qplan": "Cycle-life tests of 18650 cells",
    }
    assert application.terms_accepted_at == NOW
    assert booking.status == BookingStatus.PENDING


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("answer-qpeople", "three", "Enter a number"),
        ("answer-qpeople", "1e400", "Enter a number"),
        ("answer-qpeople", "", "Answer this question."),
        ("answer-qhazard", "7", "Choose one of the answers offered."),
        ("answer-qhazard", "-1", "Choose one of the answers offered."),
        ("answer-qtrained", "maybe", "Answer yes or no."),
        ("answer-qdate", "2026-13-01", "Enter a date"),
        ("answer-qdate", "9999-12-31", "between 2000 and 2100"),
        ("answer-qplan", "a\x00b", "control characters"),
        ("answer-qplan", "\u202eexe", "text-direction"),
        ("answer-qplan", "x" * 1001, "at most 1000 characters"),
        ("accept_terms", None, "accept the terms"),
    ],
)
def test_a_wrong_or_missing_answer_is_refused_next_to_its_field_and_nothing_is_written(
    client, auth, lab, lab_form, engineer, files, field, value, message
):
    auth.login(engineer)
    response = post_booking(client, lab, answers(lab_form, **{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert counts() == (0, 0, 0)


def test_every_problem_is_shown_at_once(client, auth, lab, lab_form, engineer, files):
    auth.login(engineer)
    data = answers(lab_form, **{"answer-qpeople": "x", "answer-qtrained": None, "accept_terms": None})
    page = post_booking(client, lab, data).get_data(as_text=True)
    assert all(f'id="{f}-error"' in page for f in ("answer-qpeople", "answer-qtrained", "accept_terms"))


def test_a_form_edited_while_the_person_filled_it_in_is_refused_until_read_again(
    client, auth, lab, lab_form, engineer, files
):
    auth.login(engineer)
    make_application_form(lab, terms_en="New terms.", terms_zh="新须知。")
    response = post_booking(client, lab, answers(lab_form))
    assert response.status_code == 422
    assert "have changed. Please read them again" in response.get_data(as_text=True)
    assert counts() == (0, 0, 0)


def test_old_bookings_keep_the_version_they_accepted(client, auth, lab, lab_form, engineer, manager_a, files):
    auth.login(engineer)
    assert post_booking(client, lab, answers(lab_form)).status_code == 302
    second = make_application_form(lab, terms_en="Stricter terms.", terms_zh="更严格的须知。")
    data = answers(second, day="2026-11-26")
    assert post_booking(client, lab, data).status_code == 302
    versions = [
        applications.application_for(b).form.version
        for b in db.session.scalars(sa.select(Booking).order_by(Booking.start_at))
    ]
    assert versions == [1, 2]
    first = db.session.scalars(sa.select(Booking).order_by(Booking.start_at)).first()
    page = client.get(f"/bookings/{first.id}", headers=EN).get_data(as_text=True)
    assert "Accepted version 1" in page


def test_a_series_stores_its_answers_once_for_every_date(
    client, auth, lab, lab_form, engineer, manager_a, files
):
    response = book_two_wednesdays_with_a_file(client, auth, engineer, lab, lab_form)
    assert response.status_code == 302, response.get_data(as_text=True)
    dates = list(db.session.scalars(sa.select(Booking).order_by(Booking.start_at)))
    assert len(dates) == 2 and dates[0].series_id is not None
    found = applications.applications_for(dates)
    assert found[dates[0].id].id == found[dates[1].id].id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Application)) == 1
    auth.logout()
    auth.login(manager_a)
    queue = client.get("/manage/", headers=EN).get_data(as_text=True)
    assert queue.count('data-answer="qplan"') == 2 and queue.count("plan.pdf") == 2


def test_the_series_preview_asks_the_questions_before_booking(client, auth, lab, lab_form, engineer, files):
    auth.login(engineer)
    data = answers(lab_form, **TWO_WEDNESDAYS, action="preview")
    page = post_booking(client, lab, data).get_data(as_text=True)
    assert 'name="answer-qplan"' in page and "Cycle-life tests of 18650 cells" in page
    assert 'enctype="multipart/form-data"' in page
    assert counts() == (0, 0, 0)


def test_a_facility_without_a_form_asks_nothing_and_takes_no_file(client, auth, engineer, files):
    court = make_resource()
    auth.login(engineer)
    page = client.get(f"/facilities/{court.id}/book", headers=EN).get_data(as_text=True)
    assert 'name="accept_terms"' not in page and 'type="file"' not in page
    data = {"day": "2026-11-25", "start_time": "10:00", "end_time": "11:00", "party_size": "1"}
    response = post_booking(client, court, with_file(data, PDF))
    assert response.status_code == 422 and "asks for no file" in response.get_data(as_text=True)
    assert counts() == (0, 0, 0) and stored_files(files) == []
    assert post_booking(client, court, data).status_code == 302


def test_a_facility_form_replaces_its_kinds_and_an_empty_one_leaves_the_kinds_in_force(lab, uni_a):
    kind = make_application_form(university=uni_a, kind=lab.kind, questions=[], attachment="none")
    assert applications.form_in_force(lab).id == kind.id
    own = make_application_form(lab)
    assert applications.form_in_force(lab).id == own.id
    make_application_form(lab, questions=[], terms_zh="", terms_en="", attachment="none")
    assert applications.form_in_force(lab).id == kind.id
    other_lab = make_resource(uni_a, kind=lab.kind)
    assert applications.form_in_force(other_lab).id == kind.id
    assert applications.form_in_force(make_resource()) is None


def test_booking_through_the_service_without_answers_is_refused(lab, lab_form, engineer):
    start = NOW.replace(day=25, hour=2)
    with pytest.raises(Invalid):
        bookings.request_booking(engineer, lab.id, start, start.replace(hour=3), now=NOW)
    assert counts() == (0, 0, 0)


def test_a_placement_application_answers_its_training_bases_form(client, auth, uni_a, engineer, files):
    from models import Mode, ResourceKind

    base = make_resource(
        uni_a,
        kind=ResourceKind.TRAINING_BASE,
        mode=Mode.PLACEMENT,
        policy={"max_minutes": None, "max_advance_days": 60},
    )
    form = make_application_form(
        base,
        questions=[
            {"key": "qmajor", "type": "text", "label_zh": "专业", "label_en": "Major", "required": True}
        ],
        attachment="none",
    )
    auth.login(engineer)
    page = client.get(f"/facilities/{base.id}/book", headers=EN).get_data(as_text=True)
    assert 'name="answer-qmajor"' in page
    data = {
        "first_day": "2026-12-01",
        "last_day": "2026-12-05",
        "statement": "I would like to learn battery assembly in practice.",
        "application_form": str(form.id),
        "answer-qmajor": "Materials",
        "accept_terms": "y",
    }
    response = post_booking(client, base, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    booking = db.session.scalars(sa.select(Booking)).one()
    assert applications.application_for(booking).answers == {"qmajor": "Materials"}


def test_the_answers_show_on_the_booking_page_and_in_the_queue_for_the_holder_and_managers_only(
    client, auth, lab, lab_form, engineer, manager_a, manager_b, files
):
    from tests.factories import make_admin

    auth.login(engineer)
    post_booking(client, lab, with_file(answers(lab_form), PDF))
    booking = db.session.scalars(sa.select(Booking)).one()
    page = client.get(f"/bookings/{booking.id}", headers=EN).get_data(as_text=True)
    assert "Chemicals" in page and "Cycle-life tests of 18650 cells" in page and "plan.pdf" in page
    auth.logout()
    auth.login(manager_a)
    queue = client.get("/manage/", headers=EN).get_data(as_text=True)
    assert "Hazard level" in queue and "Chemicals" in queue and "Yes" in queue and "plan.pdf" in queue
    assert "Accepted version 1" in queue
    detail = client.get(f"/bookings/{booking.id}", headers=EN).get_data(as_text=True)
    assert "Cycle-life tests of 18650 cells" in detail
    auth.logout()
    # The city office decides nothing here and sees the request, but not the person's answers or files.
    auth.login(make_admin())
    queue = client.get("/manage/", headers=EN).get_data(as_text=True)
    assert f'id="request-{booking.id}"' in queue and "Cycle-life tests" not in queue
    auth.logout()
    auth.login(manager_b)
    assert client.get(f"/bookings/{booking.id}").status_code == 404


def test_the_api_gets_the_application_as_plain_data(client, auth, lab, lab_form, engineer, stranger, files):
    auth.login(engineer)
    post_booking(client, lab, with_file(answers(lab_form), PDF))
    booking = db.session.scalars(sa.select(Booking)).one()
    data = applications.as_data(engineer, booking.id)
    assert data["form"]["version"] == 1 and data["terms"]["version"] == 1
    assert data["terms"]["accepted_at"] == NOW.isoformat()
    by_key = {a["key"]: a for a in data["answers"]}
    assert by_key["qhazard"]["value"] == 1 and by_key["qhazard"]["text_en"] == "Chemicals"
    assert by_key["qhazard"]["text_zh"] == "化学品" and by_key["qtrained"]["value"] is True
    assert [(f["name"], f["content_type"]) for f in data["attachments"]] == [("plan.pdf", "application/pdf")]
    with pytest.raises(NotFound):
        applications.as_data(stranger, booking.id)
