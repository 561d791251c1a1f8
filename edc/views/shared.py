"""What every blueprint shares: the study and clinic calendar of the app, permissions, form
errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import FormField

from edc import db
from edc.models import Participant
from edc.permissions import Action, may
from edc.protocol.crf import ResultsForm
from edc.protocol.study import Study
from edc.rules.schedule import ClinicCalendar
from edc.services import Context, Refused
from edc.views.fields import as_ascii, clean_text

# Where a request keeps the open safety alerts once read (flask.g), for the page's banner.
SAFETY_ALERTS = "edc_safety_alerts"

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


def permission_required(action: Action, *, post: Action | None = None) -> Callable:
    """Refuse the view (403) to users whose role may not do action (edc.permissions); a page
    that also takes a form may ask another action of a POST."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            needed = post if post is not None and request.method == "POST" else action
            if not may(current_user.role, needed):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = action  # type: ignore[attr-defined]
        wrapped.post_permission = post  # type: ignore[attr-defined]
        return wrapped

    return decorator


def results_definition() -> ResultsForm:
    return current_app.extensions["edc_results_form"]


def trend_error(reason: str | None) -> str | None:
    """That the trend cannot be computed from what is stored, as the pages say it; the rule's
    own reason (in English, naming the stored value) goes to the log for the data manager."""
    if reason is None:
        return None
    current_app.logger.warning("Computed values not made: %s", reason)
    return _("The computed values could not be made from what is stored. The reason is in the "
             "server's log: tell the data manager.")


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


def family_page_url(participant: Participant) -> str | None:
    """Return the family's page (what the QR code opens), or None while no link is issued."""
    if not participant.calendar_token:
        return None
    return url_for("calendars.family_page", token=participant.calendar_token, _external=True)


_STAND_IN = 987_654_321  # an id no table reaches, to find where the id goes in a URL


def id_links(endpoint: str, name: str, **values: Any) -> Callable[[int], str]:
    """url_for(endpoint, **{name: id}, **values) for many ids at the cost of one: a long list's
    links, built once with a stand-in id and the id put in its place (url_for takes a list of
    a hundred rows a third of its time)."""
    head, found, tail = url_for(endpoint, **{name: _STAND_IN}, **values).partition(
        str(_STAND_IN))
    if not found:  # a programming error: the id is not in the URL's path
        raise LookupError(endpoint, name)
    return lambda ident: f"{head}{int(ident)}{tail}"


def local_path(target: str | None) -> str | None:
    """A page of this site to go back to, or None: never another site's (browsers drop tabs
    and line breaks from a URL, so "/", a tab, "/evil.example" would lead to //evil.example)."""
    target = (target or "").strip()
    if (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable() and not urlsplit(target).netloc):
        return target
    return None


MAX_PAGE = 100_000  # more pages than any list of the study could hold: a typing error


def page_number(typed: str, problems: list[str]) -> int:
    """The page of a list asked for (full-width digits read too); the first page, with a
    message added to problems, when it is no page number."""
    text = as_ascii(clean_text(typed)).strip() or "1"
    page = int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 0
    if not 1 <= page <= MAX_PAGE:
        problems.append(_("Got page %(typed)s. Expected a page number such as 2. The first page "
                          "is shown.", typed=repr(text[:40])))
        return 1
    return page
