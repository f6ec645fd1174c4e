"""Secrets kept out of log lines: the token in calendar feed paths becomes "[redacted]".

Used by the app's own loggers (werkzeug's request lines, "Exception on /calendar/..." errors) and by
gunicorn's access and error logs (gunicorn.conf.py), so no log line we write holds a feed token.
"""

import logging
import re

# /calendar/<token>.ics and /calendar/university/<token>.ics; not /profile/calendar/reset.
_TOKEN_IN_PATH = re.compile(r"(?<!/profile)(/calendar/(?:university/)?)[^/\s?\"']+")
PLACEHOLDER = "[redacted].ics"


def redact(text: str) -> str:
    """`text` with every feed token in a calendar path replaced by the placeholder."""
    if "/calendar/" not in text:
        return text
    return _TOKEN_IN_PATH.sub(rf"\1{PLACEHOLDER}", text)


class RedactFeedTokens(logging.Filter):
    """Replace the token in /calendar/<token>.ics paths of a logger's messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if "/calendar/" in message:
            record.msg = redact(message)
            record.args = None
        return True


REDACT_FEED_TOKENS = RedactFeedTokens()
