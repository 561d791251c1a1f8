"""A child's code as people type it: neither the letter case nor the dash matters, so "as101",
"AS 101" (an input method's space, dropped before it gets here) and "AS-101" all name AS-101."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func

from edc.models import Participant


def _bare_code() -> ColumnElement[str]:
    return func.replace(func.upper(Participant.code), "-", "")


def _bare(typed: str) -> str:
    return typed.strip().upper().replace("-", "")


def code_holds(typed: str) -> ColumnElement[bool]:
    """The children whose code holds what was typed (a search)."""
    return _bare_code().contains(_bare(typed), autoescape=True)


def code_is(typed: str) -> ColumnElement[bool]:
    """The child whose code is what was typed."""
    return _bare_code() == _bare(typed)
