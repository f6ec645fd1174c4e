"""Input-validation messages in the request's language: marshmallow's and webargs' own English messages (and
the schemas' own) are matched to their templates here and translated, their values kept, so a client asking
for Chinese never reads English.

Each template is marshmallow's text exactly (tests/api/test_api_messages.py checks that every message of the
fields and validators the schemas use is here); a message of none of them is shown as it came."""

import re

from flask_babel import gettext as _

from booking.engine.violations import N_

TEMPLATES = (
    # marshmallow: the schema and its fields
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid mapping type."),
    N_("Not a valid date."),
    N_("Not a valid {obj_type}."),
    N_("Not a valid {awareness} {obj_type}."),
    N_('"{input}" cannot be formatted as a {obj_type}.'),
    N_('"{input}" cannot be formatted as a date.'),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    # marshmallow: validators
    N_("Must be one of: {choices}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
    N_("String does not match expected pattern."),
    N_("Invalid input."),
    # webargs
    N_("Invalid JSON body."),
)
# The words marshmallow puts into its templates (in English as they are).
WORDS = {
    "datetime": N_("datetime"),
    "date": N_("date"),
    "time": N_("time"),
    "aware": N_("aware"),
    "naive": N_("naive"),
}
_PLACEHOLDER = re.compile(r"\{(\w+)(?:![rs])?\}")


def _pattern(template: str) -> re.Pattern[str]:
    parts, last = [], 0
    for found in _PLACEHOLDER.finditer(template):
        parts += [re.escape(template[last : found.start()]), f"(?P<{found.group(1)}>.*?)"]
        last = found.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts), re.DOTALL)


# The longest fixed text first: "Must be greater than {min}." must not swallow "... or equal to 1.".
_PATTERNS = sorted(
    ((template, _pattern(template)) for template in TEMPLATES if _PLACEHOLDER.search(template)),
    key=lambda pair: -len(_PLACEHOLDER.sub("", pair[0])),
)
_PLAIN = frozenset(template for template in TEMPLATES if not _PLACEHOLDER.search(template))


def translate(message: str) -> str:
    """`message` in the request's language: a template's text with its values kept, or as it came."""
    if message in _PLAIN:
        return _(message)
    for template, pattern in _PATTERNS:
        match = pattern.fullmatch(message)
        if match is not None:
            return _fill(_(template), {name: _word(value) for name, value in match.groupdict().items()})
    return _(message)  # the schemas' own messages (N_)


def _fill(template: str, values: dict[str, str]) -> str:
    def value_of(found: re.Match[str]) -> str:
        return values.get(found.group(1), found.group(0))

    return _PLACEHOLDER.sub(value_of, template)


def _word(value: str) -> str:
    return _(WORDS[value]) if value in WORDS else value
