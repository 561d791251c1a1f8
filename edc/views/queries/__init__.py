"""Queries on stored values: the list, one query with its thread and its forms (answer, close,
re-open), raising one beside a value, and the marks and counts other pages show."""

from edc.views.queries.routes import bp

__all__ = ["bp"]
