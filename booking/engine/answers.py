"""A facility's own questions and the answers a request gives them: plain values in, checked values out.

A question is a dict as stored in `ApplicationForm.questions`; answers come as the strings a form sent,
under `answer-<key>`. Checking returns the typed answers and every problem found (the field and an English
`N_` template), never just the first. Nothing here knows of Flask or the database.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from booking.engine.violations import N_
from booking.text import text_problem

TEXT, NUMBER, CHOICE, YES_NO, DATE = "text", "number", "choice", "yes_no", "date"
QUESTION_TYPES = (TEXT, NUMBER, CHOICE, YES_NO, DATE)
MAX_ANSWER = 1000
MAX_QUESTIONS = 20
MAX_CHOICES = 20
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
_NUMBER = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,6})?")
_INDEX = re.compile(r"[0-9]{1,3}")


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    label_zh: str
    label_en: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (zh, en) per choice; an answer is the choice's index

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> "Question":
        return cls(
            key=str(stored["key"]),
            type=str(stored["type"]),
            label_zh=str(stored.get("label_zh", "")),
            label_en=str(stored.get("label_en", "")),
            required=bool(stored.get("required", False)),
            choices=tuple((str(c.get("zh", "")), str(c.get("en", ""))) for c in stored.get("choices", ())),
        )

    def stored(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.type,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "required": self.required,
            "choices": [{"zh": zh, "en": en} for zh, en in self.choices],
        }

    @property
    def field(self) -> str:
        """The name of the form field that answers it."""
        return f"answer-{self.key}"

    def label_for(self, locale: str) -> str:
        return (
            (self.label_zh or self.label_en) if locale.startswith("zh") else (self.label_en or self.label_zh)
        )

    def shown(self, value: Any, locale: str) -> str:
        """An answer as a reader of `locale` reads it ("" when unanswered); yes/no is left to the caller."""
        if value is None or value == "":
            return ""
        if self.type == CHOICE and isinstance(value, int) and 0 <= value < len(self.choices):
            zh, en = self.choices[value]
            return (zh or en) if locale.startswith("zh") else (en or zh)
        if self.type == NUMBER and isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)


Problems = list[tuple[str, str]]


def read_answers(questions: Sequence[Question], sent: Mapping[str, str]) -> tuple[dict[str, Any], Problems]:
    """Every question's answer, typed (text: str, number: int or float, choice: int, yes/no: bool, date: ISO
    string; unanswered optional ones are left out), and every problem as (field, message)."""
    answers: dict[str, Any] = {}
    problems: Problems = []
    for question in questions:
        raw = sent.get(question.field, "")
        raw = raw if isinstance(raw, str) else ""
        value, problem = _read_one(question, raw)
        if problem is not None:
            problems.append((question.field, problem))
        elif value is not None:
            answers[question.key] = value
    return answers, problems


def _read_one(question: Question, raw: str) -> tuple[Any, str | None]:
    multiline = question.type == TEXT
    problem = text_problem(raw, multiline=multiline)
    if problem is not None:
        return None, problem
    raw = raw.strip()
    if not raw:
        return None, (N_("Answer this question.") if question.required else None)
    if question.type == TEXT:
        if len(raw) > MAX_ANSWER:
            return None, N_("Write at most 1000 characters.")
        return raw, None
    if question.type == NUMBER:
        if not _NUMBER.fullmatch(raw):
            return None, N_("Enter a number, such as 2 or 2.5.")
        number = float(raw)
        return (int(number) if number.is_integer() else number), None
    if question.type == CHOICE:
        if not _INDEX.fullmatch(raw) or int(raw) >= len(question.choices):
            return None, N_("Choose one of the answers offered.")
        return int(raw), None
    if question.type == YES_NO:
        if raw not in ("yes", "no"):
            return None, N_("Answer yes or no.")
        return raw == "yes", None
    if question.type == DATE:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            return None, N_("Enter a date such as 2026-12-31.")
        if not EARLIEST <= day <= LATEST or len(raw) != 10 or not raw.isascii():
            return None, N_("Choose a date between 2000 and 2100.")
        return day.isoformat(), None
    return None, N_("Answer this question.")
