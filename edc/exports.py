"""Every export of the trial's data, written to a binary file as it is read: the command
(`edc export`) and the Exports page call the same function, so both give the same bytes.

    csv         a zip of one CSV per SDTM-shaped dataset (edc.read.datasets)
    wide        one CSV row per child and visit, one column per item, for spreadsheets
    dictionary  REDCap's data dictionary of forms/ (edc.formats.dictionary)
    odm         CDISC ODM 1.3.2 XML with the audit records (edc.formats.odm)
    xpt         a zip of one SAS version 5 transport file per dataset (edc.formats.xpt)
    audit       the whole audit trail as CSV

The arm is read through edc.read.blinding with the role the export is made for; CSV files are
UTF-8 with a byte-order mark, so spreadsheets read the Chinese as Chinese.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from edc.formats import odm, xpt
from edc.formats.datasets import Dataset
from edc.formats.dictionary import as_csv_lines, dictionary_rows
from edc.protocol.study import Study
from edc.read import blinding
from edc.read import odm as odm_read
from edc.read.datasets import Datasets
from edc.read.exports import AUDIT_COLUMNS, audit_rows


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    counts: tuple[str, str] = ("row", "rows")  # what the number an export returns counts

    def counted(self, n: int) -> str:
        """'1 row', '5 rows', '1 child' ..."""
        return f"{n} {self.counts[n != 1]}"


FORMATS = {f.name: f for f in (
    Format("csv", "zip"), Format("wide", "csv"), Format("dictionary", "csv"),
    Format("odm", "xml", ("child", "children")), Format("xpt", "zip"), Format("audit", "csv"))}


def file_name(study: Study, kind: str, role: str, at: datetime) -> str:
    """NCT06731192-csv-20261203T101500Z.zip; "-unblinded" when the file holds the arm."""
    unblinded = "-unblinded" if blinding.sees_allocation(role) else ""
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    return f"{study.info.id}-{kind}{unblinded}-{stamp}.{FORMATS[kind].extension}"


def write(session: Session, study: Study, kind: str, role: str, file: BinaryIO,
          at: datetime) -> int:
    """Write the export `kind` as `role` may read it; return the rows (or children) written."""
    if kind == "csv":
        with Datasets(session, study, role) as datasets:
            return _zip(file, datasets.all(), _csv_member, "csv", at)
    if kind == "xpt":
        with Datasets(session, study, role) as datasets:
            return _zip(file, datasets.all(),
                        lambda member, dataset: xpt.write_xpt(member, dataset, created=at),
                        "xpt", at)
    if kind == "odm":
        return odm.write_odm(file, study, odm_read.subjects(session, study, role),
                             unblinded=blinding.sees_allocation(role), created=at,
                             source=f"alport-edc {study.info.id}")
    if kind == "wide":
        wide = Datasets(session, study, role).wide()
        return _csv(file, [wide.names], wide.rows())
    if kind == "dictionary":
        lines = as_csv_lines(dictionary_rows(study))
        return _csv(file, [next(lines)], lines)
    if kind == "audit":
        return _csv(file, [list(AUDIT_COLUMNS)], audit_rows(session, role),
                    [AUDIT_COLUMNS.index(name) for name in AUDIT_TYPED])
    raise ValueError(f"Got {kind!r}. Expected one of {', '.join(FORMATS)}.")


def _zip(file: BinaryIO, datasets: list[Dataset], member: Any, extension: str,
         at: datetime) -> int:
    """One member per dataset, written in turn, dated `at`; the zip needs no seeking (a
    download streams)."""
    total = 0
    with zipfile.ZipFile(_Unseekable(file), "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for dataset in datasets:
            info = zipfile.ZipInfo(f"{dataset.name.lower()}.{extension}", at.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as target:
                total += member(target, dataset)
    return total


def _csv_member(target: BinaryIO, dataset: Dataset) -> int:
    return _csv(target, [dataset.names], dataset.rows(),
                [n for n, variable in enumerate(dataset.variables) if variable.typed])


# What a spreadsheet reads as the start of a formula (or of a cell it then runs as one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The audit trail's columns holding what people typed (a failed log-in's name as typed too).
AUDIT_TYPED = ("username", "old", "new", "reason")


# A signed number (a change of days outside the window, -2) is a number to a spreadsheet too.
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def as_text(value: Any) -> Any:
    """A typed text as a spreadsheet must take it: one that would start a formula gets a
    leading apostrophe, which spreadsheets read as "text" and do not show."""
    if type(value) is str and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _neutralised(rows: Iterable[Sequence[Any]], typed: Sequence[int]) -> Iterator[Sequence[Any]]:
    """The rows with their typed cells made safe for a spreadsheet (only those cells: a
    number, a date or a code of the app's own never starts a formula)."""
    for row in rows:
        for n in typed:
            cell = row[n]
            if type(cell) is str and cell.startswith(FORMULA_STARTS):
                row = list(row)
                row[n] = as_text(cell)
        yield row


def _csv(file: BinaryIO, header: Sequence[Sequence[Any]], rows: Iterable[Sequence[Any]],
         typed: Sequence[int] = ()) -> int:
    """Write the rows as CSV; the cells at the `typed` positions are what people typed."""
    if typed:
        rows = _neutralised(rows, typed)
    # Buffered: the file (a zip member compresses what it is given) is written in chunks, not
    # a row at a time. The csv module writes None as an empty field.
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerows(header)
        writerow, count = writer.writerow, 0
        for row in rows:
            writerow(row)
            count += 1
        text.flush()
        return count
    finally:
        text.detach()


class _Unseekable(io.RawIOBase):
    """A file as a stream written forward only: the zip then writes each member's sizes after
    its data, as a download needs, and the same bytes whatever the target."""

    def __init__(self, file: BinaryIO) -> None:
        self._file, self._written = file, 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._file.write(data)
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        self._file.flush()
