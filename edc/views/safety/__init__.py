"""A child's safety records: the log forms (adverse events first), a serious event's
acknowledgement and its printable report."""

from edc.views.safety.routes import bp

__all__ = ["bp"]
