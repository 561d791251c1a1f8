"""The Flask extensions, created unbound here and bound to the app in edc.app."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect

LANGUAGES = ("en", "zh_CN")
IDLE_TIMEOUT = timedelta(minutes=30)

csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
