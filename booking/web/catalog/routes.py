"""The facility catalog: the filtered list of shared facilities and each facility's page with its week.

Query parameters, all optional and validated (an invalid one gives status 400 with the page re-rendered and
the error shown next to its field; a page beyond the last one gives 404):

- `/facilities/`: q, kind, university (id), campus, capacity (minimum, 1..100000), tag (repeatable; all
  must match), date + start + end (free for that span, local to each facility), page (from 1).
- `/facilities/<id>`: week (any date of the week to show; its Monday is used).
"""

import functools
import hashlib
import json
import os
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from babel.dates import format_skeleton
from babel.lists import format_list
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from booking import clock
from booking.engine import CellState, GridCell, GridDay, SlotVerdict
from booking.engine.localtime import to_local, zone
from booking.engine.violations import Violation
from booking.services import bookings, catalog, photos
from booking.services import timeline as timeline_service
from booking.web.catalog.forms import CatalogFilterForm, TimelineForm, WeekForm
from booking.web.input import EARLIEST_DATE, LATEST_DATE
from booking.web.labels import (
    CATEGORY_PLURALS,
    KIND_LABELS,
    KIND_PLURALS,
    local_datetime,
    locale_code,
    localized,
    render_violation,
)
from models import Mode, User

bp = Blueprint("catalog", __name__, url_prefix="/facilities")


@bp.get("/")
def index() -> tuple[str, int]:
    choices = catalog.filter_choices()
    form = CatalogFilterForm(formdata=request.args, universities=choices.universities, tags=choices.tags)
    if not form.validate():
        return _render_index(form, choices, results=None), 400
    free = form.filters().free
    results = catalog.search(
        form.filters(),
        page=form.page_number,
        per_page=current_app.config["CATALOG_PAGE_SIZE"],
        now=clock.now(),
        locale=locale_code(),
        user=signed_in_user(),
    )
    return _render_index(form, choices, results=results, free=free), 200


def _render_index(
    form: CatalogFilterForm,
    choices: catalog.FilterChoices,
    results: catalog.CatalogPage | None,
    free: catalog.FreeWindow | None = None,
) -> str:
    return render_template(
        "catalog/index.html",
        form=form,
        choices=choices,
        results=results,
        free=free,
        free_label=_free_label,
        free_book_url=_free_book_url,
        state_word=state_word,
        verdict_reasons=verdict_reasons,
        page_url=_page_url,
        when=when,
        local_day=local_day,
    )


def _free_label(window: catalog.FreeWindow) -> str:
    """The searched span as the card shows it: "Wed, Nov 25 10:00–11:30" (end 00:00 is midnight)."""
    end = "24:00" if window.end == time(0, 0) else time_label(window.end)
    return f"{day_label(window.day)} {time_label(window.start)}–{end}"


def _free_book_url(resource_id: int, window: catalog.FreeWindow, placement: bool) -> str:
    """The booking form prefilled with the searched span (the day alone for a placement)."""
    start = datetime.combine(window.day, window.start if not placement else time(0, 0))
    if placement:
        return url_for("bookings.new", resource_id=resource_id, start=start.isoformat(timespec="minutes"))
    end_day = window.day + timedelta(days=1) if window.end == time(0, 0) else window.day
    end = datetime.combine(end_day, window.end)
    return url_for(
        "bookings.new",
        resource_id=resource_id,
        start=start.isoformat(timespec="minutes"),
        end=end.isoformat(timespec="minutes"),
    )


def _page_url(page: int) -> str:
    args: dict[str, Any] = {key: request.args.getlist(key) for key in request.args if key != "page"}
    return url_for("catalog.index", page=page, **args)


@bp.get("/map")
def map() -> tuple[str, int]:
    """The facilities on a map, filtered as the list is; the list beside it is the accessible alternative."""
    choices = catalog.filter_choices()
    form = CatalogFilterForm(formdata=request.args, universities=choices.universities, tags=choices.tags)
    valid = form.validate()
    resources = catalog.map_facilities(form.filters(), clock.now()) if valid else []
    points = [
        {
            "lat": r.latitude,
            "lon": r.longitude,
            "name": localized(r),
            "kind": str(KIND_LABELS[r.kind]),
            "url": url_for("catalog.detail", resource_id=r.id),
        }
        for r in resources
        if r.latitude is not None and r.longitude is not None
    ]
    return render_template(
        "catalog/map.html",
        form=form,
        choices=choices,
        resources=resources,
        points=json.dumps(points, ensure_ascii=False),
        tile_url=current_app.config["MAP_TILE_URL"],
        tile_attribution=current_app.config["MAP_TILE_ATTRIBUTION"],
    ), (200 if valid else 400)


@bp.get("/timeline")
def timeline() -> tuple[str, int]:
    """Many facilities side by side: rows of facilities, columns of times (a day) or days (a week)."""
    choices = catalog.filter_choices()
    form = TimelineForm(formdata=request.args, universities=choices.universities)
    valid = form.validate()
    now = clock.now()
    today = to_local(now, zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    day = form.day.data if valid and form.day.data else today
    week = valid and form.is_week
    first = catalog.monday_of(day) if week else day
    view = timeline_service.timeline(
        form.filters() if valid else catalog.Filters(),
        first,
        7 if week else 1,
        now,
        user=signed_in_user(),
        locale=locale_code(),
    )
    return render_template(
        "catalog/timeline.html",
        form=form,
        view=view,
        week=week,
        day=day,
        today=today,
        shift_url=_timeline_url,
        day_cells=None if week else TimelineDayCells(view.columns, view.step),
        cell_url=_cell_url,
        cell_label=cell_label,
        cell_reasons=cell_reasons,
        day_summary=day_summary,
        state_word=state_word,
        timedelta=timedelta,
        day_label=day_label,
        time_label=time_label,
        CellState=CellState,
    ), (200 if valid else 400)


def _timeline_url(**changes: Any) -> str:
    """This timeline's address with some parameters changed (another day, day or week)."""
    args: dict[str, Any] = {key: request.args.getlist(key) for key in request.args}
    args.update(changes)
    return url_for("catalog.timeline", **args)


def day_summary(day: GridDay) -> tuple[int, CellState | None]:
    """How many slots of a day the reader can book, and else the commonest reason they cannot."""
    bookable = sum(1 for cell in day.cells if cell.bookable)
    if bookable:
        return bookable, None
    reasons = [cell.state for cell in day.cells if cell.end > cell.start]
    return 0, max(set(reasons), key=reasons.count) if reasons else CellState.CLOSED


@bp.get("/<int:resource_id>")
def detail(resource_id: int) -> Response:
    form = WeekForm(formdata=request.args)
    valid = form.validate()
    now = clock.now()
    view = catalog.facility_week(
        resource_id, form.week.data if valid else None, now, locale_code(), user=signed_in_user()
    )
    if view is None:
        abort(404)
    etag = _visitors_etag(view, valid)
    if etag is not None and request.if_none_match.contains(etag):
        return _not_modified(etag)
    page = render_template(
        "catalog/detail.html",
        view=view,
        resource=view.resource,
        form=form,
        today=catalog.local_today(view.resource, now),
        image_url=_photo_url(view.resource) or _image_url(view.resource.image_path),
        week_url=_week_url,
        week_rows=functools.partial(week_rows, view),
        when=when,
        day_label=day_label,
        time_label=time_label,
        join_list=join_list,
        CATEGORY_PLURALS=CATEGORY_PLURALS,
        KIND_PLURALS=KIND_PLURALS,
        CellState=CellState,
    )
    response = make_response(page, 200 if valid else 400)
    if etag is not None:
        response.set_etag(etag)
        response.headers["Cache-Control"] = VISITORS_PAGE
    return response


# A visitor's copy of a facility page holds their session's form token: their browser may keep it, no shared
# cache, and it asks again each time (answered 304 while nothing on the page changed).
VISITORS_PAGE = "private, no-cache"


def _visitors_etag(view: catalog.FacilityWeek, valid: bool) -> str | None:
    """The page's entity tag for a visitor: the page's version, the language, the address asked, and the
    session's form token the page embeds. None for a signed-in person, or when a message waits to be shown."""
    if view.version is None or session.get("_flashes"):
        return None
    facts = (view.version, locale_code(), request.full_path, valid, session.get("csrf_token"))
    return hashlib.blake2b(repr(facts).encode(), digest_size=12).hexdigest()


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.set_etag(etag)
    response.headers["Cache-Control"] = VISITORS_PAGE
    return response


@bp.get("/<int:resource_id>/photo")
def photo(resource_id: int) -> Response:
    """A facility's uploaded photo, from PHOTO_DIR (outside the web root); 404 when it has none."""
    resource = bookings.get_bookable_resource(resource_id)
    path = photos.photo_path(resource, Path(current_app.config["PHOTO_DIR"]))
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _photo_url(resource: Any) -> str | None:
    if not resource.photo_file:
        return None
    return url_for("catalog.photo", resource_id=resource.id, v=resource.photo_file)


def _image_url(image_path: str | None) -> str | None:
    """The facility's own picture under static/, if there is one; never an outside address."""
    if not image_path:
        return None
    relative = image_path.removeprefix("/").removeprefix("static/")
    path = safe_join(current_app.static_folder or "", relative)
    if path is None or not os.path.isfile(path):
        return None
    return url_for("static", filename=relative)


def _week_url(resource_id: int, monday: date) -> str | None:
    if not EARLIEST_DATE <= monday <= LATEST_DATE:
        return None
    return url_for("catalog.detail", resource_id=resource_id, week=monday.isoformat())


def _cell_url(resource_id: int, cell: GridCell) -> str:
    return url_for(
        "bookings.new", resource_id=resource_id, start=cell.local_start.isoformat(timespec="minutes")
    )


class WeekCells:
    """A facility week's cells as HTML, one call a cell, for a grid of hundreds of them.

    The template loop called three helpers, a translation and a URL build per cell, which cost the page most
    of its CPU; here what cells share (the booking form's address, the translated aria-label, the words
    of each state, the sentences of each refusal) is made once per page. Everything is escaped as the
    template escaped it.
    """

    def __init__(self, resource: Any) -> None:
        self.mode = resource.mode
        self.locale = str(get_locale())
        self.book_url = url_for("bookings.new", resource_id=resource.id) + "?start="
        self.book_label = Markup(_("Book %(when)s: %(state)s"))
        self.labels: dict[tuple[CellState, int | None], str] = {}
        self.reasons: dict[str, str] = {}

    def label(self, cell: GridCell) -> str:
        if cell.state is CellState.NOT_FOR_YOU:
            return cell_label(cell, self.mode)
        key = (cell.state, cell.places_left)
        found = self.labels.get(key)
        if found is None:
            found = self.labels[key] = cell_label(cell, self.mode)
        return found

    def reasons_of(self, cell: GridCell) -> str:
        key = repr([(v.code, v.message, v.params) for v in cell.violations])
        found = self.reasons.get(key)
        if found is None:
            found = self.reasons[key] = cell_reasons(cell)
        return found

    def __call__(self, cell: GridCell) -> Markup:
        label = escape(self.label(cell))
        state = cell.state.value
        if cell.state is CellState.FREE:
            start = cell.local_start
            day = _day_label(start.date(), False, self.locale)
            when_ = day if self.mode == Mode.PLACEMENT else f"{day} {start:%H:%M}"
            aria = self.book_label % {"when": when_, "state": label}
            href = escape(self.book_url + start.isoformat(timespec="minutes"))
            inner = f'<a class="cell-link" href="{href}" aria-label="{aria}">{label}</a>'
        elif cell.state is CellState.CLOSURE:
            reason = escape(cell.reason if isinstance(cell.reason, str) else localized(cell.reason))
            inner = f'<span class="visually-hidden">{label}: </span><span class="cell-reason">{reason}</span>'
        elif cell.violations:
            inner = f'<span title="{escape(self.reasons_of(cell))}">{label}</span>'
        else:
            inner = label
        return Markup(f'<td class="cell cell-{state}" data-state="{state}">{inner}</td>')


class TimelineDayCells:
    """A day timeline's cells as HTML, a facility row at a time: fifty rows of dozens of cells, which the
    template's loop drew with a translation, two URL builds and several helpers per cell. Here the words,
    labels and sentences cells share are made once per page; everything is escaped as the template did."""

    def __init__(self, columns: Sequence[int], step: int) -> None:
        self.columns = columns
        self.step = step
        closed = escape(_("Closed"))
        self.closed = f'<span class="visually-hidden">{closed}</span>'
        self.book_label = Markup(_("Book %(facility)s, %(when)s"))
        self.holder_label = Markup(_("%(time)s booked by %(name)s"))
        self.labels: dict[tuple[CellState, int | None, Mode], str] = {}

    def label(self, cell: GridCell, mode: Mode) -> str:
        if cell.state is CellState.NOT_FOR_YOU:
            return cell_label(cell, mode)
        key = (cell.state, cell.places_left, mode)
        found = self.labels.get(key)
        if found is None:
            found = self.labels[key] = cell_label(cell, mode)
        return found

    def __call__(self, row: Any) -> Markup:
        resource = row.resource
        name = localized(resource)
        book_url = url_for("bookings.new", resource_id=resource.id) + "?start="
        cells = []
        for cell, span in row.layout(self.columns, self.step):
            if cell is None or cell.end <= cell.start:
                cells.append(
                    f'<td class="cell cell-closed" colspan="{span}" data-state="closed">{self.closed}</td>'
                )
                continue
            state = cell.state.value
            start = cell.local_start
            at = time_label(start)
            holder = None if cell.state is CellState.FREE else row.holder_at(cell)
            if cell.state is CellState.FREE:
                href = escape(book_url + start.isoformat(timespec="minutes"))
                aria = self.book_label % {"facility": name, "when": at}
                inner = f'<a class="cell-link" href="{href}" aria-label="{aria}">{at}</a>'
            elif holder:
                href = escape(url_for("bookings.detail", booking_id=holder.booking_id))
                aria = self.holder_label % {"time": at, "name": holder.name}
                inner = f'<a href="{href}" class="holder" aria-label="{aria}">{escape(holder.name)}</a>'
            else:
                label = escape(self.label(cell, resource.mode))
                reasons = escape(cell_reasons(cell))
                inner = f'<span class="visually-hidden">{at}: </span><span title="{reasons}">{label}</span>'
            cells.append(f'<td class="cell cell-{state}" colspan="{span}" data-state="{state}">{inner}</td>')
        return Markup("".join(cells))


# The grid's rows as visitors see them, by the grid's version and the language: the same HTML for all of them.
_VISITORS_ROWS: dict[tuple[str, str], Markup] = {}
_ROWS_KEPT = 512


def week_rows(view: catalog.FacilityWeek, grid: object) -> Markup:
    """The grid's body: a row per time of day (one for a placement's whole day), a cell per day."""
    key = (view.version, locale_code()) if view.version is not None else None
    if key is not None and key in _VISITORS_ROWS:
        return _VISITORS_ROWS[key]
    cell = WeekCells(view.resource)
    placement = view.resource.mode == Mode.PLACEMENT
    whole_day = escape(_("Whole day"))
    rows = []
    for row, cells in view.grid.by_row():
        head = whole_day if placement else time_label(row)
        rows.append(f'<tr><th scope="row" class="row-head">{head}</th>{"".join(cell(c) for c in cells)}</tr>')
    html = Markup("\n".join(rows))
    if key is not None:
        if len(_VISITORS_ROWS) >= _ROWS_KEPT:
            _VISITORS_ROWS.pop(next(iter(_VISITORS_ROWS)), None)
        _VISITORS_ROWS[key] = html
    return html


def day_label(day: date, with_year: bool = False) -> str:
    """A short local date with its weekday: "Mon, Mar 23" / "3月23日周一"."""
    return _day_label(day, with_year, str(get_locale()))


@functools.lru_cache(maxsize=1024)
def _day_label(day: date, with_year: bool, locale: str) -> str:
    # Grids label every free cell with its day; Babel's formatter is slow, and the answer never changes.
    return format_skeleton("yMMMEd" if with_year else "MMMEd", day, locale=locale)


def time_label(value: time | datetime) -> str:
    # "HH:mm" reads the same in every locale we serve; strftime is many times faster than Babel's
    # formatter, and grids and timelines print hundreds of times.
    return value.strftime("%H:%M")


def when(instant: datetime | None, timezone: str, with_year: bool = False) -> str:
    """A UTC instant as the facility's wall-clock day and time."""
    if instant is None:
        return ""
    local = local_datetime(instant, timezone)
    return f"{day_label(local.date(), with_year)} {time_label(local.time())}"


def local_day(instant: datetime, timezone: str) -> str:
    return day_label(local_datetime(instant, timezone).date())


def cell_label(cell: GridCell, mode: Mode) -> str:
    """What a cell says in words, for sighted readers and screen readers alike."""
    if cell.state is CellState.FREE:
        if mode is Mode.PLACEMENT and cell.places_left is not None:
            return ngettext("%(num)d seat left", "%(num)d seats left", cell.places_left)
        if cell.places_left is not None:
            return ngettext("%(num)d place left", "%(num)d places left", cell.places_left)
        return state_word(CellState.FREE)
    if cell.state is CellState.NOT_FOR_YOU:
        refused = next((v for v in cell.violations if v.code == "category_not_allowed"), None)
        if refused is not None:
            return _("Not for %(who)s", who=CATEGORY_PLURALS[refused.params["category"]])
    return state_word(cell.state)


def verdict_reasons(verdict: SlotVerdict) -> str:
    """Every rule the engine gave against a searched span, in full sentences."""
    return " ".join(render_violation(violation) for violation in verdict.violations)


def cell_reasons(cell: GridCell) -> str:
    """Every rule the engine gave against a slot, in full sentences, for the cell's title."""
    return " ".join(_rendered(violation) for violation in cell.violations)


def _rendered(violation: Violation) -> str:
    """render_violation, once a request for each distinct violation: a timeline's refused cells mostly
    repeat a few (too far ahead, already started), and rendering one costs a translation and formatting."""
    cache: dict[object, str] | None = g.get("rendered_violations")
    if cache is None:
        cache = g.rendered_violations = {}
    try:
        key = (violation.code, violation.message, tuple(violation.params.items()))
        hash(key)
    except TypeError:  # a parameter that cannot be a key: rendered every time
        return render_violation(violation)
    text = cache.get(key)
    if text is None:
        text = cache[key] = render_violation(violation)
    return text


def state_word(state: CellState) -> str:
    """The word a slot that cannot be booked shows: why not, for this reader."""
    return _state_words()[state]


def _state_words() -> dict[CellState, str]:
    # Translated once per request: a grid or a timeline asks hundreds of times.
    words = g.get("state_words")
    if words is None:
        words = g.state_words = {
            CellState.FREE: _("Free"),
            CellState.BOOKED: _("Booked"),
            CellState.FULL: _("Full"),
            CellState.CLOSED: _("Closed"),
            CellState.CLOSURE: _("Closed"),
            CellState.PAST: _("Past"),
            CellState.TOO_SOON: _("Too soon"),
            CellState.NOT_OPEN_YET: _("Not open yet"),
            CellState.NOT_FOR_YOU: _("Not for you"),
            CellState.SUSPENDED: _("Suspended"),
            CellState.UNCONFIRMED: _("Confirm your email"),
            CellState.LIMIT_REACHED: _("Limit reached"),
            CellState.UNAVAILABLE: _("Unavailable"),
        }
    return words


def signed_in_user() -> User | None:
    """The person the page is drawn for, or None for a visitor (slots are then judged for anyone)."""
    return current_user if current_user.is_authenticated else None  # type: ignore[return-value]


def join_list(items: list[Any]) -> str:
    return format_list([str(item) for item in items], locale=get_locale())
