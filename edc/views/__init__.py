"""Register the blueprints, and what every request shares: login required, idle timeout,
security headers, error pages, template filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from edc import db
from edc.extensions import IDLE_TIMEOUT, login_manager
from edc.models import User, utcnow
from edc.permissions import Action, may
from edc.protocol.codes import ParticipantStatus, Sex, VisitKind, VisitStatus
from edc.protocol.study import ADVERSE_EVENTS
from edc.read.accounts import session_user
from edc.read.safety import Alert, open_alerts
from edc.rules.safety import hours_left
from edc.services.signin import SESSION_LIFETIME, end_session
from edc.views.filters import register_filters
from edc.views.shared import SAFETY_ALERTS, permission_required, study

# The only endpoints reachable without a login (a family's calendar and page, a person's clinic
# calendar: its random token is the key).
PUBLIC_ENDPOINTS = {"auth.login", "static", "calendars.family", "calendars.family_page",
                    "calendars.clinic_token_feed"}
# Open to anyone logged in, whatever their role: leaving, choosing the language one reads and
# changing one's own password are not actions on the study's data.
ANY_ROLE_ENDPOINTS = {"auth.logout", "auth.language", "auth.password"}


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    # The cookie alone is not enough: its session must still be open on the server.
    if not user_id.isdigit():
        return None
    return session_user(db.session(), int(user_id), session.get("sid"),
                        utcnow() - SESSION_LIFETIME)


def _require_login() -> Any:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    # After log-in, go back to the page asked for; a form post cannot be repeated that way.
    back = request.full_path if request.method == "GET" else None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=back))
    now = datetime.now(UTC).timestamp()
    last_seen = session.get("last_seen", now)
    if now - last_seen > IDLE_TIMEOUT.total_seconds():
        end_session(db.session(), session.get("sid"))
        logout_user()
        session.clear()
        flash(
            _("You were logged out after %(minutes)s minutes without activity. Please log in "
              "again.", minutes=int(IDLE_TIMEOUT.total_seconds() // 60)),
            "warning",
        )
        return redirect(url_for("auth.login", next=back))
    session.permanent = True
    session["last_seen"] = now
    if current_user.password_temporary and request.endpoint not in ANY_ROLE_ENDPOINTS:
        # Whoever typed the temporary password knows it: nothing is done under the account
        # until its person has chosen their own.
        flash(_("Your password was set by an administrator. Choose your own password to go "
                "on."), "warning")
        return redirect(url_for("auth.password"))
    return None


def _security_headers(response: Any) -> Any:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.is_secure:
        # Served over HTTPS (directly, or behind a trusted proxy: EDC_PROXY_HOPS): browsers
        # keep to HTTPS for this site for a year.
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(exc: HTTPException) -> Any:
    messages = {
        400: _("The request could not be understood."),
        403: _("Your role does not allow this page or action."),
        404: _("There is no such page."),
        405: _("This page does not accept that kind of request."),
    }
    message = messages.get(exc.code or 500, exc.description)
    return render_template("error.html", code=exc.code, message=message), exc.code


def _csrf_error(exc: CSRFError) -> Any:
    message = _(
        "The form's security token was missing or had expired, so nothing was saved. "
        "Go back, reload the page and enter the data again."
    )
    return render_template("error.html", code=400, message=message), 400


def _server_error(exc: Exception) -> Any:
    db.session().rollback()
    current_app.logger.exception("Unhandled error")
    message = _("Something went wrong and nothing was saved. The error was logged.")
    return render_template("error.html", code=500, message=message), 500


class BoundedInt(IntegerConverter):
    """An id in a URL: a number too large for the database is simply not found (404)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _safety_alerts() -> list[tuple[Alert, int]]:
    log = study().log(ADVERSE_EVENTS)
    now = utcnow()
    # A page that read the alerts already (the worklist) left them for the banner.
    alerts = g.get(SAFETY_ALERTS)
    if alerts is None:
        alerts = open_alerts(db.session(), log.form.by_role("term").key,
                             log.form.by_role("serious").key)
    return [(alert, hours_left(alert.alert_at, log.alert_hours, now)) for alert in alerts]


def register(app: Flask) -> None:
    """Register the blueprints, the request hooks, the error pages and the template filters."""
    from edc.views import (
        admin,
        auth,
        calendars,
        participants,
        queries,
        reports,
        review,
        safety,
        visits,
        worklist,
    )

    app.url_map.converters["int"] = BoundedInt

    app.register_blueprint(admin.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(calendars.bp)
    app.register_blueprint(participants.bp)
    app.register_blueprint(safety.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(visits.bp)
    app.register_blueprint(worklist.bp)
    app.register_blueprint(queries.bp)
    app.before_request(_require_login)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(Exception, _server_error)

    register_filters(app)

    @app.context_processor
    def _shared() -> dict[str, Any]:
        # The role read once: a page asks may() for every row of its tables.
        role = current_user.role if current_user.is_authenticated else None
        return {
            "study": study(),
            "get_locale": get_locale,
            "Action": Action,
            # The stored codes, so that a page compares v.status == VisitStatus.PLANNED.
            "ParticipantStatus": ParticipantStatus,
            "Sex": Sex,
            "VisitKind": VisitKind,
            "VisitStatus": VisitStatus,
            # may(Action.ENROL): whether the page offers the user that action (edc.permissions)
            "may": lambda action: bool(role and may(role, action)),
            # The serious adverse events no investigator has acknowledged, with the hours left.
            "safety_alerts": _safety_alerts,
            "alerts_log": ADVERSE_EVENTS,
        }

    @app.route("/")
    @permission_required(Action.VIEW)
    def index() -> Any:
        """The home page of every role: the worklist (actions for nurses and investigators)."""
        return worklist.routes.page()
