"""The VTIMEZONE of a calendar file: built once per zone and years, each file with its own copy."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar, Timezone

from booking import ics
from models import BookingStatus

TEXTS = ics.Texts(
    locale="en",
    status_labels={status: status.value for status in BookingStatus},
    purpose="Purpose",
    status="Status",
    booked="Booked",
)
LINKS = ics.Links(uid_domain="campus-city.example", organizer_email="noreply@campus-city.example")


def booking_at(start: datetime, timezone: str = "Asia/Shanghai", n: int = 1) -> ics.BookingRow:
    return ics.BookingRow(
        id=n,
        uuid=f"uuid-{n}",
        start_at=start,
        end_at=start + timedelta(hours=1),
        status=BookingStatus.CONFIRMED,
        sequence=0,
        updated_at=start,
        purpose="",
        all_day=False,
        resource_id=1,
        timezone=timezone,
        resource_zh="羽毛球场",
        resource_en="Badminton court",
        address="",
        latitude=None,
        longitude=None,
        university_zh="河南理工大学",
        university_en="Henan Polytechnic University",
    )


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The zones whose VTIMEZONE is computed (the slow part), from an empty cache."""
    ics._built_vtimezone.cache_clear()
    calls: list[str] = []
    original = Timezone.from_tzid

    def counting(tzid: str, *args, **kwargs) -> Timezone:
        calls.append(tzid)
        return original(tzid, *args, **kwargs)

    monkeypatch.setattr(Timezone, "from_tzid", counting)
    yield calls
    ics._built_vtimezone.cache_clear()


def test_bookings_in_the_same_years_share_one_computed_vtimezone(builds: list[str]) -> None:
    files = [
        ics.booking_file(booking_at(datetime(2026, 11, day, 2, tzinfo=UTC)), TEXTS, LINKS)
        for day in (2, 15, 28)
    ]
    assert builds == ["Asia/Shanghai"]
    assert len({Calendar.from_ical(body).timezones[0].to_ical() for body in files}) == 1
    ics.booking_file(booking_at(datetime(2027, 1, 5, 2, tzinfo=UTC)), TEXTS, LINKS)
    assert builds == ["Asia/Shanghai", "Asia/Shanghai"]


def test_a_calendar_cannot_change_the_vtimezone_of_the_next(builds: list[str]) -> None:
    first = ics._vtimezone("Europe/Berlin", 2026, 2026)
    first.add("COMMENT", "changed by one calendar")
    first.subcomponents.clear()
    second = ics._vtimezone("Europe/Berlin", 2026, 2026)
    assert b"changed by one calendar" not in second.to_ical()
    assert len(second.subcomponents) == 3  # winter, summer from 29 March, winter from 25 October
    assert builds == ["Europe/Berlin"]


def test_events_on_both_sides_of_a_dst_change_read_right_from_the_shared_vtimezone(
    builds: list[str], parse_ics
) -> None:
    # 28 March and 30 March 2026 in Berlin, 09:00 local: 08:00 UTC in winter, 07:00 UTC in summer.
    winter = booking_at(datetime(2026, 3, 28, 8, tzinfo=UTC), "Europe/Berlin", 1)
    summer = booking_at(datetime(2026, 3, 30, 7, tzinfo=UTC), "Europe/Berlin", 2)
    for row in (winter, summer, winter):
        (facts,) = parse_ics(ics.booking_file(row, TEXTS, LINKS))
        assert facts.start == row.start_at
