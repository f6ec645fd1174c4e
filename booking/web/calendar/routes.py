"""Calendar routes: one booking's .ics, the personal/university/facility feeds, the subscribe page, and the
academic-calendar closure import.

Feeds are fetched by calendar clients without cookies: the personal and university feeds are opened by a
secret token in the path (never logged, see booking/redaction.py), the facility feed is public. All carry a
weak ETag and a Last-Modified from a one-query aggregate and answer a matching If-None-Match (or, without
one, an If-Modified-Since no older than the last change) with 304 before loading a row.
"""

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, SelectMultipleField, SubmitField

from booking import clock, ics
from booking.extensions import csrf
from booking.locales import babel_locale
from booking.redaction import REDACT_FEED_TOKENS
from booking.services import bookings
from booking.services import calendar as feeds
from booking.services.permissions import Role, can_manage, has_role
from booking.web.errors import refusals, show_invalid
from booking.web.forms import Form, posted
from booking.web.input import parse_id, parse_index
from booking.web.labels import locale_code, localized
from models import User

bp = Blueprint("calendar", __name__)

# Changing what a feed looks like? Raise this, so every client's cached copy is replaced.
FEED_FORMAT = 1
# Opened by a secret token and full of personal data: no cache keeps a copy (ETag/304 still answer polls).
PERSONAL_CACHE = "private, no-store"
PUBLIC_CACHE = "public, max-age=300"
# The preview of an import travels through the browser, signed; after this long it must be uploaded again.
PLAN_MAX_AGE = 3600
# An upload request: the file plus room for the multipart envelope and the other fields.
UPLOAD_REQUEST_LIMIT = feeds.MAX_IMPORT_BYTES + 64 * 1024
# A confirmed preview of up to 1,000 closures, signed and compressed, fits well within this.
CONFIRM_FORM_LIMIT = 4 * 1024 * 1024


# --- keeping tokens out of logs -------------------------------------------------------------------


@bp.record_once
def _keep_tokens_out_of_logs(state: BlueprintSetupState) -> None:
    logging.getLogger("werkzeug").addFilter(REDACT_FEED_TOKENS)
    state.app.logger.addFilter(REDACT_FEED_TOKENS)  # "Exception on /calendar/... [GET]"


# --- forms ----------------------------------------------------------------------------------------


class FeedLinkForm(Form):
    submit = SubmitField(_l("Create a new link"))


class ClosureUploadForm(Form):
    # Any id is accepted here; the view asks whether the user manages it (404 if not).
    university = SelectField(_l("University"), coerce=parse_id, validate_choice=False)
    file = FileField(
        _l("Academic calendar (.ics file)"), validators=[FileRequired(_l("Choose an .ics file."))]
    )
    submit = SubmitField(_l("Preview"))


class ClosureConfirmForm(Form):
    plan = HiddenField()
    include = SelectMultipleField(coerce=parse_index, validate_choice=False)
    submit = SubmitField(_l("Create the selected closures"))


# --- responses ------------------------------------------------------------------------------------


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _calendar_response(
    body: bytes | None, filename: str, *, etag: str, last_modified: datetime | None, cache: str
) -> Response:
    """The .ics (or, with no body, a 304) with the validators and caching that calendar clients poll with."""
    response = Response(body if body is not None else b"", status=200 if body is not None else 304)
    if body is not None:
        response.headers["Content-Type"] = ics.MEDIA_TYPE
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response.headers.pop("Content-Type", None)
    response.set_etag(etag, weak=True)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = cache
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _etag(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in (FEED_FORMAT, *parts)).encode()).hexdigest()[:32]


def _not_modified(etag: str, last_modified: datetime | None) -> bool:
    """Whether the client's copy is current: If-None-Match when sent (it wins, RFC 9110 13.2.2), else
    If-Modified-Since against the last change (whole seconds, as the header carries them)."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and last_modified is not None and last_modified.replace(microsecond=0) <= since


def _feed(
    scope: feeds.FeedScope,
    *,
    locale: str,
    generation: str,
    name: str,
    filename: str,
    links: ics.Links,
    public: bool,
    cache: str,
) -> Response:
    now = clock.now()
    state = feeds.feed_state(scope, now)
    # The window moves with the date; the token's generation makes a reset link look new to caches.
    etag = _etag(
        scope, state.count, state.last_modified, state.sequence_total, locale, generation, now.date()
    )
    if _not_modified(etag, state.last_modified):
        return _calendar_response(None, filename, etag=etag, last_modified=state.last_modified, cache=cache)
    texts = feeds.calendar_texts(locale)
    make = feeds.public_feed if public else feeds.private_feed
    body = make(scope, now, texts, links, name=name)
    return _calendar_response(body, filename, etag=etag, last_modified=state.last_modified, cache=cache)


# --- downloads and feeds --------------------------------------------------------------------------


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def booking_ics(booking_id: int) -> Response:
    """One booking as a file to import: for its owner and that university's managers; 404 for anyone else."""
    booking = bookings.get_visible_booking(current_user, booking_id)
    locale = locale_code()
    sequence, changed = feeds.booking_version(booking)
    etag = _etag("booking", booking.uuid, sequence, changed, locale)
    if _not_modified(etag, changed):
        return _calendar_response(None, "", etag=etag, last_modified=changed, cache="private, no-cache")
    body = feeds.booking_calendar(booking, locale)
    return _calendar_response(
        body, f"booking-{booking.id}.ics", etag=etag, last_modified=changed, cache="private, no-cache"
    )


@bp.get("/calendar/<token>.ics")
def personal_feed(token: str) -> Response:
    """The token owner's bookings from 30 days back to a year ahead, in their language."""
    user = feeds.user_for_feed_token(token)
    return _owner_feed(
        user,
        feeds.FeedScope(user_id=user.id),
        lambda _locale: _("My bookings · Campus–City Booking"),
        "my-bookings.ics",
    )


@bp.get("/calendar/university/<token>.ics")
def university_feed(token: str) -> Response:
    """Every booking of the facilities of the university the token's owner manages (404 for non-managers)."""
    user = feeds.user_for_feed_token(token)
    if not has_role(user, Role.MANAGER):
        raise feeds.NotFound
    university = feeds.university(user.manages_id)
    return _owner_feed(
        user,
        feeds.FeedScope(university_id=university.id),
        lambda locale: _("%(university)s · all bookings", university=university.name_for(locale)),
        f"{re.sub(r'[^a-z0-9-]', '', university.code.lower()) or 'university'}-bookings.ics",
    )


def _owner_feed(user: User, scope: feeds.FeedScope, title: Callable[[str], str], filename: str) -> Response:
    """A feed a token's owner subscribed to: in their language, named by `title` said in it, with links
    to the booking pages; a new token makes it look new to caches."""
    locale = feeds.owner_locale(user)
    with force_locale(babel_locale(locale)):
        name = title(locale)
    return _feed(
        scope,
        locale=locale,
        generation=user.feed_token_hash or "",
        name=name,
        filename=filename,
        links=feeds.calendar_links(booking_pages=True),
        public=False,
        cache=PERSONAL_CACHE,
    )


@bp.get("/facilities/<int:resource_id>/busy.ics")
def facility_feed(resource_id: int) -> Response:
    """A facility's busy times for anyone: "Booked" and when, nothing about who or why."""
    resource = feeds.public_facility(resource_id)
    chosen = request.args.get("lang")
    locale = chosen if chosen in current_app.config["LANGUAGES"] else locale_code()
    with force_locale(babel_locale(locale)):
        name = _("%(facility)s · busy times", facility=resource.name_for(locale))
    response = _feed(
        feeds.FeedScope(resource_id=resource.id),
        locale=locale,
        generation="public",
        name=name,
        filename=f"facility-{resource.id}-busy.ics",
        links=feeds.calendar_links(facility_pages=True),
        public=True,
        cache=PUBLIC_CACHE,
    )
    response.vary.add("Accept-Language")
    return response


# --- subscribing ----------------------------------------------------------------------------------


def _subscription_links(token: str) -> dict[str, str]:
    """The https and webcal:// forms of the user's feeds (and, for a manager, their university's)."""
    base = _base_url()
    personal = base + url_for("calendar.personal_feed", token=token)
    links = {"https": personal, "webcal": _webcal(personal)}
    if current_user.manages_id is not None:
        university = base + url_for("calendar.university_feed", token=token)
        links |= {"university_https": university, "university_webcal": _webcal(university)}
    return links


def _webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[1]


def _no_store(html: str) -> Response:
    """A page showing a secret link: no browser or proxy may keep a copy."""
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/profile/calendar")
@login_required
def subscribe() -> Response:
    """Subscribe to my bookings. The link itself is shown once, when made; only its digest is kept."""
    html = render_template(
        "calendar/subscribe.html",
        form=FeedLinkForm(),
        has_feed=current_user.feed_token_hash is not None,
        links=None,
    )
    return _no_store(html)


@bp.post("/profile/calendar/reset")
@login_required
def reset() -> Response:
    """Make a new link (the old one stops working at once) and show it, without a redirect that would
    have to carry the secret through the session cookie."""
    posted(FeedLinkForm())
    token = feeds.reset_feed_token(current_user, now=clock.now())
    html = render_template(
        "calendar/subscribe.html", form=FeedLinkForm(), has_feed=True, links=_subscription_links(token)
    )
    return _no_store(html)


# --- importing closures ---------------------------------------------------------------------------


def _plan_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="calendar.closure-import")


def _sign(plan: feeds.ImportPlan, user_id: int) -> str:
    closures = [
        [int(c.start_at.timestamp()), int(c.end_at.timestamp()), c.reason, c.all_day] for c in plan.new
    ]
    return _plan_serializer().dumps({"u": plan.university_id, "by": user_id, "c": closures})


def _upload_form(universities: list) -> ClosureUploadForm:
    form = ClosureUploadForm()
    form.university.choices = [(u.id, localized(u)) for u in universities]
    return form


def _render_upload(form: ClosureUploadForm, status: int = 200) -> tuple[str, int]:
    return render_template("calendar/import.html", form=form, limit_events=feeds.MAX_IMPORT_EVENTS), status


# These two views check CSRF through their Form instead of CSRFProtect's before-request hook, which
# would read (and spool) a request body of any size before the view could set its limit.
@csrf.exempt
@bp.route("/manage/closures/import", methods=["GET", "POST"])
@login_required
def import_closures() -> tuple[str, int] | str:
    """Upload a university's academic calendar (.ics) and preview the closures it would create."""
    universities = feeds.manageable_universities(current_user)
    if not universities:
        abort(403)
    if request.method == "POST":
        request.max_content_length = UPLOAD_REQUEST_LIMIT
        if (request.content_length or 0) > UPLOAD_REQUEST_LIMIT:
            form = _upload_form(universities)
            show_invalid(form, feeds.refusal("too_large"))
            return _render_upload(form, 413)
    form = _upload_form(universities)
    if request.method == "GET":
        return _render_upload(form)
    if not form.validate_on_submit():
        return _render_upload(form, 422)
    if not can_manage(current_user, form.university.data):
        abort(404)
    data = form.file.data.stream.read(feeds.MAX_IMPORT_BYTES + 1)
    with refusals(form) as refused:
        plan = feeds.plan_import(form.university.data, data)
    if refused:
        return _render_upload(form, 413 if refused.code == "too_large" else 422)
    confirm = ClosureConfirmForm(plan=_sign(plan, current_user.id), include=list(range(len(plan.new))))
    return render_template(
        "calendar/import_preview.html",
        plan=plan,
        form=confirm,
        university=feeds.university(plan.university_id),
        skip_messages=feeds.SKIP_MESSAGES,
        filename=form.file.data.filename or "",
    )


@csrf.exempt
@bp.post("/manage/closures/import/confirm")
@login_required
def confirm_import() -> Response:
    """Create the closures of a signed preview, re-checked by the service."""
    request.max_form_memory_size = CONFIRM_FORM_LIMIT
    if not feeds.manageable_universities(current_user):
        abort(403)  # like every manager page: people without the right are refused, not misled
    form = ClosureConfirmForm()
    if not form.validate_on_submit() or not form.plan.data:
        abort(400)
    try:
        plan = _plan_serializer().loads(form.plan.data, max_age=PLAN_MAX_AGE)
    except SignatureExpired:
        flash(_("The preview is more than an hour old. Please upload the file again."), "warning")
        return redirect(url_for("calendar.import_closures"))
    except BadSignature:
        abort(400)
    university_id = plan["u"]
    if plan["by"] != current_user.id or not can_manage(current_user, university_id):
        abort(404)
    chosen = set(form.include.data or [])
    closures = [
        feeds.PlannedClosure(
            datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC), reason, bool(all_day)
        )
        for index, (start, end, reason, all_day) in enumerate(plan["c"])
        if index in chosen
    ]
    if not closures:
        flash(_("Nothing was selected, so no closure was created."), "info")
        return redirect(url_for("calendar.import_closures"))
    result = feeds.import_closures(current_user, university_id, closures, now=clock.now())
    message = ngettext("%(num)d closure created.", "%(num)d closures created.", len(result.created))
    if result.duplicates:
        message += " " + ngettext(
            "%(num)d already existed and was skipped.",
            "%(num)d already existed and were skipped.",
            result.duplicates,
        )
    flash(message, "success")
    return redirect(url_for("calendar.import_closures"))
