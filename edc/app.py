"""Build the Flask app: configuration, study definition, database, extensions, blueprints."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from edc import db
from edc.extensions import IDLE_TIMEOUT, LANGUAGES, babel, csrf, login_manager
from edc.protocol.study import Study, StudyDefinitionError, load_study
from edc.rules.schedule import clinic_calendar
from edc.services.base import Actor, Context

FORMS_DIR = Path(__file__).resolve().parent.parent / "forms"


class ConfigurationError(RuntimeError):
    """The configuration cannot run the app as it is: the message says what to set."""


class _SessionCookies(SecureCookieSessionInterface):
    """The session cookie marked Secure on every response to a request that came over HTTPS
    (directly or, with EDC_PROXY_HOPS, through the proxy), and always on a site whose address
    is https (EDC_PREFERRED_URL_SCHEME), even when a proxy in front does not say how the
    request came: it never travels in clear."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]
                    or app.config.get("PREFERRED_URL_SCHEME") == "https"
                    or (has_request_context() and request.is_secure))


def _secret_key(instance: Path, database_url: str) -> str:
    """A secret key kept in instance/, created on first start; on a shared database server
    every app process must sign with the same key, so there it must be configured."""
    if not database_url.startswith("sqlite"):
        raise ConfigurationError(
            "Got no SECRET_KEY for a database server. Expected EDC_SECRET_KEY in the "
            "environment or SECRET_KEY in instance/config.py, the same for every app process "
            "(see docs/DEPLOYMENT.md).")
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def site_clock(study: Study) -> Callable[[], date]:
    """Return a clock telling today's date at the study site."""
    return lambda: datetime.now(study.tz).date()


def context_for(actor: Actor) -> Context:
    """Return the context for a write outside a request (a command, the demo loader), in the
    current app context: the app's session, study, calendar and clock."""
    extensions = current_app.extensions
    return Context(session=db.session(), study=extensions["edc_study"],
                   calendar=extensions["edc_calendar"], actor=actor,
                   today=extensions["edc_clock"]())


def _locale() -> str:
    """The reader's language: the one they chose (on their account, or before logging in for
    this browser session), else the site's (forms/study.toml), else the browser's."""
    if not has_request_context():
        return "en"
    user = current_user if current_user.is_authenticated else None
    chosen = user.language if user is not None else session.get("language")
    site = current_app.extensions["edc_study"].site.language
    return chosen or site or request.accept_languages.best_match(LANGUAGES) or "en"


def _catalogue() -> Any:
    """The request's translations, found again only when its locale changes (force_locale)."""
    locale = getattr(g.get("_flask_babel"), "babel_locale", None)  # where Flask-Babel keeps it
    found = g.get("edc_catalogue")
    if found is None or locale is None or found[0] is not locale:
        translations = get_translations()
        found = g.edc_catalogue = (g._flask_babel.babel_locale, translations)
    return found[1]


@pass_eval_context
def _template_gettext(context: EvalContext, text: str, **variables: Any) -> str:
    """A message in the reader's language, as Jinja's newstyle gettext gives it: the message
    trusted in an escaped template, the variables escaped into it."""
    translated = _catalogue().ugettext(text)
    return (Markup(translated) if context.autoescape else translated) % variables


@pass_eval_context
def _template_ngettext(context: EvalContext, singular: str, plural: str, num: int,
                       **variables: Any) -> str:
    """The singular or plural of a message by num, as Jinja's newstyle ngettext gives it."""
    variables.setdefault("num", num)
    translated = _catalogue().ungettext(singular, plural, num)
    return (Markup(translated) if context.autoescape else translated) % variables


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: study definition, database, login, CSRF, translations, blueprints."""
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{instance / 'edc.sqlite3'}",
        FORMS_DIR=str(FORMS_DIR),
        PERMANENT_SESSION_LIFETIME=IDLE_TIMEOUT,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # the session's idle timeout bounds the token's life
        BABEL_DEFAULT_LOCALE="en",
        BABEL_DEFAULT_TIMEZONE="UTC",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("EDC")
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance, app.config["DATABASE_URL"])
    app.session_interface = _SessionCookies()
    # Behind a reverse proxy, trust its X-Forwarded-For and -Proto for this many hops (0: none,
    # the default: a client could otherwise claim any address and dodge the throttling).
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    # A caller that already holds the study (the tests load it once) hands it in as STUDY.
    study = app.config.get("STUDY") or load_study(app.config["FORMS_DIR"])
    if study.site.language not in ("", *LANGUAGES):
        raise StudyDefinitionError("forms/study.toml", "site.language", study.site.language,
                                   "empty or one of " + ", ".join(LANGUAGES))
    app.extensions["edc_study"] = study
    app.extensions["edc_calendar"] = clinic_calendar(study.site)
    app.extensions["edc_results_form"] = study.results
    # The one clock of the app: every "today" comes from it. A test (or a rehearsal) sets the
    # day with CLOCK, a zero-argument callable returning a date, instead of patching code.
    app.extensions["edc_clock"] = app.config.get("CLOCK") or site_clock(study)
    app.config["BABEL_DEFAULT_TIMEZONE"] = study.info.timezone

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    # A page asks for a few hundred messages: look the request's catalogue up once, not per
    # message (Flask-Babel's own callables find it again each time, several times slower).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
        newstyle=True)
    # The two the templates call, as the extension's own do it but in one call instead of three.
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext,
                                 ngettext=_template_ngettext)
    login_manager.init_app(app)

    from edc.views import register

    register(app)
    return app

