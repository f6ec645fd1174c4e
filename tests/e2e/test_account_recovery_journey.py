"""A resident's account journey in a real browser: sign up, confirm the address by the emailed link, forget
the password, reset it by the emailed link, sign in with the new one."""

import pytest

from tests.e2e.browsing import Login, emailed_link, expect, log_in, log_out, register, unique_email

pytestmark = pytest.mark.e2e


def test_sign_up_confirm_forget_reset_and_sign_in(new_page):
    page = new_page()
    email = unique_email("recovery")
    register(page, "陈思远", email, "青山绿水2026走", confirm=False)
    expect(page.locator("#unconfirmed-email")).to_be_visible()  # told what cannot be done yet

    page.goto(emailed_link(email, "/verify/"))
    expect(page.locator("#unconfirmed-email")).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="已确认")).to_be_visible()
    log_out(page)

    page.goto("/login")
    page.locator("#forgot-password").click()
    page.locator("#email").fill(email)
    page.locator("#submit").click()
    expect(page.get_by_role("status").filter(has_text="我们已向其发送设置新密码的链接")).to_be_visible()

    page.goto(emailed_link(email, "/password/reset/"))
    page.locator("#password").fill("黄河大桥夜景2027看")
    page.locator("#confirm").fill("黄河大桥夜景2027看")
    page.locator("#submit").click()
    expect(page.get_by_role("status").filter(has_text="密码已更改")).to_be_visible()

    log_in(page, Login(email, "黄河大桥夜景2027看"))
    expect(page.get_by_role("navigation", name="主导航")).to_contain_text("陈思远")
