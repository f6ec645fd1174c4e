"""The manager's sections, listed once: the Manage menu and the tabs on every manager page show the same."""

from typing import Any, NamedTuple

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user


class Section(NamedTuple):
    key: str
    endpoint: str
    label: Any
    for_managers: bool = True  # shown to a university's managers
    for_admins: bool = True  # shown to the city office
    keeps_university: bool = True  # an admin's chosen university (?university=) carries over


SECTIONS = (
    Section("queue", "manage.queue", _l("Requests")),
    Section("today", "checkin.today", _l("Today")),
    Section("facilities", "manage.facility_list", _l("Facilities")),
    Section("quotas", "manage.quotas", _l("Quotas")),
    Section("closures", "manage.closures", _l("Closures")),
    Section("applications", "applications.index", _l("Application forms")),
    Section("import", "calendar.import_closures", _l("Import closures"), keeps_university=False),
    Section("book", "manage.book_on_behalf", _l("Book for someone"), keeps_university=False),
    Section("suspensions", "checkin.suspensions", _l("Suspended accounts")),
    Section("students", "people.students", _l("Students"), for_admins=False, keeps_university=False),
    Section("webhooks", "webhooks.index", _l("Webhooks")),
    Section("reports", "reports.dashboard", _l("Reports"), keeps_university=False),
    Section("audit", "audit.index", _l("Audit log"), keeps_university=False),
    Section("admin", "admin.index", _l("City office"), for_managers=False, keeps_university=False),
)


def manage_sections() -> list[Section]:
    """The sections the signed-in person may open."""
    if not current_user.is_authenticated:
        return []
    return [
        s
        for s in SECTIONS
        if (current_user.is_admin and s.for_admins) or (current_user.is_manager and s.for_managers)
    ]


def register(app: Flask) -> None:
    app.jinja_env.globals.update(manage_sections=manage_sections)
