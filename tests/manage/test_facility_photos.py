"""Facility photos: uploaded by the facility's managers, checked by content, resized, stored outside the web
root with a description in both languages, and shown instead of the placeholder."""

import io

import pytest
from PIL import Image

from models import Resource
from tests.factories import make_resource
from tests.manage.conftest import EN, fresh


@pytest.fixture
def photo_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_DIR", str(tmp_path / "photos"))
    return tmp_path / "photos"


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (3000, 2000)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, kind)
    return out.getvalue()


def upload(client, resource, data: bytes, name: str = "court.png", **fields):
    form = {
        "photo": (io.BytesIO(data), name),
        "alt_zh": "羽毛球场全景",
        "alt_en": "The badminton hall",
        **fields,
    }
    return client.post(
        f"/manage/facilities/{resource.id}/photo", data=form, content_type="multipart/form-data", headers=EN
    )


def test_a_photo_is_resized_stored_outside_the_web_root_and_shown(client, auth, uni_a, manager_a, photo_dir):
    court = make_resource(uni_a, name_en="Hall")
    auth.login(manager_a)
    assert upload(client, court, image_bytes()).status_code == 302
    saved = fresh(Resource, court.id)
    [stored] = list(photo_dir.iterdir())
    assert saved.photo_file == stored.name and saved.photo_alt_en == "The badminton hall"
    with Image.open(stored) as image:
        assert image.format == "JPEG" and max(image.size) == 1600
    auth.logout()
    served = client.get(f"/facilities/{court.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    page = client.get(f"/facilities/{court.id}", headers=EN).get_data(as_text=True)
    assert f'src="/facilities/{court.id}/photo?v={stored.name}" alt="The badminton hall"' in page
    assert 'alt="羽毛球场全景"' in client.get(
        f"/facilities/{court.id}", headers={"Accept-Language": "zh-CN"}
    ).get_data(as_text=True)


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(client, auth, uni_a, manager_a, photo_dir):
    court = make_resource(uni_a)
    auth.login(manager_a)
    response = upload(client, court, b"<script>alert(1)</script>", name="photo.jpg")
    assert response.status_code == 422
    assert "Upload a JPEG, PNG or WebP image." in response.get_data(as_text=True)
    assert fresh(Resource, court.id).photo_file is None
    assert not photo_dir.exists() or not list(photo_dir.iterdir())


def test_a_gif_is_refused(client, auth, uni_a, manager_a, photo_dir):
    court = make_resource(uni_a)
    auth.login(manager_a)
    assert upload(client, court, image_bytes("GIF", (10, 10)), name="a.gif").status_code == 422
    assert fresh(Resource, court.id).photo_file is None


def test_a_photo_too_large_is_refused_and_nothing_is_stored(
    client, auth, app, uni_a, manager_a, photo_dir, monkeypatch
):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 1000)
    court = make_resource(uni_a)
    auth.login(manager_a)
    response = upload(client, court, image_bytes())
    assert response.status_code == 422 and "The photo is too large." in response.get_data(as_text=True)
    assert fresh(Resource, court.id).photo_file is None
    assert not photo_dir.exists() or not list(photo_dir.iterdir())


def test_a_description_in_both_languages_is_required(client, auth, uni_a, manager_a, photo_dir):
    court = make_resource(uni_a)
    auth.login(manager_a)
    assert upload(client, court, image_bytes(), alt_en="").status_code == 422
    assert fresh(Resource, court.id).photo_file is None


def test_another_universitys_facility_is_404_and_nothing_is_stored(client, auth, uni_b, manager_a, photo_dir):
    court = make_resource(uni_b)
    auth.login(manager_a)
    assert upload(client, court, image_bytes()).status_code == 404
    assert client.get(f"/manage/facilities/{court.id}/photo").status_code == 404
    assert not photo_dir.exists() or not list(photo_dir.iterdir())


def test_a_new_photo_replaces_the_old_file(client, auth, uni_a, manager_a, photo_dir):
    court = make_resource(uni_a)
    auth.login(manager_a)
    upload(client, court, image_bytes())
    upload(client, court, image_bytes("JPEG", (800, 600)), name="b.jpg")
    [stored] = list(photo_dir.iterdir())
    assert fresh(Resource, court.id).photo_file == stored.name
