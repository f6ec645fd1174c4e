"""A student's journey: register with a university, be verified by its manager, apply for a training base."""

from datetime import timedelta

import pytest

from tests.e2e.browsing import (
    MANAGER_HPU,
    clear_of_spring_festival,
    expect,
    expect_chinese,
    follow_nav,
    log_in,
    open_facility,
    open_manage,
    register,
    today,
    unique_email,
)

pytestmark = pytest.mark.e2e
BASE = "新材料产教融合实训基地"
STATEMENT = "材料成型及控制工程专业大三学生，做过金相制样和硬度测试，希望在企业导师指导下参与锂电材料检测。"


def test_student_is_verified_applies_for_a_training_base_and_is_approved(new_page):
    student = new_page()
    email = unique_email("student")
    password = "实训基地2026申请"
    register(student, "宋佳怡", email, password, university="河南理工大学", student_number="312405060233")
    expect_chinese(student)

    manager = new_page()
    log_in(manager, MANAGER_HPU)
    open_manage(manager, "学生")
    expect_chinese(manager)
    row = manager.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text("312405060233")
    row.get_by_role("button", name="通过认证").click()
    manager.get_by_role("link", name="已认证", exact=True).click()
    expect(manager.get_by_role("row").filter(has_text=email)).to_contain_text("已认证")

    # One week of whole days, two weeks from now (placements need a day's notice and at least a week).
    first = today() + timedelta(days=14)
    while not clear_of_spring_festival(first, first + timedelta(days=6)):
        first += timedelta(days=7)
    open_facility(student, BASE)
    student.get_by_role("link", name="申请名额").click()
    expect_chinese(student)
    student.get_by_label("开始日期").fill(first.isoformat())
    student.get_by_label("结束日期").fill((first + timedelta(days=6)).isoformat())
    student.get_by_label("申请说明").fill(STATEMENT)
    student.get_by_role("button", name="提交申请").click()
    expect(student.locator("#booking-status")).to_have_text("待审批")

    open_manage(manager, "申请")
    request = manager.locator("li.card").filter(has_text="宋佳怡")
    expect(request).to_contain_text(BASE)
    expect(request).to_contain_text(STATEMENT)
    expect(request.locator("[data-clash]")).to_have_text("可批准")
    expect_chinese(manager)
    request.get_by_role("button", name="批准", exact=True).click()
    expect(manager.locator("li.card").filter(has_text="宋佳怡")).to_have_count(0)

    follow_nav(student, "我的预约")
    expect(student.locator("li.list-group-item").filter(has_text=BASE)).to_contain_text("已确认")
    expect(student.locator("#unread-badge")).to_be_visible()
    follow_nav(student, "通知")
    expect_chinese(student)
    approved = student.locator("#notifications li").filter(has_text=BASE).filter(has_text="批准")
    expect(approved).to_contain_text(first.isoformat())
