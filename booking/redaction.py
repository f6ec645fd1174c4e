"""Secrets kept out of log lines: the token in calendar feed and CalDAV paths becomes "[redacted]".

Used by the app's own loggers (werkzeug's request lines, "Exception on /calendar/..." errors) and by
gunicorn's access and error logs (booking/gunicorn_config.py), so no log line we write holds a feed token.
"""

import logging
import re

# /calendar/<token>.ics, /calendar/university/<token>.ics, /caldav/<token>/...; not /profile/calendar/reset.
_TOKEN_IN_PATH = re.compile(r"(?<!/profile)(/calendar/(?:university/)?|/caldav/)[^/\s?\"']+")
PLACEHOLDER = "[redacted].ics"


def redact(text: str) -> str:
    """`text` with every token in a calendar feed or CalDAV path replaced by a placeholder."""
    if "/calendar/" not in text and "/caldav/" not in text:
        return text
    return _TOKEN_IN_PATH.sub(_placeholder, text)


def _placeholder(found: re.Match[str]) -> str:
    return found.group(1) + ("[redacted]" if found.group(1) == "/caldav/" else PLACEHOLDER)


class RedactFeedTokens(logging.Filter):
    """Replace the token in /calendar/<token>.ics paths of a logger's messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if "/calendar/" in message or "/caldav/" in message:
            record.msg = redact(message)
            record.args = None
        return True


REDACT_FEED_TOKENS = RedactFeedTokens()
