"""Enterprise journeys: a weekly lab series around a closure, approved at once; a company is verified."""

from datetime import timedelta

import pytest

from tests.e2e.browsing import (
    ADMIN,
    ENTERPRISE,
    MANAGER_HJU,
    NEW_ENTERPRISE,
    clear_of_spring_festival,
    expect,
    expect_chinese,
    find_free_cell,
    follow_nav,
    free_cell_link,
    log_in,
    open_facility,
    open_manage,
    today,
)

pytestmark = pytest.mark.e2e
VEHICLE_LAB = "汽车检测与诊断实验室"
MATERIALS_LAB = "材料性能测试实验室"
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def test_enterprise_books_a_lab_weekly_around_a_closure_and_the_manager_approves_the_series(new_page):
    # Eight Tuesdays from three weeks ahead: past the demo's own bookings, clear of the Spring Festival.
    first = today() + timedelta(days=21)
    first += timedelta(days=(1 - first.weekday()) % 7)
    while not clear_of_spring_festival(first, first + timedelta(weeks=7)):
        first += timedelta(weeks=1)
    dates = [first + timedelta(weeks=n) for n in range(8)]
    closed = dates[2]

    manager = new_page()
    log_in(manager, MANAGER_HJU)
    # The lab takes bookings 30 days ahead; the manager opens it for the whole series first.
    open_manage(manager, "场馆")
    manager.get_by_role("row").filter(has_text=VEHICLE_LAB).get_by_role("link", name="预约规则").click()
    expect_chinese(manager)
    manager.get_by_label("最多可提前预约（天）").fill("180")
    manager.get_by_role("button", name="保存预约规则").click()
    expect(manager.get_by_role("status").filter(has_text="预约规则已保存")).to_be_visible()
    manager.get_by_role("list", name="校区管理").get_by_role("link", name="闭馆安排", exact=True).click()
    expect_chinese(manager)
    manager.get_by_label("闭馆范围").select_option(label=VEHICLE_LAB)
    manager.get_by_label("开始日期").fill(closed.isoformat())
    manager.get_by_label("结束日期").fill(closed.isoformat())
    manager.get_by_label("中文原因").fill("底盘测功机年度计量检定")
    manager.get_by_role("button", name="添加闭馆安排").click()
    expect(manager.get_by_role("status").filter(has_text="闭馆安排已添加")).to_be_visible()

    member = new_page()
    log_in(member, ENTERPRISE)
    open_facility(member, VEHICLE_LAB)
    member.get_by_role("link", name="预约", exact=True).click()
    member.get_by_label("日期", exact=True).fill(first.isoformat())
    member.get_by_label("开始时间", exact=True).fill("14:00")
    member.get_by_label("结束时间", exact=True).fill("16:00")
    member.get_by_label("用途").fill("减震器总成台架耐久测试")
    member.get_by_label("重复此预约").check()
    for weekday in WEEKDAYS:
        member.get_by_label(weekday, exact=True).set_checked(weekday == WEEKDAYS[first.weekday()])
    member.get_by_label("次数", exact=True).fill("8")
    member.get_by_role("button", name="预览重复预约").click()

    expect_chinese(member)
    rows = member.locator("tbody tr")
    expect(rows).to_have_count(8)
    expect(member.locator("tbody tr[data-ok='yes']")).to_have_count(7)
    blocked = member.locator("tbody tr[data-ok='no']")
    expect(blocked).to_contain_text(closed.isoformat())
    expect(blocked).to_contain_text("底盘测功机年度计量检定")
    for day in dates:
        expect(rows.filter(has_text=day.isoformat())).to_have_count(1)
    member.get_by_role("button", name="预约其中 7 个可预约的日期").click()
    expect(member.get_by_role("status")).to_have_text("已预约该重复预约中的 7 个日期。 1 个日期未能预约。")
    expect(member.locator("#booking-status")).to_have_text("待审批")

    open_manage(manager, "申请")
    request = manager.locator("li.card").filter(has_text="刘洋").filter(has_text=VEHICLE_LAB).first
    expect(request).to_contain_text("减震器总成台架耐久测试")
    request.get_by_role("button", name="批准全部 7 个待审批日期").click()
    expect(manager.locator("li.card").filter(has_text="刘洋").filter(has_text=VEHICLE_LAB)).to_have_count(0)

    follow_nav(member, "我的预约")
    series = member.locator("li.list-group-item").filter(has_text=VEHICLE_LAB)
    expect(series).to_have_count(7)
    expect(series.filter(has_text="已确认")).to_have_count(7)
    expect(series.filter(has_text=closed.isoformat())).to_have_count(0)


def test_admin_verifies_a_company_and_its_member_can_then_book_an_enterprise_lab(new_page):
    # A visitor sees the lab's own free times: an hour from the day after tomorrow, with the half hour the
    # lab keeps free after it.
    visitor = new_page()
    open_facility(visitor, MATERIALS_LAB)
    slot = find_free_cell(visitor, earliest=today() + timedelta(days=2), minutes=90, slot=30)
    week = visitor.url

    member = new_page()
    log_in(member, NEW_ENTERPRISE)
    # Until the city verifies the company its member books as a resident: the grid offers none of the times.
    member.goto(week)
    expect(member.locator("td[data-state='not_for_you']").first).to_be_visible()
    expect(free_cell_link(member, slot)).to_have_count(0)
    # A link to the time (shared by a colleague, say) still reaches the form, which explains the refusal.
    member.goto(slot.href)
    member.get_by_role("button", name="预约", exact=True).click()
    refusal = member.locator("#booking-refused")
    # Until the city verifies the company, its members book as residents; the refusal says the
    # verification is pending rather than only that the lab is not for residents.
    expect(refusal).to_contain_text("正在由市协调办公室认证")
    expect_chinese(member)

    admin = new_page()
    log_in(admin, ADMIN)
    open_manage(admin, "市校地合作办公室")
    admin.get_by_role("link", name="企业", exact=True).click()
    expect_chinese(admin)
    admin.get_by_role("link", name="焦作智联信息技术有限公司").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("焦作智联信息技术有限公司")
    expect(admin.get_by_role("row").filter(has_text="赵磊")).to_contain_text("待认证")
    admin.get_by_role("button", name="认证企业").click()
    expect(admin.locator("dl")).to_contain_text(f"已于 {today().isoformat()} 认证")
    expect(admin.get_by_role("row").filter(has_text="赵磊")).to_contain_text("已认证")

    # The same request, sent again from the form that kept it: now it goes to the lab for approval.
    member.get_by_role("button", name="预约", exact=True).click()
    expect(member.locator("#booking-status")).to_have_text("待审批")
    follow_nav(member, "通知")
    expect(member.locator("#notifications")).to_contain_text("认证")
