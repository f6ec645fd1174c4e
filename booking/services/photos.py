"""Facility photos: checked by their content (not their name), resized, and stored outside the web root.

A photo is re-encoded as JPEG no larger than MAX_SIDE on either side, which also drops its metadata
(EXIF location and the like). Files live in the PHOTO_DIR directory under a random name; several web servers
must share that directory (a network file system or a shared volume). The row names the file; a file is
written before its transaction and removed if that transaction fails, and the replaced file is removed after
the commit.
"""

import io
import os
import secrets
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from booking.engine.violations import N_
from booking.services import audit
from booking.services.audit import AuditAction
from booking.services.errors import Invalid
from booking.services.facilities import lock_facility
from booking.services.transactions import write_transaction
from models import Resource, User

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000  # a "decompression bomb" is refused before it is decoded
MAX_ALT = 300


def _resized_jpeg(data: bytes) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise Invalid({"photo": N_("Upload a JPEG, PNG or WebP image.")})
            if probe.width * probe.height > MAX_PIXELS:
                raise Invalid({"photo": N_("This image has too many pixels.")})
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Invalid({"photo": N_("Upload a JPEG, PNG or WebP image.")}) from exc


def set_photo(
    actor: User,
    resource_id: int,
    data: bytes,
    *,
    alt_zh: str,
    alt_en: str,
    directory: Path,
    max_bytes: int,
    now: datetime,
) -> Resource:
    """Give a facility a new photo with its description in both languages; nothing changes on a refusal."""
    alt_zh, alt_en = alt_zh.strip(), alt_en.strip()
    problems = {}
    if len(data) > max_bytes:
        problems["photo"] = N_("The photo is too large.")
    if not alt_zh or len(alt_zh) > MAX_ALT:
        problems["alt_zh"] = N_("Describe the photo in Chinese, in up to 300 characters.")
    if not alt_en or len(alt_en) > MAX_ALT:
        problems["alt_en"] = N_("Describe the photo in English, in up to 300 characters.")
    if problems:
        raise Invalid(problems)
    encoded = _resized_jpeg(data)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{resource_id}-{secrets.token_hex(12)}.jpg"
    temporary = directory / f".{name}.part"
    temporary.write_bytes(encoded)
    os.replace(temporary, directory / name)
    try:
        with write_transaction():
            resource = lock_facility(actor, resource_id)
            previous = resource.photo_file
            resource.photo_file = name
            resource.photo_alt_zh, resource.photo_alt_en = alt_zh, alt_en
            audit.about(resource, AuditAction.FACILITY_PHOTO_CHANGED, actor_id=actor.id, at=now, photo=name)
    except BaseException:
        (directory / name).unlink(missing_ok=True)
        raise
    if previous:
        (directory / previous).unlink(missing_ok=True)
    return resource


def photo_path(resource: Resource, directory: Path) -> Path | None:
    """The stored photo of an active facility, if it has one."""
    if not resource.photo_file or not resource.active:
        return None
    path = directory / Path(resource.photo_file).name
    return path if path.is_file() else None
