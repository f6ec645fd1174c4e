"""Parity: every page action has its API operation(s), or is declared page-only (or later) with the reason.

A new page endpoint fails `test_every_page_action_is_accounted_for` until it names its API operation here or
says why a program has no use for it."""

from flask import Flask

API = "api"

# Why some actions stay on the pages (each reason is one sentence a reviewer can disagree with).
BROWSER = "page-only: a page of the browser itself (navigation, language, a confirmation step, a form's GET)"
ACCOUNT = "page-only: account sign-in, sign-up and recovery are for the person, never for a token"
TOKENS = "page-only: a token must not mint or revoke tokens; the person does it signed in"
PERSONAL = "page-only: personal data (export, deletion, notifications) stays with the signed-in person"
CALENDAR = "page-only: calendars are served as iCalendar/CalDAV feeds, already a machine interface"
SIGN_ON = "page-only: campus sign-on is a browser redirect through the university's CAS server"
IMPORT = (
    "page-only: importing an iCalendar file is a person's upload and review of a preview; a program adds "
    "each closure with api_manage.create_closure after api_manage.preview_closure"
)
FILES = (
    "page-only: a binary file for a person to look at (a facility's public photo, a request's attached "
    "document, a check-in QR image), not data for a program; the API gives the data they show"
)

PARITY: dict[str, str] = {
    "main.home": BROWSER,
    "main.healthz": "page-only: the load balancer's health check, not an action",
    "main.set_language": "page-only: the API speaks the Accept-Language of each request",
    "auth.login": ACCOUNT,
    "auth.register": ACCOUNT,
    "auth.logout": ACCOUNT,
    "auth.profile": PERSONAL,
    "auth.change_password": ACCOUNT,
    "auth.forgot_password": ACCOUNT,
    "auth.reset_password": ACCOUNT,
    "auth.confirm_email": ACCOUNT,
    "auth.verify_email": ACCOUNT,
    "auth.resend_verification": ACCOUNT,
    "auth.change_email": ACCOUNT,
    "auth.my_data": PERSONAL,
    "auth.my_data_json": PERSONAL,
    "auth.delete_account": PERSONAL,
    "auth.tokens": TOKENS,
    "auth.revoke_token": TOKENS,
    "catalog.index": "api_facilities.list_facilities",
    "catalog.detail": "api_facilities.get_facility api_facilities.availability",
    "catalog.photo": FILES,
    "catalog.timeline": "api_facilities.list_facilities",
    "catalog.map": "api_facilities.list_facilities",
    "bookings.new": "api_bookings.create_booking",
    "bookings.window_reminder": "api_bookings.window_reminder",
    "bookings.mine": "api_bookings.my_bookings",
    "bookings.detail": "api_bookings.get_booking",
    "bookings.cancel": "api_bookings.cancel_booking",
    "bookings.confirm_cancel": BROWSER,
    "bookings.move": "api_bookings.move_booking",
    "bookings.attachment": FILES,
    "calendar.booking_ics": CALENDAR,
    "calendar.facility_feed": CALENDAR,
    "calendar.personal_feed": CALENDAR,
    "calendar.university_feed": CALENDAR,
    "caldav.principal": CALENDAR,
    "caldav.collection": CALENDAR,
    "caldav.event": CALENDAR,
    "calendar.subscribe": CALENDAR,
    "calendar.reset": CALENDAR,
    "calendar.import_closures": IMPORT,
    "calendar.confirm_import": IMPORT,
    "checkin.check_in": BROWSER,
    "checkin.submit_check_in": "api_bookings.check_in",
    "checkin.manager_check_in": "api_manage.manager_check_in",
    "checkin.door_sign": "page-only: a printed door sign",
    "checkin.qr_code": FILES,
    "checkin.today": "api_manage.desk_today",
    "checkin.suspensions": "api_manage.list_suspensions",
    "checkin.lift_suspension": "api_manage.lift_suspension",
    "waitlist.join": "api_bookings.join_waitlist",
    "waitlist.mine": "api_bookings.my_waitlist",
    "waitlist.leave": "api_bookings.leave_waitlist",
    "inbox.index": PERSONAL,
    "inbox.mark_all_read": PERSONAL,
    "inbox.mark_read": PERSONAL,
    "inbox.settings": PERSONAL,
    "manage.queue": "api_manage.approval_queue",
    "manage.approve": "api_manage.approve",
    "manage.reject": "api_manage.decline",
    "manage.approve_series": "api_manage.approve_series",
    "manage.reject_series": "api_manage.decline_series",
    "manage.bulk": "api_manage.decide_many",
    "manage.book_on_behalf": "api_manage.book_on_behalf",
    "manage.facility_list": "api_manage.list_managed_facilities",
    "manage.facility_new": "api_manage.create_facility",
    "manage.facility_edit": "api_manage.get_managed_facility api_manage.edit_facility",
    "manage.facility_hours": "api_manage.set_facility_hours",
    "manage.facility_policy": "api_manage.set_facility_rules",
    "manage.facility_deactivate": "api_manage.deactivate_facility",
    "manage.facility_photo": FILES,
    "manage.confirm_facility_deactivate": BROWSER,
    "manage.facility_activate": "api_manage.activate_facility",
    "manage.quotas": "api_manage.list_quotas api_manage.create_quota",
    "manage.quota_delete": "api_manage.delete_quota",
    "manage.confirm_quota_delete": BROWSER,
    "manage.quota_edit": "api_manage.edit_quota",
    "manage.closures": "api_manage.list_closures api_manage.preview_closure api_manage.create_closure",
    "manage.closure_delete": "api_manage.delete_closure",
    "manage.confirm_closure_delete": BROWSER,
    "applications.index": "api_manage.get_kind_form api_manage.get_facility_form",
    "applications.kind_form": "api_manage.get_kind_form api_manage.save_kind_form",
    "applications.facility_form": "api_manage.get_facility_form api_manage.save_facility_form",
    "applications.export": "api_manage.export_requests",
    "people.students": "page-only: student verification looks at the person's documents",
    "people.verify": "page-only: student verification looks at the person's documents",
    "people.reject": "page-only: student verification looks at the person's documents",
    "audit.index": "api_manage.audit_log",
    "reports.dashboard": "api_manage.report",
    "reports.export": "api_manage.export_report",
    "reports.transparency": "api_public.transparency",
    "admin.index": "api_city.list_universities api_city.list_managers api_city.list_enterprises",
    "admin.universities": "api_city.list_universities",
    "admin.new_university": "api_city.create_university",
    "admin.edit_university": "api_city.edit_university",
    "admin.managers": "api_city.list_managers api_city.grant_manager",
    "admin.revoke_manager": "api_city.revoke_manager",
    "admin.confirm_revoke_manager": BROWSER,
    "admin.enterprises": "api_city.list_enterprises",
    "admin.targets": "api_city.list_targets",
    "admin.set_target": "api_city.set_target",
    "admin.enterprise": "api_city.get_enterprise",
    "admin.verify_enterprise": "api_city.verify_enterprise",
    "admin.reject_enterprise": "api_city.reject_enterprise",
    "sso.start": SIGN_ON,
    "sso.callback": SIGN_ON,
    "sso.new_account": SIGN_ON,
    "sso.connections": SIGN_ON,
    "sso_admin.index": SIGN_ON,
    "sso_admin.edit": SIGN_ON,
    "webhooks.index": "api_manage.list_webhooks api_manage.create_webhook",
    "webhooks.endpoint": "api_manage.get_webhook api_manage.edit_webhook",
    "webhooks.send_test": "api_manage.test_webhook",
    "webhooks.rotate_secret": "api_manage.rotate_webhook_secret",
    "webhooks.delete": "api_manage.delete_webhook",
}
NOT_ACTIONS = {"static", "bootstrap.static", "api_docs.openapi", "api_docs.docs"}


def _page_endpoints(app: Flask) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in NOT_ACTIONS and not rule.endpoint.startswith("api_")
    }


def test_every_page_action_is_accounted_for(app: Flask) -> None:
    pages = _page_endpoints(app)
    assert pages - PARITY.keys() == set(), "a new page action needs its API operation or a reason here"
    assert PARITY.keys() - pages == set(), "PARITY names page actions that no longer exist"


def test_every_named_api_operation_exists(app: Flask) -> None:
    operations = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api_")}
    named = {name for value in PARITY.values() if value.startswith("api_") for name in value.split()}
    assert named - operations == set()


def test_every_reason_says_whether_it_is_page_only_or_later() -> None:
    for endpoint, value in PARITY.items():
        assert value.startswith(("api_", "page-only: ", "later: ")), endpoint


def test_every_api_operation_serves_a_page_action(app: Flask) -> None:
    operations = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api_") and rule.endpoint not in NOT_ACTIONS
    }
    served = {name for value in PARITY.values() if value.startswith("api_") for name in value.split()}
    # Series preview and booking are the booking page's two buttons (bookings.new), spelled as operations.
    assert operations - served == {"api_bookings.preview_series", "api_bookings.create_series"}
