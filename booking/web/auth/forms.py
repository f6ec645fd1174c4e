"""The account forms: registration, login, profile, password change and reset, email confirmation and
change, account deletion."""

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from booking import credit_code
from booking.services.accounts import MIN_PASSWORD_LENGTH
from booking.web.forms import Form
from booking.web.input import optional_id
from booking.web.labels import CATEGORY_LABELS, localized
from models import Category, Organization

LANGUAGE_CHOICES = [SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")]  # each named in itself
_PHONE = re.compile(r"\+?[0-9][0-9 -]*[0-9]")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


def _plausible_phone(form: Form, field: StringField) -> None:
    if field.data and not (5 <= len(field.data) <= 20 and _PHONE.fullmatch(field.data)):
        raise ValidationError(_l("Enter a phone number of 5 to 20 characters: digits, +, - and spaces."))


def _password_length() -> Length:
    return Length(
        min=MIN_PASSWORD_LENGTH,
        max=200,
        message=_l("Use %(min)d to %(max)d characters for the password."),  # Length fills these in
    )


def _email_field(label: object) -> EmailField:
    return EmailField(
        label,
        filters=[_strip],
        render_kw={"autocomplete": "email"},
        validators=[
            _required(),
            Length(max=254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )


def _new_password_field(label: object) -> PasswordField:
    return PasswordField(
        label, validators=[_required(), _password_length()], render_kw={"autocomplete": "new-password"}
    )


def _repeat_field(label: object, of: str) -> PasswordField:
    """The new password again, which must match the field named `of`."""
    return PasswordField(
        label,
        render_kw={"autocomplete": "new-password"},
        validators=[_required(), EqualTo(of, message=_l("The two passwords do not match."))],
    )


def _current_password_field() -> PasswordField:
    return PasswordField(
        _l("Current password"), validators=[_required()], render_kw={"autocomplete": "current-password"}
    )


class RegistrationForm(Form):
    category = SelectField(
        _l("I register as"),
        choices=[SelectChoice(category.value, CATEGORY_LABELS[category]) for category in Category],
        default=Category.RESIDENT.value,
        validators=[_required()],
    )
    display_name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[_required(), Length(max=100)],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field(_l("Email"))
    phone = TelField(
        _l("Phone"),
        filters=[_strip],
        validators=[Optional(), _plausible_phone],
        render_kw={"autocomplete": "tel"},
    )
    password = _new_password_field(_l("Password"))
    confirm = _repeat_field(_l("Repeat the password"), of="password")
    locale = SelectField(
        _l("Language of pages and emails"), choices=LANGUAGE_CHOICES, validators=[_required()]
    )
    # Student fields.
    university_id = SelectField(_l("University"), coerce=optional_id, choices=[])
    student_number = StringField(_l("Student number"), filters=[_strip], validators=[Length(max=40)])
    # Enterprise fields.
    company_code = StringField(
        _l("Company’s unified social credit code"),
        filters=[lambda value: credit_code.normalize(value) if value else value],
        validators=[Length(max=32)],
    )
    company_name = StringField(_l("Company name"), filters=[_strip], validators=[Length(max=200)])
    submit = SubmitField(_l("Create account"))

    def set_universities(self, universities: list[Organization]) -> None:
        placeholder = SelectChoice("", _l("Choose your university"))
        self.university_id.choices = [placeholder] + [SelectChoice(u.id, localized(u)) for u in universities]

    @property
    def chosen_category(self) -> Category | None:
        try:
            return Category(self.category.data)
        except ValueError:
            return None

    def validate_university_id(self, field: SelectField) -> None:
        if self.chosen_category == Category.STUDENT and field.data is None:
            raise ValidationError(_l("Choose your university."))

    def validate_student_number(self, field: StringField) -> None:
        if self.chosen_category == Category.STUDENT and not field.data:
            raise ValidationError(_l("Enter your student number."))

    def validate_company_code(self, field: StringField) -> None:
        if self.chosen_category != Category.ENTERPRISE:
            return
        if not field.data:
            raise ValidationError(_l("Enter your company’s unified social credit code."))
        if len(field.data) != 18:
            raise ValidationError(_l("A unified social credit code has 18 characters."))
        if not credit_code.is_valid(field.data):
            raise ValidationError(_l("This code is not valid; please check it for typing mistakes."))

    def registration(self) -> dict[str, Any]:
        """The service's arguments: the fields of the chosen category only."""
        category = Category(self.category.data)
        data: dict[str, Any] = {
            "email": self.email.data,
            "password": self.password.data,
            "display_name": self.display_name.data,
            "category": category,
            "phone": self.phone.data or None,
            "locale": self.locale.data,
        }
        if category == Category.STUDENT:
            data.update(university_id=self.university_id.data, student_number=self.student_number.data)
        elif category == Category.ENTERPRISE:
            data.update(company_code=self.company_code.data, company_name=self.company_name.data)
        return data


class LoginForm(Form):
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[_required(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[_required(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ProfileForm(Form):
    display_name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[_required(), Length(max=100)],
        render_kw={"autocomplete": "name"},
    )
    phone = TelField(
        _l("Phone"),
        filters=[_strip],
        validators=[Optional(), _plausible_phone],
        render_kw={"autocomplete": "tel"},
    )
    locale = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES, validators=[_required()])
    submit = SubmitField(_l("Save profile"))


class PasswordChangeForm(Form):
    current_password = _current_password_field()
    new_password = _new_password_field(_l("New password"))
    confirm = _repeat_field(_l("Repeat the new password"), of="new_password")
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(Form):
    email = _email_field(_l("Email"))
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(Form):
    password = _new_password_field(_l("New password"))
    confirm = _repeat_field(_l("Repeat the new password"), of="password")
    submit = SubmitField(_l("Set the new password"))


class VerificationCodeForm(Form):
    code = StringField(
        _l("6-digit code"),
        filters=[lambda value: value.replace(" ", "") if isinstance(value, str) else value],
        validators=[_required(), Regexp(r"^[0-9]{6}\Z", message=_l("Enter the 6 digits from the email."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "7"},
    )
    submit = SubmitField(_l("Confirm"))


class EmailChangeForm(Form):
    email = _email_field(_l("New email address"))
    password = _current_password_field()
    submit = SubmitField(_l("Change email address"))


class DeleteAccountForm(Form):
    password = _current_password_field()
    confirm = StringField(
        _l("Type DELETE to confirm"),
        filters=[_strip],
        validators=[
            _required(),
            Regexp(r"^(DELETE|删除)\Z", message=_l("Type DELETE (or 删除) to confirm.")),
        ],
    )
    submit = SubmitField(_l("Delete my account"))


class ApiTokenForm(Form):
    """A new personal access token for the public API: a name and its scopes."""

    name = StringField(_l("Token name"), filters=[_strip], validators=[_required(), Length(max=60)])
    read = BooleanField(_l("Read: the catalog, availability and your bookings"), default=True)
    book = BooleanField(_l("Book: book, move, cancel, join waitlists and check in as you"))
    manage = BooleanField(_l("Manage: approve and decline requests, read reports (staff only)"))
    submit = SubmitField(_l("Create token"))


class RevokeTokenForm(Form):
    submit = SubmitField(_l("Revoke"))
