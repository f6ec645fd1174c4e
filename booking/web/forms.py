"""What every blueprint's forms share: a service's FieldError shown next to the field it names."""

from flask_wtf import FlaskForm

from booking.services.errors import FieldError


def show_error(form: FlaskForm, error: FieldError) -> None:
    """Add the refusal to its field's errors, or to the form's own when it names no field of this form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        form.form_errors.append(str(error))
    else:
        field.errors = [*field.errors, str(error)]
