"""A dataset as every tabular export writes it: a name, a label, its variables and its rows.

Pure. The rows are a function returning a fresh iterator each time it is called, so a writer
that needs two passes (an SAS transport file declares each text variable's length before the
first row) reads the database twice rather than holding the rows in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

Value = str | int | float | None


@dataclass(frozen=True)
class Variable:
    name: str  # upper case, at most 8 characters (SDTM and SAS version 5)
    label: str  # at most 40 characters
    numeric: bool = False  # a number (int or float, None when missing), else text
    # Text a person typed as they liked (a term, a reason, a name): a spreadsheet must show it
    # as text, never run it as a formula.
    typed: bool = False


@dataclass(frozen=True)
class Dataset:
    name: str  # the domain: DM, LB ... at most 8 characters
    label: str  # at most 40 characters
    variables: tuple[Variable, ...]
    rows: Callable[[], Iterable[Sequence[Value]]]  # one value per variable, in their order

    @property
    def names(self) -> list[str]:
        return [variable.name for variable in self.variables]
