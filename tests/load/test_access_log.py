"""gunicorn's access log (booking/gunicorn_config.py) never holds a calendar feed token, only a stand-in."""

import contextlib
import urllib.error
import urllib.request
from pathlib import Path

from booking import clock
from booking.services import calendar as feeds
from models import db
from tests.conftest import make_app
from tests.factories import make_manager, make_university
from tests.load.live_server import LiveServer, fresh_database


def test_feed_tokens_are_redacted_in_the_access_log(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            token = feeds.reset_feed_token(make_manager(make_university()), now=clock.now())
            db.engine.dispose()
        server = LiveServer(url, workers=1, log_path=tmp_path / "gunicorn.log")
        server.start()
        try:
            for path in (f"/calendar/{token}.ics", f"/calendar/university/{token}.ics", "/calendar/x.ics"):
                # The made-up token answers 404, and is logged all the same.
                with contextlib.suppress(urllib.error.HTTPError):
                    urllib.request.urlopen(server.base_url + path, timeout=10).close()
        finally:
            server.stop()

    log = (tmp_path / "gunicorn.log").read_text()
    assert token not in log
    assert '"GET /calendar/[redacted].ics HTTP/1.1" 200' in log
    assert '"GET /calendar/university/[redacted].ics HTTP/1.1" 200' in log
    assert '"GET /calendar/[redacted].ics HTTP/1.1" 404' in log
    assert "/static/css/app.css" in log  # the readiness probe: other paths are logged as they are
