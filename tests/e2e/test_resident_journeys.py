"""A resident's journeys: book a badminton court from the week grid, move it, cancel it; be refused over the
quota."""

import re
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest

from tests.e2e.browsing import (
    RESIDENT,
    expect,
    expect_chinese,
    find_free_cell,
    follow_nav,
    free_cell_link,
    free_cells,
    log_in,
    monday_of,
    open_facility,
    register,
    show_week,
    today,
    unique_email,
)

pytestmark = pytest.mark.e2e


def test_resident_registers_books_a_badminton_court_downloads_it_and_cancels(new_page):
    page = new_page()
    register(page, "周晓梅", unique_email("resident"), "羽毛球打起来2026")
    expect_chinese(page)

    page.get_by_label("搜索场馆").fill("羽毛球")
    page.get_by_label("搜索场馆").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("找到 4 个场馆")
    expect_chinese(page)
    page.get_by_role("link", name="羽毛球馆 1号场").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("羽毛球馆 1号场")
    expect_chinese(page)

    # Tomorrow at the earliest: today's remaining hours may be inside the hour of notice the court asks.
    slot = find_free_cell(page, earliest=today() + timedelta(days=1))
    week = page.url  # the grid's week that holds the chosen cell
    free_cell_link(page, slot).click()
    expect(page.get_by_label("日期", exact=True)).to_have_value(slot.start.date().isoformat())
    expect(page.get_by_label("开始时间", exact=True)).to_have_value(slot.start.strftime("%H:%M"))
    expect_chinese(page)
    page.get_by_role("button", name="预约", exact=True).click()

    expect(page.get_by_role("status").filter(has_text="预约成功，已确认")).to_be_visible()
    expect(page.locator("#booking-status")).to_have_text("已确认")
    booking_page = page.url

    with page.expect_download() as download:
        page.get_by_role("link", name="添加到日历").click()
    assert download.value.suggested_filename.endswith(".ics")
    calendar = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "羽毛球馆 1号场" in str(event["SUMMARY"])
    start = event.decoded("DTSTART")
    assert start.replace(tzinfo=None) == slot.start
    assert str(start.tzinfo) == "Asia/Shanghai"
    assert event.decoded("DTEND") - start == timedelta(hours=1)

    page.goto(week)
    expect(free_cell_link(page, slot)).to_have_count(0)

    # Plans change: move it to a free hour a day later. Same booking, same calendar event, a higher SEQUENCE.
    later = find_free_cell(page, earliest=slot.start.date() + timedelta(days=1))
    later_week = page.url
    page.goto(booking_page)
    page.get_by_role("link", name="改期").click()
    expect(page.get_by_label("日期", exact=True)).to_have_value(slot.start.date().isoformat())
    expect(page.get_by_label("开始时间", exact=True)).to_have_value(slot.start.strftime("%H:%M"))
    expect_chinese(page)
    page.get_by_label("日期", exact=True).fill(later.start.date().isoformat())
    page.get_by_label("开始时间", exact=True).fill(later.start.strftime("%H:%M"))
    page.get_by_label("结束时间", exact=True).fill((later.start + timedelta(hours=1)).strftime("%H:%M"))
    page.get_by_role("button", name="确认改期").click()
    expect(page.get_by_role("status").filter(has_text="已改到新时间")).to_be_visible()
    expect(page.locator("#booking-status")).to_have_text("已确认")
    assert page.url == booking_page

    with page.expect_download() as download:
        page.get_by_role("link", name="添加到日历").click()
    (moved,) = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes()).walk("VEVENT")
    assert str(moved["UID"]) == str(event["UID"])
    assert int(moved["SEQUENCE"]) > int(event["SEQUENCE"])
    assert moved.decoded("DTSTART").replace(tzinfo=None) == later.start

    page.goto(week)
    expect(free_cell_link(page, slot)).to_be_visible()  # the old hour is free again
    page.goto(later_week)
    expect(free_cell_link(page, later)).to_have_count(0)

    page.goto(booking_page)
    page.get_by_role("link", name="取消预约").click()  # cancelling asks first, without JavaScript
    expect(page.locator("h1")).to_have_text("取消这个预约？")
    page.get_by_role("button", name="是的，取消").click()
    expect(page.locator("#booking-status")).to_have_text("已取消")
    page.goto(later_week)
    expect(free_cell_link(page, later)).to_be_visible()


def test_resident_over_the_weekly_quota_is_refused_next_to_the_form_and_nothing_is_booked(new_page):
    page = new_page()
    log_in(page, RESIDENT)
    # The demo resident already holds one booking of an HPU sports venue (court 2); the quota is 2 a week.
    follow_nav(page, "我的预约")
    existing = page.locator("li.list-group-item").filter(has_text="羽毛球馆 2号场")
    expect(existing).to_have_count(1)
    same_day = date.fromisoformat(re.search(r"\d{4}-\d{2}-\d{2}", existing.inner_text()).group())

    open_facility(page, "羽毛球馆 4号场")
    show_week(page, same_day)
    week = page.url
    first = find_free_cell(page, earliest=same_day, latest=same_day)
    # A second time that day, noted while the resident may still book it.
    second = next(
        c
        for c in free_cells(page)
        if c.start.date() == same_day and abs(c.start - first.start) >= timedelta(hours=2)
    )
    free_cell_link(page, first).click()
    page.get_by_role("button", name="预约", exact=True).click()
    expect(page.locator("#booking-status")).to_have_text("已确认")

    # The week grid now tells the truth: the quota is used up, so no time of the week is offered.
    page.goto(week)
    expect(free_cell_link(page, second)).to_have_count(0)
    expect(page.locator("td", has_text="已达上限").first).to_be_visible()

    # The form reached another way (a link kept from before) refuses it and says which rule.
    page.goto(second.href)
    page.get_by_role("button", name="预约", exact=True).click()

    refusal = page.locator("#booking-refused")
    expect(refusal).to_be_visible()
    expect(refusal).to_be_in_viewport()
    week_of = monday_of(same_day)
    expect(refusal).to_contain_text("无法预约")
    expect(refusal.locator("li[data-code^='quota']")).to_have_text(
        f"您在{week_of.month}月{week_of.day}日这一周已预约河南理工大学的体育场馆 2 次，上限为 2 次。"
    )
    # The refusal sits right above the form, which keeps what was entered.
    expect(page.locator("#booking-refused ~ form.booking-form")).to_be_visible()
    expect(page.get_by_label("开始时间", exact=True)).to_have_value(second.start.strftime("%H:%M"))
    expect_chinese(page)

    follow_nav(page, "我的预约")
    expect(page.locator("li.list-group-item").filter(has_text="羽毛球馆 4号场")).to_have_count(1)
