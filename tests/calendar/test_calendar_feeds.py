"""Subscription feeds as calendar clients poll them: personal (secret link), university (managers), facility
(public busy times), with stable UIDs, rising SEQUENCEs, 304s and a fixed number of queries."""

import logging
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from icalendar import Calendar

from booking.services import bookings
from booking.services import calendar as feeds
from models import Booking, BookingStatus, Mode, ResourceKind, db
from tests.calendar.conftest import NOW
from tests.factories import make_booking, make_manager, make_resource, make_university, make_user
from tests.sql_log import is_work, recorded_sql

HOUR = timedelta(hours=1)
TOKEN_IN_HTML = re.compile(r"/calendar/(?:university/)?([A-Za-z0-9_-]{43})\.ics")


@pytest.fixture
def owner(app):
    return make_user(email="li.na@example.com", display_name="李娜", locale="en")


def feed_url(token: str) -> str:
    return f"/calendar/{token}.ics"


def events_of(body: bytes) -> dict[str, object]:
    """The feed's events by UID."""
    return {str(e["UID"]): e for e in Calendar.from_ical(body).events}


def uid(booking: Booking) -> str:
    return f"{booking.uuid}@campus-city.example"


def fresh(booking: Booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


# --- personal feed ----------------------------------------------------------------------------------


def test_the_personal_feed_holds_my_bookings_from_30_days_back_to_a_year_ahead(
    client: FlaskClient, court, owner, parse_ics
):
    inside = [
        make_booking(court, owner, NOW - timedelta(days=29)),
        make_booking(court, owner, NOW + timedelta(days=1), status=BookingStatus.PENDING),
        make_booking(court, owner, NOW + timedelta(days=360)),
    ]
    make_booking(court, owner, NOW - timedelta(days=31))  # too old
    make_booking(court, owner, NOW + timedelta(days=366))  # too far ahead
    make_booking(court, make_user(), NOW + timedelta(days=2))  # someone else's
    token = feeds.reset_feed_token(owner, now=NOW)

    response = client.get(feed_url(token))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="my-bookings.ics"'
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["ETag"].startswith('W/"')
    assert response.headers["Last-Modified"]
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert calendar.calendar_name == "My bookings · Campus–City Booking"
    assert str(calendar["X-WR-CALNAME"]) == "My bookings · Campus–City Booking"
    assert calendar.refresh_interval == HOUR
    facts = parse_ics(response.data)
    assert {f.uid for f in facts} == {uid(b) for b in inside}
    assert {f.uid: f.status for f in facts}[uid(inside[1])] == "TENTATIVE"


def test_every_event_reads_the_same_in_two_independent_parsers(
    client: FlaskClient, hpu, court, owner, parse_ics
):
    """Timed events in two zones (one crossing a daylight-saving change), a placement, a cancellation."""
    berlin = make_resource(
        hpu,
        name_en="Partner lab Berlin",
        timezone="Europe/Berlin",
        kind=ResourceKind.LAB,
        policy={"max_advance_days": 400},
    )
    base = make_resource(hpu, kind=ResourceKind.TRAINING_BASE, mode=Mode.PLACEMENT, name_en="Training base")
    shanghai = ZoneInfo("Asia/Shanghai")
    expected = {
        make_booking(court, owner, NOW + timedelta(days=1)): (
            NOW + timedelta(days=1),
            NOW + timedelta(days=1) + HOUR,
        ),
        make_booking(
            berlin, owner, datetime(2027, 3, 27, 9, tzinfo=UTC), datetime(2027, 3, 29, 9, tzinfo=UTC)
        ): (datetime(2027, 3, 27, 9, tzinfo=UTC), datetime(2027, 3, 29, 9, tzinfo=UTC)),
        make_booking(berlin, owner, datetime(2026, 12, 1, 8, tzinfo=UTC), status=BookingStatus.CANCELLED): (
            datetime(2026, 12, 1, 8, tzinfo=UTC),
            datetime(2026, 12, 1, 9, tzinfo=UTC),
        ),
        make_booking(
            base,
            owner,
            datetime(2027, 3, 1, tzinfo=shanghai).astimezone(UTC),
            datetime(2027, 7, 1, tzinfo=shanghai).astimezone(UTC),
        ): (date(2027, 3, 1), date(2027, 7, 1)),
    }
    token = feeds.reset_feed_token(owner, now=NOW)

    body = client.get(feed_url(token)).data

    facts = {f.uid: f for f in parse_ics(body)}
    assert len(facts) == len(expected)
    for booking, (start, end) in expected.items():
        assert (facts[uid(booking)].start, facts[uid(booking)].end) == (start, end)
    cancelled = next(b for b in expected if b.status == BookingStatus.CANCELLED)
    assert facts[uid(cancelled)].status == "CANCELLED"
    # One VTIMEZONE per zone used, covering only the events' dates.
    timezones = {tz.tz_name: tz for tz in Calendar.from_ical(body).timezones}
    assert set(timezones) == {"Asia/Shanghai", "Europe/Berlin"}
    years = {sub.DTSTART.year for tz in timezones.values() for sub in tz.subcomponents}
    assert years <= {2026, 2027}


def test_the_feed_speaks_its_owners_saved_language_else_chinese(client: FlaskClient, court, owner):
    chinese_by_default = make_user(locale=None)
    make_booking(court, owner, NOW + timedelta(days=1))
    make_booking(court, chinese_by_default, NOW + timedelta(days=2))
    english = client.get(feed_url(feeds.reset_feed_token(owner, now=NOW)), headers={"Accept-Language": "zh"})
    chinese = client.get(
        feed_url(feeds.reset_feed_token(chinese_by_default, now=NOW)), headers={"Accept-Language": "en"}
    )
    (event,) = events_of(english.data).values()
    assert str(event["SUMMARY"]) == "Badminton court 3 — Henan Polytechnic University"
    (event,) = events_of(chinese.data).values()
    assert str(event["SUMMARY"]) == "羽毛球3号场 — 河南理工大学"


def test_cancelling_raises_the_sequence_and_keeps_the_uid(client: FlaskClient, court, owner):
    booking = make_booking(court, owner, NOW + timedelta(days=3))
    token = feeds.reset_feed_token(owner, now=NOW)
    before = events_of(client.get(feed_url(token)).data)[uid(booking)]

    bookings.cancel(owner, booking.id, now=NOW)

    after = events_of(client.get(feed_url(token)).data)[uid(booking)]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert str(after["STATUS"]) == "CANCELLED"
    assert str(after["TRANSP"]) == "TRANSPARENT"


def test_moving_a_booking_raises_the_sequence_and_keeps_the_uid(
    client: FlaskClient, court, owner, parse_ics, frozen_clock
):
    booking = bookings.request_booking(
        owner, court.id, NOW + timedelta(days=3), NOW + timedelta(days=3, hours=1), now=NOW
    )
    token = feeds.reset_feed_token(owner, now=NOW)
    first = client.get(feed_url(token))
    before = events_of(first.data)[uid(booking)]

    frozen_clock.shift(timedelta(minutes=5))
    later = NOW + timedelta(minutes=5)
    bookings.move(
        owner, booking.id, NOW + timedelta(days=3, hours=2), NOW + timedelta(days=3, hours=3), now=later
    )

    # The calendar client's cached copy is stale now.
    response = client.get(feed_url(token), headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200
    after = events_of(response.data)[uid(booking)]
    assert list(events_of(response.data)) == [uid(booking)]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.start - before.start == timedelta(hours=2)
    assert after["DTSTAMP"].dt == later
    assert str(after["STATUS"]) == "CONFIRMED"
    (facts,) = parse_ics(response.data)
    assert (facts.uid, facts.start, facts.end) == (
        uid(booking),
        NOW + timedelta(days=3, hours=2),
        NOW + timedelta(days=3, hours=3),
    )


def test_the_booking_file_of_a_moved_booking_has_the_new_time_and_a_higher_sequence(
    client: FlaskClient, auth, court, owner, parse_ics
):
    booking = bookings.request_booking(
        owner, court.id, NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1), now=NOW
    )
    auth.login(owner)
    before = events_of(client.get(f"/bookings/{booking.id}.ics").data)[uid(booking)]

    bookings.move(owner, booking.id, NOW + timedelta(days=2), NOW + timedelta(days=2, hours=2), now=NOW)

    response = client.get(f"/bookings/{booking.id}.ics")
    after = events_of(response.data)[uid(booking)]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after["DTSTART"].params["TZID"] == "Asia/Shanghai"
    (facts,) = parse_ics(response.data)
    assert (facts.uid, facts.start, facts.end, facts.status) == (
        uid(booking),
        NOW + timedelta(days=2),
        NOW + timedelta(days=2, hours=2),
        "CONFIRMED",
    )


def test_a_cancelled_booking_stays_for_30_days_then_leaves_the_feed_at_the_next_utc_midnight(
    client: FlaskClient, court, owner, frozen_clock
):
    # Whole UTC days, so that within a day only a change can change the feed (Last-Modified holds).
    booking = make_booking(court, owner, NOW + timedelta(days=60))
    bookings.cancel(owner, booking.id, now=NOW)
    token = feeds.reset_feed_token(owner, now=NOW)

    frozen_clock.move_to(NOW + timedelta(days=29, hours=23))
    assert str(events_of(client.get(feed_url(token)).data)[uid(booking)]["STATUS"]) == "CANCELLED"

    frozen_clock.move_to(NOW + timedelta(days=30, hours=22))  # 23:00 UTC, day 30
    assert str(events_of(client.get(feed_url(token)).data)[uid(booking)]["STATUS"]) == "CANCELLED"

    frozen_clock.move_to(NOW + timedelta(days=30, hours=23, minutes=1))  # 00:01 UTC, day 31
    assert uid(booking) not in events_of(client.get(feed_url(token)).data)


def test_a_reset_link_kills_the_old_one_at_once(client: FlaskClient, court, owner):
    old = feeds.reset_feed_token(owner, now=NOW)
    assert client.get(feed_url(old)).status_code == 200

    new = feeds.reset_feed_token(owner, now=NOW)

    assert new != old
    assert client.get(feed_url(old)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200


@pytest.mark.parametrize("token", ["x" * 43, "short", "a" * 200, "%2e%2e"])
def test_unknown_tokens_are_404_without_an_html_page(client: FlaskClient, owner, token):
    feeds.reset_feed_token(owner, now=NOW)
    response = client.get(feed_url(token))
    assert response.status_code == 404
    assert response.mimetype == "text/plain"


def test_only_a_digest_of_the_token_is_stored(app, owner):
    token = feeds.reset_feed_token(owner, now=NOW)
    stored = db.session.scalar(sa.select(type(owner).feed_token_hash).where(type(owner).id == owner.id))
    assert len(token) >= 43  # 256 random bits
    assert token not in stored
    assert stored == feeds.token_digest(token)


def test_an_inactive_accounts_feed_is_404(client: FlaskClient, owner):
    token = feeds.reset_feed_token(owner, now=NOW)
    owner.active = False
    db.session.commit()
    assert client.get(feed_url(token)).status_code == 404


# --- the subscribe page and where tokens may appear ------------------------------------------------------


def test_the_subscribe_page_shows_the_links_once(client: FlaskClient, auth, owner):
    auth.login(owner)
    page = client.get("/profile/calendar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Create my subscription link" in page and not TOKEN_IN_HTML.search(page)

    response = client.post("/profile/calendar/reset", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    (token,) = set(TOKEN_IN_HTML.findall(page))
    assert f"webcal://localhost/calendar/{token}.ics" in page
    assert f"http://localhost/calendar/{token}.ics" in page
    assert 'data-copy="feed-https"' in page and "js/calendar.js" in page
    assert client.get(feed_url(token)).status_code == 200
    later = client.get("/profile/calendar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert token not in later and "Make a new link" in later


def test_a_manager_also_gets_the_university_link(client: FlaskClient, auth, hpu):
    manager = make_manager(hpu)
    auth.login(manager)
    page = client.post("/profile/calendar/reset").get_data(as_text=True)
    (token,) = set(TOKEN_IN_HTML.findall(page))
    assert f"/calendar/university/{token}.ics" in page


def test_a_reset_needs_the_form_token(session_app, database_url, owner):
    from tests.conftest import make_app

    strict = make_app(database_url, WTF_CSRF_ENABLED=True)
    with strict.test_client() as client:
        client.post("/login", data={"email": owner.email, "password": "correct horse 42"})
        assert client.post("/profile/calendar/reset").status_code == 400
    db.session.expire_all()
    assert db.session.get(type(owner), owner.id).feed_token_hash is None


def test_a_feed_token_never_reaches_another_users_pages(client: FlaskClient, auth, hpu, court, owner):
    booking = make_booking(court, owner, NOW + timedelta(days=1))
    auth.login(owner)
    (token,) = set(TOKEN_IN_HTML.findall(client.post("/profile/calendar/reset").get_data(as_text=True)))
    auth.logout()

    other = make_manager(hpu)
    auth.login(other)
    for path in (
        "/",
        f"/facilities/{court.id}",
        "/facilities/",
        "/bookings",
        f"/bookings/{booking.id}",
        "/profile",
        "/profile/calendar",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert token not in response.get_data(as_text=True), path
        assert feeds.token_digest(token) not in response.get_data(as_text=True), path


def test_tokens_are_redacted_from_request_logs(app, caplog):
    token = "A" * 43
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info(
            "%s - - [%s] %s",
            "127.0.0.1",
            "24/Nov/2026 09:00:00",
            f'"GET /calendar/{token}.ics HTTP/1.1" 200 -',
        )
        logging.getLogger("werkzeug").info('"GET /calendar/university/%s.ics HTTP/1.1" 304 -', token)
        logging.getLogger("werkzeug").info('"POST /profile/calendar/reset HTTP/1.1" 200 -')
    assert token not in caplog.text
    assert "/calendar/[redacted].ics" in caplog.text
    assert "/calendar/university/[redacted].ics" in caplog.text
    assert "/profile/calendar/reset" in caplog.text


# --- 304s and queries -------------------------------------------------------------------------------------


def test_a_repeated_poll_gets_304_until_something_changes(client: FlaskClient, court, owner):
    make_booking(court, owner, NOW + timedelta(days=1))
    token = feeds.reset_feed_token(owner, now=NOW)
    first = client.get(feed_url(token))
    etag = first.headers["ETag"]

    again = client.get(feed_url(token), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag

    make_booking(court, owner, NOW + timedelta(days=2))
    changed = client.get(feed_url(token), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert len(events_of(changed.data)) == 2


def test_a_cancellation_in_the_same_instant_still_changes_the_etag(client: FlaskClient, court, owner):
    booking = make_booking(court, owner, NOW + timedelta(days=1), updated_at=NOW)
    token = feeds.reset_feed_token(owner, now=NOW)
    etag = client.get(feed_url(token)).headers["ETag"]
    bookings.cancel(owner, booking.id, now=NOW)  # same updated_at, same count: the SEQUENCE total tells
    assert client.get(feed_url(token), headers={"If-None-Match": etag}).status_code == 200


def test_changing_language_changes_the_etag(client: FlaskClient, court, owner):
    make_booking(court, owner, NOW + timedelta(days=1))
    token = feeds.reset_feed_token(owner, now=NOW)
    etag = client.get(feed_url(token)).headers["ETag"]
    owner.locale = "zh_CN"
    db.session.commit()
    assert client.get(feed_url(token), headers={"If-None-Match": etag}).status_code == 200


def count_statements(client: FlaskClient, url: str) -> int:
    with recorded_sql(is_work) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_a_feed_takes_the_same_few_queries_for_3_or_30_bookings(client: FlaskClient, hpu, court, owner):
    other_court = make_resource(hpu, name_en="Badminton court 4", policy={"max_advance_days": 400})
    manager = make_manager(hpu)
    token = feeds.reset_feed_token(owner, now=NOW)
    manager_token = feeds.reset_feed_token(manager, now=NOW)
    urls = (feed_url(token), f"/calendar/university/{manager_token}.ics", f"/facilities/{court.id}/busy.ics")

    def add(days: range) -> None:
        for day in days:
            make_booking(court if day % 2 else other_court, owner, NOW + timedelta(days=day))

    add(range(1, 4))
    small = [count_statements(client, url) for url in urls]
    add(range(4, 31))
    large = [count_statements(client, url) for url in urls]
    assert small == large, (small, large)
    # who or what the feed is for (+ the university), the aggregate, the kept events, the zones' spans,
    # and, for the events new since the last poll, their rows and keeping what was made of them
    assert max(large) <= 7
    again = [count_statements(client, url) for url in urls]
    assert max(again) <= 5  # every event kept: no row loaded, nothing written


# --- facility and university feeds ------------------------------------------------------------------------


def test_the_facility_feed_shows_busy_times_and_nothing_personal(
    client: FlaskClient, court, owner, parse_ics
):
    owner.phone = "13800000000"
    db.session.commit()
    mine = make_booking(court, owner, NOW + timedelta(days=1), purpose="Secret birthday party")
    pending = make_booking(
        court, owner, NOW + timedelta(days=2), status=BookingStatus.PENDING, purpose="Rehearsal"
    )
    make_booking(make_resource(), owner, NOW + timedelta(days=1))  # another facility

    response = client.get(f"/facilities/{court.id}/busy.ics", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    body = response.get_data(as_text=True)
    for personal in (
        "李娜",
        "li.na@example.com",
        "Secret birthday party",
        "Rehearsal",
        "13800000000",
        "DESCRIPTION",
        "ATTENDEE",
        f"/bookings/{mine.id}",
        mine.uuid + "@",
    ):
        assert personal not in body
    events = events_of(response.data)
    # A request still waiting for a decision holds nothing yet: facilities have no setting to show it.
    assert pending.uuid not in body
    assert len(events) == 1
    (event,) = events.values()
    assert str(event["SUMMARY"]) == "Booked"
    assert str(event["TRANSP"]) == "OPAQUE"
    # The university organizes the busy time, from the site's own address.
    assert event["ORGANIZER"].params["CN"] == "Henan Polytechnic University"
    assert str(event["ORGANIZER"]) == "mailto:no-reply@campus-city.example"
    assert {f.status for f in parse_ics(response.data)} == {"CONFIRMED"}
    assert mine.uuid + "-busy@" in body  # the busy time keeps a stable UID of its own


def test_an_unlisted_facility_has_no_feed(client: FlaskClient, hpu):
    hidden = make_resource(hpu, active=False)
    assert client.get(f"/facilities/{hidden.id}/busy.ics").status_code == 404
    assert client.get("/facilities/987654/busy.ics").status_code == 404


def test_the_university_feed_holds_every_booking_of_its_facilities_for_its_managers(
    client: FlaskClient, hpu, court, owner, parse_ics
):
    lab = make_resource(hpu, kind=ResourceKind.LAB, name_en="Materials lab")
    ours = [
        make_booking(court, owner, NOW + timedelta(days=1)),
        make_booking(lab, make_user(), NOW + timedelta(days=2)),
    ]
    make_booking(make_resource(make_university()), owner, NOW + timedelta(days=1))  # another university's
    token = feeds.reset_feed_token(make_manager(hpu, locale="en"), now=NOW)

    response = client.get(f"/calendar/university/{token}.ics")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert Calendar.from_ical(response.data).calendar_name == "Henan Polytechnic University · all bookings"
    assert {f.uid for f in parse_ics(response.data)} == {uid(b) for b in ours}


def test_a_non_managers_token_opens_no_university_feed(client: FlaskClient, owner):
    token = feeds.reset_feed_token(owner, now=NOW)
    assert client.get(f"/calendar/university/{token}.ics").status_code == 404
    assert client.get(feed_url(token)).status_code == 200


def test_a_huge_feed_keeps_its_earliest_events(client: FlaskClient, court, owner, monkeypatch):
    monkeypatch.setattr(feeds, "FEED_MAX_EVENTS", 2)
    first, second, _third = (make_booking(court, owner, NOW + timedelta(days=d)) for d in (1, 2, 3))
    body = client.get(feed_url(feeds.reset_feed_token(owner, now=NOW))).data
    assert set(events_of(body)) == {uid(first), uid(second)}
