"""What every blueprint shares: the study and clinic calendar of the app, roles, form errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from flask import abort, current_app, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import FormField

from edc import db
from edc.models import Participant
from edc.protocol.crf import ResultsForm
from edc.protocol.study import Study
from edc.rules.schedule import ClinicCalendar
from edc.services import Context, Refused

WRITE_ROLES = ("nurse", "investigator")


def study() -> Study:
    return current_app.extensions["edc_study"]


def calendar() -> ClinicCalendar:
    return current_app.extensions["edc_calendar"]


def clock() -> date:
    """Return today's date at the site, from the app's clock."""
    return current_app.extensions["edc_clock"]()


def context() -> Context:
    """Return the context the current request's writes act in: its session, the study, the
    clinic calendar, the logged-in user and today."""
    return Context(session=db.session(), study=study(), calendar=calendar(),
                   actor=current_user._get_current_object(), today=clock())


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


def trend_error(reason: str | None) -> str | None:
    """Why the trend cannot be computed from what is stored, as the pages say it."""
    if reason is None:
        return None
    return _("The computed values could not be made: %(error)s", error=reason)


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


def subscription_url(participant: Participant) -> str | None:
    """Return the family's calendar link, or None while no link is issued."""
    if not participant.calendar_token:
        return None
    return url_for("calendars.family", token=participant.calendar_token, _external=True)
