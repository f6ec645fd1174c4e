"""Printing: the door sign (and any page) prints its content alone, without the navigation."""

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import MANAGER_HPU, log_in

pytestmark = pytest.mark.e2e


def test_a_printed_page_leaves_out_the_navigation_and_the_manager_tabs(new_page):
    page = new_page()
    log_in(page, MANAGER_HPU)
    page.goto("/manage/today")
    page.emulate_media(media="print")
    assert page.locator("nav.navbar").is_hidden()
    assert page.locator("footer").is_hidden()
    assert page.locator(".nav-tabs").is_hidden()
    assert page.locator("main h1").is_visible()
    door_signs = page.get_by_role("link", name="门牌")
    if door_signs.count():  # the demo's bookings of today that need a check-in
        door_signs.first.click()
        # The click starts a navigation: wait for the door sign itself before judging it.
        page.wait_for_url("**/door-sign")
        page.emulate_media(media="print")
        expect(page.locator(".door-sign img")).to_be_visible()
        expect(page.locator("#checkin-code")).to_be_visible()
        assert page.locator("nav.navbar").is_hidden()
