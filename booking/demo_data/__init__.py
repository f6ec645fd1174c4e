"""The demo's data, read from the TOML files beside this module into the plain records booking/demo.py seeds.

- organizations.toml: [[university]] (with its campus) and [[enterprise]];
- accounts.toml: [[account]], demo logins (with a password and a role) and the people who fill the grids;
- rules.toml: named [hours] and [policy.<name>] the facilities refer to, [[quota]] and [[closure]];
- facilities.toml: [template.<name>] and [[facility]] (`like = "<template>"` starts from a template);
- bookings.toml: [[wish]] (a demo account's own booking), [[placement]], [people] and [[crowd]].

To add a record, add a table to its file (field names are those of the records below; enums by their value,
e.g. category = "student"); the order in a file is the order of creation, and what is already in the
database (matched by natural key, see booking/demo.py) is left as it is. Reading only: nothing is written.
"""

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from booking.credit_code import check_character
from models.enums import Category, Mode, QuotaPeriod, QuotaScope, ResourceKind, Verification

FOLDER = Path(__file__).parent
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_CATEGORY = [category.value for category in (Category.RESIDENT, Category.STUDENT, Category.ENTERPRISE)]

Hours = tuple[tuple[int, time, time], ...]


@dataclass(frozen=True)
class UniversitySpec:
    code: str
    name_zh: str
    name_en: str
    campus: str
    address: str
    latitude: float
    longitude: float
    campus_en: str = ""
    address_en: str = ""


@dataclass(frozen=True)
class EnterpriseSpec:
    key: str
    code17: str  # the unified social credit code without its check character
    name_zh: str
    name_en: str
    industry: str
    verified: bool

    @property
    def code(self) -> str:
        return self.code17 + check_character(self.code17)


@dataclass(frozen=True)
class AccountSpec:
    email: str
    display_name: str
    category: Category
    organization: str | None = None  # a university code or an enterprise key
    verification: Verification = Verification.NONE
    student_number: str | None = None
    manages: str | None = None
    is_admin: bool = False
    # Demo logins have a memorable password and are printed; the people who fill the grids cannot log in.
    password: str | None = None
    role: str = ""


@dataclass(frozen=True)
class FacilitySpec:
    key: str
    university: str
    kind: ResourceKind
    mode: Mode
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    capacity: int
    slot_minutes: int
    hours: Hours
    policy: dict[str, Any]
    tags: tuple[str, ...]
    building: str  # appended to the campus address
    offset: tuple[float, float] = (0.0, 0.0)  # degrees from the campus centre


@dataclass(frozen=True)
class QuotaSpec:
    university: str
    category: Category | None
    resource_kind: ResourceKind | None
    period: QuotaPeriod
    scope: QuotaScope = QuotaScope.USER
    max_bookings: int | None = None
    max_hours: float | None = None
    facility: str | None = None  # a facility key, for a quota on one facility


@dataclass(frozen=True)
class ClosureSpec:
    university: str
    reason_zh: str
    reason_en: str
    facility: str | None = None
    start: date | None = None  # whole days, start to end (not included) ...
    end: date | None = None
    next_week_day: str | None = None  # ... or a day of next week, start_time to end_time
    start_time: str = "00:00"
    end_time: str = "00:00"

    def span(self, today: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """When it starts and ends, in local time, for a demo loaded `today`."""
        if self.next_week_day is None:
            assert self.start is not None and self.end is not None, f"closure {self.reason_en}: no dates"
            first, last, opens, closes = self.start, self.end, time(0), time(0)
        else:
            first = last = today + timedelta(days=7 - today.weekday() + DAY_NAMES.index(self.next_week_day))
            opens, closes = clock_time(self.start_time), clock_time(self.end_time)
        return datetime.combine(first, opens, tz), datetime.combine(last, closes, tz)


@dataclass(frozen=True)
class Wish:
    """Someone's booking as the demo script wants it: the first fitting start among the candidates is used."""

    facility: str
    email: str
    minutes: int
    party_size: int
    days: tuple[int, ...]  # local days from today
    at: tuple[str, ...]  # preferred local start times, in order
    purpose: str
    # pending: awaits a manager if the facility asks approval of this person, else confirmed;
    # approved: confirmed by the university's manager; cancelled: the person changed their mind.
    status: str = "pending"


@dataclass(frozen=True)
class Placement:
    facility: str
    email: str
    weeks: int
    status: str


@dataclass(frozen=True)
class Crowd:
    """Bookings by the people of Jiaozuo that fill the grids: who, where, how often, how long, and why."""

    people: tuple[str, ...]
    facilities: tuple[str, ...]
    attempts: int
    minutes: tuple[int, ...]
    party: tuple[int, int]
    purposes: tuple[str, ...]
    leisure: bool = True  # evenings and weekends are busier


def clock_time(value: str) -> time:
    """ "08:30" as a time of day."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _read(name: str) -> dict[str, Any]:
    with (FOLDER / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def _days(spec: str) -> list[int]:
    """ "mon-fri" or "wed" as weekday numbers (Monday 0)."""
    first, _, last = spec.partition("-")
    return list(range(DAY_NAMES.index(first), DAY_NAMES.index(last or first) + 1))


def _hours(rows: list[list[str]]) -> Hours:
    """Opening intervals; "00:00" as closing time means midnight at the end of the day."""
    return tuple(
        sorted(
            (day, clock_time(opens), clock_time(closes))
            for days, opens, closes in rows
            for day in _days(days)
        )
    )


def _policy(given: str | dict[str, Any], presets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A policy's columns: a preset by name, or a table that may start `like` a preset."""
    if isinstance(given, str):
        given = {"like": given}
    fields = dict(given)
    base = presets[fields.pop("like")] if "like" in fields else {}
    merged = {"allowed_categories": EVERY_CATEGORY, "approval_categories": [], **base, **fields}
    return {k: list(v) if isinstance(v, list) else v for k, v in merged.items()}


def _facility(record: dict[str, Any], templates: dict[str, dict[str, Any]]) -> FacilitySpec:
    """A [[facility]], from its template if it names one, with its hours and policy looked up."""
    fields = {**templates[record["like"]], **record} if "like" in record else dict(record)
    fields.pop("like", None)
    return FacilitySpec(
        **{
            **fields,
            "kind": ResourceKind(fields["kind"]),
            "mode": Mode(fields["mode"]),
            "hours": HOURS[fields["hours"]],
            "policy": _policy(fields["policy"], POLICIES),
            "tags": tuple(fields["tags"]),
            "offset": tuple(fields.get("offset", (0.0, 0.0))),
        }
    )


def _people(names: list[str], groups: dict[str, list[str]]) -> tuple[str, ...]:
    """Email addresses, with each group name replaced by its members."""
    return tuple(email for name in names for email in (groups[name] if "@" not in name else [name]))


_organizations = _read("organizations")
_accounts = _read("accounts")
_rules = _read("rules")
_facilities = _read("facilities")
_bookings = _read("bookings")

UNIVERSITIES = tuple(UniversitySpec(**record) for record in _organizations["university"])
ENTERPRISES = tuple(EnterpriseSpec(**record) for record in _organizations["enterprise"])
ACCOUNTS = tuple(
    AccountSpec(
        **{
            **record,
            "category": Category(record["category"]),
            "verification": Verification(record.get("verification", Verification.NONE.value)),
        }
    )
    for record in _accounts["account"]
)
HOURS = {name: _hours(rows) for name, rows in _rules["hours"].items()}
POLICIES = {name: _policy(table, {}) for name, table in _rules["policy"].items()}
FACILITIES = tuple(_facility(record, _facilities["template"]) for record in _facilities["facility"])
QUOTAS = tuple(
    QuotaSpec(
        **{
            **record,
            "category": Category(record["category"]) if "category" in record else None,
            "resource_kind": ResourceKind(record["resource_kind"]) if "resource_kind" in record else None,
            "period": QuotaPeriod(record["period"]),
            "scope": QuotaScope(record.get("scope", QuotaScope.USER.value)),
        }
    )
    for record in _rules["quota"]
)
CLOSURES = tuple(ClosureSpec(**record) for record in _rules["closure"])
WISHES = tuple(
    Wish(**{**record, "days": tuple(record["days"]), "at": tuple(record["at"])})
    for record in _bookings["wish"]
)
PLACEMENTS = tuple(Placement(**record) for record in _bookings["placement"])
PLACEMENT_STATEMENTS: dict[str, str] = _bookings["placement_statement"]
PEOPLE: dict[str, tuple[str, ...]] = {name: tuple(emails) for name, emails in _bookings["people"].items()}
CROWDS = tuple(
    Crowd(
        **{
            **record,
            "people": _people(record["people"], _bookings["people"]),
            "facilities": tuple(record["facilities"]),
            "minutes": tuple(record["minutes"]),
            "party": tuple(record["party"]),
            "purposes": tuple(record["purposes"]),
        }
    )
    for record in _bookings["crowd"]
)
