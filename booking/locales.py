"""Languages as Babel `Locale` objects, parsed once per process (no Flask: services and mail use it too)."""

import functools

from babel import Locale


@functools.lru_cache(maxsize=16)
def babel_locale(identifier: str) -> Locale:
    """A language code as Babel's `Locale`, parsed once per process.

    Flask-Babel parses the code it is given on every request and every `force_locale`, and Babel finds
    "zh_CN" (its data is filed as zh_Hans_CN) only by scanning its list of some thousand locales: about a
    millisecond each time. Give it the parsed `Locale` instead.
    """
    return Locale.parse(identifier)
