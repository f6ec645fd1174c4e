"""Domain objects as the API's JSON: the shapes booking/web/api/schemas.py documents."""

from datetime import datetime
from typing import Any

from booking import engine
from booking.services import catalog
from booking.services.approvals import Outcome, QueueItem
from booking.services.bookings import Occurrence
from booking.services.reports import Row
from booking.web.api.problems import violation_json
from booking.web.labels import localized
from models import Booking, Closure, Organization, Resource, WaitlistEntry


def names(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en or zh}


def university(org: Organization) -> dict[str, Any]:
    return {"id": org.id, "name": names(org.name_zh, org.name_en)}


def facility(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.id,
        "name": names(resource.name_zh, resource.name_en),
        "description": names(resource.description_zh, resource.description_en),
        "kind": resource.kind.value,
        "mode": resource.mode.value,
        "university": university(resource.university),
        "campus": names(resource.campus, resource.campus_en),
        "address": names(resource.address, resource.address_en),
        "capacity": resource.capacity,
        "slot_minutes": resource.slot_minutes,
        "timezone": resource.timezone,
        "tags": sorted(tag.tag for tag in resource.tags),
        "latitude": resource.latitude,
        "longitude": resource.longitude,
    }


def interval(value: engine.Interval | None) -> dict[str, datetime] | None:
    return None if value is None else {"start": value.start, "end": value.end}


def catalog_entry(entry: catalog.CatalogEntry) -> dict[str, Any]:
    shown = facility(entry.resource) | {"next_free": interval(entry.next_free)}
    if entry.verdict is not None:
        shown["bookable"] = entry.verdict.bookable
        shown["violations"] = [violation_json(v, entry.resource.timezone) for v in entry.verdict.violations]
    return shown


def cell(value: engine.GridCell) -> dict[str, Any]:
    reason = value.reason
    return {
        "start": value.start,
        "end": value.end,
        "state": value.state.value,
        "reason": None if reason is None else (reason if isinstance(reason, str) else localized(reason)),
        "places_left": value.places_left,
        "violations": [violation_json(v) for v in value.violations],
    }


def booking(value: Booking) -> dict[str, Any]:
    resource = value.resource
    return {
        "id": value.id,
        "facility": {"id": resource.id, "name": names(resource.name_zh, resource.name_en)},
        "start": value.start_at,
        "end": value.end_at,
        "status": value.status.value,
        "party_size": value.party_size,
        "purpose": value.purpose,
        "series": value.series_id,
        "checked_in_at": value.checked_in_at,
        "created_at": value.created_at,
    }


def occurrence(value: Occurrence) -> dict[str, Any]:
    return {
        "start": value.interval.start,
        "end": value.interval.end,
        "bookable": value.ok,
        "violations": [violation_json(v) for v in value.decision.violations],
    }


def span(value: WaitlistEntry | Closure) -> dict[str, Any]:
    """Something of one facility over a time: a waitlist place, a closure (facility None: the university)."""
    return {"id": value.id, "facility": value.resource_id, "start": value.start_at, "end": value.end_at}


def waitlist_entry(entry: WaitlistEntry) -> dict[str, Any]:
    return span(entry) | {"status": entry.status.value}


def request(item: QueueItem) -> dict[str, Any]:
    return booking(item.booking) | {
        "requester": item.booking.user.display_name,
        "category": item.booking.user.category.value,
        "problems": [violation_json(v) for v in item.verdict.problems],
        "contested": item.verdict.contested,
    }


def outcome(value: Outcome) -> dict[str, Any]:
    """A batch of decisions: the requests decided, and why each of the others was not."""
    return {
        "decided": [booking(b) for b in value.decided],
        "refused": [
            {"booking": booking_id, "violations": [violation_json(v) for v in violations]}
            for booking_id, violations in value.refused.items()
        ],
    }


def figures(row: Row) -> dict[str, Any]:
    f = row.figures
    key = row.key
    return {
        "key": None if key is None else str(getattr(key, "id", None) or getattr(key, "value", None) or key),
        "unit": row.unit.value,
        "offered": f.offered,
        "booked": f.booked,
        "requests": f.requests,
        "cancelled": f.cancelled,
        "no_shows": f.no_shows,
        "refused": f.refused,
        "utilisation": f.utilisation,
        "openness": f.openness,
        "no_show_rate": f.no_show_rate,
        "cancellation_rate": f.cancellation_rate,
    }
