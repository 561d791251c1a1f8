"""Enrol a child, record infusions, see and re-anchor the follow-up schedule, read the history."""

from edc.views.participants.routes import bp

__all__ = ["bp"]
