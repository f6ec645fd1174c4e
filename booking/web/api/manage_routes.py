"""The managers' operations of /api/v1 (issue 18): facilities with their hours and rules, quotas, closures,
bulk decisions, booking on someone's behalf, the desk's day and check-in, suspensions, application forms.

Each is the page's action (booking/web/manage, booking/web/checkin, booking/web/applications) spelled as
JSON: it parses its input (manage_schemas), calls the same service with the same scoping (another
university's facility, quota, closure, booking or person is a 404), and renders the answer. They join
`api_manage`, which admits only tokens with the `manage` scope held by a manager or the city office."""

from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any, TypeVar

from flask import current_app

from booking import clock
from booking.engine.answers import Question
from booking.engine.localtime import to_local, zone
from booking.services import applications, approvals, bookings, checkin, facilities, people, specs, strikes
from booking.services.api_tokens import Scope
from booking.services.errors import NotFound, Refused
from booking.services.permissions import Role
from booking.web.api import manage_schemas as shapes
from booking.web.api import render, schemas
from booking.web.api.auth import idempotent, need
from booking.web.api.routes import cursor_for, manage_bp, page_of, utc
from models import ApplicationForm, Booking, Closure, Quota, Resource, User
from models.enums import Category, Mode, QuotaPeriod, QuotaScope, ResourceKind

T = TypeVar("T")


def _manager() -> User:
    return need(Scope.MANAGE, Role.STAFF)


def _listed(
    university_id: int | None,
    cursor: str | None,
    limit: int,
    of: Callable[[int], Sequence[T]],
    shown: Callable[[T], Any],
) -> dict[str, Any]:
    """A page of what `of` finds at the university asked for (404 unless the caller manages it), else at
    every university the caller manages."""
    user = _manager()
    if university_id is not None:
        universities = [facilities.university_for(user, university_id)]
    else:
        universities = facilities.universities_of(user)
    found = [item for university in universities for item in of(university.id)]
    page = page_of(cursor)
    first = (page - 1) * limit
    return {
        "items": [shown(item) for item in found[first : first + limit]],
        "next_cursor": cursor_for(page + 1) if len(found) > first + limit else None,
    }


def _caller_at(data: dict[str, Any]) -> tuple[User, int]:
    """The manager, and the university something new is for: the one named (the city office), else theirs."""
    user = _manager()
    return user, facilities.university_for(user, data.get("university")).id


def _enum(kind: type[T], value: str | None) -> T | None:
    return None if value is None else kind(value)  # type: ignore[call-arg]


# --- what is shown -----------------------------------------------------------------------------------


def _rules(resource: Resource) -> dict[str, Any] | None:
    if resource.policy is None:
        return None
    spec = specs.policy_spec(resource.policy)
    shown = {f.name: getattr(spec, f.name) for f in fields(spec)}
    for name in ("allowed_categories", "approval_categories"):
        shown[name] = sorted(c.value for c in shown[name])
    return shown


def _managed(resource: Resource) -> dict[str, Any]:
    hours = sorted(resource.hours, key=lambda h: (h.weekday, h.opens))
    return render.facility(resource) | {
        "active": resource.active,
        "hours": [{"weekday": h.weekday, "opens": h.opens, "closes": h.closes} for h in hours],
        "rules": _rules(resource),
    }


def _quota(quota: Quota) -> dict[str, Any]:
    return {
        "id": quota.id,
        "university": quota.university_id,
        "category": quota.category.value if quota.category else None,
        "facility_kind": quota.resource_kind.value if quota.resource_kind else None,
        "facility": quota.resource_id,
        "scope": quota.scope.value,
        "period": quota.period.value,
        "max_bookings": quota.max_bookings,
        "max_hours": quota.max_hours,
    }


def _closure(closure: Closure) -> dict[str, Any]:
    return render.span(closure) | {
        "university": closure.university_id,
        "reason": render.names(closure.reason_zh, closure.reason_en),
        "created_at": closure.created_at,
    }


def _covered(booking: Booking) -> dict[str, Any]:
    return render.booking(booking) | {
        "requester": booking.user.display_name,
        "cancellable": facilities.can_cancel_for_closure(booking),
    }


def _desk_row(booking: Booking, now: Any) -> dict[str, Any]:
    status = checkin.status(booking, now)
    window = status.window
    return render.booking(booking) | {
        "person": booking.user.display_name,
        "checkin": {
            "state": status.state.value,
            "opens": window.start if window else None,
            "closes": window.end if window else None,
        },
    }


def _application_form(scope: str, form: ApplicationForm | None) -> dict[str, Any]:
    questions = applications.questions_of(form)
    return {
        "scope": scope,
        "version": form.version if form else None,
        "created_at": form.created_at if form else None,
        "questions": [
            {
                "key": q.key,
                "type": q.type,
                "label": render.names(q.label_zh, q.label_en),
                "required": q.required,
                "choices": [render.names(zh, en) for zh, en in q.choices],
            }
            for q in questions
        ],
        "terms": render.names(form.terms_zh, form.terms_en) if form else render.names("", ""),
        "attachment": form.attachment if form else "none",
        "attachment_hint": (
            render.names(form.attachment_hint_zh, form.attachment_hint_en) if form else render.names("", "")
        ),
    }


def _suspended(person: User) -> dict[str, Any]:
    return {"person": person.id, "name": person.display_name, "suspended_until": person.suspended_until}


# --- what is sent in ---------------------------------------------------------------------------------


def _facility_draft(data: dict[str, Any]) -> facilities.FacilityDraft:
    return facilities.FacilityDraft(
        kind=ResourceKind(data["kind"]),
        mode=Mode(data["mode"]),
        name_zh=data["name"]["zh"].strip(),
        name_en=data["name"]["en"].strip(),
        capacity=data["capacity"],
        timezone=data["timezone"].strip(),
        slot_minutes=data["slot_minutes"],
        description_zh=data["description"]["zh"].strip(),
        description_en=data["description"]["en"].strip(),
        campus=data["campus"]["zh"].strip(),
        campus_en=data["campus"]["en"].strip(),
        address=data["address"]["zh"].strip(),
        address_en=data["address"]["en"].strip(),
        latitude=data["latitude"],
        longitude=data["longitude"],
        tags=facilities.normalize_tags(",".join(data["tags"])),
    )


def _policy_draft(data: dict[str, Any]) -> facilities.PolicyDraft:
    values = {f.name: data[f.name] for f in fields(facilities.PolicyDraft)}
    for name in ("allowed_categories", "approval_categories"):
        values[name] = frozenset(Category(c) for c in data[name])
    return facilities.PolicyDraft(**values)


def _quota_draft(university_id: int, data: dict[str, Any]) -> facilities.QuotaDraft:
    return facilities.QuotaDraft(
        university_id=university_id,
        scope=QuotaScope(data["scope"]),
        period=QuotaPeriod(data["period"]),
        category=_enum(Category, data["category"]),
        resource_kind=_enum(ResourceKind, data["facility_kind"]),
        resource_id=data["facility"],
        max_bookings=data["max_bookings"],
        max_hours=data["max_hours"],
    )


def _form_draft(data: dict[str, Any]) -> applications.FormDraft:
    return applications.FormDraft(
        questions=[
            Question(
                q["key"],
                q["type"],
                q["label"]["zh"],
                q["label"]["en"],
                q["required"],
                tuple((c["zh"], c["en"]) for c in q["choices"]),
            )
            for q in data["questions"]
        ],
        terms_zh=data["terms"]["zh"],
        terms_en=data["terms"]["en"],
        attachment=data["attachment"],
        attachment_hint_zh=data["attachment_hint"]["zh"],
        attachment_hint_en=data["attachment_hint"]["en"],
    )


def _closure_draft(user: User, data: dict[str, Any]) -> facilities.ClosureDraft:
    return facilities.closure_at(
        user,
        data.get("university"),
        data["facility"],
        utc(data["start"]),
        utc(data["end"]),
        reason_zh=data["reason"]["zh"],
        reason_en=data["reason"]["en"],
    )


# --- facilities --------------------------------------------------------------------------------------


@manage_bp.route("/manage/facilities", methods=["GET"])
@manage_bp.arguments(shapes.UniversityQuery, location="query", as_kwargs=True)
@manage_bp.response(200, shapes.ManagedFacilityPage)
def list_managed_facilities(limit: int, cursor: str | None = None, university: int | None = None) -> Any:
    """The facilities of the universities you manage (or of one), open or not, with hours and rules."""
    return _listed(university, cursor, limit, facilities.facilities_of, _managed)


@manage_bp.route("/manage/facilities/<int:facility_id>", methods=["GET"])
@manage_bp.response(200, shapes.ManagedFacility)
def get_managed_facility(facility_id: int) -> Any:
    """One facility you manage, open or not, with its hours and rules."""
    return _managed(facilities.get_facility(_manager(), facility_id))


@manage_bp.route("/manage/facilities", methods=["POST"])
@idempotent
@manage_bp.arguments(shapes.NewFacility)
@manage_bp.response(201, shapes.ManagedFacility)
def create_facility(data: dict[str, Any]) -> Any:
    """A new facility, not yet bookable: set its hours and rules, then activate it."""
    user, university_id = _caller_at(data)
    return _managed(facilities.create_facility(user, university_id, _facility_draft(data), now=clock.now()))


@manage_bp.route("/manage/facilities/<int:facility_id>", methods=["PUT"])
@manage_bp.arguments(shapes.FacilityFields)
@manage_bp.response(200, shapes.ManagedFacility)
def edit_facility(data: dict[str, Any], facility_id: int) -> Any:
    """Replace a facility's description (its mode stays while it has bookings to come)."""
    user = _manager()
    return _managed(facilities.update_facility(user, facility_id, _facility_draft(data), now=clock.now()))


@manage_bp.route("/manage/facilities/<int:facility_id>/hours", methods=["PUT"])
@manage_bp.arguments(shapes.Hours)
@manage_bp.response(200, shapes.ManagedFacility)
def set_facility_hours(data: dict[str, Any], facility_id: int) -> Any:
    """Replace the weekly opening hours."""
    hours = [(span["weekday"], span["opens"], span["closes"]) for span in data["hours"]]
    return _managed(facilities.set_hours(_manager(), facility_id, hours, now=clock.now()))


@manage_bp.route("/manage/facilities/<int:facility_id>/rules", methods=["PUT"])
@manage_bp.arguments(shapes.Rules)
@manage_bp.response(200, shapes.ManagedFacility)
def set_facility_rules(data: dict[str, Any], facility_id: int) -> Any:
    """Replace the booking rules: who may book, whose requests need approval, lengths, notice, check-in."""
    return _managed(facilities.update_policy(_manager(), facility_id, _policy_draft(data), now=clock.now()))


@manage_bp.route("/manage/facilities/<int:facility_id>/activate", methods=["POST"])
@idempotent
@manage_bp.response(200, shapes.ManagedFacility)
def activate_facility(facility_id: int) -> Any:
    """Open the facility for booking."""
    return _managed(facilities.set_active(_manager(), facility_id, True, now=clock.now()))


@manage_bp.route("/manage/facilities/<int:facility_id>/deactivate", methods=["POST"])
@idempotent
@manage_bp.response(200, shapes.ManagedFacility)
def deactivate_facility(facility_id: int) -> Any:
    """Take the facility off the catalog and out of booking; bookings already made stay."""
    return _managed(facilities.set_active(_manager(), facility_id, False, now=clock.now()))


# --- quotas ------------------------------------------------------------------------------------------


@manage_bp.route("/manage/quotas", methods=["GET"])
@manage_bp.arguments(shapes.UniversityQuery, location="query", as_kwargs=True)
@manage_bp.response(200, shapes.QuotaPage)
def list_quotas(limit: int, cursor: str | None = None, university: int | None = None) -> Any:
    """The quotas of the universities you manage (or of one)."""
    return _listed(university, cursor, limit, facilities.quotas_of, _quota)


@manage_bp.route("/manage/quotas", methods=["POST"])
@idempotent
@manage_bp.arguments(shapes.NewQuota)
@manage_bp.response(201, shapes.Quota)
def create_quota(data: dict[str, Any]) -> Any:
    """A new quota; a facility it names must be of the same university."""
    user, university_id = _caller_at(data)
    return _quota(facilities.add_quota(user, _quota_draft(university_id, data), now=clock.now()))


@manage_bp.route("/manage/quotas/<int:quota_id>", methods=["PUT"])
@manage_bp.arguments(shapes.QuotaFields)
@manage_bp.response(200, shapes.Quota)
def edit_quota(data: dict[str, Any], quota_id: int) -> Any:
    """Replace a quota (its university stays)."""
    user = _manager()
    quota = facilities.get_quota(user, quota_id)
    draft = _quota_draft(quota.university_id, data)
    return _quota(facilities.update_quota(user, quota_id, draft, now=clock.now()))


@manage_bp.route("/manage/quotas/<int:quota_id>", methods=["DELETE"])
@manage_bp.response(204)
def delete_quota(quota_id: int) -> None:
    """Delete a quota; bookings already made stay."""
    facilities.delete_quota(_manager(), quota_id, now=clock.now())


# --- closures ----------------------------------------------------------------------------------------


@manage_bp.route("/manage/closures", methods=["GET"])
@manage_bp.arguments(shapes.UniversityQuery, location="query", as_kwargs=True)
@manage_bp.response(200, shapes.ClosurePage)
def list_closures(limit: int, cursor: str | None = None, university: int | None = None) -> Any:
    """The closures not yet over of the universities you manage (or of one), soonest first."""
    now = clock.now()
    return _listed(university, cursor, limit, lambda u: facilities.upcoming_closures(u, now), _closure)


@manage_bp.route("/manage/closures/preview", methods=["POST"])
@idempotent
@manage_bp.arguments(shapes.ClosureFields)
@manage_bp.response(200, shapes.ClosurePreview)
def preview_closure(data: dict[str, Any]) -> Any:
    """The bookings a closure would cover, soonest first, each with whether it may be cancelled; writes
    nothing. The page shows the same list before a closure is added."""
    user = _manager()
    return {"covered": [_covered(b) for b in facilities.closure_overlaps(user, _closure_draft(user, data))]}


@manage_bp.route("/manage/closures", methods=["POST"])
@idempotent
@manage_bp.arguments(shapes.NewClosure)
@manage_bp.response(201, shapes.ClosureResult)
def create_closure(data: dict[str, Any]) -> Any:
    """Close a facility or a whole university. Where the closure covers bookings, say which of them to
    cancel (`cancel_booking_ids`, [] for none) and why: without it the answer is a 409 listing them, and
    nothing is written. Their owners are told."""
    user = _manager()
    draft = _closure_draft(user, data)
    chosen = data.get("cancel_booking_ids")
    if chosen is None:
        covered = facilities.closure_overlaps(user, draft)
        if covered:
            raise Refused([facilities.covers_bookings(covered)])
    result = facilities.add_closure(
        user, draft, cancel_ids=chosen or [], cancel_reason=data["cancel_reason"], now=clock.now()
    )
    return {
        "closure": _closure(result.closure),
        "cancelled": [render.booking(b) for b in result.cancelled],
        "kept": [render.booking(b) for b in result.kept],
    }


@manage_bp.route("/manage/closures/<int:closure_id>", methods=["DELETE"])
@manage_bp.response(204)
def delete_closure(closure_id: int) -> None:
    """Remove a closure: its times open again; bookings it cancelled stay cancelled."""
    facilities.delete_closure(_manager(), closure_id, now=clock.now())


# --- decisions, booking for someone --------------------------------------------------------------------


@manage_bp.route("/approvals/bulk", methods=["POST"])
@idempotent
@manage_bp.arguments(shapes.BulkDecision)
@manage_bp.response(200, schemas.Outcome)
def decide_many(data: dict[str, Any]) -> Any:
    """Approve or decline many requests at once, oldest first, in one transaction; each request that could
    not be decided is listed with why. One id of another university: 404, nothing decided."""
    user = _manager()
    ids, now = data["booking_ids"], clock.now()
    if data["action"] == "approve":
        return render.outcome(approvals.approve_many(user, ids, now=now, note=data["note"]))
    return render.outcome(approvals.reject_many(user, ids, reason=data["reason"], now=now))


@manage_bp.route("/manage/bookings", methods=["POST"])
@idempotent
@manage_bp.arguments(shapes.OnBehalf)
@manage_bp.response(201, schemas.Booking)
def book_on_behalf(data: dict[str, Any]) -> Any:
    """Book for a person (by id, or by the exact email address or phone number they gave you), overriding
    the rules and quotas but never a conflict, with a reason kept in the audit log; the person is told."""
    user = _manager()
    person = (
        people.person(user, data["person"]) if "person" in data else people.identify(user, data["contact"])
    )
    if person is None:
        raise NotFound
    booking = bookings.book_on_behalf(
        user,
        person,
        data["facility"],
        utc(data["start"]),
        utc(data["end"]),
        party_size=data["party_size"],
        purpose=data["purpose"].strip(),
        reason=data["reason"],
        now=clock.now(),
    )
    return render.booking(booking)


# --- the desk ----------------------------------------------------------------------------------------


@manage_bp.route("/manage/today", methods=["GET"])
@manage_bp.arguments(shapes.OneUniversity, location="query", as_kwargs=True)
@manage_bp.response(200, shapes.DeskDay)
def desk_today(university: int | None = None) -> Any:
    """Today's bookings at the facilities you manage (the city office: all, or one university), by start,
    each with where it stands with check-in."""
    now = clock.now()
    timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    rows = checkin.today(_manager(), now, timezone=timezone, university_id=university)
    return {"day": to_local(now, zone(timezone)).date(), "items": [_desk_row(b, now) for b in rows]}


@manage_bp.route("/manage/bookings/<int:booking_id>/check-in", methods=["POST"])
@idempotent
@manage_bp.arguments(shapes.Empty)
@manage_bp.response(200, schemas.Booking)
def manager_check_in(data: dict[str, Any], booking_id: int) -> Any:
    """Check a person in at the desk, within the booking's check-in window."""
    return render.booking(checkin.check_in_by_manager(_manager(), booking_id, now=clock.now()))


def _strike_rules() -> strikes.StrikeRules:
    return strikes.StrikeRules.from_config(current_app.config)


@manage_bp.route("/manage/suspensions", methods=["GET"])
@manage_bp.response(200, shapes.Suspensions)
def list_suspensions() -> Any:
    """The people suspended now (for no-shows) whose suspension you may lift, soonest end first."""
    found = strikes.suspended_people(_manager(), clock.now(), rules=_strike_rules())
    return {"items": [_suspended(p) for p in found]}


@manage_bp.route("/manage/people/<int:person_id>/lift-suspension", methods=["POST"])
@idempotent
@manage_bp.arguments(shapes.Lift)
@manage_bp.response(200, shapes.Suspended)
def lift_suspension(data: dict[str, Any], person_id: int) -> Any:
    """End a person's suspension now, with a note for the audit log."""
    person = strikes.lift_suspension(
        _manager(), person_id, clock.now(), note=data["note"], rules=_strike_rules()
    )
    return _suspended(person)


# --- application forms ---------------------------------------------------------------------------------


def _kind(kind: str) -> ResourceKind:
    if kind not in {k.value for k in ResourceKind}:
        raise NotFound
    return ResourceKind(kind)


@manage_bp.route("/manage/application-forms/<kind>", methods=["GET"])
@manage_bp.arguments(shapes.OneUniversity, location="query", as_kwargs=True)
@manage_bp.response(200, shapes.ApplicationForm)
def get_kind_form(kind: str, university: int | None = None) -> Any:
    """The questions every facility of a kind asks at your university (one facility's own form wins)."""
    user, chosen = _manager(), _kind(kind)
    university_id = facilities.university_for(user, university).id
    form = applications.get_kind_form(user, university_id, chosen)
    return _application_form(applications.kind_scope(chosen), form)


@manage_bp.route("/manage/application-forms/<kind>", methods=["PUT"])
@manage_bp.arguments(shapes.OneUniversity, location="query", as_kwargs=True)
@manage_bp.arguments(shapes.ApplicationFormFields)
@manage_bp.response(200, shapes.ApplicationForm)
def save_kind_form(data: dict[str, Any], kind: str, university: int | None = None) -> Any:
    """Save the questions of a kind of facility as their next version."""
    user = _manager()
    university_id = facilities.university_for(user, university).id
    return _saved_form(user, university_id, applications.kind_scope(_kind(kind)), data)


@manage_bp.route("/manage/facilities/<int:facility_id>/application-form", methods=["GET"])
@manage_bp.response(200, shapes.ApplicationForm)
def get_facility_form(facility_id: int) -> Any:
    """The questions one facility asks of its own (empty: its kind's form, if any, applies)."""
    resource = facilities.get_facility(_manager(), facility_id)
    scope = applications.resource_scope(resource.id)
    return _application_form(scope, applications.latest(resource.university_id, scope))


@manage_bp.route("/manage/facilities/<int:facility_id>/application-form", methods=["PUT"])
@manage_bp.arguments(shapes.ApplicationFormFields)
@manage_bp.response(200, shapes.ApplicationForm)
def save_facility_form(data: dict[str, Any], facility_id: int) -> Any:
    """Save a facility's own questions as their next version."""
    user = _manager()
    resource = facilities.get_facility(user, facility_id)
    return _saved_form(user, resource.university_id, applications.resource_scope(resource.id), data)


def _saved_form(user: User, university_id: int, scope: str, data: dict[str, Any]) -> dict[str, Any]:
    draft = _form_draft(data)
    saved = applications.save_form(
        user, university_id=university_id, scope=scope, draft=draft, now=clock.now()
    )
    return _application_form(scope, saved)
