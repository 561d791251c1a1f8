"""Write one dataset as a SAS transport file, version 5 (XPORT, `.xpt`), streaming.

Pure: the standard library only. This is the file a regulator's or a statistician's SAS, R
(haven, foreign) or Python (pyreadstat, pandas) opens; SDTM puts one domain in each file
(dm.xpt, lb.xpt ...), so a file here holds exactly one member.

Layout, every record 80 bytes and short ones padded with spaces: the library header and its two
lines (software, version, system, created and modified date-times), the member header, the
descriptor header and its two lines (the dataset's name and label), the NAMESTR header with the
number of variables, one 140-byte description per variable (type, length, name, label, position
in the observation) run together and padded to a whole record, the OBS header, then the
observations back to back, padded with spaces to a whole record at the end.

Numbers are IBM System/370 double precision floating point: a sign bit, a 7-bit exponent of 16
offset by 64, and a 56-bit fraction. The fraction is wider than an IEEE double's 53 bits, so
every Python float (and every integer below 2**56) is written exactly, with no rounding; a
missing number (None, NaN) is SAS's ordinary missing value, a full stop followed by zeros. Dates
are not converted: SDTM's --DTC variables are ISO 8601 text.

Text is UTF-8. Version 5 has no field naming a character encoding (its specification assumed
ASCII), so readers must be told: pyreadstat `read_xport(path, encoding="utf-8")`, pandas
`read_sas(path, format="xport", encoding="utf-8")`, SAS a session started with ENCODING=UTF8.
A Chinese term takes three bytes a character, and the limits are in bytes: every text
variable's length is the longest value's byte count (at least 1, at most 200, SDTM's limit).
Those lengths come before the first observation, so the rows are read twice, once to measure
and once to write, and never held in memory: `Dataset.rows()` gives a fresh iterator each time.

A text longer than 200 bytes (a reason or a description typed in Chinese passes it at about 67
characters) is split as SDTM splits one: the first 200 bytes in its variable, the rest in
continuation variables after it, named by the variable and a digit (DVTERM1, SVREASO1),
each cut between words where a space allows, else between characters, never inside one.
Joined in order they give the text back whole. Anything else that does not fit is refused with
ValueError rather than cut: a name or a label too long, a text where a number belongs, a number
beyond the IBM format's range.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import BinaryIO

from edc.formats.datasets import Dataset, Value, Variable

RECORD = 80
NAMESTR_SIZE = 140
MAX_TEXT_BYTES = 200  # SDTM's limit for a text value (version 5 itself allows 200 too)
MAX_NAME = 8
MAX_LABEL = 40
MAX_VARIABLES = 9999  # the NAMESTR header holds the count in four digits
SOFTWARE_VERSION = "9.4"  # the SAS release whose readers the files are written for
OPERATING_SYSTEM = "EDC"
NAME = re.compile(r"[A-Z][A-Z0-9_]*")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
FLUSH_BYTES = 64 * 1024

MISSING = b"." + bytes(7)
IBM_ZERO = bytes(8)
IBM_SMALLEST = 2.0**-260  # 16**-65: the fraction 1/16 at the lowest exponent
IBM_LARGEST = ((1 << 56) - 1) << 196  # every fraction bit set at the highest exponent
EXACT_FLOAT = 1 << 53  # a smaller integer is a float exactly
SCALE = [2.0 ** (53 + extra) for extra in range(4)]  # the fraction as an integer of 53 to 56 bits
HIGH_BYTE = [byte << 56 for byte in range(256)]  # sign and exponent, in place
DOUBLE = struct.Struct(">Q")
PADDING = [b" " * size for size in range(max(RECORD, MAX_TEXT_BYTES) + 1)]
# ntype nhfun nlng nvar0 nname nlabel nform nfl nfd nfj nfill niform nifl nifd npos rest
NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhi52s")
assert NAMESTR.size == NAMESTR_SIZE


def write_xpt(file: BinaryIO, dataset: Dataset, *, created: datetime) -> int:
    """Write `dataset` as a one-member version 5 transport file; return the observations written."""
    check_dataset(dataset)
    parts = measure(dataset)
    written_as = with_continuations(dataset, parts)
    check_dataset(written_as)
    file.write(headers(written_as, [length for lengths in parts for length in lengths], created))
    variables = dataset.variables
    width = len(variables)
    columns = list(zip(variables, parts, strict=True))
    written = 0
    count = 0
    buffer = bytearray()
    for count, row in enumerate(dataset.rows(), start=1):
        check_width(row, width, count)
        for (variable, lengths), value in zip(columns, row, strict=True):
            # The rows are read again for writing and may have changed since the first
            # reading: a value is checked again, and one grown too long for its columns is
            # refused rather than cut.
            if variable.numeric:
                check_number(value, variable, count)
                # None, or NaN (the one value not equal to itself), is missing.
                buffer += MISSING if value is None or value != value else ibm_double(value)
                continue
            data = text_bytes(value, variable, count)
            pieces = pieces_of(data) if len(data) > lengths[0] else [data]
            if len(pieces) > len(lengths):
                raise ValueError(too_long(len(data), variable, count, sum(lengths)))
            for index, length in enumerate(lengths):
                piece = pieces[index] if index < len(pieces) else b""
                if len(piece) > length:
                    raise ValueError(too_long(len(data), variable, count, sum(lengths)))
                buffer += piece
                buffer += PADDING[length - len(piece)]
        if len(buffer) >= FLUSH_BYTES:
            file.write(buffer)  # a fresh buffer follows: the file may keep this one
            written += len(buffer)
            buffer = bytearray()
    written += len(buffer)
    buffer += PADDING[-written % RECORD]
    file.write(buffer)
    return count


def pieces_of(data: bytes) -> list[bytes]:
    """UTF-8 text in pieces of at most MAX_TEXT_BYTES: each cut before the last space that
    leaves it at least half full (the space starts the next piece: a reader drops the spaces
    that end a text value but keeps those that begin one), else before the last character
    that would not fit whole."""
    pieces = []
    while len(data) > MAX_TEXT_BYTES:
        cut = data.rfind(b" ", MAX_TEXT_BYTES // 2, MAX_TEXT_BYTES + 1)
        if cut < 0:
            cut = MAX_TEXT_BYTES
            while data[cut] & 0xC0 == 0x80:  # inside a character: back to its first byte
                cut -= 1
        pieces.append(data[:cut])
        data = data[cut:]
    return [*pieces, data]


def with_continuations(dataset: Dataset, parts: Sequence[Sequence[int]]) -> Dataset:
    """The dataset's variables as written: each split text followed by its continuations."""
    variables = []
    for variable, lengths in zip(dataset.variables, parts, strict=True):
        variables.append(variable)
        for number in range(1, len(lengths)):
            digits = str(number)
            suffix = f" ({number + 1})"
            label = variable.label.encode("utf-8")[:MAX_LABEL - len(suffix)]
            variables.append(replace(
                variable, name=variable.name[:MAX_NAME - len(digits)] + digits,
                label=label.decode("utf-8", "ignore") + suffix))
    return replace(dataset, variables=tuple(variables))


def check_dataset(dataset: Dataset) -> None:
    """Refuse a dataset whose name, label or variables version 5 cannot hold."""
    check_name(dataset.name, "dataset name")
    check_label(dataset.label, f"the label of dataset {dataset.name}")
    if not dataset.variables:
        raise ValueError(f"Got no variables in dataset {dataset.name}. Expected at least one.")
    if len(dataset.variables) > MAX_VARIABLES:
        raise ValueError(
            f"Got {len(dataset.variables)} variables in dataset {dataset.name}. "
            f"Expected at most {MAX_VARIABLES}."
        )
    seen: set[str] = set()
    for variable in dataset.variables:
        check_name(variable.name, "variable name")
        check_label(variable.label, f"the label of {variable.name}")
        if variable.name in seen:
            raise ValueError(
                f"Got variable {variable.name} twice in dataset {dataset.name}. "
                "Expected each name once."
            )
        seen.add(variable.name)


def check_name(name: str, what: str) -> None:
    """Refuse a name other than 1 to 8 upper case letters, digits or underscores, first a letter."""
    if not NAME.fullmatch(name) or len(name) > MAX_NAME:
        raise ValueError(
            f"Got {what} {name!r}. Expected 1 to {MAX_NAME} upper case letters, digits or "
            "underscores, the first a letter."
        )


def check_label(label: str, what: str) -> None:
    """Refuse a label longer than the 40 bytes its field holds."""
    size = len(label.encode("utf-8"))
    if size > MAX_LABEL:
        raise ValueError(f"Got {size} bytes in {what} ({label!r}). Expected at most {MAX_LABEL}.")


def measure(dataset: Dataset) -> list[list[int]]:
    """Read the rows once: check every value and find each variable's length in bytes, a text
    longer than MAX_TEXT_BYTES the length of each of its pieces (see pieces_of)."""
    parts = [[8] if variable.numeric else [1] for variable in dataset.variables]
    width = len(dataset.variables)
    for number, row in enumerate(dataset.rows(), start=1):
        check_width(row, width, number)
        for index, (variable, value) in enumerate(zip(dataset.variables, row, strict=True)):
            if variable.numeric:
                check_number(value, variable, number)
                continue
            if isinstance(value, str) and value.isascii() and len(value) <= MAX_TEXT_BYTES:
                sizes = [len(value)]  # one byte a character: no need to encode
            else:
                data = text_bytes(value, variable, number)
                sizes = [len(piece) for piece in pieces_of(data)]
            lengths = parts[index]
            for piece, size in enumerate(sizes):
                if piece == len(lengths):
                    lengths.append(size)
                elif size > lengths[piece]:
                    lengths[piece] = size
    return parts


def headers(dataset: Dataset, lengths: Sequence[int], created: datetime) -> bytes:
    """Every record before the first observation."""
    stamp = sas_datetime(created)
    namestrs = b"".join(namestr(dataset.variables, lengths))
    return b"".join(
        [
            header_record("LIBRARY", "0" * 30),
            record(
                field("SAS", 8)
                + field("SAS", 8)
                + field("SASLIB", 8)
                + field(SOFTWARE_VERSION, 8)
                + field(OPERATING_SYSTEM, 8)
                + field("", 24)
                + stamp
            ),
            record(stamp),
            header_record("MEMBER", f"{0:017d}160{0:07d}{NAMESTR_SIZE:03d}"),
            header_record("DSCRPTR", "0" * 30),
            record(
                field("SAS", 8)
                + field(dataset.name, 8)
                + field("SASDATA", 8)
                + field(SOFTWARE_VERSION, 8)
                + field(OPERATING_SYSTEM, 8)
                + field("", 24)
                + stamp
            ),
            record(stamp + field("", 16) + field(dataset.label, MAX_LABEL) + field("", 8)),
            header_record("NAMESTR", f"{0:06d}{len(dataset.variables):04d}{0:020d}"),
            namestrs + b" " * (-len(namestrs) % RECORD),
            header_record("OBS", "0" * 30),
        ]
    )


def namestr(variables: Sequence[Variable], lengths: Sequence[int]) -> Iterable[bytes]:
    """One 140-byte description per variable, with its offset in the observation."""
    position = 0
    for number, (variable, length) in enumerate(zip(variables, lengths, strict=True), start=1):
        yield NAMESTR.pack(
            1 if variable.numeric else 2,
            0,
            length,
            number,
            field(variable.name, MAX_NAME),
            field(variable.label, MAX_LABEL),
            field("", 8),  # no display format
            0,
            0,
            0,
            bytes(2),
            field("", 8),  # no input format
            0,
            0,
            position,
            bytes(52),
        )
        position += length


def check_width(row: Sequence[Value], width: int, number: int) -> None:
    """Refuse a row without exactly one value per variable."""
    if len(row) != width:
        raise ValueError(f"Got {len(row)} values in row {number}. Expected {width}.")


def text_bytes(value: Value, variable: Variable, number: int) -> bytes:
    """A text value's UTF-8 bytes (None is empty)."""
    if value is None:
        return b""
    if not isinstance(value, str):
        raise ValueError(
            f"Got {value!r} in {variable.name} of row {number}. Expected text or None."
        )
    return value.encode("utf-8")


def too_long(size: int, variable: Variable, number: int, limit: int) -> str:
    return f"Got {size} bytes in {variable.name} of row {number}. Expected at most {limit}."


def check_number(value: Value, variable: Variable, number: int) -> None:
    """Refuse a value that is not a number (or None) the IBM format can hold."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(
            f"Got {value!r} in {variable.name} of row {number}. Expected a number or None."
        )
    if value == 0 or value != value:  # zero, or NaN: written as missing
        return
    if not (IBM_SMALLEST <= value <= IBM_LARGEST or -IBM_LARGEST <= value <= -IBM_SMALLEST):
        raise ValueError(
            f"Got {value!r} in {variable.name} of row {number}. Expected a finite magnitude "
            "between 16**-65 and 16**63, the range of the IBM floating point format."
        )


def ibm_double(value: int | float) -> bytes:
    """A number checked by `check_number` as an IBM System/370 double, exactly."""
    if value == 0:
        return IBM_ZERO
    if isinstance(value, int) and not -EXACT_FLOAT < value < EXACT_FLOAT:
        return wide_integer(value)
    # value = mantissa * 2**power, 1/2 <= |mantissa| < 1: a 53-bit fraction. Taking one to
    # three bits more into the 56-bit fraction brings the power of two to a multiple of four,
    # a power of sixteen, and keeps the fraction's first hexadecimal digit non-zero.
    mantissa, power = math.frexp(value)
    exponent = ((power + 3) >> 2) + 64
    if mantissa < 0:
        mantissa = -mantissa
        exponent |= 0x80  # the sign bit
    return DOUBLE.pack(HIGH_BYTE[exponent] | int(mantissa * SCALE[(power + 3) & 3]))


def wide_integer(value: int) -> bytes:
    """An integer beyond 2**53 as an IBM double, rounded to the nearest 56-bit fraction."""
    magnitude = abs(value)
    digits = (magnitude.bit_length() + 3) // 4  # hexadecimal digits before the point
    drop = 4 * digits - 56  # bits below the fraction's last
    if drop <= 0:
        fraction = magnitude << -drop
    else:
        fraction = (magnitude + (1 << (drop - 1))) >> drop
    if fraction >> 56:  # rounding carried into a new hexadecimal digit
        fraction >>= 4
        digits += 1
    exponent = digits + 64 | (0x80 if value < 0 else 0)
    return DOUBLE.pack(HIGH_BYTE[exponent] | fraction)


def sas_datetime(moment: datetime) -> bytes:
    """The header's date-time, ddMMMyy:hh:mm:ss (a two-digit year, as the format has it)."""
    return (
        f"{moment.day:02d}{MONTHS[moment.month - 1]}{moment.year % 100:02d}:"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    ).encode("ascii")


def header_record(kind: str, digits: str) -> bytes:
    """One of the fixed header records that open each part of the file."""
    assert len(digits) == 30, digits
    return record(f"HEADER RECORD*******{kind:<8}HEADER RECORD!!!!!!!{digits}".encode("ascii"))


def field(text: str, size: int) -> bytes:
    """Text in a fixed field, padded with spaces (its length was checked before)."""
    data = text.encode("utf-8")
    assert len(data) <= size, (text, size)
    return data + b" " * (size - len(data))


def record(data: bytes) -> bytes:
    """One 80-byte record, padded with spaces."""
    assert len(data) <= RECORD, data
    return data + b" " * (RECORD - len(data))
