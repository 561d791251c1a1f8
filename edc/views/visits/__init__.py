"""A visit's page: enter and correct its kidney results, see each field's history, mark missed."""

from edc.views.visits.routes import bp

__all__ = ["bp"]
