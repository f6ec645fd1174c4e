"""What a person does in the browser, said once: log in, register, find a facility, pick a free cell.

Playwright is imported here, guarded, so that without it the test modules still import and the conftest skips
the whole suite with one line.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

from tests.smtp import Inbox

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Browser, Locator, Page, Response, expect, sync_playwright

    PLAYWRIGHT_MISSING = False
except ImportError:  # the conftest skips every browser test with one line
    Axe = Browser = Locator = Page = Response = sync_playwright = expect = Any
    PLAYWRIGHT_MISSING = True

__all__ = ["Browser", "Locator", "Page", "Response", "expect", "sync_playwright"]

CHROMIUM = "/usr/bin/chromium"
JIAOZUO = ZoneInfo("Asia/Shanghai")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
# The demo's Spring Festival closure at every university (booking/demo.py); series and placements avoid it.
SPRING_FESTIVAL = (date(2027, 2, 6), date(2027, 2, 15))
# What the live server's mail server received (tests/e2e/conftest.py starts it).
MAILBOX = Inbox()


@dataclass(frozen=True)
class Login:
    email: str
    password: str


RESIDENT = Login("resident@demo.jz", "demo-resident-2026")
STUDENT = Login("student@demo.jz", "demo-student-2026")
NEW_STUDENT = Login("newstudent@demo.jz", "demo-newstudent-2026")
ENTERPRISE = Login("enterprise@demo.jz", "demo-enterprise-2026")
NEW_ENTERPRISE = Login("newenterprise@demo.jz", "demo-newenterprise-2026")
MANAGER_HPU = Login("manager.hpu@demo.jz", "demo-manager-2026")
MANAGER_HJU = Login("manager.hju@demo.jz", "demo-manager-2026")
ADMIN = Login("admin@demo.jz", "demo-admin-2026")


def today() -> date:
    """Today in Jiaozuo, where every demo facility is."""
    return datetime.now(JIAOZUO).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def clear_of_spring_festival(first: date, last: date) -> bool:
    return last < SPRING_FESTIVAL[0] or first > SPRING_FESTIVAL[1]


def unique_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.cn"


# ------------------------------------------------------------------------------------------------------------
# Accounts
# ------------------------------------------------------------------------------------------------------------


def log_in(page: Page, login: Login) -> None:
    """Through the real form (by field id, so it works in either language)."""
    page.goto("/login")
    page.locator("#email").fill(login.email)
    page.locator("#password").fill(login.password)
    page.locator("#submit").click()
    expect(page.locator("form[action='/logout']")).to_be_attached()
    page.wait_for_load_state()  # scripts too, before anyone taps the navigation's toggle


def log_out(page: Page) -> None:
    page.locator("form[action='/logout'] button").click()
    expect(page.locator("a.nav-link[href='/login']")).to_be_visible()


def register(
    page: Page,
    name: str,
    email: str,
    password: str,
    *,
    university: str = "",
    student_number: str = "",
    confirm: bool = True,
) -> None:
    """Register from the navigation bar: as a resident, or as a student of `university`; then (unless
    `confirm` is False) confirm the address by the link in the email the server sent."""
    page.goto("/")
    page.get_by_role("link", name="注册").click()
    expect(page.get_by_role("heading", name="注册账户")).to_be_visible()
    if university:
        page.get_by_label("注册身份").select_option(label="学生")
        page.get_by_label("高校").select_option(label=university)
        page.get_by_label("学号").fill(student_number)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_label("再次输入密码").fill(password)
    page.get_by_role("button", name="创建账户").click()
    expect(page.get_by_role("navigation", name="主导航")).to_contain_text(name)
    if confirm:
        page.goto(emailed_link(email, "/verify/"))
        expect(page.locator("#unconfirmed-email")).to_have_count(0)


def emailed_link(address: str, path: str) -> str:
    """The path of the link starting with `path` in the newest email the server sent to `address`."""
    for message in reversed(MAILBOX.to(address)):
        text = message.get_body(preferencelist=("plain",)).get_content()
        for url in re.findall(r"https?://\S+", text):
            parts = urlsplit(url)
            if parts.path.startswith(path):
                return parts.path
    raise AssertionError(f"no email with a {path} link to {address}")


def follow_nav(page: Page, link: str, navigation: str = "主导航") -> None:
    """Follow a link of the main navigation bar (named 主导航, or "Main navigation" in English).

    A link's name may go on with a badge: 通知 is "通知 2 未读" while two notifications are unread.
    """
    name = re.compile(rf"^{re.escape(link)}(\s|$)")
    target = page.get_by_role("navigation", name=navigation).get_by_role("link", name=name)
    href = target.get_attribute("href")
    target.click()
    page.wait_for_url(f"**{href}")  # what follows must look at the new page, not the one still showing


def open_manage(page: Page, item: str) -> None:
    """A manager's or admin's page from the 管理 menu in the navigation bar."""
    page.get_by_role("button", name="管理").click()
    link = page.locator(".dropdown-menu").get_by_role("link", name=item, exact=True)
    href = link.get_attribute("href")
    link.click()
    # The click only starts the navigation: until the new page has loaded, the old one's menu is still open
    # and its links are still on the page beside the tabs of the new one.
    page.wait_for_url(f"**{href}")


# ------------------------------------------------------------------------------------------------------------
# Facilities and the week grid
# ------------------------------------------------------------------------------------------------------------


def open_facility(page: Page, name: str) -> None:
    """Search the catalogue for the facility by name and open it."""
    page.goto(f"/facilities/?q={quote(name)}")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def show_week(page: Page, day: date) -> None:
    """The facility page's grid for the week (Monday to Sunday) holding `day`."""
    path = urlsplit(page.url).path
    page.goto(f"{path}?week={monday_of(day).isoformat()}")


@dataclass(frozen=True)
class FreeCell:
    start: datetime  # the facility's local wall-clock time
    href: str


def free_cells(page: Page) -> list[FreeCell]:
    """Every free cell of the week grid on the page: each is a link to the booking form."""
    links = page.locator("td.cell-free a.cell-link")
    hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [FreeCell(datetime.fromisoformat(parse_qs(urlsplit(h).query)["start"][0]), h) for h in hrefs]


def free_cell_link(page: Page, free: FreeCell) -> Locator:
    """The link of a cell that was free: present while the time is free, gone while it is taken."""
    return page.locator(f'td.cell-free a.cell-link[href="{free.href}"]')


def find_free_cell(
    page: Page, *, earliest: date, latest: date | None = None, minutes: int = 60, slot: int = 60
) -> FreeCell:
    """The first free cell from `earliest` (to `latest`) whose next `minutes` are free too.

    Looks at the week shown and, if nothing fits there, at the next one (which it then leaves shown).
    """
    for week in ("shown", "next"):
        if week == "next":
            page.get_by_role("link", name=re.compile("下一周")).click()
        cells = free_cells(page)
        starts = {c.start for c in cells}
        for c in cells:
            if c.start.date() < earliest or (latest and c.start.date() > latest):
                continue
            if all(c.start + timedelta(minutes=m) in starts for m in range(0, minutes, slot)):
                return c
    raise AssertionError(f"no free {minutes}-minute time from {earliest} on {page.url}")


# ------------------------------------------------------------------------------------------------------------
# Checks every Chinese page should pass
# ------------------------------------------------------------------------------------------------------------


def expect_chinese(page: Page) -> None:
    """The navigation bar, the headings and the badges are in Chinese: no English left in the interface.

    A text fails if it has Latin letters and no Chinese character; the language switch's "English" (marked
    lang="en") and the demo's bilingual campus names ("主校区 Main campus") pass.
    """
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    navigation = page.get_by_role("navigation", name="主导航")
    texts = navigation.locator("a, button:not([lang])").all_text_contents()
    texts += page.locator("main :is(h1, h2, .badge)").all_text_contents()
    english = [t.strip() for t in texts if LATIN.search(t) and not CJK.search(t)]
    assert not english, f"English left in the Chinese interface of {page.url}: {english}"


def serious_accessibility_violations(page: Page) -> list[str]:
    """axe-core's violations of impact serious or critical, one line per rule with its first elements.

    Judged on the loaded page (stylesheets and all). On a busy machine axe once measured the navigation's
    white links against no background at all, as if the page were still being painted: what it finds is
    checked once more a moment later, and only what it finds both times is reported (a real violation is).
    """
    page.wait_for_load_state("load")
    found = _serious(page)
    if found:
        page.wait_for_timeout(500)
        found = [violation for violation in _serious(page) if violation in found]
    return found


def _serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:5]]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def artifact(name: str) -> Path:
    """A path under test-artifacts/e2e/ for a file to keep (its folder is made)."""
    path = ARTIFACTS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
