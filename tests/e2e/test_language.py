"""Languages: switch to English and back; a logged-in person's saved language wins over the browser's."""

import pytest

from tests.e2e.browsing import NEW_STUDENT, expect, expect_chinese, follow_nav, log_in, log_out

pytestmark = pytest.mark.e2e


def test_visitor_switches_to_english_and_back(new_page):
    page = new_page()
    page.goto("/facilities/")
    expect(page.get_by_role("heading", level=1)).to_have_text("共享场馆")
    expect_chinese(page)

    page.get_by_role("button", name="English").click()
    expect(page).to_have_url("/facilities/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared facilities")
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.get_by_role("link", name="Facilities")).to_be_visible()
    expect(navigation.get_by_role("link", name="Register")).to_be_visible()

    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("共享场馆")
    expect_chinese(page)


def test_saved_language_wins_over_the_browsers(new_page):
    page = new_page(locale="zh-CN")
    log_in(page, NEW_STUDENT)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    log_out(page)

    # Another browser that asks for Chinese: once logged in, the saved English wins.
    chinese_browser = new_page(locale="zh-CN")
    chinese_browser.goto("/")
    expect(chinese_browser.locator("html")).to_have_attribute("lang", "zh-CN")
    log_in(chinese_browser, NEW_STUDENT)
    expect(chinese_browser.locator("html")).to_have_attribute("lang", "en")
    follow_nav(chinese_browser, "My bookings", navigation="Main navigation")
    expect(chinese_browser.get_by_role("heading", level=1)).to_have_text("My bookings")

    # Switching back saves Chinese, which then wins over a browser that asks for English.
    chinese_browser.get_by_role("button", name="中文").click()
    expect(chinese_browser.get_by_role("heading", level=1)).to_have_text("我的预约")
    english_browser = new_page(locale="en-US")
    english_browser.goto("/")
    expect(english_browser.locator("html")).to_have_attribute("lang", "en")
    log_in(english_browser, NEW_STUDENT)
    follow_nav(english_browser, "我的预约")
    expect(english_browser.get_by_role("heading", level=1)).to_have_text("我的预约")
    expect_chinese(english_browser)
