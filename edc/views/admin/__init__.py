"""The administrator's pages (accounts, the allocation list, the study definition in force,
the database lock) and the freeze of a child's record."""

from edc.views.admin.routes import bp

__all__ = ["bp"]
