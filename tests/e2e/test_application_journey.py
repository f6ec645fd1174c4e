"""A lab's own application: an enterprise member answers the battery lab's questions, accepts its safety
commitment and attaches a safety plan; the lab's manager reads the answers and opens the file in the queue."""

from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.browsing import (
    ENTERPRISE,
    MANAGER_HPU,
    expect,
    expect_chinese,
    find_free_cell,
    log_in,
    open_facility,
    open_manage,
    serious_accessibility_violations,
    today,
)

pytestmark = pytest.mark.e2e
BATTERY_LAB = "新能源电池实验室"
PLAN = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_an_enterprise_answers_a_labs_questions_and_the_manager_sees_them_with_the_file(
    new_page, tmp_path: Path
):
    plan = tmp_path / "电芯测试安全预案.pdf"
    plan.write_bytes(PLAN)
    purpose = "18650电芯循环寿命测试（申请表旅程）"

    member = new_page()
    log_in(member, ENTERPRISE)
    open_facility(member, BATTERY_LAB)
    slot = find_free_cell(member, earliest=today() + timedelta(days=2), minutes=60, slot=30)
    member.goto(slot.href)
    expect_chinese(member)
    questions = member.get_by_role("group", name="该设施的申请问题")
    expect(questions).to_contain_text("安全承诺")
    # The safety commitment keeps its numbered lines in a box that scrolls, and the group's title stands above
    # its first question, not beside it (an inline style, blocked by the CSP, once did neither).
    terms = member.locator(".terms-text")
    assert terms.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-line"
    assert terms.evaluate("e => getComputedStyle(e).overflowY") == "auto"
    legend = questions.locator("legend").first.bounding_box()
    first_label = questions.locator("[data-question]").first.bounding_box()
    assert legend and first_label and first_label["y"] >= legend["y"] + legend["height"] - 1
    assert serious_accessibility_violations(member) == []
    member.get_by_label("用途").fill(purpose)
    member.get_by_label("测试样品类型").select_option(label="电池模组")
    member.get_by_label("样品数量").fill("12")
    member.get_by_role("group", name="操作人员已完成实验室安全培训").get_by_label("是", exact=True).check()
    member.get_by_label("安全培训日期").fill((today() - timedelta(days=30)).isoformat())
    member.get_by_label("测试内容与应急措施").fill("恒流充放电循环；冒烟即断电并使用灭火毯。")
    member.get_by_label("上传附件").set_input_files(str(plan))

    # Without the safety commitment the request comes back, saying why, and nothing is booked.
    member.get_by_role("button", name="预约", exact=True).click()
    expect(member.locator("#accept_terms-error")).to_contain_text("请阅读并接受须知")
    expect(member.get_by_label("测试内容与应急措施")).to_have_value(
        "恒流充放电循环；冒烟即断电并使用灭火毯。"
    )
    member.get_by_label("我已阅读并接受以上须知。").check()
    member.get_by_label("上传附件").set_input_files(str(plan))
    member.get_by_role("button", name="预约", exact=True).click()
    expect(member.locator("#booking-status")).to_have_text("待审批")
    answers = member.locator("section.application-answers")
    expect(answers).to_contain_text("电池模组")
    expect(answers).to_contain_text("已于")
    expect(answers.get_by_role("link", name="电芯测试安全预案.pdf")).to_be_visible()

    manager = new_page()
    log_in(manager, MANAGER_HPU)
    open_manage(manager, "申请")
    expect_chinese(manager)
    request = manager.locator("li.card").filter(has_text=purpose)
    expect(request).to_contain_text("测试样品类型")
    expect(request).to_contain_text("电池模组")
    expect(request).to_contain_text("12")
    expect(request.locator("[data-answer='qtrained']")).to_have_text("是")
    expect(request).to_contain_text("恒流充放电循环；冒烟即断电并使用灭火毯。")
    expect(request.locator("[data-terms-version]")).to_contain_text("第1版")
    assert serious_accessibility_violations(manager) == []
    with manager.expect_download() as download:
        request.get_by_role("link", name="电芯测试安全预案.pdf").click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == PLAN
    assert download.value.suggested_filename == "电芯测试安全预案.pdf"
