"""A facility's requests with their answers as a file (CSV or XLSX), for its page and the API alike: personal
data, for the university's own managers only (the service decides)."""

import re

from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking import clock
from booking.engine.localtime import to_local, zone
from booking.services import applications
from booking.web.applications.display import answer_text
from booking.web.labels import CATEGORY_LABELS, STATUS_LABELS, localized
from booking.web.reports import exports
from booking.web.reports.tables import Column, Table
from models import User

_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _inert(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is quoted; numbers stay numbers."""
    if (
        isinstance(value, str)
        and value[:1] in ("=", "+", "-", "@", "\t", "\r")
        and not _NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def requests_file(viewer: User, resource_id: int, fmt: str) -> Response:
    """The facility's requests with their answers, newest first, as a `fmt` (csv or xlsx) file."""
    found = applications.export(viewer, resource_id)
    resource = found.resource
    tz = zone(resource.timezone)
    columns = [
        Column("booking", _("Booking"), numeric=True),
        Column("status", _("Status"), numeric=False),
        Column("start", _("Start"), numeric=False),
        Column("end", _("End"), numeric=False),
        Column("person", _("Person"), numeric=False),
        Column("email", _("Email"), numeric=False),
        Column("category", _("Group"), numeric=False),
        Column("organization", _("Organization"), numeric=False),
        Column("version", _("Form version"), numeric=True),
        Column("terms", _("Terms accepted"), numeric=False),
        Column("files", _("Files"), numeric=False),
        *[Column(q.key, localized(q, "label"), numeric=False) for q in found.questions],
    ]
    rows = []
    for row in found.rows:
        booking, application = row.booking, row.application
        person = booking.user
        rows.append(
            [
                booking.id,
                str(STATUS_LABELS.get(booking.status, booking.status.value)),
                to_local(booking.start_at, tz).strftime("%Y-%m-%d %H:%M"),
                to_local(booking.end_at, tz).strftime("%Y-%m-%d %H:%M"),
                person.display_name,
                person.email,
                str(CATEGORY_LABELS[person.category]),
                localized(person.organization) if person.organization else "",
                application.form.version,
                to_local(application.terms_accepted_at, tz).strftime("%Y-%m-%d %H:%M")
                if application.terms_accepted_at
                else "",
                ", ".join(f.original_name for f in application.attachments),
                *[answer_text(q, row.answers.get(q.key)) for q in found.questions],
            ]
        )
    table = Table(
        name="requests",
        title=_("Requests to %(facility)s", facility=localized(resource)),
        columns=columns,
        rows=[[_inert(value) for value in row] for row in rows],
    )
    heading = [(_("Exported"), to_local(clock.now(), tz).strftime("%Y-%m-%d %H:%M"))]
    return exports.send(table, heading, fmt, f"requests_{resource.id}", "private, no-store")
