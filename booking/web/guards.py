"""The role a blueprint requires, checked once before each of its requests.

`require_role(bp, Role.STAFF)` in a blueprint's module is its whole guard: a visitor is sent to log in, a
signed-in person without the role gets 403. Views a blueprint opens to more people are named in `open_to_all`
(they keep their own `login_required`); a new view is guarded unless it is named there.
"""

from collections.abc import Iterable

from flask import Blueprint, abort, request
from flask_login import current_user
from werkzeug.wrappers import Response

from booking.extensions import login_manager
from booking.services.permissions import Role, has_role


def require_role(bp: Blueprint, role: Role, *, open_to_all: Iterable[str] = ()) -> None:
    """Every view of `bp` but those in `open_to_all` (view function names) requires `role`."""
    exempt = {f"{bp.name}.{name}" for name in open_to_all}

    @bp.before_request
    def _require_role() -> Response | None:
        if request.endpoint in exempt:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not has_role(current_user, role):
            abort(403)
        return None
