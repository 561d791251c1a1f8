"""Log in and out."""

from edc.views.auth.routes import bp

__all__ = ["bp"]
