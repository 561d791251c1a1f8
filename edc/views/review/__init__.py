"""Source data verification, the investigator's signature and the printable casebook."""

from edc.views.review.routes import bp

__all__ = ["bp"]
