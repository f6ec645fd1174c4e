"""A facility's own questions: every answer typed or refused with a reason, every problem at once."""

import pytest

from booking.engine.answers import Question, read_answers

QUESTIONS = [
    Question("n", "number", "人数", "People", required=True),
    Question("c", "choice", "等级", "Level", required=True, choices=(("低", "Low"), ("高", "High"))),
    Question("y", "yes_no", "培训", "Trained", required=True),
    Question("d", "date", "日期", "Date"),
    Question("t", "text", "说明", "Notes"),
]
GOOD = {
    "answer-n": "2.5",
    "answer-c": "1",
    "answer-y": "no",
    "answer-d": "2026-12-01",
    "answer-t": "Line 1\nLine 2",
}


def test_answers_are_typed() -> None:
    answers, problems = read_answers(QUESTIONS, GOOD)
    assert problems == []
    assert answers == {"n": 2.5, "c": 1, "y": False, "d": "2026-12-01", "t": "Line 1\nLine 2"}


def test_optional_questions_left_empty_are_left_out() -> None:
    answers, problems = read_answers(QUESTIONS, {**GOOD, "answer-d": "", "answer-t": "  "})
    assert problems == [] and "d" not in answers and "t" not in answers


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("answer-n", "²"),
        ("answer-n", "١٢"),
        ("answer-n", "nan"),
        ("answer-n", "1e20"),
        ("answer-n", "99999999999999999999"),
        ("answer-c", "²"),
        ("answer-c", "2"),
        ("answer-c", "01234"),
        ("answer-y", "true"),
        ("answer-d", "2026-02-30"),
        ("answer-d", "20261201"),
        ("answer-d", "0001-01-01"),
        ("answer-d", "２０２６-１２-０１"),
        ("answer-t", "a\x00b"),
        ("answer-t", "\u200b\u2060"),
        ("answer-n", ""),
    ],
)
def test_a_malformed_answer_is_refused_for_its_field(field: str, value: str) -> None:
    _answers, problems = read_answers(QUESTIONS, {**GOOD, field: value})
    assert [f for f, _message in problems] == [field]


def test_every_problem_is_returned_not_only_the_first() -> None:
    _answers, problems = read_answers(QUESTIONS, {})
    assert [f for f, _m in problems] == ["answer-n", "answer-c", "answer-y"]


def test_a_choice_reads_in_each_language() -> None:
    level = QUESTIONS[1]
    assert (level.shown(1, "zh_CN"), level.shown(1, "en")) == ("高", "High")
    assert Question.of(level.stored()) == level
