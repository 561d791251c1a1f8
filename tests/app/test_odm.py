"""The CDISC ODM 1.3.2 export as a data manager receives it: a file the official schema accepts,
equal to its golden file for the small trial, every stored result once in its canonical unit,
each value with the audit record of who set it and why, the arm only in the unblinded file, and
a number of queries that does not grow with the number of children."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from importlib.resources import files

import pytest
from flask import Flask
from lxml import etree
from sqlalchemy import select

from edc import db, services
from edc.app import context_for
from edc.formats.odm import write_odm
from edc.models import Participant, Result, Visit
from edc.read import blinding
from edc.read.odm import subjects
from tests.support import factories
from tests.support.apps import SET_UP, allocation_csv
from tests.support.exports import small_trial
from tests.support.paths import GOLDEN
from tests.support.queries import counted

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
CREATED = datetime(2026, 4, 27, 8, 0, tzinfo=UTC)
STAMP = re.compile(r"<DateTimeStamp>[^<]+</DateTimeStamp>")
SCHEMA = files("odmlib") / "schemas" / "odm" / "1.3.2" / "ODM1-3-2.xsd"


def export(app: Flask, role: str) -> tuple[bytes, int]:
    """The ODM file as a reader of this role gets it, and the number of children in it."""
    study = app.extensions["edc_study"]
    out = io.BytesIO()
    with app.app_context():
        count = write_odm(out, study, subjects(db.session(), study, role),
                          unblinded=blinding.sees_allocation(role), created=CREATED,
                          source="alport-edc")
    return out.getvalue(), count


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def item_data(root: etree._Element, subject: str, event: str, item: str) -> etree._Element:
    found = root.xpath(f"//odm:SubjectData[@SubjectKey='{subject}']"
                       f"/odm:StudyEventData[@StudyEventOID='{event}']"
                       f"//odm:ItemData[@ItemOID='{item}']", namespaces=NS)
    assert len(found) == 1, (subject, event, item, len(found))
    return found[0]


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def test_the_file_is_valid_odm_and_equals_the_golden_file(app: Flask, allocation: None,
                                                          schema: etree.XMLSchema) -> None:
    small_trial(app)
    data, count = export(app, "investigator")
    assert count == 3
    document = etree.fromstring(data)
    assert schema.validate(document), schema.error_log
    root = document
    assert (root.get("FileType"), root.get("ODMVersion"), root.get("CreationDateTime")) == (
        "Snapshot", "1.3.2", "2026-04-27T08:00:00Z")
    # The audit times come from the real clock: only they are replaced before comparing.
    text = STAMP.sub("<DateTimeStamp>(audit time)</DateTimeStamp>", data.decode("utf-8"))
    assert text == (GOLDEN / "export.odm.xml").read_text(encoding="utf-8")


def test_every_stored_result_is_one_item_in_its_canonical_unit(app: Flask,
                                                                allocation: None) -> None:
    ids = small_trial(app)
    root = parse(export(app, "investigator")[0])
    with app.app_context():
        rows = db.session().execute(
            select(Participant.code, Visit.code, Visit.kind, Result)
            .join(Visit, Visit.participant_id == Participant.id)
            .join(Result, Result.visit_id == Visit.id)).all()
    assert len(rows) == 4 * 11  # AS-001's screening, W02 and W04; AS-002's W02
    for code, visit, kind, result in rows:
        event = "SE.SCREENING" if kind == "screening" else f"SE.{visit}"
        item = item_data(root, code, event, f"IT.RESULTS.{result.field.upper()}")
        if result.not_done_reason:
            assert item.get("IsNull") == "Yes" and item.get("Value") is None
            assert item.findtext("odm:Annotation/odm:Comment", namespaces=NS) == (
                f"Not done: {result.not_done_reason}")
            continue
        assert float(item.get("Value")) == result.value
        unit = item.find("odm:MeasurementUnitRef", NS).get("MeasurementUnitOID")
        assert unit == f"MU.{result.unit}"
    upcr = item_data(root, "AS-001", "SE.W04", "IT.RESULTS.UPCR")
    assert float(upcr.get("Value")) == pytest.approx(45.2 / 113.12)
    assert upcr.find("odm:MeasurementUnitRef", NS).get("MeasurementUnitOID") == "MU.mg/mg"
    creatinine = item_data(root, "AS-001", "SE.W02", "IT.RESULTS.CREATININE")
    assert creatinine.get("IsNull") == "Yes"
    assert ids["AS-003"]
    assert not root.xpath("//odm:SubjectData[@SubjectKey='AS-003']"
                          "/odm:StudyEventData[@StudyEventOID!='SE.ENROLMENT']", namespaces=NS)


def test_audit_records_name_the_nurse_and_the_reason_of_a_correction(
        app: Flask, allocation: None) -> None:
    ids = small_trial(app)
    w02 = factories.targets(app, ids["AS-002"])["W02"]
    factories.enter_results(app, ids["AS-002"], "W02", w02, reason="Typed from the wrong report",
                            urea=("5.1", "mmol/L"))
    root = parse(export(app, "investigator")[0])
    urea = item_data(root, "AS-002", "SE.W02", "IT.RESULTS.UREA")
    assert urea.get("Value") == "5.1"
    record = urea.find("odm:AuditRecord", NS)
    assert record.find("odm:UserRef", NS).get("UserOID") == "USR.nurse"
    assert record.find("odm:LocationRef", NS).get("LocationOID") == "LOC.SITE"
    assert record.findtext("odm:ReasonForChange", namespaces=NS) == (
        "Typed from the wrong report")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                        record.findtext("odm:DateTimeStamp", namespaces=NS))
    # A value never corrected carries no reason; every user named is declared once.
    creatinine = item_data(root, "AS-002", "SE.W02", "IT.RESULTS.CREATININE")
    assert creatinine.find("odm:AuditRecord/odm:ReasonForChange", NS) is None
    users = root.xpath("//odm:AdminData/odm:User/odm:LoginName/text()", namespaces=NS)
    assert sorted(users) == ["investigator", "nurse"]
    named = set(root.xpath("//odm:UserRef/@UserOID", namespaces=NS))
    assert named == {"USR.investigator", "USR.nurse"}
    # The withdrawal was recorded by the investigator.
    reason = item_data(root, "AS-001", "SE.LOGS", "IT.TERMINATION.REASON")
    assert reason.find("odm:AuditRecord/odm:UserRef", NS).get("UserOID") == "USR.investigator"


def test_log_entries_repeat_by_number_with_their_units_and_codes(app: Flask,
                                                                 allocation: None) -> None:
    small_trial(app)
    root = parse(export(app, "investigator")[0])
    vital = root.xpath("//odm:SubjectData[@SubjectKey='AS-001']//odm:FormData"
                       "[@FormOID='F.VITAL_SIGNS']", namespaces=NS)
    assert [form.get("FormRepeatKey") for form in vital] == ["1", "2"]
    temperature = vital[1].xpath(".//odm:ItemData[@ItemOID='IT.VITAL_SIGNS.TEMPERATURE']",
                                 namespaces=NS)[0]
    assert temperature.get("Value") == "38.4"
    dose = item_data(root, "AS-001", "SE.LOGS", "IT.MEDICATIONS.DOSE")
    assert dose.get("Value") == "2.5"
    assert dose.find("odm:MeasurementUnitRef", NS).get("MeasurementUnitOID") == "MU.mg"
    assert item_data(root, "AS-001", "SE.LOGS", "IT.ADVERSE_EVENTS.ONGOING").get("Value") == "N"
    sex = root.xpath("//odm:CodeList[@OID='CL.ENROLMENT.SEX']/odm:CodeListItem"
                     "[@CodedValue='F']/odm:Decode/odm:TranslatedText", namespaces=NS)
    assert [(t.get("{http://www.w3.org/XML/1998/namespace}lang"), t.text) for t in sex] == [
        ("en", "Female"), ("zh", "女")]


def test_a_blinded_file_holds_no_arm_and_the_unblinded_one_holds_the_childs(
        app: Flask, allocation: None, schema: etree.XMLSchema) -> None:
    ids = small_trial(app)
    study = app.extensions["edc_study"]
    blinded = export(app, "investigator")[0].decode("utf-8")
    for arm in study.arms:
        assert arm.label not in blinded and arm.label_zh not in blinded
        assert f'"{arm.code}"' not in blinded
    assert "ALLOCATION" not in blinded
    data = export(app, "unblinded")[0]
    assert schema.validate(etree.fromstring(data)), schema.error_log
    root = parse(data)
    with app.app_context():
        arms = blinding.arms(db.session(), "unblinded")
    for code, pid in ids.items():
        assert item_data(root, code, "SE.ENROLMENT", "IT.ALLOCATION.ARM").get("Value") == (
            arms[pid])
    labels = root.xpath("//odm:CodeList[@OID='CL.ALLOCATION.ARM']//odm:TranslatedText/text()",
                        namespaces=NS)
    assert set(labels) == {t for arm in study.arms for t in (arm.label, arm.label_zh)}


def test_the_number_of_queries_does_not_grow_with_the_children(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv(pairs=6))
    study = app.extensions["edc_study"]

    def queries() -> tuple[bytes, int]:
        out = io.BytesIO()
        with app.app_context(), counted(app) as statements:
            write_odm(out, study, subjects(db.session(), study, "unblinded"), unblinded=True,
                      created=CREATED, source="test")
        return out.getvalue(), len(statements)

    factories.add_children(app, 1, 3, "with results")
    three = queries()
    factories.add_children(app, 4, 12, "with results")
    twelve = queries()
    assert twelve[1] == three[1]
    keys = parse(twelve[0]).xpath("//odm:SubjectData/@SubjectKey", namespaces=NS)
    assert keys == [f"AS-{n:03d}" for n in range(1, 13)]
    # Read five at a time, every child still comes once, in order.
    monkeypatch.setattr("edc.read.odm.BATCH", 5)
    assert queries()[0] == twelve[0]


def test_every_unit_a_value_names_is_defined_and_on_its_item(app: Flask,
                                                             allocation: None) -> None:
    """Urine RBC counted per uL is a test of its own, not converted to per HPF: its value
    names MU./uL, which BasicDefinitions defines and the item's definition lists beside /HPF,
    so an importer does not read 30 /uL as 30 /HPF."""
    pid = factories.child(app, "scheduled")
    factories.enter_results(app, pid, "W02", factories.targets(app, pid)["W02"],
                            urine_rbc=("30", "/uL"))
    root = parse(export(app, "investigator")[0])
    defined = {u.get("OID") for u in root.iterfind(".//odm:MeasurementUnit", NS)}
    named = {ref.get("MeasurementUnitOID") for ref in root.iterfind(
        ".//odm:ItemData/odm:MeasurementUnitRef", NS)}
    assert "MU./uL" in named and named <= defined, named - defined
    rbc = root.find(".//odm:ItemDef[@OID='IT.RESULTS.URINE_RBC']", NS)
    assert [ref.get("MeasurementUnitOID") for ref in rbc.iterfind(
        "odm:MeasurementUnitRef", NS)] == ["MU./HPF", "MU./uL"]
