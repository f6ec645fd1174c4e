"""A campus manager's journey: close a lab over a booking, cancel it with a reason; the owner is told."""

import re
from datetime import date

import pytest

from tests.e2e.browsing import (
    MANAGER_HPU,
    STUDENT,
    expect,
    expect_chinese,
    follow_nav,
    log_in,
    open_manage,
)

pytestmark = pytest.mark.e2e
LAB = "大学生创新实验室"
MESSAGE = "3D打印机和激光切割机年度检修，请改约其他时间，给您带来不便敬请谅解。"


def test_manager_closes_a_lab_over_a_booking_and_cancels_it_and_the_owner_is_told(new_page):
    owner = new_page()
    log_in(owner, STUDENT)
    follow_nav(owner, "我的预约")
    booking = owner.locator("li.list-group-item").filter(has_text=LAB)
    expect(booking).to_contain_text("已确认")
    day = date.fromisoformat(re.search(r"\d{4}-\d{2}-\d{2}", booking.inner_text()).group())

    manager = new_page()
    log_in(manager, MANAGER_HPU)
    open_manage(manager, "申请")
    manager.get_by_role("list", name="校区管理").get_by_role("link", name="闭馆安排", exact=True).click()
    manager.get_by_label("闭馆范围").select_option(label=LAB)
    manager.get_by_label("开始日期").fill(day.isoformat())
    manager.get_by_label("结束日期").fill(day.isoformat())
    manager.get_by_label("中文原因").fill("设备年度检修")
    manager.get_by_role("button", name="添加闭馆安排").click()

    # Nothing is written yet: the manager first sees the booking the closure covers, ticked to cancel.
    review = manager.locator("#closure-review")
    expect(review).to_contain_text("1 个预约")
    covered = review.get_by_role("checkbox", name=re.compile("李娜"))
    expect(covered).to_be_checked()
    expect(manager.get_by_label("给被取消预约者的说明")).to_have_value("设备年度检修")
    expect_chinese(manager)
    manager.get_by_label("给被取消预约者的说明").fill(MESSAGE)
    manager.get_by_role("button", name="添加闭馆安排并取消所勾选的预约").click()
    expect(manager.get_by_role("status").filter(has_text="闭馆安排已添加")).to_be_visible()
    expect(manager.get_by_role("status").filter(has_text="已取消 1 个预约")).to_be_visible()
    expect(manager.locator("#closure-list tr").filter(has_text=LAB)).to_contain_text("设备年度检修")

    owner.reload()
    expect(owner.locator("#unread-badge")).to_be_visible()
    follow_nav(owner, "通知")
    told = owner.locator("#notifications li").filter(has_text=LAB)
    expect(told).to_contain_text(MESSAGE)
    expect(told).to_contain_text(day.isoformat())
    expect_chinese(owner)
    told.get_by_role("link", name="查看预约").click()
    expect(owner.locator("#booking-status")).to_have_text("已取消")
