"""The SDTM-shaped datasets and the wide table, as a statistician receives them: golden files
of the small fixed trial (tests/support/exports.py), every LB value equal to the stored
canonical one, every row count equal to the database's, no arm in a blinded file, the Exports
page for the roles that may download, each download audited, and memory that does not grow
with the number of children."""

from __future__ import annotations

import csv
import io
import re
import tracemalloc
import zipfile
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edc import db, exports
from edc.models import AuditEvent, Infusion, LogEntry, Participant, Result, Visit
from edc.permissions import Role
from edc.read import datasets
from edc.services.results import TypedResult
from tests.support import factories
from tests.support.exports import small_trial
from tests.support.forms import submit
from tests.support.paths import GOLDEN

AT = datetime(2026, 4, 27, 8, 30, tzinfo=UTC)
SDTM = GOLDEN / "sdtm"
MEMBERS = ["dm.csv", "suppdm.csv", "ex.csv", "sv.csv", "lb.csv", "vs.csv", "ae.csv", "cm.csv",
           "dv.csv", "ds.csv", "adrenal.csv", "sign.csv"]


def export(app: Flask, kind: str, role: str = Role.MONITOR) -> bytes:
    with app.app_context():
        file = io.BytesIO()
        exports.write(db.session(), app.extensions["edc_study"], kind, role, file, AT)
        return file.getvalue()


def members(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def trial(app: Flask, allocation: None) -> dict[str, int]:
    return small_trial(app)


def test_the_csv_export_is_one_file_per_dataset_equal_to_the_golden_files(
        app: Flask, trial: dict[str, int]) -> None:
    found = members(export(app, "csv"))
    assert list(found) == MEMBERS
    for name, text in found.items():
        assert text.replace("\r\n", "\n") == (SDTM / name).read_text(encoding="utf-8"), name


def test_the_wide_table_equals_its_golden_file(app: Flask, trial: dict[str, int]) -> None:
    text = export(app, "wide").decode("utf-8-sig").replace("\r\n", "\n")
    assert text == (GOLDEN / "wide.csv").read_text(encoding="utf-8")
    rows = table(text)
    w04 = next(r for r in rows if r["SUBJID"] == "AS-001" and r["VISITCD"] == "W04")
    # Typed as 45.2 mg/mmol: stored and exported as 45.2 / 113.12 mg/mg.
    assert float(w04["upcr (mg/mg)"]) == pytest.approx(45.2 / 113.12, rel=1e-15)
    w02 = next(r for r in rows if r["SUBJID"] == "AS-001" and r["VISITCD"] == "W02")
    assert w02["creatinine (umol/L)"] == "NOT DONE" and w02["EGFRCR"] == ""
    assert w02["EGFRMETH"] == "u25_cystatin"


def test_every_lb_value_is_the_stored_canonical_value(app: Flask,
                                                      trial: dict[str, int]) -> None:
    lb = table(members(export(app, "csv"))["lb.csv"])
    study = app.extensions["edc_study"]
    keys = [item.key for item in study.results.fields if item.domain == "LB"]
    with app.app_context():
        stored = db.session().execute(
            select(Participant.code, Visit.actual_date, Result.test_code, Result.value,
                   Result.unit, Result.typed_value, Result.not_done_reason)
            .join(Visit, Result.visit_id == Visit.id)
            .join(Participant, Result.participant_id == Participant.id)
            .where(Result.field.in_(keys))).all()
    assert len(lb) == len(stored) == 36
    by_key = {(r["USUBJID"], r["LBDTC"], r["LBTESTCD"]): r for r in lb}
    for code, day, test, value, unit, typed, not_done in stored:
        row = by_key[(f"NCT06731192-{code}", day.isoformat(), test)]
        if value is None:
            assert row["LBSTRESN"] == "" and row["LBSTAT"] == "NOT DONE"
            assert row["LBREASND"] == not_done
        else:  # the number read back is the stored float, bit for bit
            assert float(row["LBSTRESN"]) == value and row["LBSTRESU"] == unit
            assert row["LBORRES"] == typed
    seqs = [(r["USUBJID"], int(r["LBSEQ"])) for r in lb]
    assert len(set(seqs)) == len(seqs)


def test_every_dataset_has_the_rows_of_the_database(app: Flask, trial: dict[str, int]) -> None:
    found = {name: table(text) for name, text in members(export(app, "csv")).items()}
    study = app.extensions["edc_study"]
    vital = study.log("vital_signs").form
    measures = sum(1 for item in vital.fields if item.units)

    def count(model: type, *where: object) -> int:
        with app.app_context():
            return db.session().scalar(select(func.count()).select_from(model).where(*where))

    def entries(*forms: str) -> int:
        return count(LogEntry, LogEntry.form.in_(forms), LogEntry.removed_reason.is_(None))

    vs_keys = [item.key for item in study.results.fields if item.domain == "VS"]
    assert len(found["dm.csv"]) == count(Participant) == 3
    assert len(found["ex.csv"]) == count(Infusion) == 4
    assert len(found["sv.csv"]) == count(Visit) == 23
    assert len(found["vs.csv"]) == (count(Result, Result.field.in_(vs_keys))
                                    + measures * entries("vital_signs")) == 20
    assert len(found["ae.csv"]) == entries("adverse_events") == 1
    assert len(found["cm.csv"]) == entries("medications", "other_medications") == 2
    assert len(found["dv.csv"]) == entries("deviations") == 1
    assert len(found["ds.csv"]) == entries("termination") == 1
    # One row per sampled visit of each child: AS-001 SCR, W02, W04; AS-002 W02; AS-003 none.
    assert [(r["USUBJID"][-6:], r["VISIT"]) for r in found["adrenal.csv"]] == [
        ("AS-001", "Screening (baseline)"), ("AS-001", "2 weeks"), ("AS-001", "4 weeks"),
        ("AS-002", "2 weeks")]


def test_a_removed_entry_is_left_out(app: Flask, trial: dict[str, int]) -> None:
    from edc.services import remove_log_entry
    from tests.support.factories import _acting, _participant

    with _acting(app, "nurse") as ctx:
        child = _participant(ctx, trial["AS-001"])
        entry = ctx.session.scalars(select(LogEntry).where(
            LogEntry.form == "deviations")).one()
        remove_log_entry(ctx, child, entry, "Entered for the wrong child")
    assert table(members(export(app, "csv"))["dv.csv"]) == []


def test_a_blinded_export_holds_no_arm_and_the_unblinded_one_holds_each_childs(
        app: Flask, trial: dict[str, int]) -> None:
    study = app.extensions["edc_study"]
    words = {arm.code for arm in study.arms} | {arm.label for arm in study.arms}
    for kind in ("csv", "wide"):
        blinded = export(app, kind).decode("latin-1") if kind == "wide" else "".join(
            members(export(app, kind)).values())
        cells = set(re.split(r"[,\r\n]", blinded))
        assert not cells & words, kind
    dm = table(members(export(app, "csv", Role.UNBLINDED))["dm.csv"])
    with app.app_context():
        from edc.read.blinding import arms

        allocated = arms(db.session(), Role.UNBLINDED)
    assert [r["ARMCD"] for r in dm] == [allocated[trial[code]] for code in
                                        ("AS-001", "AS-002", "AS-003")]
    ex = table(members(export(app, "csv", Role.UNBLINDED))["ex.csv"])
    labels = {arm.code: arm.label for arm in study.arms}
    assert ex[0]["EXTRT"] == labels[allocated[trial["AS-001"]]]
    blinded_ex = table(members(export(app, "csv"))["ex.csv"])
    assert {r["EXTRT"] for r in blinded_ex} == {datasets.EX_TREATMENT_BLINDED}


def test_memory_does_not_grow_with_the_number_of_children(app: Flask,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    from edc import services
    from edc.app import context_for
    from tests.support.apps import SET_UP, allocation_csv

    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv(pairs=10))
    monkeypatch.setattr(datasets, "BATCH", 2)

    def peak() -> int:
        tracemalloc.start()
        export(app, "csv")
        _size, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    factories.add_children(app, 1, 4, "with results")
    small = peak()
    factories.add_children(app, 5, 16, "with results")
    large = peak()
    # Four times the children, read two at a time: the peak stays where it was.
    assert large < small * 1.3, (small, large)


def test_the_exports_page_downloads_every_format_to_the_roles_that_may(
        app: Flask, trial: dict[str, int], as_role) -> None:
    monitor = as_role(Role.MONITOR)
    page = monitor.get("/exports")
    assert page.status_code == 200
    assert re.findall(r'data-format="(\w+)"', page.text) == list(exports.FORMATS)
    assert "These files hold no arm" in page.text
    response = monitor.post("/exports/csv")
    body = response.data
    response.close()  # the server removes the temporary file once the download is sent
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"  # no copy kept on the way
    name = re.search(r'filename=([^;]+)', response.headers["Content-Disposition"]).group(1)
    assert re.fullmatch(r"NCT06731192-csv-\d{8}T\d{6}Z\.zip", name.strip('"'))
    assert list(members(body)) == MEMBERS
    with app.app_context():
        recorded = db.session().scalars(select(AuditEvent).where(
            AuditEvent.action == "export")).one()
    assert (recorded.username, recorded.field, recorded.new, recorded.reason) == (
        "monitor", "csv", name.strip('"'), "blinded")
    assert as_role(Role.NURSE).get("/exports").status_code == 403
    assert as_role(Role.NURSE).post("/exports/csv").status_code == 403
    assert monitor.post("/exports/pdf").status_code == 404
    unblinded = as_role(Role.UNBLINDED)
    assert "hold each child’s arm" in unblinded.get("/exports").text
    response = unblinded.post("/exports/wide")
    body = response.data
    response.close()
    assert "-wide-unblinded-" in response.headers["Content-Disposition"]
    assert "ARMCD" in body.decode("utf-8-sig").splitlines()[0]
    for kind, starts in (("odm", b"<?xml"), ("xpt", b"PK"), ("dictionary", b"\xef\xbb\xbf"),
                         ("audit", b"\xef\xbb\xbfaudit_entry_id,at,")):
        response = monitor.post(f"/exports/{kind}")
        body = response.data
        response.close()
        assert response.status_code == 200 and body.startswith(starts), kind
    with app.app_context():
        assert list(db.session().scalars(select(AuditEvent.field).where(
            AuditEvent.action == "export").order_by(AuditEvent.id))) == [
            "csv", "wide", "odm", "xpt", "dictionary", "audit"]


def test_the_queries_do_not_grow_with_the_children_of_a_batch(app: Flask,
                                                              allocation: None) -> None:
    from tests.support.queries import counted

    def statements() -> int:
        with counted(app) as run:
            export(app, "csv")
            export(app, "wide")
        return len(run)

    factories.add_children(app, 1, 2, "with results")
    few = statements()
    factories.add_children(app, 3, 8, "with results")
    assert statements() == few


def test_the_sas_transport_files_hold_the_golden_datasets(app: Flask, trial: dict[str, int],
                                                         tmp_path) -> None:
    import math

    import pyreadstat

    archive = export(app, "xpt")
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.namelist() == [name.replace(".csv", ".xpt") for name in MEMBERS]
        opened.extractall(tmp_path)
    for name in MEMBERS:
        golden = table((SDTM / name).read_text(encoding="utf-8"))
        columns, meta = pyreadstat.read_xport(tmp_path / name.replace(".csv", ".xpt"),
                                              encoding="utf-8", output_format="dict")
        assert meta.table_name == name[:-4].upper() and meta.number_rows == len(golden)
        assert list(columns) == list(golden[0]) if golden else True
        assert all(len(column) <= 8 and len(label) <= 40
                   for column, label in meta.column_names_to_labels.items())
        for index, row in enumerate(golden):
            for column, text in row.items():
                value = columns[column][index]
                if isinstance(value, float):  # a number: the CSV's text, or missing
                    assert (math.isnan(value) and text == "") or value == float(text), (
                        name, column, index)
                else:
                    assert (value or "") == text, (name, column, index)


def test_each_child_has_one_baseline_egfr_record_the_last_before_infusion_1_with_an_egfr(
        app: Flask, allocation: None) -> None:
    """Baseline values may come from several samples before infusion 1 (BASEFL on each); the
    renal function outcome compares with one of them, flagged EGFRBLFL."""
    pid = factories.child(app, "screened")
    factories.add_unscheduled(app, pid, date(2026, 2, 27))  # after screening, before infusion 1
    not_done = TypedResult(not_done=True, not_done_reason="Haemolysed")
    factories.enter_results(app, pid, "U01", date(2026, 2, 27), creatinine=not_done,
                            cystatin_c=not_done)
    factories.infuse(app, pid, 1, factories.INFUSION_1)
    rows = [r for r in table(members(export(app, "csv"))["adrenal.csv"])
            if r["USUBJID"].endswith("AS-001")]
    before = [r for r in rows if r["BASEFL"] == "Y"]
    assert len(before) == 2  # the screening sample and the unscheduled one
    flagged = [r for r in rows if r["EGFRBLFL"] == "Y"]
    assert [r["VISIT"] for r in flagged] == ["Screening (baseline)"]  # U01 has no eGFR
    assert flagged[0]["EGFRREF"] != ""


def test_computed_measures_carry_no_binary_noise(app: Flask, trial: dict[str, int]) -> None:
    """Bedside Schwartz of 126 cm and 40 umol/L (0.452 mg/dL): 41.3 x 1.26 / (40 / 88.4) =
    115.00398 exactly in decimal; binary arithmetic gives 115.00398000000001."""
    rows = table(members(export(app, "csv"))["adrenal.csv"])
    assert {r["EGFRBSW"] for r in rows if r["EGFRBSW"]} >= {"115.00398"}
    assert all(len(r["EGFRBSW"].replace(".", "")) <= 16 for r in rows)


def test_dv_lists_the_deviations_that_took_place_the_record_computes_after_those_entered(
        app: Flask, allocation: None, nurse: FlaskClient) -> None:
    """Today 2026-04-27. Infusion 1 on 2026-03-02 (study day 1); infusion 2 on 2026-03-21, day
    19, its window 03-14..03-18: 3 days after. From 03-21, W02's window is 04-01..04-07 (sampled
    04-09: 2 days after) and W04 (04-15..04-21) is marked missed; W06 (04-29..05-05) is booked
    on 05-08 with a reason."""
    from tests.support.forms import book
    from tests.support.records import visit_id

    pid = factories.child(app, "infusion 1")
    factories.infuse(app, pid, 2, date(2026, 3, 21))
    factories.enter_results(app, pid, "W02", date(2026, 4, 9))
    assert submit(nurse, f"/visits/{visit_id(app, pid, 'W04')}/missed",
                  {"reason": "Flu"}).status_code == 302
    assert book(nurse, app, pid, "W06", date="2026-05-08", time="09:00",
                reason="Family abroad until May").status_code == 302
    rows = [{k: r[k] for k in ("DVSEQ", "DVSPID", "DVCAT", "DVSTDTC", "DVTERM", "DVSTDY")}
            for r in table(members(export(app, "csv"))["dv.csv"])]
    assert rows == [
        {"DVSEQ": "1", "DVSPID": "record-infusion-INF2", "DVCAT": "PRODUCT",
         "DVSTDTC": "2026-03-21", "DVTERM": "Infusion 2 given 3 days after its window",
         "DVSTDY": "20"},
        {"DVSEQ": "2", "DVSPID": "record-sample-W02", "DVCAT": "WINDOW",
         "DVSTDTC": "2026-04-09", "DVTERM": "W02 (2 weeks) sample taken 2 days after its window",
         "DVSTDY": "39"},
        {"DVSEQ": "3", "DVSPID": "record-missed-W04", "DVCAT": "MISSED",
         "DVSTDTC": "2026-04-21", "DVTERM": "W04 (4 weeks) missed: Flu", "DVSTDY": "51"},
    ]  # W06's booking off the window is a plan, on the deviations page: not yet a deviation


def test_a_deviation_described_at_length_in_chinese_reaches_the_sas_files_whole(
        app: Flask, allocation: None, tmp_path) -> None:
    """A description of 200 Chinese characters (600 bytes, within the form's 1000) is split
    over DVTERM and its continuations in the transport file, and joined it is what was typed."""
    import pyreadstat

    pid = factories.child(app, "screened")
    described = "受试者家长因工作原因未能按时带孩子返院，随访延后，已告知研究者并记录。" * 6
    factories.log_entry(app, pid, "deviations", {
        "category": "OTHER", "deviation_date": date(2026, 3, 10), "description": described})
    with zipfile.ZipFile(io.BytesIO(export(app, "xpt"))) as opened:
        opened.extract("dv.xpt", tmp_path)
    columns, meta = pyreadstat.read_xport(tmp_path / "dv.xpt", encoding="utf-8",
                                          output_format="dict")
    parts = [name for name in meta.column_names if re.fullmatch(r"DVTERM\d*", name)]
    assert parts == ["DVTERM", "DVTERM1", "DVTERM2", "DVTERM3"]
    assert "".join(columns[name][0] for name in parts) == described


def test_the_reference_end_is_the_last_day_at_the_clinic_an_infusion_included(
        app: Flask, allocation: None) -> None:
    """AS-001: infusion 1 on 2 March, an unscheduled visit on 5 March, infusion 2 on 16
    March: its reference end is 16 March, not the visit before. AS-002, infusion 1 only: that
    day. AS-003, enrolled, nothing given: none."""
    first = factories.child(app, "infusion 1")
    factories.add_unscheduled(app, first, date(2026, 3, 5))
    factories.enter_results(app, first, "U01", date(2026, 3, 5))
    factories.infuse(app, first, 2, factories.INFUSION_2)
    factories.child(app, "infusion 1", "AS-002")
    factories.child(app, "enrolled", "AS-003")
    dm = {row["USUBJID"][-6:]: row for row in table(members(export(app, "csv"))["dm.csv"])}
    assert {code: (row["RFSTDTC"], row["RFENDTC"]) for code, row in dm.items()} == {
        "AS-001": ("2026-03-02", "2026-03-16"), "AS-002": ("2026-03-02", "2026-03-02"),
        "AS-003": ("", "")}


def test_each_visit_of_a_child_has_its_own_visit_number(app: Flask, allocation: None) -> None:
    """An unscheduled visit before infusion 1 (so listed before the screening visit, whose
    target moves to infusion 1's day) and one after it: 0.01 and 0.02, never both 0.01 (a
    merge on USUBJID and VISITNUM would join them)."""
    pid = factories.child(app, "enrolled")
    factories.add_screening(app, pid)
    factories.add_unscheduled(app, pid, date(2026, 2, 27), "Fever")
    factories.infuse(app, pid, 1, factories.INFUSION_1)  # the screening visit's target moves
    factories.add_unscheduled(app, pid, date(2026, 3, 3), "Rash")
    sv = table(members(export(app, "csv"))["sv.csv"])
    numbers = [(row["VISITNUM"], row["SVREASOC"] or row["VISIT"]) for row in sv]
    assert len({number for number, _what in numbers}) == len(numbers), numbers
    assert sorted(number for number, _what in numbers) == ["0", "0.01", "0.02"]


def test_infusion_2_not_given_is_in_suppdm_with_why(app: Flask, allocation: None) -> None:
    """AS-001 is followed up from infusion 1 (infusion 2 not given, and why); AS-002 awaits
    infusion 2. EX has one row for each: SUPPDM tells them apart."""
    given_up = factories.child(app, "infusion 1")
    factories.anchor_on_first(app, given_up, "Fever on the day; the family declined a new date")
    factories.child(app, "infusion 1", "AS-002")
    rows = [(r["USUBJID"][-6:], r["QNAM"], r["QLABEL"], r["QVAL"])
            for r in table(members(export(app, "csv"))["suppdm.csv"])
            if r["QNAM"].startswith("INF2")]
    assert rows == [
        ("AS-001", "INF2NG", "Infusion 2 Not Given", "Y"),
        ("AS-001", "INF2NGRS", "Why Infusion 2 Not Given",
         "Fever on the day; the family declined a new date")]
