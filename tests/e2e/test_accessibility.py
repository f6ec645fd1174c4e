"""axe-core finds no serious or critical accessibility problem on the pages people use most."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.e2e.browsing import (
    MANAGER_HPU,
    STUDENT,
    Login,
    Page,
    expect,
    follow_nav,
    log_in,
    open_facility,
    open_manage,
    serious_accessibility_violations,
    show_week,
    today,
)

pytestmark = pytest.mark.e2e


def home(page: Page) -> None:
    page.goto("/")


def catalog(page: Page) -> None:
    page.goto("/facilities/?q=羽毛球")


def facility(page: Page) -> None:
    # Court 3 next week: free, booked, closed and past cells, and the demo's floor-maintenance closure.
    open_facility(page, "羽毛球馆 3号场")
    show_week(page, today() + timedelta(days=7))
    expect(page.locator("td.cell-closure").first).to_be_visible()


def booking_form(page: Page) -> None:
    open_facility(page, "羽毛球馆 3号场")
    page.get_by_role("link", name="预约", exact=True).click()


def my_bookings(page: Page) -> None:
    follow_nav(page, "我的预约")
    expect(page.locator("li.list-group-item").first).to_be_visible()


def manager_queue(page: Page) -> None:
    open_manage(page, "申请")
    expect(page.locator("li.card").first).to_be_visible()


PAGES: dict[str, tuple[Login | None, Callable[[Page], None]]] = {
    "home": (None, home),
    "catalog": (None, catalog),
    "facility": (STUDENT, facility),
    "booking form": (STUDENT, booking_form),
    "my bookings": (STUDENT, my_bookings),
    "manager queue": (MANAGER_HPU, manager_queue),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violations(new_page, name):
    login, open_the_page = PAGES[name]
    page = new_page()
    if login:
        log_in(page, login)
    open_the_page(page)
    assert serious_accessibility_violations(page) == []
