"""The research nurse's day: the worklist (the home page) and the deviations page."""

from edc.views.worklist.routes import bp

__all__ = ["bp"]
