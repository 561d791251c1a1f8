"""Build the Flask app: configuration, study definition, database, extensions, blueprints."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request, session

from edc import db
from edc.extensions import IDLE_TIMEOUT, LANGUAGES, babel, csrf, login_manager
from edc.protocol.study import load_study
from edc.rules.schedule import clinic_calendar

FORMS_DIR = Path(__file__).resolve().parent.parent / "forms"


def _secret_key(instance: Path) -> str:
    """A secret key kept in instance/, created on first start."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _locale() -> str:
    if not has_request_context():
        return "en"
    return session.get("lang") or request.accept_languages.best_match(LANGUAGES) or "en"


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
        app.config["SECRET_KEY"] = _secret_key(instance)

    study = load_study(app.config["FORMS_DIR"])
    app.extensions["edc_study"] = study
    app.extensions["edc_calendar"] = clinic_calendar(study.site)
    app.extensions["edc_results_form"] = study.results
    app.config["BABEL_DEFAULT_TIMEZONE"] = study.info.timezone

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    login_manager.init_app(app)

    from edc.views import register

    register(app)
    return app

