"""The facility map: Leaflet served from our own static files, a marker per facility linking to its page,
filtered as the list is, a configurable tile server (none by default), and the list beside it."""

import json
import re
from html import unescape

from flask import Flask
from flask.testing import FlaskClient

from booking.app import _tile_sources
from models import ResourceKind
from tests.factories import make_resource

EN = {"Accept-Language": "en"}


def points(page: str) -> list[dict]:
    match = re.search(r'data-points="([^"]*)"', page)
    assert match
    return json.loads(unescape(match.group(1)))


def test_each_located_facility_is_a_marker_linking_to_its_page(client: FlaskClient) -> None:
    court = make_resource(name_en="Tennis court", latitude=35.19, longitude=113.26)
    make_resource(name_en="Nowhere hall", latitude=None, longitude=None)
    page = client.get("/facilities/map", headers=EN).get_data(as_text=True)
    markers = points(page)
    assert markers == [
        {
            "lat": 35.19,
            "lon": 113.26,
            "name": "Tennis court",
            "kind": "Sports venue",
            "url": f"/facilities/{court.id}",
        }
    ]
    # The list is the accessible alternative: every facility, located or not.
    assert "Tennis court" in page and "Nowhere hall" in page and "not on the map" in page


def test_the_map_filters_like_the_catalog(client: FlaskClient) -> None:
    make_resource(name_en="Tennis court", latitude=35.19, longitude=113.26)
    make_resource(name_en="Battery lab", kind=ResourceKind.LAB, latitude=35.2, longitude=113.2)
    page = client.get("/facilities/map?kind=lab", headers=EN).get_data(as_text=True)
    assert [p["name"] for p in points(page)] == ["Battery lab"]
    page = client.get("/facilities/map?q=tennis", headers=EN).get_data(as_text=True)
    assert [p["name"] for p in points(page)] == ["Tennis court"]


def test_leaflet_is_served_locally_and_without_inline_script(client: FlaskClient) -> None:
    page = client.get("/facilities/map", headers=EN).get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>", page)
    # Every script is a file of our own server (no inline code, no CDN).
    assert scripts and all(re.search(r'src="/[a-z]', attributes) for attributes in scripts)
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/vendor/leaflet/leaflet.css").status_code == 200


def test_without_a_tile_server_the_map_loads_nothing_from_outside(client: FlaskClient, app: Flask) -> None:
    response = client.get("/facilities/map", headers=EN)
    assert 'data-tile-url=""' in response.get_data(as_text=True)
    assert "img-src 'self' data:;" in response.headers["Content-Security-Policy"]


def test_a_tile_server_is_allowed_by_the_content_security_policy() -> None:
    assert _tile_sources("") == []
    assert _tile_sources("https://tiles.example.cn/{z}/{x}/{y}.png") == ["https://tiles.example.cn"]
    assert _tile_sources("https://{s}.tiles.example.cn/{z}/{x}/{y}.png") == ["https://*.tiles.example.cn"]
    assert _tile_sources("javascript:alert(1)") == []


def test_bad_filters_are_a_clear_400(client: FlaskClient) -> None:
    response = client.get("/facilities/map?capacity=0", headers=EN)
    assert response.status_code == 400
