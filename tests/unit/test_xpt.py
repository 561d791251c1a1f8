"""SAS transport files (version 5), written here and read back by an independent reader.

pyreadstat (ReadStat, the library behind R's haven) reads every file back: values, names,
labels, lengths and dates are compared with what was written. The IBM floating point bytes of a
few numbers were worked out by hand and are written out literally; a property test decodes the
bytes of any float with exact fractions. After an intended change to the layout, read the new
golden file with `xxd`, then regenerate it: python -m tests.unit.test_xpt
"""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import pyreadstat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edc.formats.datasets import Dataset, Value, Variable
from edc.formats.xpt import check_number, ibm_double, write_xpt

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CREATED = datetime(2026, 3, 16, 9, 5, 7)
FEVER = "发热"

NUMBERS = [0, -1, 0.45, 1e-10, 123456.789, 2**52 + 1, -(10**15), None, -0.0, 42]
TERMS = ["", FEVER, "x" * 200, "发" * 66 + "ab", None, "Headache", "a", "b", "c", "d"]


def dataset(
    rows: Sequence[Sequence[Value]] | Callable[[], Iterable[Sequence[Value]]],
    variables: Sequence[Variable] | None = None,
    name: str = "AE",
    label: str = "Adverse Events",
) -> Dataset:
    make = rows if callable(rows) else (lambda: iter(rows))
    return Dataset(
        name=name,
        label=label,
        variables=tuple(
            variables
            if variables is not None
            else (Variable("AETERM", "Reported Term for the Adverse Event"),)
        ),
        rows=make,
    )


def read_back(path: Path, data: Dataset) -> tuple[dict, object]:
    """Write `data` to `path` and read it with pyreadstat, as a dictionary of columns."""
    with path.open("wb") as file:
        count = write_xpt(file, data, created=CREATED)
    columns, meta = pyreadstat.read_xport(path, encoding="utf-8", output_format="dict")
    assert count == meta.number_rows
    return columns, meta


def small() -> Dataset:
    return dataset(
        [
            ("NCT06731192", "NCT06731192-001", 1, FEVER, "2026-03-02", 38.5),
            ("NCT06731192", "NCT06731192-001", 2, "Headache", "2026-03-04", None),
        ],
        variables=(
            Variable("STUDYID", "Study Identifier"),
            Variable("USUBJID", "Unique Subject Identifier"),
            Variable("AESEQ", "Sequence Number", numeric=True),
            Variable("AETERM", "Reported Term for the Adverse Event"),
            Variable("AESTDTC", "Start Date/Time of Adverse Event"),
            Variable("AETEMP", "Body Temperature", numeric=True),
        ),
    )


def test_a_reader_gets_back_every_value_name_and_label(tmp_path: Path) -> None:
    variables = (
        Variable("USUBJID", "Unique Subject Identifier"),
        Variable("LBSTRESN", "Numeric Result/Finding in Standard Units", numeric=True),
        Variable("AETERM", "Reported Term for the Adverse Event"),
        Variable("LBSEQ", "Sequence Number", numeric=True),
        Variable("AECOMM", "Comment"),
    )
    rows = [
        (f"NCT06731192-{index:03d}", number, term, index, None)
        for index, (number, term) in enumerate(zip(NUMBERS, TERMS, strict=True), start=1)
    ]

    columns, meta = read_back(tmp_path / "lb.xpt", dataset(rows, variables, "LB", "Laboratory"))

    assert meta.number_rows == 10
    assert meta.table_name == "LB"
    assert meta.file_label == "Laboratory"
    assert meta.column_names == ["USUBJID", "LBSTRESN", "AETERM", "LBSEQ", "AECOMM"]
    assert meta.column_labels == [variable.label for variable in variables]
    assert meta.readstat_variable_types == {
        "USUBJID": "string",
        "LBSTRESN": "double",
        "AETERM": "string",
        "LBSEQ": "double",
        "AECOMM": "string",
    }
    # Text is as wide as its longest value in bytes; a column of nothing still has one byte.
    assert meta.variable_storage_width == {
        "USUBJID": 15,
        "LBSTRESN": 8,
        "AETERM": 200,
        "LBSEQ": 8,
        "AECOMM": 1,
    }
    assert columns["USUBJID"] == [row[0] for row in rows]
    assert columns["LBSTRESN"] == [None if n is None else float(n) for n in NUMBERS]
    assert columns["LBSTRESN"][2] == 0.45
    assert columns["LBSTRESN"][3] == pytest.approx(1e-10, rel=1e-15)
    assert columns["LBSTRESN"][5] == 4503599627370497.0
    assert columns["AETERM"] == [term or "" for term in TERMS]
    assert len(columns["AETERM"][3].encode("utf-8")) == 200
    assert columns["LBSEQ"] == [float(index) for index in range(1, 11)]
    assert columns["AECOMM"] == [""] * 10


def test_the_header_carries_the_date_time_it_is_given(tmp_path: Path) -> None:
    _, meta = read_back(tmp_path / "ae.xpt", small())

    assert meta.creation_time == CREATED
    assert meta.modification_time == CREATED


def test_a_dataset_without_rows_is_a_valid_empty_file(tmp_path: Path) -> None:
    variables = (Variable("AETERM", "Term"), Variable("AESEQ", "Sequence Number", numeric=True))

    columns, meta = read_back(tmp_path / "ae.xpt", dataset([], variables))

    assert meta.number_rows == 0
    assert meta.column_names == ["AETERM", "AESEQ"]
    assert meta.variable_storage_width == {"AETERM": 1, "AESEQ": 8}


def test_the_file_matches_the_golden_bytes() -> None:
    buffer = io.BytesIO()
    assert write_xpt(buffer, small(), created=CREATED) == 2
    data = buffer.getvalue()

    assert data == (GOLDEN / "xpt_small.xpt").read_bytes()
    assert len(data) % 80 == 0
    records = [data[start : start + 80] for start in range(0, len(data), 80)]
    assert records[0].startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000")
    assert records[1][:32] == b"SAS     SAS     SASLIB  9.4     "
    assert records[1][64:] == records[2][:16] == b"16MAR26:09:05:07"
    assert records[3].startswith(b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!")
    assert records[3][48:78] == b"000000000000000001600000000140"
    assert records[5][8:24] == b"AE      SASDATA "
    assert records[6][32:72] == b"Adverse Events".ljust(40)
    assert records[7][48:78] == b"000000000600000000000000000000"  # six variables
    # Six 140-byte descriptions take 840 bytes, padded to 11 records.
    assert records[19].startswith(b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!")
    observations = data[20 * 80 :]
    # 11 + 15 + 8 + 8 + 10 + 8 bytes a row: STUDYID, USUBJID, AESEQ, AETERM (as long as
    # "Headache", longer than the six bytes of 发热), AESTDTC, AETEMP.
    first = observations[:60]
    assert first[26:34] == bytes.fromhex("4110000000000000")  # AESEQ 1
    assert first[34:42] == FEVER.encode("utf-8") + b"  "
    assert first[52:60] == bytes.fromhex("4226800000000000")  # 38.5
    second = observations[60:120]
    assert second[52:60] == bytes.fromhex("2E00000000000000")  # missing
    assert observations[120:] == b" " * 40


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, "4110000000000000"),
        (0.5, "4080000000000000"),
        (100.0, "4264000000000000"),
        (-118.625, "C276A00000000000"),
        (0.45, "4073333333333334"),
        (0, "0000000000000000"),
        (-0.0, "0000000000000000"),
        (2**53 + 1, "4E20000000000001"),  # exact: the fraction holds 56 bits
        (2**56 - 1, "4EFFFFFFFFFFFFFF"),
        (2**60 + 0x180, "5010000000000002"),  # rounded to the nearest 56-bit fraction
        (2**60 - 1, "5010000000000000"),  # rounding carries into a new hexadecimal digit
    ],
)
def test_numbers_are_ibm_doubles(number: int | float, expected: str) -> None:
    assert ibm_double(number).hex().upper() == expected


def ibm_value(data: bytes) -> Fraction:
    """What eight IBM double precision bytes mean, exactly."""
    sign = -1 if data[0] & 0x80 else 1
    exponent = (data[0] & 0x7F) - 64
    fraction = Fraction(int.from_bytes(data[1:], "big"), 2**56)
    if data[1] == 0 and fraction:
        raise AssertionError(f"not normalised: {data.hex()}")
    return sign * fraction * Fraction(16) ** exponent


@given(
    st.one_of(
        st.just(0.0),
        st.floats(min_value=1e-78, max_value=1e75),
        st.floats(min_value=-1e75, max_value=-1e-78),
    )
)
def test_every_float_in_the_range_is_written_exactly(number: float) -> None:
    assert ibm_value(ibm_double(number)) == Fraction(number)


@given(st.integers(min_value=-(2**56), max_value=2**56))
def test_every_integer_up_to_56_bits_is_written_exactly(number: int) -> None:
    assert ibm_value(ibm_double(number)) == number


class Sink:
    """A file that can only be written to, as a web response or a pipe."""

    def __init__(self) -> None:
        self.size = 0
        self.chunks = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        self.chunks += 1
        return len(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "ae"}, "Got dataset name 'ae'. Expected 1 to 8 upper case letters"),
        ({"name": "ADVERSEEV"}, "Got dataset name 'ADVERSEEV'. Expected 1 to 8"),
        ({"label": "A" * 41}, "Got 41 bytes in the label of dataset AE ('AAAA"),
        (
            {"variables": (Variable("1TERM", "Term"),)},
            "Got variable name '1TERM'. Expected 1 to 8 upper case letters, digits or "
            "underscores, the first a letter.",
        ),
        ({"variables": (Variable("AE TERM", "Term"),)}, "Got variable name 'AE TERM'."),
        (
            {"variables": (Variable("AETERM", "不良事件" * 4),)},
            "Got 48 bytes in the label of AETERM ('不良事件不良事件不良事件不良事件'). "
            "Expected at most 40.",
        ),
        ({"variables": ()}, "Got no variables in dataset AE. Expected at least one."),
        (
            {"variables": (Variable("AETERM", "Term"), Variable("AETERM", "Term again"))},
            "Got variable AETERM twice in dataset AE. Expected each name once.",
        ),
    ],
)
def test_names_and_labels_that_do_not_fit_are_refused(change: dict, message: str) -> None:
    arguments = {"rows": [("Fever",)], "name": "AE", "label": "Adverse Events"} | change
    sink = Sink()

    with pytest.raises(ValueError) as refused:
        write_xpt(sink, dataset(**arguments), created=CREATED)

    assert str(refused.value).startswith(message)
    assert sink.size == 0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("Fever", "1")], "Got '1' in AESEQ of row 1. Expected a number or None."),
        ([("Fever", True)], "Got True in AESEQ of row 1. Expected a number or None."),
        ([(38.5, 1)], "Got 38.5 in AETERM of row 1. Expected text or None."),
        ([("Fever", 1), ("Fever",)], "Got 1 values in row 2. Expected 2."),
        ([("Fever", float("inf"))], "Got inf in AESEQ of row 1. Expected a finite magnitude"),
        ([("Fever", 1e-300)], "Got 1e-300 in AESEQ of row 1. Expected a finite magnitude"),
        ([("Fever", 1e80)], "Got 1e+80 in AESEQ of row 1. Expected a finite magnitude"),
    ],
)
def test_values_that_do_not_fit_are_refused_before_anything_is_written(
    rows: list, message: str
) -> None:
    variables = (Variable("AETERM", "Term"), Variable("AESEQ", "Sequence", numeric=True))
    sink = Sink()

    with pytest.raises(ValueError) as refused:
        write_xpt(sink, dataset(rows, variables), created=CREATED)

    assert str(refused.value).startswith(message)
    assert sink.size == 0


def test_a_text_longer_than_200_bytes_is_split_into_continuation_variables(
    tmp_path: Path,
) -> None:
    """As SDTM splits a long term: 200 bytes in the variable, the rest in DVTERM1, DVTERM2...
    after it, cut between words (the space begins the next piece, where a reader keeps it) or
    between characters (never inside one); joined, the pieces give the text back."""
    chinese = "受试者因家中有事未能按时返院复查，" * 12  # 204 characters, 612 bytes
    english = " ".join(["window"] * 40)  # 279 bytes
    variables = (Variable("DVSEQ", "Sequence Number", numeric=True),
                 Variable("DVTERM", "Protocol Deviation Term"),
                 Variable("SVREASOC", "Reason for Occur Value"))
    rows = [(1, chinese, english), (2, "Short", None), (3, "热" * 67, "")]
    columns, meta = read_back(tmp_path / "dv.xpt", dataset(rows, variables, "DV", "Deviations"))

    assert meta.column_names == ["DVSEQ", "DVTERM", "DVTERM1", "DVTERM2", "DVTERM3",
                                 "SVREASOC", "SVREASO1"]
    assert meta.column_names_to_labels["DVTERM1"] == "Protocol Deviation Term (2)"
    assert meta.column_names_to_labels["SVREASO1"] == "Reason for Occur Value (2)"
    pieces = [columns[name] for name in ("DVTERM", "DVTERM1", "DVTERM2", "DVTERM3")]
    assert ["".join(parts) for parts in zip(*pieces, strict=True)] == [
        chinese, "Short", "热" * 67]
    assert [len(piece[0].encode("utf-8")) for piece in pieces] == [198, 198, 198, 18]
    assert [len(p.encode("utf-8")) for p in (pieces[0][2], pieces[1][2])] == [198, 3]
    assert columns["SVREASOC"][0] == " ".join(["window"] * 28)  # 195 bytes, then a space
    assert columns["SVREASO1"][0] == " " + " ".join(["window"] * 12)
    assert columns["SVREASOC"][0] + columns["SVREASO1"][0] == english
    assert [meta.variable_storage_width[name] for name in ("DVTERM", "DVTERM3",
                                                            "SVREASO1")] == [198, 18, 84]


def test_a_value_grown_between_the_two_readings_is_refused_not_cut() -> None:
    readings = iter([[("Fever",)], [("Fever and rash",)]])

    with pytest.raises(ValueError, match=r"^Got 14 bytes in AETERM of row 1. Expected at most 5"):
        write_xpt(Sink(), dataset(lambda: iter(next(readings))), created=CREATED)


def test_a_number_turned_text_between_the_two_readings_is_refused() -> None:
    variables = (Variable("AESEQ", "Sequence Number", numeric=True),)
    readings = iter([[(1,)], [("1",)]])

    with pytest.raises(ValueError, match=r"^Got '1' in AESEQ of row 1. Expected a number"):
        write_xpt(Sink(), dataset(lambda: iter(next(readings)), variables), created=CREATED)


def test_a_file_that_keeps_the_pieces_it_is_given_gets_the_same_bytes() -> None:
    class Pieces:
        def __init__(self) -> None:
            self.pieces: list[bytes | bytearray] = []

        def write(self, data: bytes | bytearray) -> int:
            self.pieces.append(data)
            return len(data)

    variables = (Variable("USUBJID", "Unique Subject Identifier"),)
    data = dataset(lambda: ((f"NCT06731192-{index:05d}",) for index in range(10_000)), variables)
    pieces, whole = Pieces(), io.BytesIO()

    write_xpt(pieces, data, created=CREATED)
    write_xpt(whole, data, created=CREATED)

    assert len(pieces.pieces) > 3
    assert b"".join(pieces.pieces) == whole.getvalue()


def test_nan_is_written_as_missing() -> None:
    check_number(float("nan"), Variable("LBSTRESN", "Result", numeric=True), 1)
    variables = (Variable("LBSTRESN", "Result", numeric=True),)
    buffer = io.BytesIO()

    write_xpt(buffer, dataset([(float("nan"),)], variables), created=CREATED)

    assert buffer.getvalue()[-80:] == bytes.fromhex("2E00000000000000") + b" " * 72


def test_many_rows_stream_through_a_flat_memory() -> None:
    variables = (
        Variable("USUBJID", "Unique Subject Identifier"),
        Variable("LBSTRESN", "Numeric Result/Finding in Standard Units", numeric=True),
    )

    def rows() -> Iterable[Sequence[Value]]:
        return ((f"NCT06731192-{index:06d}", index * 0.37) for index in range(40_000))

    sink = Sink()
    tracemalloc.start()
    try:
        count = write_xpt(sink, dataset(rows, variables, "LB", "Laboratory"), created=CREATED)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 40_000
    # Headers, two descriptions, then 26 bytes a row padded to a whole record.
    assert sink.size == 80 * 8 + 320 + 80 + 1_040_000
    assert sink.chunks > 10  # written as it goes, not in one piece at the end
    # The rows held in a list would take some 6 MB, the file itself 1 MB.
    assert peak < 250_000


if __name__ == "__main__":
    with (GOLDEN / "xpt_small.xpt").open("wb") as golden:
        write_xpt(golden, small(), created=CREATED)
