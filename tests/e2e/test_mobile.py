"""On a phone (390×844, touch): the facility page and the booking form fit; the grid can be tapped."""

from datetime import timedelta

import pytest

from tests.e2e.browsing import (
    RESIDENT,
    artifact,
    expect,
    expect_chinese,
    find_free_cell,
    free_cell_link,
    horizontal_overflow,
    log_in,
    open_facility,
    today,
)

pytestmark = pytest.mark.e2e
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def test_phone_books_from_the_week_grid_without_sideways_scrolling(new_page):
    page = new_page(**PHONE)
    log_in(page, RESIDENT)
    # The navigation folds behind its toggle button and opens on a tap.
    expect(page.get_by_role("link", name="我的预约")).to_be_hidden()
    page.get_by_role("button", name="展开或收起导航").tap()
    expect(page.get_by_role("link", name="我的预约")).to_be_visible()

    open_facility(page, "羽毛球馆 2号场")
    expect_chinese(page)
    assert horizontal_overflow(page) == 0
    # The week is wider than the phone: it scrolls sideways inside its own box, not the page.
    grid = page.locator(".week-grid-scroll")
    assert grid.evaluate("box => box.scrollWidth > box.clientWidth")
    page.screenshot(path=artifact("mobile/facility.png"), full_page=True)

    slot = find_free_cell(page, earliest=today() + timedelta(days=1))
    free_cell_link(page, slot).tap()
    expect(page.get_by_label("日期", exact=True)).to_have_value(slot.start.date().isoformat())
    expect(page.get_by_label("开始时间", exact=True)).to_have_value(slot.start.strftime("%H:%M"))
    assert horizontal_overflow(page) == 0
    expect(page.get_by_role("button", name="预约", exact=True)).to_be_visible()
    page.screenshot(path=artifact("mobile/booking-form.png"), full_page=True)
