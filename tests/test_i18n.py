"""Both languages are complete and chosen the way people expect."""

from pathlib import Path

from babel.messages.pofile import read_po

from tests.factories import make_user

TRANSLATIONS = Path(__file__).resolve().parent.parent / "booking" / "translations"


def _catalog(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def test_every_message_in_the_template_is_translated_into_chinese() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = read_po(f)
    catalog = _catalog("zh_Hans_CN")
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id, message.context)
        strings = translated.string if translated else None
        values = strings if isinstance(strings, tuple | list) else (strings,)
        if translated is None or translated.fuzzy or not all(values):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert missing == [], f"{len(missing)} messages lack a Chinese translation, e.g. {missing[:10]}"


def test_the_english_catalog_exists_for_the_english_interface() -> None:
    assert (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").exists()


def test_chinese_is_the_default_and_accept_language_can_choose_english(client) -> None:
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Facilities" in english


def test_the_chinese_home_page_is_in_chinese(client) -> None:
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "校地共享预约" in page


def test_the_language_switcher_saves_a_logged_in_users_choice(client, auth) -> None:
    user = make_user()
    auth.login(user)
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    from models import User, db

    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"


def test_the_switcher_never_redirects_off_site(client) -> None:
    response = client.post("/language", data={"locale": "en", "next": "//evil.example"})
    assert response.headers["Location"] == "/"


def test_no_template_puts_an_ascii_colon_after_a_translated_word() -> None:
    """ "{{ _('Next free') }}:" showed "最近空闲:" on Chinese pages; the colon belongs in the message, where
    the Chinese catalog writes "：" (or around a placeholder, "%(chart)s: see the table below")."""
    templates = Path(__file__).resolve().parent.parent / "templates"
    found = [
        f"{t.relative_to(templates)}:{n}"
        for t in templates.rglob("*.html")
        for n, line in enumerate(t.read_text().splitlines(), 1)
        if "') }}:" in line
    ]
    assert found == []
