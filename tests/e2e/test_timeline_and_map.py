"""The timeline and the map in a real browser: a resident books a court from the timeline on a phone; axe
finds nothing serious on either; each leaves a screenshot under docs/screenshots/ for the README."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.e2e.browsing import (
    MANAGER_HPU,
    Login,
    expect,
    horizontal_overflow,
    log_in,
    register,
    serious_accessibility_violations,
    today,
    unique_email,
)

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def timeline_of_courts(day) -> str:
    return f"/facilities/timeline?q={quote('羽毛球')}&day={day.isoformat()}"


def test_resident_books_a_court_from_the_timeline_on_a_phone(new_page):
    # A new resident (the demo resident's weekly quota may be used up by the other journeys), signed up on a
    # desktop and then on the phone.
    person = Login(unique_email("timeline"), "badminton court 42")
    register(new_page(), "林小雨", person.email, person.password)
    page = new_page(**PHONE)
    log_in(page, person)
    tomorrow = today() + timedelta(days=1)
    page.goto(timeline_of_courts(tomorrow))
    rows = page.locator("table.timeline tbody tr")
    assert rows.count() >= 4  # the four badminton courts, one per row
    # The page never scrolls sideways: the timeline does, in its own box, with the names pinned.
    assert horizontal_overflow(page) == 0
    box = page.locator(".timeline-scroll")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")
    name_cell = rows.first.locator("th")
    assert name_cell.evaluate("cell => getComputedStyle(cell).position") == "sticky"

    free = page.locator("table.timeline td.cell-free a.cell-link").first
    href = free.get_attribute("href")
    assert href is not None
    start = parse_qs(urlsplit(href).query)["start"][0]
    free.scroll_into_view_if_needed()
    free.tap()
    expect(page.get_by_label("日期", exact=True)).to_have_value(start[:10])
    expect(page.get_by_label("开始时间", exact=True)).to_have_value(start[11:16])
    page.get_by_role("button", name="预约", exact=True).click()
    expect(page.locator("#booking-status")).to_have_text("已确认")

    # Back on the timeline, the slot is no longer offered.
    page.goto(timeline_of_courts(tomorrow))
    expect(page.locator(f'table.timeline a.cell-link[href="{href}"]')).to_have_count(0)


def test_timeline_has_no_serious_accessibility_violations(new_page):
    # In English, for the README (the browser here has no Chinese fonts for a legible screenshot).
    page = new_page(locale="en")
    log_in(page, MANAGER_HPU)
    page.goto(f"/facilities/timeline?q=badminton&day={(today() + timedelta(days=1)).isoformat()}")
    expect(page.locator("table.timeline")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "timeline.png", full_page=True)


def test_map_has_no_serious_accessibility_violations(new_page):
    page = new_page(locale="en")
    page.goto("/facilities/map")
    expect(page.locator("#facility-map .leaflet-marker-icon").first).to_be_visible()
    assert page.locator("#facility-map .leaflet-marker-icon").count() >= 10
    assert serious_accessibility_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "map.png", full_page=True)
