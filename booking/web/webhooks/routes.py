"""Webhook pages under /manage/webhooks: the list and the new-endpoint form, one endpoint with its delivery
log, and its buttons (send a test event, make a new secret, remove it).

For managers and the city office (checked once for the blueprint); an endpoint of a university the viewer does
not manage is a 404. A secret is shown once, on the page that answers the POST that made it, never stored in
the session or a flash message.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from booking import clock
from booking.services import facilities, webhooks
from booking.services.permissions import Role
from booking.web.errors import refusals
from booking.web.guards import require_role
from booking.web.input import query_int
from booking.web.webhooks.forms import DELIVERY_LABELS, EVENT_LABELS, ButtonForm, WebhookForm
from models import DeliveryStatus, Organization, WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/manage/webhooks")
require_role(bp, Role.STAFF)

Page = Response | str | tuple[str, int]


def _university() -> Organization:
    return facilities.university_for(current_user, request.args.get("university", type=query_int))


@bp.route("", methods=["GET", "POST"])
def index() -> Page:
    university = _university()
    form = WebhookForm()
    if form.validate_on_submit():
        with refusals(form) as refused:
            endpoint, secret = webhooks.create(current_user, university.id, form.draft(), now=clock.now())
        if not refused:
            return _secret_page(endpoint, secret, created=True)
    return _form_answer(_index_page(university, form))


def _form_answer(page: str) -> Page:
    """A page with the form: 422 when it answers a post (the form was not accepted), else 200."""
    return (page, 422) if request.method == "POST" else page


def _index_page(university: Organization, form: WebhookForm) -> str:
    return render_template(
        "webhooks/index.html",
        university=university,
        universities=facilities.universities_of(current_user) if current_user.is_admin else [],
        endpoints=webhooks.endpoints_of(current_user, university.id),
        form=form,
        event_labels=EVENT_LABELS,
    )


def _secret_page(endpoint: WebhookEndpoint, secret: str, *, created: bool) -> str:
    return render_template("webhooks/secret.html", endpoint=endpoint, secret=secret, created=created)


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
def endpoint(endpoint_id: int) -> Page:
    found = webhooks.get_endpoint(current_user, endpoint_id)
    form = WebhookForm(obj=found) if request.method == "GET" else WebhookForm()
    if form.validate_on_submit():
        with refusals(form) as refused:
            webhooks.update(current_user, endpoint_id, form.draft(), now=clock.now())
        if not refused:
            flash(_("Webhook saved."), "success")
            return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
    return _form_answer(_endpoint_page(found, form))


def _endpoint_page(found: WebhookEndpoint, form: WebhookForm) -> str:
    return render_template(
        "webhooks/endpoint.html",
        endpoint=found,
        form=form,
        buttons=ButtonForm(),
        deliveries=webhooks.deliveries_of(current_user, found.id),
        event_labels=EVENT_LABELS,
        delivery_labels=DELIVERY_LABELS,
        zone=facilities.CLOSURE_TIMEZONE,
    )


@bp.post("/<int:endpoint_id>/test")
def send_test(endpoint_id: int) -> Response:
    webhooks.get_endpoint(current_user, endpoint_id)
    if ButtonForm().validate_on_submit():
        delivery = webhooks.send_test(current_user, endpoint_id, now=clock.now())
        if delivery.status == DeliveryStatus.DELIVERED:
            flash(_("Test event delivered (HTTP %(code)s).", code=delivery.last_status_code), "success")
        else:
            flash(
                _(
                    "The test event was not delivered: %(error)s. It will be tried again.",
                    error=delivery.last_error,
                ),
                "warning",
            )
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.post("/<int:endpoint_id>/secret")
def rotate_secret(endpoint_id: int) -> Page:
    found = webhooks.get_endpoint(current_user, endpoint_id)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
    secret = webhooks.rotate_secret(current_user, endpoint_id, now=clock.now())
    return _secret_page(found, secret, created=False)


@bp.post("/<int:endpoint_id>/delete")
def delete(endpoint_id: int) -> Response:
    found = webhooks.get_endpoint(current_user, endpoint_id)
    university_id = found.university_id
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
    webhooks.delete(current_user, endpoint_id, now=clock.now())
    flash(_("Webhook removed."), "success")
    if current_user.is_admin:
        return redirect(url_for("webhooks.index", university=university_id))
    return redirect(url_for("webhooks.index"))
