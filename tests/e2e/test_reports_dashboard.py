"""The city office's dashboard in a real browser: the charts draw from the demo's term of history, the
page has no serious accessibility problem, and the public transparency page is reached from home."""

import pytest

from tests.e2e.browsing import ADMIN, MANAGER_HPU, Page, expect, log_in, serious_accessibility_violations

pytestmark = pytest.mark.e2e

CHARTS = ("chart-utilisation", "chart-shares", "chart-trend")


def drawn(page: Page, canvas_id: str) -> bool:
    """Chart.js has a chart on the canvas, with at least one value to draw."""
    return page.evaluate(
        """(id) => {
            const chart = Chart.getChart(document.getElementById(id));
            return !!chart && chart.data.datasets.some(d => d.data.some(v => v !== null));
        }""",
        canvas_id,
    )


def universities(page: Page) -> set[str]:
    """The universities in the table by university (one line per unit: hours, seat-days)."""
    expect(page.locator("#report-universities")).to_be_visible()
    return set(page.locator("#report-universities tbody th").all_inner_texts())


def test_the_city_dashboard_draws_its_charts_and_passes_axe(new_page) -> None:
    page = new_page()
    log_in(page, ADMIN)
    page.goto("/reports")
    assert len(universities(page)) == 4
    for canvas in CHARTS:
        assert drawn(page, canvas), canvas
    assert serious_accessibility_violations(page) == []


def test_a_manager_dashboard_draws_on_a_phone(new_page) -> None:
    page = new_page()
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, MANAGER_HPU)
    page.goto("/reports")
    assert len(universities(page)) == 1
    for canvas in CHARTS:
        assert drawn(page, canvas), canvas
        assert page.locator(f"#{canvas}").bounding_box()["width"] <= 375


def test_the_public_page_is_linked_from_home(new_page) -> None:
    page = new_page()
    page.goto("/")
    page.locator("#transparency-link").click()
    expect(page.locator("#transparency tbody tr")).to_have_count(4)
    assert serious_accessibility_violations(page) == []
