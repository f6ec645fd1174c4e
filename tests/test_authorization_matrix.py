"""Who may reach every endpoint: each route of `app.url_map` against every role.

A new endpoint without an entry in MATRIX fails `test_every_endpoint_is_in_the_matrix`, so nobody can
add a route without deciding who may use it. Denials are exact: anonymous people are sent to the login
page, people without the right are refused (403), and objects of another university or another person
are not found (404), so their existence never leaks.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient

from booking.services import account_links, api_tokens, webhooks
from booking.services.api_tokens import Scope
from models import (
    Application,
    Attachment,
    BookingStatus,
    CampusSignOn,
    Category,
    Frequency,
    Notification,
    Series,
    Verification,
    WaitlistEntry,
    WebhookEndpoint,
    db,
)
from tests.conftest import clear_database
from tests.factories import (
    PASSWORD,
    make_admin,
    make_application_form,
    make_booking,
    make_closure,
    make_enterprise,
    make_manager,
    make_quota,
    make_resource,
    make_university,
    make_user,
)

ROLES = (
    "anonymous",
    "resident",
    "unverified_student",
    "student",
    "enterprise",
    "manager_b",
    "manager_a",
    "admin",
)
LOGIN, FORBIDDEN, NOT_FOUND, OK = "login", 403, 404, "ok"
PEOPLE = ("resident", "unverified_student", "student", "enterprise")


def expect(**rules: object) -> dict[str, object]:
    """Expected outcome per role; roles not named are OK."""
    outcome: dict[str, object] = dict.fromkeys(ROLES, OK)
    outcome.update(rules)
    return outcome


PUBLIC = expect()
SIGNED_IN = expect(anonymous=LOGIN)
# The resident's own booking: managers of its university and the admin may see it; nobody else.
OWNER_OR_ITS_MANAGERS = expect(
    anonymous=LOGIN,
    unverified_student=NOT_FOUND,
    student=NOT_FOUND,
    enterprise=NOT_FOUND,
    manager_b=NOT_FOUND,
)
OWNER_ONLY = expect(
    anonymous=LOGIN,
    unverified_student=NOT_FOUND,
    student=NOT_FOUND,
    enterprise=NOT_FOUND,
    manager_b=NOT_FOUND,
    manager_a=NOT_FOUND,
    admin=NOT_FOUND,
)
# A request's answers and files: personal data for its holder and the managers of its facility's university
# only, not for the city office.
OWNER_OR_ITS_UNIVERSITYS_MANAGERS = {**OWNER_OR_ITS_MANAGERS, "admin": NOT_FOUND}
# Something of university A, for its managers (and the city office).
UNIVERSITY_A = expect(anonymous=LOGIN, manager_b=NOT_FOUND, **dict.fromkeys(PEOPLE, FORBIDDEN))
MANAGERS = expect(anonymous=LOGIN, **dict.fromkeys(PEOPLE, FORBIDDEN))
MANAGERS_BUT_ADMIN = {"anonymous": LOGIN, **dict.fromkeys(PEOPLE, FORBIDDEN)}
# Student verification is the universities' own work, not the city office's.
STUDENTS_OF_A = expect(
    anonymous=LOGIN, manager_b=NOT_FOUND, admin=FORBIDDEN, **dict.fromkeys(PEOPLE, FORBIDDEN)
)
STUDENT_LISTS = expect(anonymous=LOGIN, admin=FORBIDDEN, **dict.fromkeys(PEOPLE, FORBIDDEN))
CITY_OFFICE = expect(
    anonymous=LOGIN, manager_a=FORBIDDEN, manager_b=FORBIDDEN, **dict.fromkeys(PEOPLE, FORBIDDEN)
)
# Secret-token URLs: an unknown token is not found for everyone.
UNKNOWN_TOKEN = dict.fromkeys(ROLES, NOT_FOUND)
# The API (/api/v1): each role calls it with a token of every scope, anonymous people with none (401).
UNAUTHENTICATED = 401


def api(rules: dict[str, object]) -> dict[str, object]:
    return {**rules, "anonymous": UNAUTHENTICATED}


# What each API operation is sent (a valid request, so that only who asks decides the answer).
API_BODIES: dict[str, dict[str, object]] = {
    "api_bookings.create_booking": {
        "facility": "{resource}",
        "start": "2026-11-26T10:00:00+08:00",
        "end": "2026-11-26T11:00:00+08:00",
    },
    "api_bookings.move_booking": {"start": "2026-11-26T12:00:00+08:00", "end": "2026-11-26T13:00:00+08:00"},
    "api_bookings.check_in": {"code": "123456"},
    "api_bookings.join_waitlist": {
        "facility": "{resource}",
        "start": "2026-11-25T10:00:00+08:00",
        "end": "2026-11-25T11:00:00+08:00",
    },
    "api_manage.decline": {"reason": "No."},
    "api_manage.decline_series": {"reason": "No."},
    "api_manage.create_facility": {"name": {"zh": "新", "en": "New"}, "kind": "lab", "mode": "exclusive"},
    "api_manage.edit_facility": {"name": {"zh": "改", "en": "Changed"}, "kind": "lab", "mode": "exclusive"},
    "api_manage.set_facility_hours": {"hours": [{"weekday": 0, "opens": "08:00", "closes": "12:00"}]},
    "api_manage.set_facility_rules": {"allowed_categories": ["resident"]},
    "api_manage.create_quota": {"max_bookings": 3},
    "api_manage.edit_quota": {"max_bookings": 4},
    "api_manage.preview_closure": {
        "facility": "{resource}",
        "start": "2026-12-20T00:00:00+08:00",
        "end": "2026-12-21T00:00:00+08:00",
        "reason": {"en": "Repairs"},
    },
    "api_manage.decide_many": {"booking_ids": ["{pending}"], "action": "approve"},
    "api_manage.book_on_behalf": {
        "person": "{resident}",
        "facility": "{resource}",
        "start": "2026-11-26T10:00:00+08:00",
        "end": "2026-11-26T11:00:00+08:00",
        "reason": "Phoned the office",
    },
    "api_bookings.window_reminder": {"first_start": "2027-06-01T10:00:00+08:00"},
    "api_city.create_university": {"name_zh": "新大学", "name_en": "New University", "code": "NEW"},
    "api_city.edit_university": {"name_zh": "甲大学", "name_en": "University A", "code": "UA"},
    "api_city.grant_manager": {"email": "{resident_email}", "university": "{university_a}"},
    "api_city.reject_enterprise": {"reason": "No."},
    "api_city.set_target": {"percent": 20},
    "api_manage.create_webhook": {
        "url": "https://door.example.edu.cn/hooks",
        "events": ["booking.confirmed"],
    },
    "api_manage.edit_webhook": {"url": "https://door.example.edu.cn/hooks", "events": ["booking.moved"]},
}
API_BODIES["api_manage.save_kind_form"] = API_BODIES["api_manage.save_facility_form"] = {
    "questions": [{"type": "text", "label": {"zh": "人数", "en": "People"}}]
}
API_BODIES["api_manage.create_closure"] = {
    **API_BODIES["api_manage.preview_closure"],
    "cancel_booking_ids": [],
}
for _series in ("api_bookings.preview_series", "api_bookings.create_series"):
    API_BODIES[_series] = {
        **API_BODIES["api_bookings.create_booking"],
        "repeat": {"frequency": "weekly", "count": 2, "weekdays": [3]},
    }


@dataclass
class World:
    ids: dict[str, int]
    users: dict[str, object]


# endpoint -> (method, path template filled from World.ids, expected outcome per role)
MATRIX: dict[str, tuple[str, str, dict[str, object]]] = {
    "main.home": ("GET", "/", PUBLIC),
    "main.healthz": ("GET", "/healthz", PUBLIC),
    "main.set_language": ("POST", "/language", PUBLIC),
    "auth.login": ("GET", "/login", PUBLIC),
    "auth.register": ("GET", "/register", PUBLIC),
    "auth.logout": ("POST", "/logout", PUBLIC),
    "auth.profile": ("GET", "/profile", SIGNED_IN),
    "auth.change_password": ("GET", "/profile/password", SIGNED_IN),
    "auth.forgot_password": ("GET", "/password/forgot", PUBLIC),
    # The resident's own reset link: a form for them and for anonymous visitors; signed in as someone
    # else, a page that says the link is another account's (200-class: nothing leaks, nothing changes).
    "auth.reset_password": ("GET", "/password/reset/{reset_token}", PUBLIC),
    "auth.confirm_email": ("GET", "/verify/not-a-real-token-0123456789abcdef", PUBLIC),
    "auth.verify_email": ("GET", "/verify", SIGNED_IN),
    "auth.resend_verification": ("POST", "/verify/resend", SIGNED_IN),
    "auth.change_email": ("GET", "/profile/email", SIGNED_IN),
    "auth.my_data": ("GET", "/profile/data", SIGNED_IN),
    "auth.my_data_json": ("GET", "/profile/data.json", SIGNED_IN),
    "auth.delete_account": ("GET", "/profile/delete", SIGNED_IN),
    "catalog.index": ("GET", "/facilities/", PUBLIC),
    "catalog.detail": ("GET", "/facilities/{resource}", PUBLIC),
    # The world's facility has no photo: public, and not found for everyone alike.
    "catalog.photo": ("GET", "/facilities/{resource}/photo", dict.fromkeys(ROLES, NOT_FOUND)),
    "catalog.timeline": ("GET", "/facilities/timeline", PUBLIC),
    "catalog.map": ("GET", "/facilities/map", PUBLIC),
    "bookings.new": ("GET", "/facilities/{resource}/book", SIGNED_IN),
    "bookings.window_reminder": ("POST", "/facilities/{resource}/window-reminder", SIGNED_IN),
    "bookings.mine": ("GET", "/bookings", SIGNED_IN),
    "bookings.detail": ("GET", "/bookings/{booking}", OWNER_OR_ITS_MANAGERS),
    "bookings.cancel": ("POST", "/bookings/{booking}/cancel", OWNER_OR_ITS_MANAGERS),
    "bookings.confirm_cancel": ("GET", "/bookings/{booking}/cancel", OWNER_OR_ITS_MANAGERS),
    "bookings.move": ("GET", "/bookings/{booking}/move", OWNER_OR_ITS_MANAGERS),
    "calendar.booking_ics": ("GET", "/bookings/{booking}.ics", OWNER_OR_ITS_MANAGERS),
    "bookings.attachment": (
        "GET",
        "/bookings/{booking}/attachments/{attachment}",
        OWNER_OR_ITS_UNIVERSITYS_MANAGERS,
    ),
    "calendar.facility_feed": ("GET", "/facilities/{resource}/busy.ics", PUBLIC),
    "calendar.personal_feed": ("GET", "/calendar/not-a-real-token-0123456789abcdef.ics", UNKNOWN_TOKEN),
    "calendar.university_feed": (
        "GET",
        "/calendar/university/not-a-real-token-0123456789.ics",
        UNKNOWN_TOKEN,
    ),
    "caldav.principal": ("PROPFIND", "/caldav/not-a-real-token-0123456789abcdef/", UNKNOWN_TOKEN),
    "caldav.collection": ("PROPFIND", "/caldav/not-a-real-token-0123456789abcdef/bookings/", UNKNOWN_TOKEN),
    "caldav.event": ("GET", "/caldav/not-a-real-token-0123456789abcdef/bookings/x.ics", UNKNOWN_TOKEN),
    "calendar.subscribe": ("GET", "/profile/calendar", SIGNED_IN),
    "calendar.reset": ("POST", "/profile/calendar/reset", SIGNED_IN),
    "calendar.import_closures": ("GET", "/manage/closures/import", MANAGERS),
    "calendar.confirm_import": ("POST", "/manage/closures/import/confirm", MANAGERS),
    "checkin.check_in": ("GET", "/bookings/{booking}/check-in", OWNER_OR_ITS_MANAGERS),
    "checkin.submit_check_in": ("POST", "/bookings/{booking}/check-in", OWNER_OR_ITS_MANAGERS),
    "checkin.manager_check_in": ("POST", "/manage/bookings/{booking}/check-in", UNIVERSITY_A),
    "checkin.door_sign": ("GET", "/manage/bookings/{booking}/door-sign", UNIVERSITY_A),
    "checkin.qr_code": ("GET", "/manage/bookings/{booking}/checkin-qr.svg", UNIVERSITY_A),
    "checkin.today": ("GET", "/manage/today", MANAGERS),
    "checkin.suspensions": ("GET", "/manage/suspensions", MANAGERS),
    "checkin.lift_suspension": ("POST", "/manage/people/{suspended}/lift-suspension", UNIVERSITY_A),
    "waitlist.join": ("POST", "/facilities/{resource}/waitlist", SIGNED_IN),
    "waitlist.mine": ("GET", "/waitlist", SIGNED_IN),
    "waitlist.leave": ("POST", "/waitlist/{waitlist_entry}/leave", OWNER_ONLY),
    "inbox.index": ("GET", "/notifications", SIGNED_IN),
    "inbox.mark_all_read": ("POST", "/notifications/read-all", SIGNED_IN),
    "inbox.mark_read": ("POST", "/notifications/{notification}/read", OWNER_ONLY),
    "inbox.settings": ("POST", "/notifications/settings", expect(admin=FORBIDDEN, **MANAGERS_BUT_ADMIN)),
    "manage.queue": ("GET", "/manage/", MANAGERS),
    "manage.approve": ("POST", "/manage/requests/{pending}/approve", UNIVERSITY_A),
    "manage.reject": ("GET", "/manage/requests/{pending}/reject", UNIVERSITY_A),
    "manage.approve_series": ("POST", "/manage/series/{series}/approve", UNIVERSITY_A),
    "manage.reject_series": ("GET", "/manage/series/{series}/reject", UNIVERSITY_A),
    "manage.bulk": ("POST", "/manage/requests/bulk", MANAGERS),
    "manage.book_on_behalf": ("GET", "/manage/book", MANAGERS),
    "manage.facility_list": ("GET", "/manage/facilities", MANAGERS),
    "manage.facility_new": ("GET", "/manage/facilities/new", MANAGERS),
    "manage.facility_edit": ("GET", "/manage/facilities/{resource}", UNIVERSITY_A),
    "manage.facility_hours": ("GET", "/manage/facilities/{resource}/hours", UNIVERSITY_A),
    "manage.facility_policy": ("GET", "/manage/facilities/{resource}/rules", UNIVERSITY_A),
    "manage.facility_deactivate": ("POST", "/manage/facilities/{resource}/deactivate", UNIVERSITY_A),
    "manage.facility_photo": ("GET", "/manage/facilities/{resource}/photo", UNIVERSITY_A),
    "manage.confirm_facility_deactivate": ("GET", "/manage/facilities/{resource}/deactivate", UNIVERSITY_A),
    "manage.facility_activate": ("POST", "/manage/facilities/{resource}/activate", UNIVERSITY_A),
    "manage.quotas": ("GET", "/manage/quotas", MANAGERS),
    "manage.quota_delete": ("POST", "/manage/quotas/{quota}/delete", UNIVERSITY_A),
    "manage.confirm_quota_delete": ("GET", "/manage/quotas/{quota}/delete", UNIVERSITY_A),
    "manage.quota_edit": ("GET", "/manage/quotas/{quota}/edit", UNIVERSITY_A),
    "manage.closures": ("GET", "/manage/closures", MANAGERS),
    "webhooks.index": ("GET", "/manage/webhooks", MANAGERS),
    "webhooks.endpoint": ("GET", "/manage/webhooks/{webhook}", UNIVERSITY_A),
    "webhooks.send_test": ("POST", "/manage/webhooks/{webhook}/test", UNIVERSITY_A),
    "webhooks.rotate_secret": ("POST", "/manage/webhooks/{webhook}/secret", UNIVERSITY_A),
    "webhooks.delete": ("POST", "/manage/webhooks/{webhook}/delete", UNIVERSITY_A),
    "manage.closure_delete": ("POST", "/manage/closures/{closure}/delete", UNIVERSITY_A),
    "manage.confirm_closure_delete": ("GET", "/manage/closures/{closure}/delete", UNIVERSITY_A),
    "applications.index": ("GET", "/manage/applications/", MANAGERS),
    "applications.kind_form": ("GET", "/manage/applications/kinds/lab", MANAGERS),
    "applications.facility_form": ("GET", "/manage/applications/facilities/{resource}", UNIVERSITY_A),
    "applications.export": (
        "GET",
        "/manage/applications/facilities/{resource}/requests.csv",
        {**UNIVERSITY_A, "admin": NOT_FOUND},
    ),
    "people.students": ("GET", "/manage/people/students", STUDENT_LISTS),
    "people.verify": ("POST", "/manage/people/students/{unverified_student}/verify", STUDENTS_OF_A),
    "people.reject": ("POST", "/manage/people/students/{unverified_student}/reject", STUDENTS_OF_A),
    "audit.index": ("GET", "/audit", MANAGERS),
    "reports.dashboard": ("GET", "/reports", MANAGERS),
    "reports.export": ("GET", "/reports/facilities.xlsx", MANAGERS),
    "reports.transparency": ("GET", "/transparency", PUBLIC),
    "admin.index": ("GET", "/admin/", CITY_OFFICE),
    "admin.universities": ("GET", "/admin/universities", CITY_OFFICE),
    "admin.new_university": ("GET", "/admin/universities/new", CITY_OFFICE),
    "admin.edit_university": ("GET", "/admin/universities/{university_a}/edit", CITY_OFFICE),
    "admin.managers": ("GET", "/admin/managers", CITY_OFFICE),
    "admin.revoke_manager": ("POST", "/admin/managers/{manager_b}/revoke", CITY_OFFICE),
    "admin.confirm_revoke_manager": ("GET", "/admin/managers/{manager_b}/revoke", CITY_OFFICE),
    "admin.enterprises": ("GET", "/admin/enterprises", CITY_OFFICE),
    "admin.targets": ("GET", "/admin/targets", CITY_OFFICE),
    "admin.set_target": ("POST", "/admin/targets/{university_a}", CITY_OFFICE),
    "admin.enterprise": ("GET", "/admin/enterprises/{enterprise_org}", CITY_OFFICE),
    "admin.verify_enterprise": ("POST", "/admin/enterprises/{enterprise_org}/verify", CITY_OFFICE),
    "admin.reject_enterprise": ("POST", "/admin/enterprises/{enterprise_org}/reject", CITY_OFFICE),
    # Campus sign-on: anyone may start one (a page that moves on to the university's CAS login page).
    "sso.start": ("POST", "/sso/{university_a}/start", PUBLIC),
    # Without a sign-in started in this browser, the callback and the new-account page refuse (400) alike.
    "sso.callback": ("GET", "/sso/{university_a}/callback?ticket=ST-1-matrix", PUBLIC),
    "sso.new_account": ("GET", "/sso/new-account", PUBLIC),
    "sso.connections": ("GET", "/sso/", SIGNED_IN),
    "sso_admin.index": ("GET", "/admin/sign-on/", CITY_OFFICE),
    "sso_admin.edit": ("GET", "/admin/sign-on/{university_a}", CITY_OFFICE),
    "auth.tokens": ("GET", "/profile/tokens", SIGNED_IN),
    "auth.revoke_token": ("POST", "/profile/tokens/{api_token}/revoke", OWNER_ONLY),
    "api_docs.openapi": ("GET", "/api/v1/openapi.json", PUBLIC),
    "api_docs.docs": ("GET", "/api/v1/docs", PUBLIC),
    "api_facilities.list_facilities": ("GET", "/api/v1/facilities", api(PUBLIC)),
    "api_facilities.get_facility": ("GET", "/api/v1/facilities/{resource}", api(PUBLIC)),
    "api_facilities.availability": ("GET", "/api/v1/facilities/{resource}/availability", api(PUBLIC)),
    "api_bookings.my_bookings": ("GET", "/api/v1/bookings", api(PUBLIC)),
    "api_bookings.get_booking": ("GET", "/api/v1/bookings/{booking}", api(OWNER_OR_ITS_MANAGERS)),
    "api_bookings.create_booking": ("POST", "/api/v1/bookings", api(PUBLIC)),
    "api_bookings.preview_series": ("POST", "/api/v1/series/preview", api(PUBLIC)),
    "api_bookings.create_series": ("POST", "/api/v1/series", api(PUBLIC)),
    "api_bookings.move_booking": ("POST", "/api/v1/bookings/{booking}/move", api(OWNER_OR_ITS_MANAGERS)),
    "api_bookings.cancel_booking": ("POST", "/api/v1/bookings/{booking}/cancel", api(OWNER_OR_ITS_MANAGERS)),
    "api_bookings.check_in": ("POST", "/api/v1/bookings/{booking}/check-in", api(OWNER_OR_ITS_MANAGERS)),
    "api_bookings.join_waitlist": ("POST", "/api/v1/waitlist", api(PUBLIC)),
    "api_bookings.leave_waitlist": ("POST", "/api/v1/waitlist/{waitlist_entry}/leave", api(OWNER_ONLY)),
    "api_manage.approval_queue": ("GET", "/api/v1/approvals", api(MANAGERS)),
    "api_manage.approve": ("POST", "/api/v1/approvals/{pending}/approve", api(UNIVERSITY_A)),
    "api_manage.decline": ("POST", "/api/v1/approvals/{pending}/decline", api(UNIVERSITY_A)),
    "api_manage.report": ("GET", "/api/v1/reports", api(MANAGERS)),
    "api_bookings.my_waitlist": ("GET", "/api/v1/waitlist", api(PUBLIC)),
    "api_manage.approve_series": ("POST", "/api/v1/series/{series}/approve", api(UNIVERSITY_A)),
    "api_manage.decline_series": ("POST", "/api/v1/series/{series}/decline", api(UNIVERSITY_A)),
    "api_manage.list_managed_facilities": ("GET", "/api/v1/manage/facilities", api(MANAGERS)),
    "api_manage.create_facility": ("POST", "/api/v1/manage/facilities", api(MANAGERS)),
    "api_manage.get_managed_facility": ("GET", "/api/v1/manage/facilities/{resource}", api(UNIVERSITY_A)),
    "api_manage.edit_facility": ("PUT", "/api/v1/manage/facilities/{resource}", api(UNIVERSITY_A)),
    "api_manage.set_facility_hours": ("PUT", "/api/v1/manage/facilities/{resource}/hours", api(UNIVERSITY_A)),
    "api_manage.set_facility_rules": ("PUT", "/api/v1/manage/facilities/{resource}/rules", api(UNIVERSITY_A)),
    "api_manage.activate_facility": (
        "POST",
        "/api/v1/manage/facilities/{resource}/activate",
        api(UNIVERSITY_A),
    ),
    "api_manage.deactivate_facility": (
        "POST",
        "/api/v1/manage/facilities/{resource}/deactivate",
        api(UNIVERSITY_A),
    ),
    "api_manage.list_quotas": ("GET", "/api/v1/manage/quotas", api(MANAGERS)),
    "api_manage.create_quota": ("POST", "/api/v1/manage/quotas", api(MANAGERS)),
    "api_manage.edit_quota": ("PUT", "/api/v1/manage/quotas/{quota}", api(UNIVERSITY_A)),
    "api_manage.delete_quota": ("DELETE", "/api/v1/manage/quotas/{quota}", api(UNIVERSITY_A)),
    "api_manage.list_closures": ("GET", "/api/v1/manage/closures", api(MANAGERS)),
    "api_manage.preview_closure": ("POST", "/api/v1/manage/closures/preview", api(UNIVERSITY_A)),
    "api_manage.create_closure": ("POST", "/api/v1/manage/closures", api(UNIVERSITY_A)),
    "api_manage.delete_closure": ("DELETE", "/api/v1/manage/closures/{closure}", api(UNIVERSITY_A)),
    "api_manage.decide_many": ("POST", "/api/v1/approvals/bulk", api(UNIVERSITY_A)),
    "api_manage.book_on_behalf": ("POST", "/api/v1/manage/bookings", api(UNIVERSITY_A)),
    "api_manage.desk_today": ("GET", "/api/v1/manage/today", api(MANAGERS)),
    "api_manage.manager_check_in": (
        "POST",
        "/api/v1/manage/bookings/{booking}/check-in",
        api(UNIVERSITY_A),
    ),
    "api_manage.get_kind_form": ("GET", "/api/v1/manage/application-forms/lab", api(MANAGERS)),
    "api_manage.save_kind_form": ("PUT", "/api/v1/manage/application-forms/lab", api(MANAGERS)),
    "api_manage.get_facility_form": (
        "GET",
        "/api/v1/manage/facilities/{resource}/application-form",
        api(UNIVERSITY_A),
    ),
    "api_manage.save_facility_form": (
        "PUT",
        "/api/v1/manage/facilities/{resource}/application-form",
        api(UNIVERSITY_A),
    ),
    "api_manage.list_suspensions": ("GET", "/api/v1/manage/suspensions", api(MANAGERS)),
    "api_manage.lift_suspension": (
        "POST",
        "/api/v1/manage/people/{suspended}/lift-suspension",
        api(UNIVERSITY_A),
    ),
    "api_bookings.window_reminder": ("POST", "/api/v1/facilities/{resource}/window-reminder", api(PUBLIC)),
    "api_manage.export_report": ("GET", "/api/v1/reports/export?format=xlsx", api(MANAGERS)),
    "api_manage.export_requests": (
        "GET",
        "/api/v1/facilities/{resource}/requests/export",
        api({**UNIVERSITY_A, "admin": NOT_FOUND}),
    ),
    "api_public.transparency": ("GET", "/api/v1/transparency", PUBLIC),  # no token needed
    "api_manage.audit_log": ("GET", "/api/v1/audit", api(MANAGERS)),
    "api_city.list_universities": ("GET", "/api/v1/universities", api(CITY_OFFICE)),
    "api_city.create_university": ("POST", "/api/v1/universities", api(CITY_OFFICE)),
    "api_city.edit_university": ("PUT", "/api/v1/universities/{university_a}", api(CITY_OFFICE)),
    "api_city.list_managers": ("GET", "/api/v1/managers", api(CITY_OFFICE)),
    "api_city.grant_manager": ("POST", "/api/v1/managers", api(CITY_OFFICE)),
    "api_city.revoke_manager": ("POST", "/api/v1/managers/{manager_b}/revoke", api(CITY_OFFICE)),
    "api_city.list_enterprises": ("GET", "/api/v1/enterprises", api(CITY_OFFICE)),
    "api_city.get_enterprise": ("GET", "/api/v1/enterprises/{enterprise_org}", api(CITY_OFFICE)),
    "api_city.verify_enterprise": ("POST", "/api/v1/enterprises/{enterprise_org}/verify", api(CITY_OFFICE)),
    "api_city.reject_enterprise": ("POST", "/api/v1/enterprises/{enterprise_org}/reject", api(CITY_OFFICE)),
    "api_city.list_targets": ("GET", "/api/v1/targets", api(CITY_OFFICE)),
    "api_city.set_target": ("PUT", "/api/v1/targets/{university_a}", api(CITY_OFFICE)),
    "api_manage.list_webhooks": ("GET", "/api/v1/webhooks", api(MANAGERS)),
    "api_manage.create_webhook": ("POST", "/api/v1/webhooks", api(MANAGERS)),
    "api_manage.get_webhook": ("GET", "/api/v1/webhooks/{webhook}", api(UNIVERSITY_A)),
    "api_manage.edit_webhook": ("PUT", "/api/v1/webhooks/{webhook}", api(UNIVERSITY_A)),
    "api_manage.test_webhook": ("POST", "/api/v1/webhooks/{webhook}/test", api(UNIVERSITY_A)),
    "api_manage.rotate_webhook_secret": ("POST", "/api/v1/webhooks/{webhook}/secret", api(UNIVERSITY_A)),
    "api_manage.delete_webhook": ("DELETE", "/api/v1/webhooks/{webhook}", api(UNIVERSITY_A)),
}
NOT_ROUTES = {"static", "bootstrap.static"}
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def build_world() -> World:
    a, b = make_university(name_en="University A"), make_university(name_en="University B")
    court_a = make_resource(a)
    # Its CAS server is never asked: no sign-in is ever started and completed here.
    db.session.add(
        CampusSignOn(
            university_id=a.id, server_url="http://127.0.0.1:9/cas/", number_attribute="uid", enabled=True
        )
    )
    make_resource(b)
    company = make_enterprise(verified=False)
    users = {
        "resident": make_user(),
        "unverified_student": make_user(
            Category.STUDENT, organization_id=a.id, student_number="S1", verification=Verification.PENDING
        ),
        "student": make_user(Category.STUDENT, organization_id=a.id, student_number="S2"),
        "enterprise": make_user(Category.ENTERPRISE, organization_id=make_enterprise().id),
        "manager_b": make_manager(b),
        "manager_a": make_manager(a),
        "admin": make_admin(),
    }
    resident = users["resident"]
    suspended = make_user(suspended_until=NOW + timedelta(days=30))
    tomorrow = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    booking = make_booking(court_a, resident, tomorrow, checkin_code="123456")
    series = Series(
        user_id=resident.id,
        resource_id=court_a.id,
        frequency=Frequency.WEEKLY,
        interval=1,
        weekdays=[2],
        count=2,
        local_start=tomorrow.time(),
        duration_minutes=60,
    )
    db.session.add(series)
    db.session.commit()
    pending = make_booking(court_a, resident, tomorrow + timedelta(hours=3), status=BookingStatus.PENDING)
    make_booking(
        court_a, resident, tomorrow + timedelta(days=7), status=BookingStatus.PENDING, series_id=series.id
    )
    make_booking(court_a, suspended, datetime(2026, 11, 20, 2, tzinfo=UTC), status=BookingStatus.NO_SHOW)
    entry = WaitlistEntry(
        resource_id=court_a.id, user_id=resident.id, start_at=tomorrow, end_at=tomorrow + timedelta(hours=1)
    )
    attachment = _application_with_a_file(court_a, booking)
    notification = Notification(
        user_id=resident.id, kind="booking_reminder", params={"resource": "x", "when": "y"}
    )
    db.session.add_all([entry, notification])
    reset = account_links.issue(
        resident.id, account_links.RESET_PASSWORD, resident.email, now=NOW, lifetime=timedelta(days=3650)
    )
    db.session.commit()
    ids = {
        "resource": court_a.id,
        "booking": booking.id,
        "pending": pending.id,
        "series": series.id,
        "quota": make_quota(a, max_bookings=5).id,
        "closure": make_closure(court_a, tomorrow + timedelta(days=20), tomorrow + timedelta(days=21)).id,
        "suspended": suspended.id,
        "resident": resident.id,
        "unverified_student": users["unverified_student"].id,
        "waitlist_entry": entry.id,
        "notification": notification.id,
        "university_a": a.id,
        "manager_b": users["manager_b"].id,
        "enterprise_org": company.id,
        "attachment": attachment.id,
        "reset_token": reset.token,
        "api_token": api_tokens.create(resident, "matrix", {Scope.READ}, now=NOW).token.id,
        "webhook": _webhook(a).id,
    }
    return World(ids=ids, users=users)


def _webhook(university) -> WebhookEndpoint:
    """University A's door system; nothing listens on its port (9, discard), so a test event fails at once."""
    endpoint = WebhookEndpoint(
        university_id=university.id,
        url="http://127.0.0.1:9/hooks",
        events=["booking.confirmed"],
        secret=webhooks.seal(webhooks.new_secret()),
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def _application_with_a_file(resource, booking) -> Attachment:
    """The facility asks questions, terms and an optional file (so the sweep meets them on the booking form);
    the booking answered them with a PDF stored in ATTACHMENT_DIR."""
    form = make_application_form(resource)
    application = Application(
        form_id=form.id,
        booking_id=booking.id,
        answers={"qpeople": 2, "qhazard": 0, "qtrained": True, "qplan": "Tests"},
        terms_accepted_at=NOW,
    )
    directory = Path(current_app.config["ATTACHMENT_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.pdf"
    (directory / name).write_bytes(b"%PDF-1.4\n%%EOF\n")
    attachment = Attachment(
        stored_name=name, original_name="plan.pdf", content_type="application/pdf", size=15
    )
    application.attachments.append(attachment)
    db.session.add(application)
    db.session.commit()
    return attachment


def outcome_of(response, role: str) -> object:
    if (
        response.status_code == 302
        and "/login" in response.headers.get("Location", "")
        and role == "anonymous"
    ):
        return LOGIN
    if response.status_code in (401, 403, 404):
        return response.status_code
    assert response.status_code < 500, f"{role}: {response.status_code}"
    return OK


def _call_api(client: FlaskClient, endpoint: str, method: str, path: str, world: World, role: str):
    """The API as the role's program calls it: a token with every scope (none for anonymous), no cookie."""
    headers = {}
    if role != "anonymous":
        secret = api_tokens.create(world.users[role], "matrix", set(Scope), now=NOW).secret
        headers["Authorization"] = f"Bearer {secret}"
    body = _filled(API_BODIES.get(endpoint, {}), world)
    return client.open(path, method=method, json=body if method in ("POST", "PUT") else None, headers=headers)


def _filled(value: object, world: World) -> object:
    """A body with its "{name}" placeholders (at any depth) replaced by the world's ids, and
    "{resident_email}" by the resident's address."""
    if value == "{resident_email}":
        return world.users["resident"].email
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in world.ids:
        return world.ids[value[1:-1]]
    if isinstance(value, dict):
        return {key: _filled(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, world) for item in value]
    return value


def test_every_endpoint_is_in_the_matrix(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_ROUTES
    assert endpoints - MATRIX.keys() == set(), "new endpoints need an authorization rule in MATRIX"
    assert MATRIX.keys() - endpoints == set(), "MATRIX names endpoints that no longer exist"


def test_every_matrix_entry_uses_a_method_its_route_accepts(app: Flask) -> None:
    methods = {rule.endpoint: rule.methods for rule in app.url_map.iter_rules()}
    for endpoint, (method, _path, _rules) in MATRIX.items():
        assert method in methods[endpoint], endpoint


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_each_role_gets_exactly_what_it_may(app: Flask, endpoint: str) -> None:
    method, template, expected = MATRIX[endpoint]
    seen = {}
    for role in ROLES:
        # A fresh world per role: an allowed deletion must not turn the next role's answer into 404.
        db.session.remove()
        clear_database()
        world = build_world()
        path = template.format(**world.ids)
        client: FlaskClient = app.test_client()
        if path.startswith("/api/v1/") and endpoint != "api_docs.openapi" and endpoint != "api_docs.docs":
            seen[role] = outcome_of(_call_api(client, endpoint, method, path, world, role), role)
            continue
        if role != "anonymous":
            login = client.post("/login", data={"email": world.users[role].email, "password": PASSWORD})
            assert login.status_code == 302, role
        response = client.open(path, method=method, data={})
        seen[role] = outcome_of(response, role)
    assert seen == expected
