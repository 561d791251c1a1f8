"""The administrator's pages (accounts, the study definition in force, the database lock), the
unblinded role's allocation list page, and the freeze of a child's record."""

from edc.views.admin.routes import bp

__all__ = ["bp"]
