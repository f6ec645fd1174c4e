"""Files attached to a request: PDF or image told by content, size-limited, stored outside the web root under
a random name, served only to the holder and the facility's managers (never cached), removed with the
booking's retention."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking.jobs import tasks
from booking.services import applications
from models import Attachment, Booking, db
from tests.applications.conftest import (
    EN,
    PDF,
    answers,
    book_two_wednesdays_with_a_file,
    counts,
    png_bytes,
    post_booking,
    stored_files,
    with_file,
)
from tests.factories import make_admin, make_application_form


def book_with(client, lab, form, content: bytes, name: str = "plan.pdf"):
    return post_booking(client, lab, with_file(answers(form), content, name))


def test_a_pdf_is_stored_outside_the_web_root_under_a_random_name(
    client, auth, app, lab, lab_form, engineer, files
):
    auth.login(engineer)
    assert book_with(client, lab, lab_form, PDF, "安全预案 v2.pdf").status_code == 302
    [attachment] = db.session.scalars(sa.select(Attachment))
    assert attachment.original_name == "安全预案 v2.pdf" and attachment.content_type == "application/pdf"
    assert stored_files(files) == [attachment.stored_name] and attachment.stored_name.endswith(".pdf")
    assert "安全预案" not in attachment.stored_name
    assert (files / attachment.stored_name).read_bytes() == PDF
    assert not str(files).startswith(app.static_folder)


def test_an_image_is_told_by_its_content_and_named_for_what_it_is(
    client, auth, lab, lab_form, engineer, files
):
    auth.login(engineer)
    assert book_with(client, lab, lab_form, png_bytes(), "photo.pdf").status_code == 302
    [attachment] = db.session.scalars(sa.select(Attachment))
    assert attachment.content_type == "image/png" and attachment.original_name == "photo.png"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"MZ\x90\x00\x03 an executable", "plan.pdf"),
        (b"<html><script>alert(1)</script></html>", "plan.pdf"),
        (b"GIF89a\x01\x00\x01\x00", "plan.gif"),
        (b"PK\x03\x04 a zip pretending", "plan.docx"),
        (b"", "empty.pdf"),
    ],
)
def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_stored(
    client, auth, lab, lab_form, engineer, files, content, name
):
    auth.login(engineer)
    response = book_with(client, lab, lab_form, content, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="attachment-error"' in page
    assert counts() == (0, 0, 0) and stored_files(files) == []


def test_a_file_too_large_is_refused_and_nothing_is_stored(
    client, auth, app, lab, lab_form, engineer, files, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024)
    auth.login(engineer)
    response = book_with(client, lab, lab_form, PDF + b"0" * 2048)
    assert response.status_code == 422 and "The file is too large." in response.get_data(as_text=True)
    assert counts() == (0, 0, 0) and stored_files(files) == []


def test_too_many_files_are_refused(client, auth, app, lab, lab_form, engineer, files, monkeypatch):
    import io

    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_FILES", 1)
    auth.login(engineer)
    data = {**answers(lab_form), "attachment": [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PDF), "b.pdf")]}
    response = post_booking(client, lab, data)
    assert response.status_code == 422 and "Too many files" in response.get_data(as_text=True)
    assert counts() == (0, 0, 0) and stored_files(files) == []


def test_a_required_file_must_be_attached(client, auth, lab, engineer, files):
    form = make_application_form(lab, attachment="required")
    auth.login(engineer)
    response = post_booking(client, lab, answers(form))
    assert response.status_code == 422 and "Attach the file this facility asks for." in response.get_data(
        as_text=True
    )
    assert counts() == (0, 0, 0)


def test_a_request_refused_by_the_rules_keeps_no_file(client, auth, lab, lab_form, engineer, files):
    auth.login(engineer)
    late = answers(lab_form, start_time="23:00", end_time="23:30")  # outside the opening hours
    response = post_booking(client, lab, with_file(late, PDF))
    assert response.status_code == 422
    assert counts() == (0, 0, 0) and stored_files(files) == []


def test_the_file_is_served_to_the_holder_and_the_facilitys_managers_only(
    client, auth, lab, lab_form, engineer, stranger, manager_a, manager_b, files
):
    auth.login(engineer)
    book_with(client, lab, lab_form, PDF)
    booking = db.session.scalars(sa.select(Booking)).one()
    [attachment] = db.session.scalars(sa.select(Attachment))
    url = f"/bookings/{booking.id}/attachments/{attachment.id}"
    served = client.get(url)
    assert served.status_code == 200 and served.data == PDF and served.mimetype == "application/pdf"
    assert served.headers["Cache-Control"] == "private, no-store"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    auth.logout()
    assert client.get(url).status_code == 302  # to the login page
    for reader, status in ((manager_a, 200), (manager_b, 404), (stranger, 404), (make_admin(), 404)):
        auth.login(reader)
        assert client.get(url).status_code == status, reader.email
        auth.logout()


def test_another_persons_file_cannot_be_reached_through_ones_own_booking(
    client, auth, lab, lab_form, engineer, stranger, files
):
    auth.login(engineer)
    book_with(client, lab, lab_form, PDF)
    [attachment] = db.session.scalars(sa.select(Attachment))
    auth.logout()
    auth.login(stranger)
    post_booking(client, lab, with_file(answers(lab_form, day="2026-11-26"), png_bytes(), "mine.png"))
    own = db.session.scalars(sa.select(Booking).where(Booking.user_id == stranger.id)).one()
    assert client.get(f"/bookings/{own.id}/attachments/{attachment.id}").status_code == 404
    assert client.get(f"/bookings/{own.id}/attachments/999999").status_code == 404


def test_files_are_removed_when_the_bookings_retention_has_passed(
    app, client, auth, lab, lab_form, engineer, files
):
    auth.login(engineer)
    book_with(client, lab, lab_form, PDF)
    [attachment] = db.session.scalars(sa.select(Attachment))
    booking = db.session.scalars(sa.select(Booking)).one()
    keep = app.config["ATTACHMENT_RETENTION_DAYS"]
    assert tasks.remove_expired_attachments(booking.end_at + timedelta(days=keep - 1)) == 0
    assert stored_files(files) == [attachment.stored_name]
    later = booking.end_at + timedelta(days=keep, minutes=1)
    assert tasks.remove_expired_attachments(later) == 1
    assert tasks.remove_expired_attachments(later) == 0  # run again (or by a second scheduler): nothing twice
    assert stored_files(files) == []
    db.session.rollback()
    removed = db.session.get(Attachment, attachment.id)
    assert removed.removed_at == later
    assert client.get(f"/bookings/{booking.id}/attachments/{attachment.id}").status_code == 404
    page = client.get(f"/bookings/{booking.id}", headers=EN).get_data(as_text=True)
    assert "after the retention period" in page


def test_a_series_keeps_its_files_until_its_last_date_has_passed_its_retention(
    app, client, auth, lab, lab_form, engineer, files
):
    book_two_wednesdays_with_a_file(client, auth, engineer, lab, lab_form)
    first, last = db.session.scalars(sa.select(Booking).order_by(Booking.start_at)).all()
    keep = timedelta(days=app.config["ATTACHMENT_RETENTION_DAYS"])
    assert tasks.remove_expired_attachments(first.end_at + keep + timedelta(days=1)) == 0
    assert tasks.remove_expired_attachments(last.end_at + keep + timedelta(minutes=1)) == 1


def test_the_retention_job_is_scheduled():
    assert "remove_expired_attachments" in {job.name for job in tasks.JOBS}


def test_a_file_name_loses_its_path_and_control_characters():
    checked = applications.check_file(applications.Upload("..\\..\\evil\u202e\x00name.pdf", PDF), 10_000)
    assert checked.original_name == "evilname.pdf"
    assert applications.check_file(applications.Upload("", PDF), 10_000).original_name == "attachment.pdf"
