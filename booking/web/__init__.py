"""The web layer: blueprints that parse input, authorize, call one service, and render."""

from flask import Flask

from booking.web import caching, errors, forms, input, labels
from booking.web.applications import display as application_display
from booking.web.manage import sections


def register_web(app: Flask) -> None:
    input.register_converters(app)
    from booking.web.admin.routes import bp as admin_bp
    from booking.web.applications.routes import bp as applications_bp
    from booking.web.audit.routes import bp as audit_bp
    from booking.web.auth.routes import bp as auth_bp
    from booking.web.bookings.routes import bp as bookings_bp
    from booking.web.calendar.dav import bp as caldav_bp
    from booking.web.calendar.routes import bp as calendar_bp
    from booking.web.catalog.routes import bp as catalog_bp
    from booking.web.checkin.routes import bp as checkin_bp
    from booking.web.inbox.routes import bp as inbox_bp
    from booking.web.main.routes import bp as main_bp
    from booking.web.manage.routes import bp as manage_bp
    from booking.web.people.routes import bp as people_bp
    from booking.web.reports.routes import bp as reports_bp
    from booking.web.sso.admin import bp as sso_admin_bp
    from booking.web.sso.routes import bp as sso_bp
    from booking.web.waitlist.routes import bp as waitlist_bp
    from booking.web.webhooks.routes import bp as webhooks_bp

    for blueprint in (
        main_bp,
        auth_bp,
        catalog_bp,
        bookings_bp,
        calendar_bp,
        caldav_bp,
        checkin_bp,
        waitlist_bp,
        manage_bp,
        applications_bp,
        people_bp,
        inbox_bp,
        audit_bp,
        reports_bp,
        admin_bp,
        sso_bp,
        sso_admin_bp,
        webhooks_bp,
    ):
        app.register_blueprint(blueprint)
    errors.register(app)
    from booking.web import api

    api.register(app)
    caching.register(app)
    labels.register(app)
    input.register(app)
    forms.register(app)
    sections.register(app)
    application_display.register(app)
