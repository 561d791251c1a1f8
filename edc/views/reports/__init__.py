"""Reports for the data monitoring committee: the outcome summary, as a page and a CSV."""

from edc.views.reports.routes import bp

__all__ = ["bp"]
