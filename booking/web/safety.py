"""Guards against open redirects: only same-site relative paths are followed."""

import unicodedata
from urllib.parse import urlsplit


def safe_next_url(target: str | None) -> str | None:
    """Return `target` if it is a local path, else None.

    Browsers treat `//evil`, `/\\evil` and `\\\\evil` as other hosts, and strip tabs and newlines,
    so those are refused along with any scheme or host.
    """
    if not target:
        return None
    cleaned = "".join(ch for ch in target if ch not in "\t\r\n")
    if any(unicodedata.category(ch) == "Cc" for ch in cleaned):
        return None
    if not cleaned.startswith("/") or cleaned.startswith(("//", "/\\")) or "\\" in cleaned:
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return None
    return cleaned
