"""People routes for managers: the students who named their university; verify or reject them."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from booking import clock
from booking.services import verification
from booking.services.permissions import Role
from booking.web.errors import flash_outcome
from booking.web.forms import posted
from booking.web.guards import require_role
from booking.web.input import query_int
from booking.web.people.forms import RejectForm, VerifyForm

bp = Blueprint("people", __name__, url_prefix="/manage/people")


require_role(bp, Role.MANAGER)


def _list_args() -> dict[str, str]:
    """The list's filters, carried through a decision so the manager lands where they were."""
    status = request.args.get("status", "pending")
    return {
        "status": status if status in verification.STUDENT_FILTERS else "pending",
        "q": request.args.get("q", "").strip()[:100],
    }


@bp.get("/students")
def students() -> str:
    args = _list_args()
    pagination = verification.students(
        current_user, status=args["status"], query=args["q"], page=request.args.get("page", 1, type=query_int)
    )
    return render_template(
        "people/students.html",
        pagination=pagination,
        students=pagination.items,
        args=args,
        verify_form=VerifyForm(),
        reject_form=RejectForm(),
    )


@bp.post("/students/<int:user_id>/verify")
def verify(user_id: int) -> Response:
    posted(VerifyForm())
    flash_outcome(
        lambda: verification.verify_student(current_user, user_id, now=clock.now()),
        lambda student: _("%(name)s is verified and can now book as a student.", name=student.display_name),
    )
    return redirect(url_for("people.students", **_list_args()))


@bp.post("/students/<int:user_id>/reject")
def reject(user_id: int) -> Response:
    form = RejectForm()
    if not form.validate_on_submit():
        # Someone outside the manager's university is 'not found' whatever the form says.
        verification.student(current_user, user_id)
        for message in form.reason.errors:
            flash(message, "error")
        return redirect(url_for("people.students", **_list_args()))
    flash_outcome(
        lambda: verification.reject_student(current_user, user_id, reason=form.reason.data, now=clock.now()),
        lambda student: _(
            "%(name)s's verification was declined; they were told why.", name=student.display_name
        ),
    )
    return redirect(url_for("people.students", **_list_args()))
