"""Campus–City Booking: the Flask application factory, with its extensions and blueprints bound.

`flask --app booking.app <command>` and `gunicorn 'booking.app:create_app()'` start here.
"""

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask
from flask_babel import lazy_gettext
from werkzeug.middleware.proxy_fix import ProxyFix

from booking.config import Config, config_from_environment, instance_secret_key, served_base_url, shipped
from booking.database import configure_engine, end_session
from booking.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate, talisman
from booking.web.locales import install_template_gettext, select_locale


def _served_base_url() -> str | None:
    """Under `flask run`, the address it serves (its --host and --port); None for any other command."""
    context = click.get_current_context(silent=True)
    if context is None or context.info_name != "run":
        return None
    host, port = context.params.get("host"), context.params.get("port")
    return served_base_url(str(host or "127.0.0.1"), int(port or 5000))


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    # Named "booking" (not __name__) so the logger and the instance folder stay as they were:
    # <checkout>/instance, or <prefix>/var/booking-instance once installed; INSTANCE_PATH overrides both.
    app = Flask(
        "booking",
        template_folder=str(shipped("templates")),
        static_folder=str(shipped("static")),
        instance_path=os.environ.get("INSTANCE_PATH") or None,
    )
    if isinstance(config, dict):
        app.config.from_object(config_from_environment())
        app.config.update(config)
    else:
        app.config.from_object(config or config_from_environment())
    _fill_instance_defaults(app)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY is not set. Production needs a long random SECRET_KEY in the environment, e.g. "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    if app.config.get("BASE_URL_FROM_SERVER"):
        app.config["BASE_URL"] = _served_base_url() or app.config["BASE_URL"]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if app.config["TRUSTED_PROXIES"]:
        # The client's address and scheme as the last N proxies saw them; a client's own X-Forwarded-For
        # entries lie further left and are ignored.
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    _init_extensions(app)
    _register_blueprints(app)

    from booking.cli import register_commands

    register_commands(app)

    from booking.jobs import start_in_process

    start_in_process(app)
    return app


def _fill_instance_defaults(app: Flask) -> None:
    """What the environment left unset and lives in the instance folder: the SQLite file, the photos, the
    requests' attachments and, in development, a secret key generated once (sessions survive restarts)."""
    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'booking.sqlite3'}"
    for key, folder in (("PHOTO_DIR", "photos"), ("ATTACHMENT_DIR", "attachments")):
        if not app.config.get(key):
            app.config[key] = str(instance / folder)
    if not app.config.get("SECRET_KEY") and app.config.get("GENERATE_SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(instance)


def _tile_sources(tile_url: str) -> list[str]:
    """The map tile server's origin for the CSP's img-src ("{s}" subdomains become a wildcard)."""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    return [f"{parts.scheme}://{parts.netloc}"]


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, test_setup_writes=app.testing)
    # Runs before Flask-SQLAlchemy's teardown (last registered, first run), which then has nothing to close.
    app.teardown_appcontext(lambda _exc: end_session(db.session))
    from booking.services import search

    search.register()
    migrate.init_app(app, db, directory=str(shipped("migrations")), render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    bootstrap.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
        strict_transport_security=app.config["FORCE_HTTPS"],
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": " ".join(["'self'", "data:", *_tile_sources(app.config.get("MAP_TILE_URL", ""))]),
            "font-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        },
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
    )

    from booking.web.auth import sessions

    sessions.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from booking.web import register_web

    register_web(app)
