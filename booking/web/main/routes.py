"""Site-wide pages: the home page and the language switcher."""

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from booking.services import accounts
from booking.web.safety import safe_next_url
from models import ResourceKind

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    from booking.services import catalog

    return render_template("main/home.html", kinds=list(ResourceKind), counts=catalog.kind_counts())


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """Liveness for load balancers and the benchmark's framework ceiling: no database, no template."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.post("/language")
def set_language() -> Response:
    """Switch language; a logged-in user's choice is saved to the profile so it wins next time."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            accounts.set_locale(current_user, locale)
    return redirect(safe_next_url(request.form.get("next")) or url_for("main.home"))
