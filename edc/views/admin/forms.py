"""The forms of the administrator's pages and of a child's freeze."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import Length
from wtforms.widgets import PasswordInput

from edc.permissions import Role, blinded
from edc.views.fields import Form, Required, VersionedForm
from edc.views.filters import term


def _roles() -> list[tuple[str, str]]:
    """The roles the person at the page may give: a blinded one never offers a role that sees
    the arms (edc.services.accounts refuses it, with the way it is done instead)."""
    return [(role.value, term(role.value)) for role in Role
            if blinded(role) or not blinded(current_user.role)]


def _reason(label: str | None = None) -> StringField:
    return StringField(label or _l("Reason"), validators=[
        Required(message=_l("Say why.")), Length(max=500)])


class _Password(PasswordField):
    # The administrator types a temporary password to hand over: a refused one stays in the
    # box to be corrected, not typed again from nothing.
    widget = PasswordInput(hide_value=False)


class NewUserForm(Form):
    username = StringField(_l("User name"), validators=[
        Required(message=_l("Enter the user name.")), Length(max=64)])
    full_name = StringField(_l("Full name, as a signature prints it"), validators=[
        Required(message=_l("Enter the person's full name.")), Length(max=128)])
    # A role not offered is the service's to refuse, with a message that says what to do.
    role = SelectField(_l("Role"), choices=_roles, validate_choice=False)
    password = _Password(_l("Temporary password"), validators=[
        Required(message=_l("Enter a temporary password."))])


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=_roles, validate_choice=False)
    reason = _reason()
    # The role the page showed: a change over someone else's is refused.
    was = HiddenField()


class NameForm(Form):
    full_name = StringField(_l("Full name, as a signature prints it"), validators=[
        Required(message=_l("Enter the person's full name.")), Length(max=128)])
    reason = _reason()
    was = HiddenField()  # the name the page showed: a change over someone else's is refused


class ActiveForm(Form):
    reason = _reason()
    was = HiddenField()  # "True" or "False": whether the page showed the account active


class ResetPasswordForm(Form):
    password = _Password(_l("New temporary password"), validators=[
        Required(message=_l("Enter a temporary password."))])


class UnlockForm(Form):
    pass


class LiftWaitForm(Form):
    reason = _reason()
    # The end of the wait the page showed (ISO): a wait changed since is not lifted unseen.
    was = HiddenField()


class AllocationForm(Form):
    list_file = FileField(_l("Allocation list (CSV: sequence,arm)"), validators=[
        FileRequired(message=_l("Choose the list's CSV file."))])


class LockForm(Form):
    reason = _reason()


class UnlockDatabaseForm(VersionedForm):
    reason = _reason()


class FreezeForm(VersionedForm):
    reason = _reason()
