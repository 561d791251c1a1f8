"""A child's safety records: the log forms (adverse events first), a serious event's
acknowledgement and its printable report, the vital signs of each infusion."""

from edc.views.safety import vitals  # noqa: F401  (its routes join the blueprint)
from edc.views.safety.routes import bp

__all__ = ["bp"]
