"""Accounts, the allocation list (the unblinded role's), the study definition in force, the
database lock; the freeze of a child's record from its page."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from edc import db, services
from edc.models import Participant, User, utcnow
from edc.permissions import Action, blinded, may
from edc.read import accounts as account_reads
from edc.read import admin as reads
from edc.read.participants import load_participant
from edc.services import Changed, Refused, accounts, locks
from edc.views.admin.forms import (
    ActiveForm,
    AllocationForm,
    FreezeForm,
    LiftWaitForm,
    LockForm,
    NameForm,
    NewUserForm,
    ResetPasswordForm,
    RoleForm,
    UnlockDatabaseForm,
    UnlockForm,
)
from edc.views.shared import attach_errors, context, permission_required, study

bp = Blueprint("admin", __name__)

# An item's type (forms/*.toml) as the study page names it.
TYPE_WORDS = {
    "number": _l("number"), "integer": _l("whole number"), "text": _l("text"),
    "date": _l("date"), "time": _l("time"), "choice": _l("one choice"),
    "yesno": _l("yes or no"), "multichoice": _l("several choices"),
}


@bp.app_context_processor
def _lock_banner() -> dict[str, Any]:
    # A callable: the one query runs only where the banner is drawn (a logged-in page).
    return {"database_lock": lambda: reads.database_lock(db.session())}


def _user_or_404(user_id: int) -> User:
    user = reads.account(db.session(), user_id)
    if user is None:
        abort(404)
    return user


def _account_forms(user: User) -> dict[str, Any]:
    """The forms of one account's row, each with its own prefix so that the page's ids differ."""
    prefix = f"u{user.id}"
    role = RoleForm(formdata=None, prefix=f"{prefix}-role", role=user.role, was=user.role)
    return {"role": role,
            "name": NameForm(formdata=None, prefix=f"{prefix}-name", full_name=user.full_name,
                             was=user.full_name or ""),
            "active": ActiveForm(formdata=None, prefix=f"{prefix}-active", was=str(user.active)),
            "reset": ResetPasswordForm(formdata=None, prefix=f"{prefix}-reset"),
            "unlock": UnlockForm(formdata=None, prefix=f"{prefix}-unlock")}


def _wait_prefix(address: str) -> str:
    """A computer's form prefix: its ids on the page differ from every other computer's."""
    return "w" + hashlib.sha256(address.encode()).hexdigest()[:12]


def _users_page(failed: tuple[int, str, Any] | None = None, general: list[str] | None = None,
                new_form: NewUserForm | None = None, status: int = 200,
                lift: tuple[str, LiftWaitForm] | None = None) -> Any:
    """The accounts with a form per change; a refused one is shown again as it was posted."""
    session, now = db.session(), utcnow()
    rows = reads.accounts(session)
    forms = {row.user.id: _account_forms(row.user) for row in rows}
    if failed is not None:
        user_id, kind, form = failed
        forms[user_id][kind] = form
    computers = account_reads.waiting_computers(session, now)
    lift_forms = {c.address: LiftWaitForm(formdata=None, prefix=_wait_prefix(c.address),
                                          was=c.until.isoformat()) for c in computers}
    if lift is not None:
        lift_forms[lift[0]] = lift[1]
        lift[1].was.data = next((c.until.isoformat() for c in computers
                                 if c.address == lift[0]), "")
    page = request.args.get("attempts", 1, type=int) or 1
    # The accounts that see the arms, which a blinded administrator changes only at the console.
    console_only = {row.user.id for row in rows if _console_only(row.user)}
    return render_template("admin/users.html", rows=rows, forms=forms, general=general or [],
                           console_only=console_only,
                           # Who signs casebooks: an account of theirs needs its person's name.
                           signers={row.user.id for row in rows
                                    if may(row.user.role, Action.SIGN_CASEBOOK)},
                           offers_unblinded=not blinded(current_user.role),
                           failed=failed[0] if failed else None,
                           attempts=account_reads.login_attempts(session, page),
                           waiting=account_reads.waiting_names(session, now),
                           computers=computers, lift_forms=lift_forms,
                           lift_failed=lift[0] if lift else None,
                           min_length=accounts.MIN_PASSWORD_LENGTH,
                           new_form=new_form or NewUserForm(formdata=None)), status


@bp.route("/admin/users")
@permission_required(Action.MANAGE_USERS)
def users() -> Any:
    return _users_page()


@bp.route("/admin/users/new", methods=["POST"])
@permission_required(Action.MANAGE_USERS)
def create_user() -> Any:
    form = NewUserForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            user = accounts.create_user(context(), form.username.data, form.role.data,
                                        form.password.data, form.full_name.data or "",
                                        temporary=True)
        except Refused as refused:
            general = attach_errors(form, refused)
        else:
            flash(_("Account %(name)s created. Give its person the temporary password.",
                    name=user.username), "success")
            return redirect(url_for("admin.users"))
    return _users_page(general=general, new_form=form, status=422)


def _console_only(user: User) -> bool:
    """Whether the account sees the arms and the person at the page is blinded: it is then
    changed only at the server console (edc.services.accounts says why)."""
    return blinded(current_user.role) and not blinded(user.role)


def _change(user_id: int, kind: str, form_class: type, change: Any, done: str) -> Any:
    """Validate one account's form, make the change through the service, and go back to the
    list; a refusal shows the list again with what was typed and the message."""
    user = _user_or_404(user_id)
    form = form_class(prefix=f"u{user.id}-{kind}")
    general: list[str] = []
    if form.validate_on_submit():
        try:
            change(user, form)
        except Refused as refused:
            # An account the page shows without forms (one that sees the arms, to a blinded
            # administrator) has its refusal at the top of its panel.
            general = (refused.messages if _console_only(user)
                       else attach_errors(form, refused))
        else:
            flash(done % {"name": user.username}, "success")
            return redirect(url_for("admin.users"))
    return _users_page((user.id, kind, form), general, status=422)


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
@permission_required(Action.MANAGE_USERS)
def change_role(user_id: int) -> Any:
    return _change(user_id, "role", RoleForm, lambda user, form: accounts.change_role(
        context(), user, form.role.data, form.reason.data, expected_role=form.was.data or None),
        _("The role of %(name)s is changed."))


@bp.route("/admin/users/<int:user_id>/name", methods=["POST"])
@permission_required(Action.MANAGE_USERS)
def change_name(user_id: int) -> Any:
    return _change(user_id, "name", NameForm, lambda user, form: accounts.set_full_name(
        context(), user, form.full_name.data or "", form.reason.data,
        expected_name=form.was.data), _("The full name of %(name)s is changed."))


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@permission_required(Action.MANAGE_USERS)
def deactivate(user_id: int) -> Any:
    return _change(user_id, "active", ActiveForm, lambda user, form: accounts.set_active(
        context(), user, False, form.reason.data, expected_active=_shown(form.was.data)),
        _("%(name)s is deactivated: the account can no longer log in."))


@bp.route("/admin/users/<int:user_id>/reactivate", methods=["POST"])
@permission_required(Action.MANAGE_USERS)
def reactivate(user_id: int) -> Any:
    return _change(user_id, "active", ActiveForm, lambda user, form: accounts.set_active(
        context(), user, True, form.reason.data, expected_active=_shown(form.was.data)),
        _("%(name)s is active again."))


def _shown(text: str | None) -> bool | None:
    return {"True": True, "False": False}.get(text or "")


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@permission_required(Action.MANAGE_USERS)
def reset_password(user_id: int) -> Any:
    return _change(user_id, "reset", ResetPasswordForm, lambda user, form: accounts.
                   reset_password(context(), user, form.password.data),
                   _("The password of %(name)s is reset. Give its person the temporary "
                     "password."))


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@permission_required(Action.MANAGE_USERS)
def unlock(user_id: int) -> Any:
    return _change(user_id, "unlock", UnlockForm, lambda user, form: accounts.unlock(
        context(), user.username), _("%(name)s is unlocked."))


@bp.route("/admin/computers/<path:address>/lift", methods=["POST"])
@permission_required(Action.MANAGE_USERS)
def lift_computer_wait(address: str) -> Any:
    """Let a computer that waits after failed log-ins try again now, saying why."""
    form = LiftWaitForm(prefix=_wait_prefix(address))
    general: list[str] = []
    status = 422
    if form.validate_on_submit():
        try:
            accounts.lift_computer_wait(context(), address, form.reason.data,
                                        expected=form.was.data or None)
        except Refused as refused:
            general = attach_errors(form, refused)
            status = 409 if isinstance(refused, Changed) else 422
        else:
            flash(_("The computer %(address)s may try to log in again now.", address=address),
                  "success")
            return redirect(url_for("admin.users", _anchor="waiting-computers"))
    return _users_page(general=general, status=status, lift=(address, form))


@bp.route("/admin/allocation", methods=["GET", "POST"])
@permission_required(Action.LOAD_ALLOCATION)
def allocation() -> Any:
    form = AllocationForm()
    general: list[str] = []
    if form.validate_on_submit():
        raw = form.list_file.data.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            general = [_("The file is not text in UTF-8. Save the list as CSV (UTF-8) and "
                         "choose it again.")]
        else:
            try:
                count = services.load_allocation(context(), text)
            except Refused as refused:
                general = refused.messages
            else:
                flash(_("Loaded %(n)s allocation entries.", n=count), "success")
                return redirect(url_for("admin.allocation"))
    use = reads.allocation_use(db.session(), current_user.role)
    status = 422 if general or form.errors else 200
    return render_template("admin/allocation.html", form=form, general=general,
                           use=use), status


@bp.route("/admin/study")
@permission_required(Action.MANAGE_USERS)
def study_definition() -> Any:
    definition = study()
    forms = [definition.enrolment_form, definition.results,
             *(log.form for log in definition.logs), definition.termination.form]
    return render_template("admin/study.html", definition=definition, forms=forms,
                           type_words=TYPE_WORDS)


def _lock_page(lock_form: LockForm | None = None, unlock_form: UnlockDatabaseForm | None = None,
               general: list[str] | None = None, status: int = 200) -> Any:
    session = db.session()
    lock = reads.database_lock(session)
    if unlock_form is None:
        unlock_form = UnlockDatabaseForm(formdata=None)
    if lock is not None and not unlock_form.version.data:
        unlock_form.version.data = str(lock.version)
    return render_template("admin/lock.html", lock=lock, history=reads.locks(session),
                           lock_form=lock_form or LockForm(formdata=None),
                           unlock_form=unlock_form, general=general or []), status


@bp.route("/admin/lock", methods=["GET", "POST"])
@permission_required(Action.LOCK_DATABASE)
def lock() -> Any:
    form = LockForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            locks.lock_database(context(), form.reason.data)
        except Refused as refused:
            general = attach_errors(form, refused)
        else:
            flash(_("The database is locked: no child's data can be changed until it is "
                    "unlocked."), "success")
            return redirect(url_for("admin.lock"))
    posted = request.method == "POST"
    return _lock_page(lock_form=form, general=general, status=422 if posted else 200)


@bp.route("/admin/unlock", methods=["POST"])
@permission_required(Action.LOCK_DATABASE)
def unlock_database() -> Any:
    form = UnlockDatabaseForm()
    general: list[str] = []
    status = 422
    if form.validate_on_submit():
        try:
            locks.unlock_database(context(), form.reason.data,
                                  expected_version=form.expected_version())
        except Refused as refused:
            general = attach_errors(form, refused)
            status = 409 if isinstance(refused, Changed) else 422
            form.version.data = ""  # the page shows the lock as it is now
        else:
            flash(_("The database is unlocked."), "success")
            return redirect(url_for("admin.lock"))
    return _lock_page(unlock_form=form, general=general, status=status)


def _participant_or_404(participant_id: int) -> Participant:
    participant = load_participant(db.session(), participant_id)
    if participant is None:
        abort(404)
    return participant


def _freeze(participant_id: int, change: Any, done: str) -> Any:
    participant = _participant_or_404(participant_id)
    form = FreezeForm()
    general: list[str] = []
    status = 422
    if form.validate_on_submit():
        try:
            change(context(), participant, form.reason.data,
                   expected_version=form.expected_version())
        except Refused as refused:
            general = attach_errors(form, refused)
            status = 409 if isinstance(refused, Changed) else 422
            form.version.data = str(participant.version)
        else:
            flash(done % {"code": participant.code}, "success")
            return redirect(url_for("participants.detail", participant_id=participant.id))
    return render_template("admin/freeze.html", p=participant, form=form,
                           general=general), status


@bp.route("/participants/<int:participant_id>/freeze", methods=["POST"])
@permission_required(Action.FREEZE)
def freeze(participant_id: int) -> Any:
    return _freeze(participant_id, locks.freeze,
                   _("%(code)s is frozen: nothing of it can be changed until it is unfrozen."))


@bp.route("/participants/<int:participant_id>/unfreeze", methods=["POST"])
@permission_required(Action.FREEZE)
def unfreeze(participant_id: int) -> Any:
    return _freeze(participant_id, locks.unfreeze,
                   _("%(code)s is unfrozen: its data can be corrected again."))
