"""Facility applications: the questions, terms and attachments a facility (or a kind of facility) asks of a
request, the answers and files a request gives, and who may read them.

A manager edits a form per facility or per kind of facility of their university; every edit adds a version
(`ApplicationForm` rows never change), and a booking keeps the version it answered. A facility's own form
replaces its kind's; an empty one leaves the kind's in force.

A booking form's answers and files are collected by the view (`collect`: each file's type told by its
content, no database); inside the booking transaction `record` checks them against the form in force (the
one the person saw, or Invalid) and stores them beside the booking. Files are written to ATTACHMENT_DIR
before that transaction, under a random name, and removed again if it fails (`kept_if_booked`), as facility
photos are (booking.services.photos). Several web servers must share the directory: a network file system
or a shared volume mounted at the same path on each. Files are served only to the booking's holder and its
facility's managers, and removed once the booking's retention has passed (`remove_expired_attachments`).
"""

import io
import os
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import aliased

from booking.engine import answers as questions_rules
from booking.engine.answers import MAX_CHOICES, MAX_QUESTIONS, QUESTION_TYPES, Question
from booking.engine.violations import N_
from booking.services import audit
from booking.services.audit import AuditAction
from booking.services.errors import Invalid, NotFound
from booking.services.transactions import changed_rows, lock_rows, write_transaction
from booking.text import text_problem
from models import (
    Application,
    ApplicationForm,
    Attachment,
    Booking,
    Organization,
    Resource,
    ResourceKind,
    User,
    db,
)

T = TypeVar("T")
ATTACHMENT_MODES = ("none", "optional", "required")
MAX_TERMS = 10_000
MAX_LABEL = 200
MAX_HINT = 300
MAX_PIXELS = 40_000_000
# What a file may be, told by its first bytes (and, for images, by Pillow reading it), never by its name.
_IMAGE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
_PDF = ("application/pdf", ".pdf")
TERMS_FIELD = "accept_terms"
ATTACHMENT_FIELD = "attachment"
FORM_FIELD = "application_form"


# --- forms: what a facility asks ---------------------------------------------------------------------


def resource_scope(resource_id: int) -> str:
    return f"resource:{resource_id}"


def kind_scope(kind: ResourceKind) -> str:
    return f"kind:{kind.value}"


def latest(university_id: int, scope: str) -> ApplicationForm | None:
    """The newest version of a scope's form, empty or not."""
    return db.session.scalar(
        sa.select(ApplicationForm)
        .where(ApplicationForm.university_id == university_id, ApplicationForm.scope == scope)
        .order_by(ApplicationForm.version.desc())
        .limit(1)
    )


def _newest_forms() -> sa.Select[tuple[ApplicationForm]]:
    newer = aliased(ApplicationForm)
    return sa.select(ApplicationForm).where(
        ApplicationForm.university_id == sa.bindparam("university_id"),
        ApplicationForm.scope.in_(sa.bindparam("scopes", expanding=True)),
        ~sa.exists().where(
            newer.university_id == ApplicationForm.university_id,
            newer.scope == ApplicationForm.scope,
            newer.version > ApplicationForm.version,
        ),
    )


# Built once: every booking form and booking request asks, and building it cost more than running it.
_NEWEST_FORMS = _newest_forms()


def form_in_force(resource: Resource) -> ApplicationForm | None:
    """What a request for `resource` must answer: its own form, else its kind's; None when neither asks
    anything. One statement: the newest version of both scopes."""
    scopes = (resource_scope(resource.id), kind_scope(resource.kind))
    newest = list(
        db.session.scalars(_NEWEST_FORMS, {"university_id": resource.university_id, "scopes": list(scopes)})
    )
    for scope in scopes:
        for form in newest:
            if form.scope == scope and not form.is_empty:
                return form
    return None


def questions_of(form: ApplicationForm | None) -> list[Question]:
    return [Question.of(q) for q in form.questions] if form is not None else []


@dataclass(frozen=True)
class FormDraft:
    """A manager's edit of a form, before it becomes the next version."""

    questions: Sequence[Question]
    terms_zh: str = ""
    terms_en: str = ""
    attachment: str = "none"
    attachment_hint_zh: str = ""
    attachment_hint_en: str = ""


def get_kind_form(viewer: User, university_id: int, kind: ResourceKind) -> ApplicationForm | None:
    """The newest version of a kind's form at a university `viewer` manages (else NotFound)."""
    _managed_university(viewer, university_id)
    return latest(university_id, kind_scope(kind))


def save_form(
    actor: User,
    *,
    university_id: int,
    scope: str,
    draft: FormDraft,
    now: datetime,
) -> ApplicationForm:
    """Store `draft` as the next version of the scope's form; Invalid (with every problem) writes nothing.

    `scope` is `resource_scope(id)` for a facility of `university_id`, or `kind_scope(kind)`.
    """
    problems = _draft_problems(draft)
    if problems:
        raise Invalid(problems)
    with write_transaction() as fresh:
        _check_scope(actor, university_id, scope)
        lock_rows(organization_ids=[university_id])
        previous = latest(university_id, scope)
        form = ApplicationForm(
            university_id=university_id,
            scope=scope,
            version=(previous.version + 1) if previous else 1,
            questions=[_with_key(q, previous).stored() for q in draft.questions],
            terms_zh=draft.terms_zh.strip(),
            terms_en=draft.terms_en.strip(),
            attachment=draft.attachment,
            attachment_hint_zh=draft.attachment_hint_zh.strip(),
            attachment_hint_en=draft.attachment_hint_en.strip(),
            created_by_id=actor.id,
            created_at=now,
        )
        audit.created(
            form,
            AuditAction.APPLICATION_FORM_SAVED,
            actor_id=actor.id,
            at=now,
            scope=scope,
            version=form.version,
        )
        fresh.append(form)
    return form


def _managed_university(viewer: User, university_id: int) -> Organization:
    university = db.session.get(Organization, university_id)
    if university is None or not viewer.can_manage(university_id):
        raise NotFound
    return university


def _check_scope(actor: User, university_id: int, scope: str) -> None:
    _managed_university(actor, university_id)
    kind, _sep, value = scope.partition(":")
    if kind == "resource" and value.isdigit():
        owner = db.session.scalar(sa.select(Resource.university_id).where(Resource.id == int(value)))
        if owner != university_id:
            raise NotFound
    elif kind != "kind" or value not in {k.value for k in ResourceKind}:
        raise NotFound


def _with_key(question: Question, previous: ApplicationForm | None) -> Question:
    """A question keeps its key across versions (so exports line its answers up); a new one gets a new key."""
    known = {q["key"] for q in previous.questions} if previous else set()
    if question.key and question.key in known:
        return question
    key = f"q{secrets.token_hex(4)}"
    return Question(
        key, question.type, question.label_zh, question.label_en, question.required, question.choices
    )


def _draft_problems(draft: FormDraft) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = []
    if len(draft.questions) > MAX_QUESTIONS:
        problems.append((None, N_("A form has at most 20 questions.")))
    for n, question in enumerate(draft.questions):
        where = f"questions-{n}"
        if question.type not in QUESTION_TYPES:
            problems.append((f"{where}-type", N_("Choose a type of answer.")))
        if not question.label_zh.strip() or not question.label_en.strip():
            problems.append((f"{where}-label_en", N_("Ask the question in both Chinese and English.")))
        for text in (question.label_zh, question.label_en, *(c for pair in question.choices for c in pair)):
            problem = text_problem(text)
            if problem is not None or len(text) > MAX_LABEL:
                problems.append((f"{where}-label_en", problem or N_("Write at most 200 characters.")))
                break
        if question.type == questions_rules.CHOICE and not 2 <= len(question.choices) <= MAX_CHOICES:
            problems.append((f"{where}-choices", N_("Offer 2 to 20 answers, one a line.")))
        if any(not zh.strip() or not en.strip() for zh, en in question.choices):
            problems.append((f"{where}-choices", N_("Write each answer as Chinese / English.")))
    for name, text in (("terms_zh", draft.terms_zh), ("terms_en", draft.terms_en)):
        problem = text_problem(text, multiline=True)
        if problem is not None or len(text) > MAX_TERMS:
            problems.append((name, problem or N_("Write at most 10000 characters.")))
    if bool(draft.terms_zh.strip()) != bool(draft.terms_en.strip()):
        problems.append(("terms_en", N_("Write the terms in both Chinese and English.")))
    if draft.attachment not in ATTACHMENT_MODES:
        problems.append(("attachment", N_("Choose whether a file is asked for.")))
    for name, text in (
        ("attachment_hint_zh", draft.attachment_hint_zh),
        ("attachment_hint_en", draft.attachment_hint_en),
    ):
        problem = text_problem(text)
        if problem is not None or len(text) > MAX_HINT:
            problems.append((name, problem or N_("Write at most 300 characters.")))
    return problems


# --- a request's answers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file as a form sent it: the name the person's computer gave it, and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    content_type: str
    suffix: str
    data: bytes


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_files: int


@dataclass
class Submission:
    """What a booking form sent for the facility's own form: the answers as typed, and the files, their
    type already told by their content. Checked against the form in force by `record`, in the booking's
    transaction."""

    sent: dict[str, str]
    files: list[CheckedFile] = field(default_factory=list)
    file_problem: str | None = None  # why a file was refused (an N_ message): nothing is written then
    stored: list[str] = field(default_factory=list)  # file names written to ATTACHMENT_DIR
    recorded: bool = False  # stored with a booking in a transaction that is committing


def collect(sent: Mapping[str, str], uploads: Sequence[Upload], *, limits: Limits) -> Submission:
    """Take a form's answers and check its files by content and size; reads no database."""
    wanted = {
        name: value
        for name, value in sent.items()
        if isinstance(value, str) and (name.startswith("answer-") or name in (TERMS_FIELD, FORM_FIELD))
    }
    submission = Submission(sent=wanted)
    uploads = [u for u in uploads if u.filename or u.data]
    if len(uploads) > limits.max_files:
        submission.file_problem = N_("Too many files: attach fewer.")
        return submission
    for upload in uploads:
        checked = check_file(upload, limits.max_bytes)
        if isinstance(checked, str):
            submission.file_problem = checked
            submission.files = []
            return submission
        submission.files.append(checked)
    return submission


def check_file(upload: Upload, max_bytes: int) -> CheckedFile | str:
    """The file with its type told by its content, or why it is refused (an N_ message)."""
    data = upload.data
    if len(data) > max_bytes:
        return N_("The file is too large.")
    if not data:
        return N_("The file is empty.")
    if data.startswith(b"%PDF-"):
        content_type, suffix = _PDF
    else:
        kind = _image_kind(data)
        if kind is None:
            return N_("Attach a PDF or an image (JPEG, PNG or WebP).")
        content_type, suffix = kind
    return CheckedFile(_safe_name(upload.filename, suffix), content_type, suffix, data)


def _image_kind(data: bytes) -> tuple[str, str] | None:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = _IMAGE_TYPES.get(probe.format or "")
            if kind is None or probe.width * probe.height > MAX_PIXELS:
                return None
            probe.verify()
            return kind
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


def _safe_name(filename: str, suffix: str) -> str:
    """The name to offer on download: the person's own, without path, control or direction characters, and
    with the suffix of what the file really is."""
    base = Path(filename.replace("\\", "/")).name
    kept = "".join(ch for ch in base if unicodedata.category(ch)[0] not in "CZ" or ch == " ").strip()
    stem = Path(kept).stem.strip(" .")[:150] or "attachment"
    return stem + suffix


_CHANGED = N_("This facility's questions or terms have changed. Please read them again and resend.")


def check(form: ApplicationForm | None, submission: Submission | None) -> tuple[dict[str, Any], bool]:
    """The typed answers and whether the terms were accepted; Invalid lists every problem by field: an
    answer missing or malformed, the terms not accepted, a file missing, refused or not asked for, or a form
    other than the one in force."""
    submission = submission or Submission(sent={})
    sent = submission.sent
    problems: list[tuple[str | None, str]] = []
    has_files = bool(submission.files) or submission.file_problem is not None
    if form is None:
        if has_files:
            problems.append((ATTACHMENT_FIELD, N_("This facility asks for no file.")))
        if problems:
            raise Invalid(problems)
        return {}, False
    if sent.get(FORM_FIELD) != str(form.id):
        problems.append((None, _CHANGED))
    answers, wrong = questions_rules.read_answers(questions_of(form), sent)
    problems.extend(wrong)
    accepted = sent.get(TERMS_FIELD) in ("y", "yes", "on", "1")
    if form.has_terms and not accepted:
        problems.append((TERMS_FIELD, N_("Read and accept the terms to send the request.")))
    if submission.file_problem is not None:
        problems.append((ATTACHMENT_FIELD, submission.file_problem))
    elif form.attachment == "none" and has_files:
        problems.append((ATTACHMENT_FIELD, N_("This facility asks for no file.")))
    elif form.attachment == "required" and not has_files:
        problems.append((ATTACHMENT_FIELD, N_("Attach the file this facility asks for.")))
    if problems:
        raise Invalid(problems)
    return answers, form.has_terms and accepted


def kept_if_booked(
    resource: Resource, submission: Submission | None, directory: Path, book: Callable[[], T]
) -> T:
    """Write the submission's files, then `book`; the files stay only if the booking stored them.

    A request with files is checked first (`check`, which `record` repeats under the booking's locks), so a
    refused file or answer writes nothing. Files are written before the booking transaction (so it holds no
    lock while writing) under random names, and removed if the booking is refused or fails, or when a form
    sent twice found its first booking.
    """
    if submission is None or (not submission.files and submission.file_problem is None):
        return book()
    # Files cost a disk write: a request that would be refused anyway writes none.
    check(form_in_force(resource), submission)
    directory.mkdir(parents=True, exist_ok=True)
    for checked in submission.files:
        name = f"{secrets.token_hex(16)}{checked.suffix}"
        temporary = directory / f".{name}.part"
        temporary.write_bytes(checked.data)
        os.replace(temporary, directory / name)
        submission.stored.append(name)
    try:
        result = book()
    except BaseException:
        _remove(directory, submission.stored)
        raise
    if not submission.recorded:
        _remove(directory, submission.stored)
    return result


def _remove(directory: Path, names: Iterable[str]) -> None:
    for name in names:
        (directory / Path(name).name).unlink(missing_ok=True)


def record(
    bookings: Sequence[Booking], submission: Submission | None, resource: Resource, now: datetime
) -> None:
    """Inside a booking transaction, after the bookings were flushed: check the request's answers against the
    form in force (`check`; Invalid rolls the whole booking back) and store them with the bookings."""
    if not bookings:
        return
    form = form_in_force(resource)
    answers, accepted = check(form, submission)
    if form is None:
        return
    first = bookings[0]
    application = Application(
        form_id=form.id,
        booking_id=first.id,
        series_id=first.series_id,
        answers=answers,
        terms_accepted_at=now if accepted else None,
        created_at=now,
    )
    db.session.add(application)
    if submission is not None:
        for checked, name in zip(submission.files, submission.stored, strict=True):
            application.attachments.append(
                Attachment(
                    stored_name=name,
                    original_name=checked.original_name,
                    content_type=checked.content_type,
                    size=len(checked.data),
                    created_at=now,
                )
            )
    db.session.flush()
    if submission is not None:
        submission.recorded = True


# --- reading them back -------------------------------------------------------------------------------


def may_read(viewer: User, booking: Booking) -> bool:
    """A request's answers and files are personal data: for the person who made it and the managers of its
    facility's university only (not the city office, which sees counts)."""
    return booking.user_id == viewer.id or (
        viewer.manages_id is not None and viewer.manages_id == booking.resource.university_id
    )


def readable_applications(viewer: User, bookings: Sequence[Booking]) -> dict[int, Application]:
    """`applications_for` the bookings whose answers `viewer` may read."""
    return applications_for([b for b in bookings if may_read(viewer, b)])


def _belongs_to(bookings: Sequence[Booking]) -> sa.ColumnElement[bool]:
    ids = [b.id for b in bookings]
    series = [b.series_id for b in bookings if b.series_id is not None]
    condition = Application.booking_id.in_(ids)
    return sa.or_(condition, Application.series_id.in_(series)) if series else condition


def applications_for(bookings: Sequence[Booking]) -> dict[int, Application]:
    """Each booking's application (a series' dates share their first date's), by booking id, in one query."""
    if not bookings:
        return {}
    found = list(db.session.scalars(sa.select(Application).where(_belongs_to(bookings))))
    by_booking = {a.booking_id: a for a in found}
    by_series = {a.series_id: a for a in found if a.series_id is not None}
    result = {}
    for booking in bookings:
        application = by_booking.get(booking.id) or (
            by_series.get(booking.series_id) if booking.series_id else None
        )
        if application is not None:
            result[booking.id] = application
    return result


def application_for(booking: Booking) -> Application | None:
    return applications_for([booking]).get(booking.id)


@dataclass(frozen=True)
class Answer:
    question: Question
    value: Any  # None: not answered


def answers_of(application: Application) -> list[Answer]:
    """The form's questions in order, with what the request answered."""
    return [Answer(q, application.answers.get(q.key)) for q in questions_of(application.form)]


def as_data(viewer: User, booking_id: int) -> dict[str, Any] | None:
    """A booking's application as plain data (for the API): the form version, the terms accepted, every
    answer and the attachments. Only for the booking's holder and its facility's managers (else NotFound);
    None when the request answered no form."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not may_read(viewer, booking):
        raise NotFound
    application = application_for(booking)
    if application is None:
        return None
    form = application.form
    return {
        "form": {"id": form.id, "scope": form.scope, "version": form.version},
        "terms": (
            {
                "version": form.version,
                "accepted_at": application.terms_accepted_at.isoformat(),
                "text_zh": form.terms_zh,
                "text_en": form.terms_en,
            }
            if application.terms_accepted_at is not None
            else None
        ),
        "answers": [
            {
                "key": a.question.key,
                "type": a.question.type,
                "label_zh": a.question.label_zh,
                "label_en": a.question.label_en,
                "value": a.value,
                "text_zh": a.question.shown(a.value, "zh"),
                "text_en": a.question.shown(a.value, "en"),
            }
            for a in answers_of(application)
        ],
        "attachments": [
            {
                "id": f.id,
                "name": f.original_name,
                "content_type": f.content_type,
                "size": f.size,
                "created_at": f.created_at.isoformat(),
                "removed_at": f.removed_at.isoformat() if f.removed_at else None,
            }
            for f in application.attachments
        ],
    }


def attachment_file(
    viewer: User, booking_id: int, attachment_id: int, directory: Path
) -> tuple[Attachment, Path]:
    """A file attached to a booking's request, for its holder and its facility's managers; NotFound for
    anyone else, for a file of another booking, and for a file removed under retention."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not may_read(viewer, booking):
        raise NotFound
    application = application_for(booking)
    attachment = db.session.get(Attachment, attachment_id)
    if application is None or attachment is None or attachment.application_id != application.id:
        raise NotFound
    path = directory / Path(attachment.stored_name).name
    if attachment.removed_at is not None or not path.is_file():
        raise NotFound
    return attachment, path


# --- the export for managers -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRow:
    booking: Booking
    application: Application
    answers: dict[str, Any]


@dataclass(frozen=True)
class Export:
    resource: Resource
    questions: list[Question]  # every question any version asked, newest wording, in order of appearance
    rows: list[ExportRow]


EXPORT_LIMIT = 5000


def export(viewer: User, resource_id: int) -> Export:
    """Every request to a facility that answered its form, newest first, for the managers of its university
    only (personal data: not for the city office, nor another university)."""
    resource = db.session.get(Resource, resource_id)
    if resource is None or viewer.manages_id is None or viewer.manages_id != resource.university_id:
        raise NotFound
    rows = db.session.execute(
        sa.select(Booking, Application)
        .join(
            Application,
            sa.or_(
                Application.booking_id == Booking.id,
                sa.and_(Booking.series_id.is_not(None), Application.series_id == Booking.series_id),
            ),
        )
        .where(Booking.resource_id == resource_id)
        .order_by(Booking.start_at.desc(), Booking.id.desc())
        .limit(EXPORT_LIMIT)
    ).all()
    questions: dict[str, Question] = {}
    for _booking, application in sorted(rows, key=lambda r: r[1].form.version, reverse=True):
        for question in questions_of(application.form):
            questions.setdefault(question.key, question)
    return Export(
        resource=resource,
        questions=list(questions.values()),
        rows=[ExportRow(b, a, a.answers) for b, a in rows],
    )


# --- retention ---------------------------------------------------------------------------------------


def remove_expired_attachments(now: datetime, directory: Path, *, keep_days: int) -> int:
    """Remove the files of requests whose bookings all ended more than `keep_days` ago; the rows stay, marked
    removed. Each file is claimed by one UPDATE, so two schedulers remove (and count) it once."""
    cutoff = now - timedelta(days=keep_days)
    last_end = (
        sa.select(sa.func.max(Booking.end_at))
        .where(
            sa.or_(
                Booking.id == Application.booking_id,
                sa.and_(Application.series_id.is_not(None), Booking.series_id == Application.series_id),
            )
        )
        .scalar_subquery()
    )
    candidates = db.session.execute(
        sa.select(Attachment.id, Attachment.stored_name)
        .join(Application, Application.id == Attachment.application_id)
        .where(Attachment.removed_at.is_(None), last_end <= cutoff)
        .order_by(Attachment.id)
        .limit(500)
    ).all()
    removed = 0
    for attachment_id, name in candidates:
        with write_transaction():
            claimed = changed_rows(
                sa.update(Attachment)
                .where(Attachment.id == attachment_id, Attachment.removed_at.is_(None))
                .values(removed_at=now)
            )
        if claimed:
            _remove(directory, [name])
            removed += 1
    return removed
