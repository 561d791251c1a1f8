"""Log in and out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from edc import db
from edc.services import Refused
from edc.services.accounts import authenticate
from edc.views.fields import Form

bp = Blueprint("auth", __name__)


class LoginForm(Form):
    username = StringField(_l("User name"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this site after log-in."""
    # Browsers drop tabs and line breaks from URLs ("/\t/evil" becomes "//evil"): refuse them.
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable() and not urlsplit(target).netloc):
        return target
    return url_for("index")  # the worklist


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = authenticate(db.session(), form.username.data, form.password.data)
        except Refused as refused:
            error = " ".join(refused.messages)
        else:
            session.clear()
            login_user(user)
            session.permanent = True
            session["last_seen"] = datetime.now(UTC).timestamp()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
