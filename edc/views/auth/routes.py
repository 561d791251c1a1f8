"""Log in and out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired

from edc import db
from edc.extensions import LANGUAGES
from edc.models import utcnow
from edc.services import Refused
from edc.services.accounts import (
    MIN_PASSWORD_LENGTH,
    authenticate,
    change_own_password,
    choose_language,
)
from edc.services.signin import (
    BROWSER_COOKIE,
    USUAL_DAYS,
    KnownBrowser,
    Throttled,
    end_session,
    new_browser,
    read_browser,
    sign_browser,
    start_session,
)
from edc.views.fields import Form
from edc.views.shared import attach_errors, context, local_path

bp = Blueprint("auth", __name__)


class LoginForm(Form):
    username = StringField(_l("User name"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this site after log-in."""
    return local_path(target) or url_for("index")  # the worklist


def _secret_keys() -> Sequence[str | bytes]:
    """The app's secret keys as Flask signs its session with them: the older ones first."""
    return [*(current_app.config.get("SECRET_KEY_FALLBACKS") or ()), current_app.secret_key]


def _remember_browser(response: Response, browser: KnownBrowser) -> None:
    """Give the browser its proof: sent only to the log-in page, never readable by a script,
    over HTTPS only whenever the session cookie is."""
    response.set_cookie(
        BROWSER_COOKIE, sign_browser(browser, _secret_keys()),
        max_age=int(timedelta(days=USUAL_DAYS).total_seconds()), path=url_for("auth.login"),
        httponly=True, samesite="Lax",
        secure=current_app.session_interface.get_cookie_secure(current_app))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST" and "language" in request.form:
        # The header's switch before logging in: this browser reads the log-in page in it, and
        # the account takes it on logging in unless its person already chose.
        switch = LanguageForm()
        if not switch.validate_on_submit():
            abort(400)
        session["language"] = switch.language.data
        return redirect(url_for("auth.login", next=request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        # The browser's proof of the users who logged in on it (none when forged or altered).
        browser = read_browser(request.cookies.get(BROWSER_COOKIE), _secret_keys())
        try:
            user = authenticate(db.session(), form.username.data, form.password.data,
                                request.remote_addr or "unknown", browser=browser)
        except Throttled as throttled:
            response = render_template("auth/login.html", form=form,
                                       error=" ".join(throttled.messages))
            return response, 429, {"Retry-After": str(throttled.minutes * 60)}
        except Refused as refused:
            error = " ".join(refused.messages)
        else:
            chosen = session.get("language")
            session.clear()
            login_user(user)
            session["sid"] = start_session(db.session(), user.id, utcnow())
            if chosen and not user.language:  # chosen on the log-in page: keep it
                choose_language(context(), user, chosen, LANGUAGES)
            session.permanent = True
            session["last_seen"] = datetime.now(UTC).timestamp()
            response = redirect(_safe_next(request.args.get("next")))
            # Kept across log-outs: it proves the browser, not a session.
            _remember_browser(response, (browser or new_browser()).after_log_in(
                user.id, user.username, utcnow()))
            return response
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


class PasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    password = PasswordField(_l("New password"), validators=[InputRequired()])
    repeated = PasswordField(_l("New password again"), validators=[InputRequired()])


@bp.route("/account/password", methods=["GET", "POST"])
def password() -> Any:
    """Change one's own password; the person's other sessions end."""
    form = PasswordForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            change_own_password(context(), current_user._get_current_object(),
                                form.current.data, form.password.data, form.repeated.data,
                                session.get("sid"))
        except Refused as refused:
            general = attach_errors(form, refused)
        else:
            flash(_("Your password is changed. Your sessions on other computers are ended."),
                  "success")
            return redirect(url_for("index"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form, general=general,
                           min_length=MIN_PASSWORD_LENGTH), status


class LanguageForm(Form):
    language = SelectField(choices=LANGUAGES)
    next = HiddenField()


@bp.route("/language", methods=["POST"])
def language() -> Any:
    """Switch the reader's language, remembered on their account."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    choose_language(context(), current_user._get_current_object(), form.language.data, LANGUAGES)
    return redirect(_safe_next(form.next.data))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    # Ended on the server: a copy of the cookie taken before is refused from now on. The
    # browser's proof (BROWSER_COOKIE) stays: it proves the browser, not a session.
    end_session(db.session(), session.get("sid"))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
