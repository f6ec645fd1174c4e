"""gunicorn settings for Campus–City Booking, shipped in the package so an installed wheel has them too:

  gunicorn -c python:booking.gunicorn_config 'booking.app:create_app()'


The access log goes to standard output, one line per request, with the token of every calendar feed path
replaced by "[redacted].ics" (the error log too):

  <peer> "<X-Forwarded-For>" [<time>] "<method> <path?query> <protocol>" <status> <bytes> <ms>ms "<agent>"
  127.0.0.1 "203.0.113.7" [07/Dec/2026:12:00:00 +0800] "GET /calendar/[redacted].ics HTTP/1.0" 200 51 3ms "-"

No referrer is logged. Each worker freezes what it loaded at start (`gc.freeze()`), so Python's full garbage
collections no longer walk the application's tens of thousands of long-lived objects: they had added about
70 ms to every fifth large calendar feed. A worker that exits writes the refusal counts it still holds in
memory (booking.services.refusals).

Options given on the command line (-w, -b, --access-logfile, ...) win over these.
"""

import gc

from gunicorn.glogging import Logger

from booking.redaction import REDACT_FEED_TOKENS

accesslog = "-"
access_log_format = '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


class RedactingLogger(Logger):
    """gunicorn's logger, with feed tokens redacted from its access and error logs."""

    def setup(self, cfg: object) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            log.addFilter(REDACT_FEED_TOKENS)


logger_class = RedactingLogger


def post_worker_init(worker: object) -> None:
    """The app is loaded: move everything it made so far out of the collector's generations."""
    gc.collect()
    gc.freeze()


def worker_exit(server: object, worker: object) -> None:
    """The worker stops: the refusals it counted but has not written yet are written now."""
    from booking.services import refusals

    refusals.flush_at_exit()
