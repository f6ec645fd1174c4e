"""The home page says who may book what and how verification works; the catalog's filter errors are shown
where the user looks, and the long equipment list is collapsed (no JavaScript needed)."""

from flask.testing import FlaskClient

from tests.factories import make_resource

EN = {"Accept-Language": "en"}


def test_the_home_page_says_who_may_book_what_and_how_verification_works(client: FlaskClient, app) -> None:
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert "Who may book what" in page
    assert "its managers check your student number" in page
    assert "the city office verifies the company" in page
    assert "Until then you book as a resident." in page


def test_the_home_page_title_is_plain_text_and_links_the_transparency_page_once(
    client: FlaskClient, app
) -> None:
    page = client.get("/").get_data(as_text=True)
    title = page[page.index("<title>") : page.index("</title>")]
    assert "<a" not in title and "<p" not in title
    assert page.count('id="transparency-link"') == 1


def test_filter_errors_are_listed_above_the_results(client: FlaskClient, app) -> None:
    make_resource(name_en="Court", tags=("projector", "showers"))
    response = client.get("/facilities/?date=2026-11-25&start=14:00&end=13:00", headers=EN)
    page = response.get_data(as_text=True)
    alert = page[page.index('class="alert alert-danger"') :]
    alert = alert[: alert.index("</div>")]
    assert "The end time must be after the start time." in alert
    assert 'href="#end"' in alert


def test_the_equipment_filters_are_collapsed_until_used(client: FlaskClient, app) -> None:
    make_resource(name_en="Court", tags=("projector", "showers"))
    closed = client.get("/facilities/", headers=EN).get_data(as_text=True)
    assert '<details class="equipment-filters mb-3" id="equipment-filters">' in closed
    chosen = client.get("/facilities/?tag=projector", headers=EN).get_data(as_text=True)
    assert '<details class="equipment-filters mb-3" id="equipment-filters" open>' in chosen
    # the time fields come before the long list, next to the search button's end of the form
    assert closed.index('class="mb-3 free-window"') < closed.index('id="equipment-filters"')
