"""Managers define a facility's (or a kind's) questions, terms and file rule in both languages; every save is
a new version; a facility's requests with their answers are exported for the university's own managers."""

import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from models import ApplicationForm, AuditEvent, ResourceKind, db
from tests.applications.conftest import EN, PDF, answers, post_booking, with_file
from tests.factories import make_admin, make_resource


def editor_data(**overrides: str) -> dict[str, str]:
    data = {
        "questions-0-label_zh": "参加人数",
        "questions-0-label_en": "How many people",
        "questions-0-type": "number",
        "questions-0-required": "y",
        "questions-1-label_zh": "危险等级",
        "questions-1-label_en": "Hazard level",
        "questions-1-type": "choice",
        "questions-1-choices": "无 / None\n化学品 / Chemicals",
        "questions-2-label_zh": "",
        "questions-2-label_en": "",
        "questions-2-type": "text",
        "terms_zh": "遵守实验室安全承诺。",
        "terms_en": "Keep the lab's safety commitment.",
        "attachment": "required",
        "attachment_hint_zh": "安全预案",
        "attachment_hint_en": "Safety plan",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def versions(scope: str) -> list[ApplicationForm]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(ApplicationForm).where(ApplicationForm.scope == scope).order_by(ApplicationForm.version)
        )
    )


def test_a_manager_defines_a_facility_form_in_both_languages(client, auth, lab, manager_a):
    auth.login(manager_a)
    page = client.get(f"/manage/applications/facilities/{lab.id}", headers=EN)
    assert page.status_code == 200 and "No form yet." in page.get_data(as_text=True)
    response = client.post(f"/manage/applications/facilities/{lab.id}", data=editor_data(), headers=EN)
    assert response.status_code == 302
    [form] = versions(f"resource:{lab.id}")
    assert form.version == 1 and form.attachment == "required" and form.created_by_id == manager_a.id
    assert [(q["type"], q["label_en"], q["required"]) for q in form.questions] == [
        ("number", "How many people", True),
        ("choice", "Hazard level", False),
    ]
    assert form.questions[1]["choices"] == [{"zh": "无", "en": "None"}, {"zh": "化学品", "en": "Chemicals"}]
    assert form.terms_zh == "遵守实验室安全承诺。"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "application_form.saved"))


def test_every_edit_is_a_new_version_and_questions_keep_their_keys(client, auth, lab, manager_a):
    auth.login(manager_a)
    client.post(f"/manage/applications/facilities/{lab.id}", data=editor_data())
    [first] = versions(f"resource:{lab.id}")
    keys = [q["key"] for q in first.questions]
    page = client.get(f"/manage/applications/facilities/{lab.id}").get_data(as_text=True)
    assert all(f'value="{key}"' in page for key in keys)
    edited = editor_data(
        **{"questions-0-key": keys[0], "questions-1-key": keys[1], "terms_en": "Stricter commitment."}
    )
    client.post(f"/manage/applications/facilities/{lab.id}", data=edited)
    first_again, second = versions(f"resource:{lab.id}")
    assert (first_again.version, second.version) == (1, 2)
    assert first_again.terms_en == "Keep the lab's safety commitment."  # the old version never changes
    assert [q["key"] for q in second.questions] == keys and second.terms_en == "Stricter commitment."


def test_a_kind_form_applies_to_every_facility_of_that_kind(client, auth, uni_a, lab, manager_a, engineer):
    auth.login(manager_a)
    index = client.get("/manage/applications/", headers=EN).get_data(as_text=True)
    assert "Application forms" in index and "/manage/applications/kinds/lab" in index
    assert (
        client.post("/manage/applications/kinds/lab", data=editor_data(attachment="none")).status_code == 302
    )
    [form] = versions("kind:lab")
    assert form.university_id == uni_a.id
    auth.logout()
    auth.login(engineer)
    other_lab = make_resource(uni_a, kind=ResourceKind.LAB)
    page = client.get(f"/facilities/{other_lab.id}/book", headers=EN).get_data(as_text=True)
    assert "Hazard level" in page and "safety commitment." in page


def test_the_editor_refuses_a_half_written_form_with_every_problem_and_saves_nothing(
    client, auth, lab, manager_a
):
    auth.login(manager_a)
    bad = editor_data(
        **{
            "questions-0-label_zh": "",
            "questions-1-choices": "只有一个 / Only one",
            "terms_en": "",
        }
    )
    response = client.post(f"/manage/applications/facilities/{lab.id}", data=bad, headers=EN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ask the question in both Chinese and English." in page
    assert "Offer 2 to 20 answers, one a line." in page
    assert "Write the terms in both Chinese and English." in page
    odd = client.post(f"/manage/applications/facilities/{lab.id}", data=editor_data(attachment="sometimes"))
    assert odd.status_code == 422
    assert versions(f"resource:{lab.id}") == []


def test_the_editor_refuses_hostile_text(client, auth, lab, manager_a):
    auth.login(manager_a)
    for field, value in (
        ("questions-0-label_en", "a\x00b"),
        ("terms_zh", "\u202e承诺"),
        ("questions-1-choices", "a\x07 / b"),
    ):
        response = client.post(
            f"/manage/applications/facilities/{lab.id}", data=editor_data(**{field: value})
        )
        assert response.status_code == 422, field
    assert versions(f"resource:{lab.id}") == []


def test_a_manager_of_another_university_cannot_edit_or_see_the_form(client, auth, lab, manager_b):
    auth.login(manager_b)
    assert client.get(f"/manage/applications/facilities/{lab.id}").status_code == 404
    assert client.post(f"/manage/applications/facilities/{lab.id}", data=editor_data()).status_code == 404
    assert client.get(f"/manage/applications/kinds/lab?university={lab.university_id}").status_code == 404
    assert client.get("/manage/applications/kinds/not-a-kind").status_code == 404
    assert versions(f"resource:{lab.id}") == []


def test_the_export_lists_each_request_with_its_answers_for_the_universitys_managers(
    client, auth, lab, lab_form, engineer, manager_a, manager_b, files
):
    auth.login(engineer)
    post_booking(client, lab, with_file(answers(lab_form), PDF))
    auth.logout()
    auth.login(manager_a)
    response = client.get(f"/manage/applications/facilities/{lab.id}/requests.csv", headers=EN)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header = next(r for r in rows if r and r[0] == "Booking")
    [row] = [r for r in rows[rows.index(header) + 1 :] if r]
    record = dict(zip(header, row, strict=True))
    assert record["Person"] == "Chen Engineer" and record["Email"] == "chen@example.com"
    assert record["Hazard level"] == "Chemicals" and record["Safety trained"] == "Yes"
    assert (
        record["How many people"] == "3" and record["Form version"] == "1" and record["Files"] == "plan.pdf"
    )
    assert record["Terms accepted"] == "2026-11-24 09:00"
    xlsx = client.get(f"/manage/applications/facilities/{lab.id}/requests.xlsx", headers=EN)
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert any("Cycle-life tests of 18650 cells" in str(c.value or "") for r in sheet.iter_rows() for c in r)
    assert client.get(f"/manage/applications/facilities/{lab.id}/requests.pdf").status_code == 404
    auth.logout()
    for outsider in (manager_b, make_admin()):
        auth.login(outsider)
        assert client.get(f"/manage/applications/facilities/{lab.id}/requests.csv").status_code == 404
        auth.logout()
    auth.login(engineer)
    assert client.get(f"/manage/applications/facilities/{lab.id}/requests.csv").status_code == 403


def test_the_export_never_hands_a_spreadsheet_a_formula(
    client, auth, lab, lab_form, engineer, manager_a, files
):
    auth.login(engineer)
    typed = answers(
        lab_form, **{"answer-qplan": '=HYPERLINK("http://evil.example","open")', "answer-qpeople": "-2"}
    )
    assert post_booking(client, lab, typed).status_code == 302
    auth.logout()
    auth.login(manager_a)
    body = client.get(f"/manage/applications/facilities/{lab.id}/requests.csv", headers=EN).data.decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(body)))
    header = next(r for r in rows if r and r[0] == "Booking")
    record = dict(zip(header, rows[rows.index(header) + 1], strict=True))
    assert record["What you will do"].startswith("'=HYPERLINK")
    assert record["How many people"] == "-2"
