"""The family's calendar link (no log-in: the random token is the key) and its management."""

from edc.views.calendars.routes import bp

__all__ = ["bp"]
