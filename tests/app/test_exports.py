"""Exports as a data manager runs them: the REDCap data dictionary generated from forms/ (a
golden file), the audit trail as CSV with the allocation's rows only in the unblinded export,
each file named with the study id and the UTC time, and every export itself audited."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from edc import db
from edc.formats.dictionary import COLUMNS, as_csv_lines, dictionary_rows
from edc.models import AuditEvent
from edc.protocol.study import Study
from tests.support.audit import stored_rows
from tests.support.paths import GOLDEN

NAME = re.compile(r"NCT06731192-(dictionary|audit)(-unblinded)?-\d{8}T\d{6}Z\.csv")


def read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def written(output: str) -> Path:
    found = re.search(r"Wrote (\S+) \((\d+) rows\)\.", output)
    assert found, output
    return Path(found.group(1))


def test_the_dictionary_is_generated_from_forms_and_equals_the_golden_file(
        study: Study) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(as_csv_lines(dictionary_rows(study)))
    assert text.getvalue() == (GOLDEN / "data_dictionary.csv").read_text(encoding="utf-8")


def test_every_item_of_every_form_is_a_variable_once(study: Study) -> None:
    rows = list(dictionary_rows(study))
    names = [row["Variable / Field Name"] for row in rows]
    assert names[0] == "record_id" and len(set(names)) == len(names)
    forms = [study.enrolment_form, study.results, *(log.form for log in study.logs),
             study.termination.form]
    assert len(rows) == sum(len(form.fields) for form in forms)
    by_name = {row["Variable / Field Name"]: row for row in rows}
    criteria = by_name["serious_criteria"]
    assert (criteria["Form Name"], criteria["Field Type"]) == ("adverse_events", "checkbox")
    assert criteria["Choices, Calculations, OR Slider Labels"].startswith(
        "AESDTH, Death / 导致死亡 | AESLIFE, Life-threatening / 危及生命 | ")
    creatinine = next(row for row in rows if "role creatinine" in row["Field Annotation"])
    assert creatinine["Text Validation Type OR Show Slider Number"] == "number"
    assert by_name["date_of_birth"]["Identifier?"] == "y"
    assert by_name["other_medications_start_date"]["Form Name"] == "other_medications"
    assert list(rows[0]) == list(COLUMNS)


def test_the_commands_write_named_files_and_are_audited(app: Flask, runner, tmp_path: Path,
                                                         allocation: None) -> None:
    from tests.support import factories

    factories.child(app, "scheduled")
    made = runner("export", "--format", "dictionary", "--out", str(tmp_path))
    assert made.exit_code == 0, made.output
    dictionary = written(made.output)
    assert NAME.fullmatch(dictionary.name) and dictionary.parent == tmp_path
    assert read(dictionary)[0] == list(COLUMNS)

    blinded = written(runner("export", "--format", "audit", "--out", str(tmp_path)).output)
    unblinded = written(runner("export", "--format", "audit", "--out", str(tmp_path),
                               "--unblinded").output)
    assert NAME.fullmatch(blinded.name) and "-unblinded-" in unblinded.name
    header, *rows = read(blinded)
    assert header == ["audit_entry_id", "at", "username", "reason", "audit_event_id", "action",
                      "entity", "entity_id", "participant_id", "participant_code", "field", "old",
                      "new"]
    assert not [row for row in rows if row[6] == "allocation"]
    assert [row for row in read(unblinded)[1:] if row[6] == "allocation"]
    arms = {arm.code for arm in app.extensions["edc_study"].arms}
    old, new, field = (header.index(name) for name in ("old", "new", "field"))
    assert not [row for row in rows if row[new] in arms or row[old] in arms]
    with app.app_context():
        exports = list(db.session().scalars(select(AuditEvent).where(
            AuditEvent.action == "export").order_by(AuditEvent.id)))
    assert [(e.field, e.new, e.reason) for e in exports] == [
        ("dictionary", dictionary.name, "blinded"), ("audit", blinded.name, "blinded"),
        ("audit", unblinded.name, "unblinded")]
    assert all(e.username.startswith("cli:") for e in exports)
    # The blinded export holds every other row of the trail, up to its own.
    # (one line per field: a created record's values one line each, under its row's id)
    stored = stored_rows(app, AuditEvent.entity != "allocation", AuditEvent.id < exports[1].id)
    assert {int(row[4]) for row in rows} == {r.id for r in stored}
    assert {int(row[0]) for row in rows} == {r.entry_id for r in stored}
    assert len(rows) > len(stored) and all(row[field] for row in rows if row[5] == "create")


def test_the_command_writes_every_tabular_format_whole_under_its_name(
        app: Flask, runner, tmp_path: Path, allocation: None) -> None:
    import zipfile

    from tests.support import factories

    factories.child(app, "with results")
    made = runner("export", "--format", "csv", "--out", str(tmp_path))
    assert made.exit_code == 0, made.output
    archive = Path(re.search(r"Wrote (\S+) \((\d+) rows\)\.", made.output).group(1))
    assert re.fullmatch(r"NCT06731192-csv-\d{8}T\d{6}Z\.zip", archive.name)
    with zipfile.ZipFile(archive) as opened:
        assert "lb.csv" in opened.namelist() and opened.testzip() is None
    wide = written(runner("export", "--format", "wide", "--out", str(tmp_path)).output)
    assert wide.suffix == ".csv" and len(read(wide)) == 1 + 11  # header, eleven visits
    odm = runner("export", "--format", "odm", "--out", str(tmp_path)).output
    assert re.search(r"Wrote \S+/NCT06731192-odm-\d{8}T\d{6}Z\.xml \(1 child\)\.", odm), odm
    assert not list(tmp_path.glob("*.part"))
    with app.app_context():
        kinds = list(db.session().scalars(select(AuditEvent.field).where(
            AuditEvent.action == "export").order_by(AuditEvent.id)))
    assert kinds == ["csv", "wide", "odm"]
