"""Nothing personal is kept by a browser or proxy cache; public pages and assets stay cacheable."""

import pytest

from booking import clock
from booking.services import calendar as feeds
from tests.factories import make_manager, make_university, make_user

PRIVATE = "private, no-store"


@pytest.mark.parametrize("path", ["/", "/facilities/", "/profile", "/bookings", "/no/such/page"])
def test_every_response_to_a_signed_in_person_is_private_and_not_stored(client, auth, path):
    auth.login(make_user())

    response = client.get(path)

    assert response.headers["Cache-Control"] == PRIVATE


def test_a_redirect_for_a_signed_in_person_is_not_stored_either(client, auth):
    auth.login(make_user())

    response = client.get("/login?next=/profile")

    assert response.status_code == 302
    assert response.headers["Cache-Control"] == PRIVATE


@pytest.mark.parametrize("path", ["/", "/facilities/"])
def test_public_pages_for_visitors_are_not_marked_no_store(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_static_assets_stay_cacheable_for_signed_in_people(client, auth):
    auth.login(make_user())

    response = client.get("/static/css/app.css")

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert "private" not in response.headers.get("Cache-Control", "")


def test_the_personal_feed_opened_by_its_token_is_private_and_not_stored(client):
    token = feeds.reset_feed_token(make_user(), now=clock.now())

    response = client.get(f"/calendar/{token}.ics")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == PRIVATE


def test_the_university_feed_opened_by_its_token_is_private_and_not_stored(client):
    token = feeds.reset_feed_token(make_manager(make_university()), now=clock.now())

    response = client.get(f"/calendar/university/{token}.ics")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == PRIVATE
