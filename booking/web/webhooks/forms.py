"""The webhook endpoint form: where to send, which events, a note, on or off (URL rules: the service's)."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectMultipleField, StringField, URLField
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking.services import webhooks
from booking.web.forms import Form
from models import DeliveryStatus, WebhookEvent
from models.webhooks import URL_LENGTH

EVENT_LABELS = {
    WebhookEvent.BOOKING_CONFIRMED: _l("Booking confirmed"),
    WebhookEvent.BOOKING_MOVED: _l("Booking moved"),
    WebhookEvent.BOOKING_CANCELLED: _l("Booking cancelled"),
    WebhookEvent.BOOKING_CHECKED_IN: _l("Checked in"),
    WebhookEvent.TEST: _l("Test event"),
}
DELIVERY_LABELS = {
    DeliveryStatus.QUEUED: _l("Waiting"),
    DeliveryStatus.SENDING: _l("Sending"),
    DeliveryStatus.DELIVERED: _l("Delivered"),
    DeliveryStatus.FAILED: _l("Gave up"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookForm(Form):
    url = URLField(
        _l("Address (URL)"),
        validators=[Length(max=URL_LENGTH, message=_l("The address is too long: at most 500 characters."))],
    )
    description = StringField(
        _l("What it is for"),
        validators=[
            Optional(),
            Length(max=webhooks.DESCRIPTION_LENGTH, message=_l("Write at most 100 characters.")),
        ],
    )
    events = MultiCheckboxField(
        _l("Events"), choices=[(e.value, EVENT_LABELS[e]) for e in webhooks.SUBSCRIBABLE]
    )
    enabled = BooleanField(_l("Send events"), default=True)

    def validate_url(self, field: URLField) -> None:
        problem = webhooks.url_problem(
            (field.data or "").strip(),
            allow_http_loopback=bool(current_app.config.get("WEBHOOK_ALLOW_HTTP_LOOPBACK")),
        )
        if problem:
            raise ValidationError(_(problem))

    def validate_events(self, field: MultiCheckboxField) -> None:
        if not field.data:
            raise ValidationError(_("Choose at least one event."))

    def draft(self) -> webhooks.Draft:
        return webhooks.Draft(
            url=(self.url.data or "").strip(),
            events=tuple(self.events.data or ()),
            description=(self.description.data or "").strip(),
            enabled=bool(self.enabled.data),
        )


class ButtonForm(Form):
    """The buttons (send a test event, new secret, remove): a CSRF token and nothing else."""
