"""The form editor: a facility's (or a kind's) questions, terms and file rule, as one versioned form."""

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from booking.engine.answers import CHOICE, DATE, MAX_QUESTIONS, NUMBER, TEXT, YES_NO, Question
from booking.services.applications import FormDraft
from booking.web.forms import Form
from models import ApplicationForm

BLANK_ROWS = 3
TYPE_CHOICES = [
    (TEXT, _l("Text")),
    (NUMBER, _l("Number")),
    (CHOICE, _l("One of several answers")),
    (YES_NO, _l("Yes or no")),
    (DATE, _l("Date")),
]


class QuestionForm(Form):
    """One question; a row left without a question is dropped."""

    class Meta:
        csrf = False

    key = HiddenField("key")
    label_zh = StringField(_l("Question (Chinese)"), validators=[Optional(), Length(max=200)])
    label_en = StringField(_l("Question (English)"), validators=[Optional(), Length(max=200)])
    type = SelectField(_l("Answer"), choices=TYPE_CHOICES, default=TEXT)
    required = BooleanField(_l("Required"))
    choices = TextAreaField(_l("Answers to choose from"), validators=[Optional(), Length(max=4000)])


class ApplicationFormForm(Form):
    questions = FieldList(FormField(QuestionForm), min_entries=0, max_entries=MAX_QUESTIONS + BLANK_ROWS)
    terms_zh = TextAreaField(_l("Terms (Chinese)"), validators=[Optional(), Length(max=10000)])
    terms_en = TextAreaField(_l("Terms (English)"), validators=[Optional(), Length(max=10000)])
    attachment = SelectField(
        _l("File"),
        choices=[
            ("none", _l("No file")),
            ("optional", _l("A file may be attached")),
            ("required", _l("A file must be attached")),
        ],
        default="none",
    )
    attachment_hint_zh = StringField(_l("What to attach (Chinese)"), validators=[Optional(), Length(max=300)])
    attachment_hint_en = StringField(_l("What to attach (English)"), validators=[Optional(), Length(max=300)])

    def show(self, form: ApplicationForm | None) -> None:
        """Fill in the current version, with blank rows for new questions."""
        stored = list(form.questions) if form else []
        rows: list[dict[str, Any]] = [
            {
                "key": q["key"],
                "label_zh": q.get("label_zh", ""),
                "label_en": q.get("label_en", ""),
                "type": q.get("type", TEXT),
                "required": q.get("required", False),
                "choices": "\n".join(f"{c['zh']} / {c['en']}" for c in q.get("choices", ())),
            }
            for q in stored
        ]
        rows += [{"type": TEXT}] * BLANK_ROWS
        while self.questions.entries:
            self.questions.pop_entry()
        for row in rows:
            self.questions.append_entry(row)
        if form is not None:
            self.terms_zh.data, self.terms_en.data = form.terms_zh, form.terms_en
            self.attachment.data = form.attachment
            self.attachment_hint_zh.data = form.attachment_hint_zh
            self.attachment_hint_en.data = form.attachment_hint_en

    def draft(self) -> tuple[FormDraft, list[int]]:
        """The edit as a draft, and for each of its questions the row it came from."""
        questions: list[Question] = []
        rows: list[int] = []
        for n, entry in enumerate(self.questions.entries):
            row = entry.form
            label_zh, label_en = (row.label_zh.data or "").strip(), (row.label_en.data or "").strip()
            if not label_zh and not label_en:
                continue
            kind = row.type.data
            choices = _choices(row.choices.data or "") if kind == CHOICE else ()
            questions.append(
                Question(row.key.data or "", kind, label_zh, label_en, bool(row.required.data), choices)
            )
            rows.append(n)
        draft = FormDraft(
            questions=questions,
            terms_zh=self.terms_zh.data or "",
            terms_en=self.terms_en.data or "",
            attachment=self.attachment.data or "none",
            attachment_hint_zh=self.attachment_hint_zh.data or "",
            attachment_hint_en=self.attachment_hint_en.data or "",
        )
        return draft, rows


def _choices(text: str) -> tuple[tuple[str, str], ...]:
    """One answer a line, "中文 / English"; a line without a slash is the same in both languages."""
    pairs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        zh, slash, en = line.partition("/")
        pairs.append((zh.strip(), en.strip()) if slash else (line.strip(), line.strip()))
    return tuple(pairs)
