"""Who may keep a copy of a response: nobody, if it was made for a signed-in person; any cache, for public
pages and static assets.

A page for a signed-in person carries their name, bookings or secret links; "private, no-store" keeps it
out of shared proxies and off the disk of a shared computer's browser. Views that answer without a login
but with personal data (the token feeds) say so themselves.
"""

from flask import Flask, request, session
from werkzeug.wrappers import Response

PRIVATE = "private, no-store"
# Files that are the same for everyone, whoever asks.
PUBLIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})


def register(app: Flask) -> None:
    @app.after_request
    def _personal_responses_are_not_stored(response: Response) -> Response:
        if request.endpoint not in PUBLIC_ENDPOINTS and session.get("_user_id") is not None:
            response.headers["Cache-Control"] = PRIVATE
        return response
