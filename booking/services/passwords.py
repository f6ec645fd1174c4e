"""What a password must be: long enough, not one of the passwords everyone tries, not the person's own
address or name. Each refusal says which, in the reader's language.

The guessing model is zxcvbn (Dropbox's estimator, the maintained `zxcvbn` package): it ships the 30,000
most used passwords of real leaks with English words, names, keyboard walks, dates, repeats and l33t
spellings, and scores how many guesses a password needs. A bundled list alone would let "Passw0rd!" or
"qwertyuiop" through; zxcvbn refuses them, and needs no list of ours to keep up to date.
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from booking.services.errors import Invalid

MIN_LENGTH = 8
MAX_LENGTH = 200
# zxcvbn's score: 0 under 10^3 guesses, 1 under 10^6, 2 under 10^8. Below 2 falls to an online attack
# that the login throttle slows but cannot stop across many accounts.
MIN_SCORE = 2
# zxcvbn's running time grows with the length; what it sees past this adds nothing to the verdict.
_CHECKED_PREFIX = 100
# The parts of a name or address worth refusing: four letters or more, or two Chinese characters.
_WORDS = re.compile(r"[^\W_]{4,}|[\u3400-\u9fff]{2,}")


def _personal_words(email: str | None, name: str | None) -> list[str]:
    words: set[str] = set()
    if email:
        local = email.lower().partition("@")[0]
        if len(local) >= 3:
            words.add(local)
        words.update(_WORDS.findall(local))
    if name:
        folded = name.casefold()
        compact = re.sub(r"\s+", "", folded)
        if len(compact) >= 3 or re.fullmatch(r"[\u3400-\u9fff]{2,}", compact):
            words.add(compact)
        words.update(_WORDS.findall(folded))
    return sorted(words)


def check(
    password: str, *, email: str | None = None, name: str | None = None, field: str = "password"
) -> None:
    """Refuse (Invalid on `field`) a password that is too short, too common, or made of the person's own
    address or name; say why."""
    if len(password) < MIN_LENGTH:
        raise Invalid(_l("Use at least %(num)d characters for the password.", num=MIN_LENGTH), field=field)
    if len(password) > MAX_LENGTH:
        raise Invalid(_l("Use at most %(num)d characters for the password.", num=MAX_LENGTH), field=field)
    folded = unicodedata.normalize("NFKC", password).casefold()
    compact = re.sub(r"\s+", "", folded)
    personal = _personal_words(email, name)
    if any(word in folded or word in compact for word in personal):
        raise Invalid(
            _l("The password must not contain your email address or your name: they are the first guesses."),
            field=field,
        )
    verdict = zxcvbn(password[:_CHECKED_PREFIX], user_inputs=personal)
    if verdict["score"] >= MIN_SCORE:
        return
    common = any(
        match["pattern"] == "dictionary" and match.get("dictionary_name") == "passwords"
        for match in verdict["sequence"]
    )
    if common:
        raise Invalid(
            _l(
                "This password is one of the most commonly used ones, which attackers try first. "
                "Choose another: a few unrelated words are easy to remember and hard to guess."
            ),
            field=field,
        )
    raise Invalid(
        _l(
            "This password is too easy to guess (a common word, name, date, keyboard row or repetition). "
            "Add a few unrelated words."
        ),
        field=field,
    )
