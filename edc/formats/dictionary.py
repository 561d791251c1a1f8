"""The study's case report forms as a REDCap data dictionary (one CSV row per item).

Pure: it reads the study definition (edc.protocol) only. Every form of forms/ is an instrument:
enrolment (with the record id, the participant code, first), the per-visit results, then each
log form in the study's order. A variable name must be unique across the dictionary, so an item
key that an earlier form already uses is prefixed with its form's name (medications' start_date
is start_date, other_medications' is other_medications_start_date).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from edc.protocol.crf import CaseReportForm, Field
from edc.protocol.study import Study

COLUMNS = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
)
# REDCap's field type and text validation of each item type.
TYPES = {
    "number": ("text", "number"),
    "integer": ("text", "integer"),
    "text": ("text", ""),
    "date": ("text", "date_ymd"),
    "time": ("text", "time"),
    "choice": ("dropdown", ""),
    "yesno": ("yesno", ""),
    "multichoice": ("checkbox", ""),
}
RECORD_ID = "record_id"
# The CDISC variables that identify a child (the code is a pseudonym; the birth date is not).
IDENTIFYING = {"BRTHDTC"}
# A text item longer than this is a paragraph (REDCap's "notes").
NOTES_FROM = 255


@dataclass(frozen=True)
class Instrument:
    name: str  # REDCap's form name: lower case and underscores
    form: CaseReportForm


def instruments(study: Study) -> list[Instrument]:
    """Every case report form of the study, in the order of the dictionary."""
    return [Instrument("enrolment", study.enrolment_form),
            Instrument("results", study.results),
            *(Instrument(log.name, log.form) for log in study.logs),
            Instrument(study.termination.name, study.termination.form)]


def _bound(value: float) -> str:
    return "" if value in (float("inf"), float("-inf")) else f"{value:g}"


def _label(item: Field) -> str:
    """The label in English, then Chinese, as REDCap shows one label."""
    return item.label if item.label == item.label_zh else f"{item.label} / {item.label_zh}"


def _choices(item: Field) -> str:
    if item.choices is None:
        return ""
    return " | ".join(f"{c.code}, {c.label} / {c.label_zh}" for c in item.choices.choices)


def _annotation(form: CaseReportForm, item: Field) -> str:
    """Where the item goes in CDISC (domain.variable), its unit's codes, its role."""
    parts = [f"{item.domain or form.domain}.{item.variable}" if item.variable else ""]
    if item.units:
        unit = item.canonical_unit
        parts += [f"unit {unit.code}", f"CDISC {unit.cdisc}" if unit.cdisc else "",
                  f"LOINC {unit.loinc}" if unit.loinc else ""]
    if item.role:
        parts.append(f"role {item.role}")
    return "; ".join(part for part in parts if part)


def _row(name: str, form_name: str, form: CaseReportForm, item: Field) -> dict[str, str]:
    kind, validation = TYPES[item.type]
    if item.type == "text" and item.max_length > NOTES_FROM:
        kind = "notes"
    low = high = ""
    note = ""
    if item.units:
        unit = item.canonical_unit
        low, high = _bound(unit.block[0]), _bound(unit.block[1])
        note = unit.label if unit.label == (unit.label_zh or unit.label) else (
            f"{unit.label} / {unit.label_zh}")
    row = dict.fromkeys(COLUMNS, "")
    row.update({
        "Variable / Field Name": name, "Form Name": form_name, "Field Type": kind,
        "Field Label": _label(item), "Choices, Calculations, OR Slider Labels": _choices(item),
        "Field Note": note, "Text Validation Type OR Show Slider Number": validation,
        "Text Validation Min": low, "Text Validation Max": high,
        "Required Field?": "y" if item.required else "",
        # REDCap's identifier flag marks what names a person: the date of birth does.
        "Identifier?": "y" if item.variable in IDENTIFYING else "",
        "Field Annotation": _annotation(form, item),
    })
    return row


def dictionary_rows(study: Study) -> Iterator[dict[str, str]]:
    """The data dictionary, row by row. REDCap's first variable is the record id: here the
    participant code (the enrolment item of CDISC variable SUBJID), named record_id."""
    used = {RECORD_ID}
    for instrument in instruments(study):
        items = list(instrument.form.fields)
        ids = [item for item in items if item.variable == "SUBJID"]
        for item in ids + [item for item in items if item not in ids]:
            if item in ids:
                name = RECORD_ID
            else:
                name = item.key if item.key not in used else f"{instrument.name}_{item.key}"
            used.add(name)
            yield _row(name, instrument.name, instrument.form, item)


def as_csv_lines(rows: Iterable[dict[str, str]]) -> Iterator[list[str]]:
    """The header, then each row's cells in COLUMNS' order."""
    yield list(COLUMNS)
    for row in rows:
        yield [row[column] for column in COLUMNS]
