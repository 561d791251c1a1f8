"""A child's code as people type it: neither the letter case nor the dash matters, so "as101",
"AS 101" (an input method's space, dropped before it gets here) and "AS-101" all name AS-101.

What was typed is matched as typed and, where it has no dash, with one between its letters and
its digits: two plain comparisons of the code, which cost a search no more than one."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, func, or_

from edc.models import Participant

_LETTERS_THEN_DIGITS = re.compile(r"([A-Z])([0-9])")


def _spellings(typed: str) -> tuple[str, ...]:
    typed = typed.strip().upper()
    if "-" in typed:
        return (typed,)
    dashed = _LETTERS_THEN_DIGITS.sub(r"\1-\2", typed, count=1)
    return (typed,) if dashed == typed else (typed, dashed)


def code_holds(typed: str) -> ColumnElement[bool]:
    """The children whose code holds what was typed (a search)."""
    return or_(*(func.upper(Participant.code).contains(spelling, autoescape=True)
                 for spelling in _spellings(typed)))


def code_is(typed: str) -> ColumnElement[bool]:
    """The child whose code is what was typed. Enrolment stores a code in upper case, so the
    spellings are compared with the code itself, which its unique index finds."""
    return Participant.code.in_(_spellings(typed))
