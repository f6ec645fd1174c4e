"""What text the platform accepts from people and files: visible characters, no control characters.

PostgreSQL refuses NUL in text; other C0/C1 control characters break emails, logs and the pages they are
shown on; bidirectional overrides make a name read differently from what it is (a "Trojan Source" spoof);
and a name of nothing but invisible characters cannot be told apart from an empty one. Messages are English
templates (`N_`) the caller translates.
"""

import unicodedata

from booking.engine.violations import N_

LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Embeddings, overrides and isolates: they reorder what follows them (Unicode UAX #9).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Characters a text area may hold besides printable ones.
MULTILINE_ALLOWED = frozenset("\t\r\n")
# Categories that draw nothing on their own: controls, format characters, separators, marks, unassigned.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that nevertheless render blank (Hangul fillers, the braille blank, ...).
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u034f")

CONTROL_MESSAGE = N_("Remove the control characters (such as NUL or tab) from this text.")
BIDI_MESSAGE = N_("Remove the text-direction control characters from this text.")
LINE_BREAK_MESSAGE = N_("Write this on one line, without line breaks.")
INVISIBLE_MESSAGE = N_("Use at least one visible character.")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs")


def _is_visible(ch: str) -> bool:
    return unicodedata.category(ch) not in _INVISIBLE_CATEGORIES and ch not in _BLANK_GLYPHS


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` is not acceptable (an N_ message), or None. Empty text is fine here (required-ness is
    the form's business)."""
    if not text:
        return None
    for ch in text:
        if multiline and ch in MULTILINE_ALLOWED:
            continue
        if not multiline and ch in LINE_BREAKS:
            return LINE_BREAK_MESSAGE
        if _is_control(ch):
            return CONTROL_MESSAGE
        if ch in BIDI_CONTROLS:
            return BIDI_MESSAGE
    if text.strip() and not any(_is_visible(ch) for ch in text):
        return INVISIBLE_MESSAGE
    return None


def one_line(text: str) -> str:
    """`text` as one line of printable text: runs of whitespace and line breaks become one space, control and
    direction characters go. For text read from files (an imported calendar's SUMMARY)."""
    kept = "".join(ch for ch in text if ch.isspace() or not (_is_control(ch) or ch in BIDI_CONTROLS))
    return " ".join(kept.split())
