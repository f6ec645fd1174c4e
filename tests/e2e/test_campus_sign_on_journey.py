"""A student signs in with their university's CAS server and books a student-only facility at once.

The demo data connects Henan Polytechnic University to a CAS server at 127.0.0.1:5216 (booking/demo.py);
this module starts that server (django-cas-server, tests/campus_cas.py) for the journey.
"""

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.campus_cas import E2E_STUDENT, CasServer, start_cas_server
from tests.e2e.browsing import (
    MANAGER_HPU,
    expect,
    expect_chinese,
    find_free_cell,
    free_cell_link,
    log_in,
    open_facility,
    open_manage,
    serious_accessibility_violations,
    today,
)

pytestmark = pytest.mark.e2e
LAB = "大学生创新实验室"  # HPU's Student Innovation Lab: students only, no approval


@pytest.fixture(scope="module")
def demo_cas_server(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CasServer]:
    server = start_cas_server(tmp_path_factory.mktemp("demo-cas"), 5216)
    yield server
    server.stop()


def test_student_signs_in_with_the_university_and_books_a_student_facility_at_once(new_page, demo_cas_server):
    student = new_page()
    student.goto("/login")
    expect_chinese(student)
    assert serious_accessibility_violations(student) == []
    student.get_by_role("button", name="使用河南理工大学统一身份认证登录").click()

    # The university's own sign-in page.
    expect(student).to_have_url(re.compile(r"^http://127\.0\.0\.1:5216/cas/login\?service="))
    student.locator("#id_username").fill(E2E_STUDENT.username)
    student.locator("#id_password").fill(E2E_STUDENT.password)
    student.locator("#login_form button[type=submit]").click()

    # Back here: the university confirmed a new student; name and address are prefilled from it.
    expect(student.get_by_role("heading", name="创建您的账号")).to_be_visible()
    expect_chinese(student)
    expect(student.locator("main")).to_contain_text("312405060777")
    expect(student.get_by_label("您的姓名")).to_have_value("赵雪")
    expect(student.get_by_label("电子邮箱")).to_have_value("zhaoxue@stu.example.edu.cn")
    assert serious_accessibility_violations(student) == []
    student.get_by_role("button", name="创建我的账号").click()
    expect(student.get_by_role("navigation", name="主导航")).to_contain_text("赵雪")
    expect(student.locator("main")).to_contain_text("河南理工大学已确认您是本校学生")

    # No manager involved: the student-only lab books and confirms at once.
    open_facility(student, LAB)
    slot = find_free_cell(student, earliest=today() + timedelta(days=1))
    free_cell_link(student, slot).click()
    student.get_by_role("button", name="预约", exact=True).click()
    expect(student.get_by_role("status").filter(has_text="预约成功，已确认")).to_be_visible()
    expect(student.locator("#booking-status")).to_have_text("已确认")
    expect_chinese(student)

    # And nobody waits in the university's verification queue for this student.
    manager = new_page()
    log_in(manager, MANAGER_HPU)
    open_manage(manager, "学生")
    expect(manager.get_by_role("heading", level=1)).to_be_visible()
    expect(manager.locator("main")).not_to_contain_text("赵雪")
