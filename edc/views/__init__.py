"""Blueprints, and what every request shares: login required, idle timeout, roles, headers."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter
from wtforms import FormField

from edc import IDLE_TIMEOUT, db, login_manager
from edc.labs import ResultsForm
from edc.models import Participant, User
from edc.schedule import ClinicCalendar
from edc.services import Refused, trend_for
from edc.study import Study
from edc.trends import Trend
from edc.units import significant

# The only endpoints reachable without a login (a family's calendar: its random token is the key).
PUBLIC_ENDPOINTS = {"auth.login", "static", "calendars.family"}
WRITE_ROLES = ("nurse", "investigator")


def study() -> Study:
    return current_app.extensions["edc_study"]


def calendar() -> ClinicCalendar:
    return current_app.extensions["edc_calendar"]


def roles_required(*roles: str) -> Callable:
    """Refuse the view (403) to users without one of the roles."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def results_definition() -> ResultsForm:
    return current_app.extensions["edc_results_form"]


def participant_trend(participant: Participant) -> tuple[Trend | None, str | None]:
    """The participant's trend, or the reason it cannot be computed from what is stored."""
    try:
        return trend_for(participant, results_definition(), study().outcomes), None
    except ValueError as error:
        return None, _("The computed values could not be made: %(error)s", error=str(error))


def attach_errors(form: Any, refused: Refused) -> list[str]:
    """Put each message on its field ("creatinine-value" is a field of a group); return the
    messages that belong to no field."""
    general = []
    for name, messages in refused.errors.items():
        target: Any = form
        for part in name.split("-"):
            container = target.form if isinstance(target, FormField) else target
            target = getattr(container, "_fields", {}).get(part)
            if target is None:
                break
        if target is None or isinstance(target, FormField):
            general.extend(messages)
        else:
            target.errors = list(target.errors) + messages
    return general


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session().get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


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
        logout_user()
        session.clear()
        flash(
            _("You were logged out after 30 minutes without activity. Please log in again."),
            "warning",
        )
        return redirect(url_for("auth.login", next=back))
    session.permanent = True
    session["last_seen"] = now
    return None


def _security_headers(response: Any) -> Any:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
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


# Stored codes shown to people: statuses, kinds, outcomes, roles, audited entities.
TERMS = {
    "enrolled": _l("enrolled"),
    "withdrawn": _l("withdrawn"),
    "completed": _l("completed"),
    "planned": _l("planned"),
    "done": _l("done"),
    "missed": _l("missed"),
    "cancelled": _l("cancelled"),
    "create": _l("created"),
    "update": _l("changed"),
    "delete": _l("deleted"),
    "complete": _l("complete remission"),
    "partial": _l("partial remission"),
    "none": _l("no remission"),
    "not_assessable": _l("not assessable"),
    "scheduled": _l("scheduled"),
    "screening": _l("screening"),
    "unscheduled": _l("unscheduled"),
    "admin": _l("admin"),
    "investigator": _l("investigator"),
    "nurse": _l("nurse"),
    "monitor": _l("monitor"),
    "unblinded": _l("unblinded"),
    "participant": _l("participant"),
    "infusion": _l("infusion"),
    "visit": _l("visit"),
    "result": _l("result"),
    "allocation": _l("allocation"),
    "user": _l("user"),
}


def _term(code: str) -> str:
    """A stored code (status, role, entity...) in the reader's language."""
    return str(TERMS.get(code, code))


def _visit_label(visit: Any) -> str:
    """A visit's label in the reader's language (forms/schedule.toml has both)."""
    if visit.kind == "screening":
        return _("Screening (baseline)")
    if visit.kind == "unscheduled":
        return _("Unscheduled")
    if str(get_locale()).startswith("zh"):
        definition = next((d for d in study().schedule.visits if d.code == visit.code), None)
        if definition is not None and definition.label_zh:
            return definition.label_zh
    return visit.label


def _day(value: date | None) -> str:
    """A date as ISO with the weekday, e.g. 2026-03-16 Mon (or 周一)."""
    if value is None:
        return ""
    return f"{value.isoformat()} {format_date(value, 'EEE')}"


def _local_time(value: datetime) -> str:
    """A UTC timestamp in the study's timezone."""
    return value.astimezone(study().tz).strftime("%Y-%m-%d %H:%M:%S")


def _cells(value: float) -> Markup:
    """A cell count in scientific notation, e.g. 4.8 × 10^7."""
    if not math.isfinite(value):
        return Markup("—")
    mantissa, exponent = f"{value:.2e}".split("e")
    return Markup(f"{float(mantissa):g} × 10<sup>{int(exponent)}</sup>")


class BoundedInt(IntegerConverter):
    """An id in a URL: a number too large for the database is simply not found (404)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt
    from edc.views import auth, calendars, participants, visits, worklist

    app.register_blueprint(auth.bp)
    app.register_blueprint(calendars.bp)
    app.register_blueprint(participants.bp)
    app.register_blueprint(visits.bp)
    app.register_blueprint(worklist.bp)
    app.before_request(_require_login)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(Exception, _server_error)

    app.add_template_filter(_day, "day")
    app.add_template_filter(_local_time, "local_time")
    app.add_template_filter(_cells, "cells")
    app.add_template_filter(_term, "term")
    app.add_template_filter(_visit_label, "visit_label")
    app.add_template_filter(lambda v: "" if v is None else significant(v), "sig")

    @app.context_processor
    def _shared() -> dict[str, Any]:
        user = current_user if current_user.is_authenticated else None
        return {
            "study": study(),
            "get_locale": get_locale,
            "can_write": bool(user and user.role in WRITE_ROLES),
        }

    @app.route("/")
    def index() -> Any:
        """The home page of every role: the worklist (actions for nurses and investigators)."""
        return worklist.page()
