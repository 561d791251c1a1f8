"""The trial as one CDISC ODM 1.3.2 file: the metadata generated from forms/, then the data.

Pure: it reads the study definition (edc.protocol) and the subjects it is given, and writes
bytes. The metadata walks the Study object, so a new form, item or analyte in forms/ appears
with no code change:

    SE.ENROLMENT    F.ENROLMENT: every item of forms/enrolment.toml and a yes/no question per
                    criterion; in the unblinded file only, IG.ALLOCATION with the arm
    SE.SCREENING    F.RESULTS: the visit (sample date, status) and every analyte of results.toml
    SE.INFUSION     F.INFUSION, repeating: one event per infusion (StudyEventRepeatKey 1, 2)
    SE.<code>       F.RESULTS for each visit of forms/schedule.toml (W02 ... M12)
    SE.UNSCHEDULED  F.RESULTS, repeating: the visit code (U01 ...) is the repeat key
    SE.LOGS         one repeating form per log form (FormRepeatKey = the entry number), and the
                    early termination's one row

A number is exported in its canonical unit (the first unit of its item in forms/, the unit
Result.value is stored in), named by a MeasurementUnitRef; a log's number keeps the unit chosen
beside it, which its ItemData names. A result not done carries no value: its ItemData has
IsNull="Yes" and the reason as a comment. A qualitative result (too numerous to count) is the
value of a companion coded item <key>_qualitative. A multichoice item becomes one yes/no item per
choice. Removed log entries are left out: this is a Snapshot file (the data as they stand), in
which ODM gives TransactionType no meaning, and a removed entry was entered in error and counts
nowhere in the app; the entries kept keep their numbers, so a gap shows where one was removed.

Each ItemData carries the AuditRecord of the newest audit row that set it: the user (declared in
AdminData), the site (the one Location), the time in UTC and the reason of a correction.
The arm is written only when `unblinded`: a blinded file holds neither its codes nor its labels.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from edc.protocol.codes import VisitKind, VisitStatus
from edc.protocol.crf import CaseReportForm, Choice, ChoiceList, Field, Unit
from edc.protocol.study import Study

NAMESPACE = "http://www.cdisc.org/ns/odm/v1.3"
METADATA_VERSION = "MDV.1"
LOCATION = "LOC.SITE"
# ODM's data type of each item type of forms/ (a multichoice is split into yes/no items).
DATA_TYPES = {"number": "float", "integer": "integer", "text": "text", "date": "date",
              "time": "time", "choice": "text", "yesno": "text", "multichoice": "text"}
YES, NO = "Y", "N"
YES_NO = ChoiceList("NY", (Choice(YES, "Yes", "是"), Choice(NO, "No", "否")))


# --- what the read layer hands over ---------------------------------------------------------

@dataclass(frozen=True)
class Audit:
    """The newest audit row that set an item: who, when (UTC) and why."""

    username: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class Value:
    """One item's stored value (a date, a number, a code, "yes", a list of codes ...)."""

    value: Any
    audit: Audit | None = None
    unit: str = ""  # the unit code the number is in, where it may be one of several
    not_done: str | None = None  # a result not done: the reason


@dataclass(frozen=True)
class Record:
    """One filled-in form: values by item key, and its repeat key where it repeats."""

    values: Mapping[str, Value]
    key: str = ""  # the entry number of a log, an infusion's number, an unscheduled visit


@dataclass(frozen=True)
class VisitRecord:
    """A visit: its code and kind, the visit's own items and its results by item key."""

    code: str
    kind: str  # VisitKind
    visit: Mapping[str, Value]
    results: Mapping[str, Value]


@dataclass(frozen=True)
class Subject:
    """One child: everything the file holds of them."""

    code: str
    enrolment: Mapping[str, Value]
    infusions: tuple[Record, ...] = ()
    visits: tuple[VisitRecord, ...] = ()
    logs: Mapping[str, tuple[Record, ...]] = field(default_factory=dict)  # by form name
    arm: Value | None = None  # only for an unblinded reader


# --- the items that are columns of the database, not of forms/ -------------------------------

def _unit(code: str, label: str = "") -> Unit:
    return Unit(code=code, label=label or code, factor=None, divisor=1.0, canonical=code,
                cdisc="", loinc="", block=(float("-inf"), float("inf")), warn=None,
                integer=False)


def _item(key: str, kind: str, label: str, *, units: tuple[Unit, ...] = (), variable: str = "",
          domain: str = "", choices: ChoiceList | None = None, required: bool = False) -> Field:
    return Field(key=key, label=label, label_zh="", required=required, trend=False,
                 domain=domain, specimen="", units=units, qualitative=(),
                 warn_high_inclusive=False, warn_mg_m2_h=None, type=kind, variable=variable,
                 choices=choices)


def infusion_items(study: Study) -> tuple[Field, ...]:
    """The infusion's items (the columns the infusion page writes)."""
    weight = study.results.by_role("weight")
    return (
        _item("date", "date", "Infusion date", variable="EXSTDTC", domain="EX", required=True),
        replace(weight, key="weight_kg", required=True, domain="EX", variable=""),
        _item("product_lot", "text", "Product lot", variable="EXLOT", domain="EX",
              required=True),
        _item("volume_ml", "number", "Volume", units=(_unit("mL"),), variable="EXVAMT",
              domain="EX", required=True),
        _item("dose_cells_per_kg", "number", "Dose per kg", units=(_unit("cells/kg"),),
              variable="EXDOSE", domain="EX"),
        _item("planned_cells", "number", "Cells planned", units=(_unit("cells"),),
              domain="EX"),
        _item("window_deviation_days", "integer", "Days outside the window",
              units=(_unit("d", "days"),), domain="EX"),
    )


VISIT_ITEMS = (
    _item("actual_date", "date", "Visit date (sample date)", variable="SVSTDTC", domain="SV"),
    _item("status", "choice", "Visit status", domain="SV", choices=ChoiceList(
        "visit_status", tuple(Choice(s.value, s.value.capitalize(), "") for s in VisitStatus))),
    _item("missed_reason", "text", "Reason the visit was missed", domain="SV"),
)
ARM_ITEM = "arm"


def _qualitative(item: Field) -> Field:
    """The coded item beside a number that may be a qualitative result instead."""
    choices = tuple(Choice(text, text, zh or text) for text, zh in
                    zip(item.qualitative, item.qualitative_zh or item.qualitative, strict=True))
    return replace(item, key=f"{item.key}_qualitative", type="choice", units=(),
                   label=f"{item.label}: qualitative result",
                   label_zh=f"{item.label_zh}: 定性结果", required=False,
                   choices=ChoiceList(f"{item.key}_qualitative", choices), qualitative=())


# --- the metadata ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemSpec:
    oid: str
    item: Field
    key: str  # the stored value's key
    codelist: str = ""
    choice: str = ""  # a multichoice's yes/no item: the code it stands for
    units: tuple[Unit, ...] = ()  # the units its values may be in


@dataclass(frozen=True)
class GroupSpec:
    oid: str
    name: str
    domain: str
    items: tuple[ItemSpec, ...]


@dataclass(frozen=True)
class FormSpec:
    oid: str
    name: str
    repeating: bool
    groups: tuple[GroupSpec, ...]
    key: str = ""  # a log form's name: Subject.logs holds its entries under it


@dataclass(frozen=True)
class EventSpec:
    oid: str
    name: str
    repeating: bool
    kind: str  # Scheduled, Unscheduled or Common
    forms: tuple[FormSpec, ...]


@dataclass
class Metadata:
    """The MetaDataVersion as the writer walks it, with the code lists and units it names."""

    events: list[EventSpec] = field(default_factory=list)
    codelists: dict[str, tuple[str, ChoiceList]] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)

    def group(self, oid: str, name: str, domain: str, prefix: str, items: Iterable[Field], *,
              typed_units: bool = False) -> GroupSpec:
        """An item group of these items, their ItemDefs' OIDs starting with prefix. A number
        is in its canonical unit (each of them, for an item with a unit that is a test of its
        own: urine RBC per HPF or per uL), or with typed_units (a log) in any of its units."""
        specs: list[ItemSpec] = []
        for item in items:
            base = f"IT.{prefix}.{item.key.upper()}"
            if item.type == "multichoice" and item.choices is not None:
                codelist = self._codelist(YES_NO, prefix)
                specs += [ItemSpec(f"{base}.{c.code.upper()}",
                                   replace(item, label=f"{item.label}: {c.label}",
                                           label_zh=f"{item.label_zh}: {c.label_zh}"),
                                   item.key, codelist, c.code) for c in item.choices.choices]
                continue
            codelist = ""
            if item.type == "yesno":
                codelist = self._codelist(YES_NO, prefix)
            elif item.choices is not None:
                codelist = self._codelist(item.choices, prefix)
            units = item.units if typed_units else tuple(
                unit for unit in item.units if unit.code == unit.canonical)
            for unit in units:
                self.units.setdefault(unit.code, unit)
            specs.append(ItemSpec(base, item, item.key, codelist, units=units))
            if item.qualitative:
                extra = _qualitative(item)
                specs.append(ItemSpec(f"IT.{prefix}.{extra.key.upper()}", extra, extra.key,
                                      self._codelist(extra.choices or YES_NO, prefix)))
        return GroupSpec(oid, name, domain, tuple(specs))

    def _codelist(self, choices: ChoiceList, prefix: str) -> str:
        oid = "CL.NY" if choices is YES_NO else f"CL.{prefix}.{choices.name.upper()}"
        self.codelists.setdefault(oid, (choices.name, choices))
        return oid

    @property
    def items(self) -> dict[str, ItemSpec]:
        """Every ItemDef once, by OID, in the order first met."""
        found: dict[str, ItemSpec] = {}
        for event in self.events:
            for form in event.forms:
                for group in form.groups:
                    for spec in group.items:
                        found.setdefault(spec.oid, spec)
        return found


def _form_of(name: str, form: CaseReportForm, meta: Metadata, *, repeating: bool,
             domain: str = "") -> FormSpec:
    prefix = name.upper()
    group = meta.group(f"IG.{prefix}", form.title, domain or form.domain, prefix, form.fields,
                       typed_units=form.kind == "log")
    return FormSpec(f"F.{prefix}", form.title, repeating, (group,), key=name)


def metadata(study: Study, *, unblinded: bool) -> Metadata:
    """The events, forms, item groups, items, code lists and units of the study."""
    meta = Metadata()
    enrolment = _form_of("enrolment", study.enrolment_form, meta, repeating=False, domain="DM")
    if unblinded:
        arms = ChoiceList("arm", tuple(Choice(a.code, a.label, a.label_zh) for a in study.arms))
        arm = _item(ARM_ITEM, "choice", "Arm", variable="ARMCD", domain="DM", choices=arms,
                    required=True)
        enrolment = replace(enrolment, groups=enrolment.groups + (
            meta.group("IG.ALLOCATION", "Allocation", "DM", "ALLOCATION", [arm]),))
    visit_group = meta.group("IG.VISIT", "Visit", "SV", "VISIT", VISIT_ITEMS)
    results = _form_of("results", study.results, meta, repeating=False, domain="LB")
    results = replace(results, groups=(visit_group, *results.groups))
    infusion = FormSpec("F.INFUSION", "Infusion", False, (
        meta.group("IG.INFUSION", "Infusion", "EX", "INFUSION", infusion_items(study)),))
    logs = tuple(_form_of(log.name, log.form, meta, repeating=True) for log in study.logs)
    termination = _form_of(study.termination.name, study.termination.form, meta,
                           repeating=False)
    meta.events = [
        EventSpec("SE.ENROLMENT", study.enrolment_form.title, False, "Scheduled", (enrolment,)),
        EventSpec("SE.SCREENING", "Screening", False, "Scheduled", (results,)),
        EventSpec("SE.INFUSION", "Infusion", True, "Scheduled", (infusion,)),
        *(EventSpec(f"SE.{v.code}", v.label, False, "Scheduled", (results,))
          for v in study.schedule.visits),
        EventSpec("SE.UNSCHEDULED", "Unscheduled", True, "Unscheduled", (results,)),
        EventSpec("SE.LOGS", "Logs", False, "Common", (*logs, termination)),
    ]
    return meta


# --- writing --------------------------------------------------------------------------------

class _Out:
    """Indented XML, element by element, straight to a binary file."""

    def __init__(self, file: IO[bytes], depth: int = 0) -> None:
        self.file, self.depth = file, depth

    def _tag(self, name: str, attrs: Mapping[str, object]) -> str:
        parts = "".join(f" {k}={quoteattr(str(v))}" for k, v in attrs.items()
                        if v is not None and v != "")
        return f"{name}{parts}"

    def _write(self, text: str) -> None:
        self.file.write(("  " * self.depth + text + "\n").encode("utf-8"))

    def start(self, name: str, **attrs: object) -> None:
        self._write(f"<{self._tag(name, attrs)}>")
        self.depth += 1

    def end(self, name: str) -> None:
        self.depth -= 1
        self._write(f"</{name}>")

    def empty(self, name: str, **attrs: object) -> None:
        self._write(f"<{self._tag(name, attrs)}/>")

    def text(self, name: str, text: str, **attrs: object) -> None:
        self._write(f"<{self._tag(name, attrs)}>{escape(text)}</{name}>")

    def translated(self, name: str, english: str, chinese: str = "") -> None:
        """An element of TranslatedText: the English, then the Chinese where it differs."""
        self.start(name)
        self.text("TranslatedText", english, **{"xml:lang": "en"})
        if chinese and chinese != english:
            self.text("TranslatedText", chinese, **{"xml:lang": "zh"})
        self.end(name)


def _yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def _stamp(at: datetime) -> str:
    """A time in UTC as ODM writes it (2026-04-27T02:30:00Z); a naive time is taken as UTC."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def _number(value: Any) -> str:
    """A number in the shortest text that reads back as the same value."""
    return str(value) if isinstance(value, int) else repr(float(value))


def _text(spec: ItemSpec, stored: Any) -> str | None:
    """The stored value as the text of ItemData's Value (None: nothing to write)."""
    if stored is None or stored == "" or stored == []:
        return None
    kind = spec.item.type
    if spec.choice:
        return YES if spec.choice in (stored or ()) else NO
    if kind == "yesno":
        return YES if stored is True or stored == "yes" else NO
    if kind == "number":
        return _number(stored)
    if kind == "integer":
        return str(int(stored))
    if isinstance(stored, datetime):
        return _stamp(stored)
    if isinstance(stored, date | time):
        return stored.isoformat()
    if kind == "time" and isinstance(stored, str) and len(stored) == 5:
        return f"{stored}:00"  # stored as HH:MM; ODM's time has seconds
    return str(stored)


def _definitions(out: _Out, study: Study, meta: Metadata) -> None:
    out.start("Study", OID=study.info.id)
    out.start("GlobalVariables")
    out.text("StudyName", study.info.acronym)
    out.text("StudyDescription", study.info.title)
    out.text("ProtocolName", study.info.id)
    out.end("GlobalVariables")
    out.start("BasicDefinitions")
    for code, unit in meta.units.items():
        out.start("MeasurementUnit", OID=f"MU.{code}", Name=code)
        out.translated("Symbol", unit.label, unit.label_zh)
        out.end("MeasurementUnit")
    out.end("BasicDefinitions")
    out.start("MetaDataVersion", OID=METADATA_VERSION, Name=f"{study.info.id} forms",
              Description="Generated from the study definition (forms/)")
    out.start("Protocol")
    for n, event in enumerate(meta.events, 1):
        out.empty("StudyEventRef", StudyEventOID=event.oid, OrderNumber=n, Mandatory="No")
    out.end("Protocol")
    forms: dict[str, FormSpec] = {}
    for event in meta.events:
        out.start("StudyEventDef", OID=event.oid, Name=event.name,
                  Repeating=_yes_no(event.repeating), Type=event.kind)
        for n, form in enumerate(event.forms, 1):
            out.empty("FormRef", FormOID=form.oid, OrderNumber=n, Mandatory="No")
            forms.setdefault(form.oid, form)
        out.end("StudyEventDef")
    groups: dict[str, GroupSpec] = {}
    for form in forms.values():
        out.start("FormDef", OID=form.oid, Name=form.name, Repeating=_yes_no(form.repeating))
        for n, group in enumerate(form.groups, 1):
            out.empty("ItemGroupRef", ItemGroupOID=group.oid, OrderNumber=n, Mandatory="No")
            groups.setdefault(group.oid, group)
        out.end("FormDef")
    for group in groups.values():
        out.start("ItemGroupDef", OID=group.oid, Name=group.name, Repeating="No",
                  Domain=group.domain)
        for n, spec in enumerate(group.items, 1):
            out.empty("ItemRef", ItemOID=spec.oid, OrderNumber=n,
                      Mandatory=_yes_no(spec.item.required and not spec.choice))
        out.end("ItemGroupDef")
    for spec in meta.items.values():
        _item_def(out, spec)
    for oid, (name, choices) in meta.codelists.items():
        out.start("CodeList", OID=oid, Name=name, DataType="text")
        for choice in choices.choices:
            out.start("CodeListItem", CodedValue=choice.code)
            out.translated("Decode", choice.label, choice.label_zh)
            out.end("CodeListItem")
        out.end("CodeList")
    out.end("MetaDataVersion")
    out.end("Study")


def _item_def(out: _Out, spec: ItemSpec) -> None:
    item = spec.item
    kind = "text" if spec.choice else DATA_TYPES[item.type]
    length = item.max_length if item.type == "text" and item.max_length else None
    findings = item.domain in ("LB", "VS") and bool(item.units)
    # A findings item's variable names the test-code column (LBTESTCD), not the item itself.
    variable = (item.variable if item.variable and not item.variable.endswith("TESTCD")
                and not spec.choice else None)
    out.start("ItemDef", OID=spec.oid, Name=spec.oid.removeprefix("IT."), DataType=kind,
              Length=length, SDSVarName=variable)
    out.translated("Question", item.label, item.label_zh)
    for unit in spec.units:
        out.empty("MeasurementUnitRef", MeasurementUnitOID=f"MU.{unit.code}")
    if spec.codelist:
        out.empty("CodeListRef", CodeListOID=spec.codelist)
    if findings and item.units[0].cdisc:
        out.empty("Alias", Context=f"{item.domain}TESTCD", Name=item.units[0].cdisc)
    if findings and item.units[0].loinc:
        out.empty("Alias", Context="LOINC", Name=item.units[0].loinc)
    out.end("ItemDef")


def _admin(out: _Out, study: Study, users: Iterable[str], created: datetime) -> None:
    out.start("AdminData", StudyOID=study.info.id)
    for username in sorted(users):
        out.start("User", OID=f"USR.{username}")
        out.text("LoginName", username)
        out.end("User")
    out.start("Location", OID=LOCATION, Name=study.site.name, LocationType="Site")
    out.empty("MetaDataVersionRef", StudyOID=study.info.id, MetaDataVersionOID=METADATA_VERSION,
              EffectiveDate=created.date().isoformat())
    out.end("Location")
    out.end("AdminData")


def _item_data(out: _Out, spec: ItemSpec, value: Value, users: set[str]) -> None:
    text = None if value.not_done is not None else _text(spec, value.value)
    if text is None and value.not_done is None:
        return
    attrs: dict[str, object] = {"ItemOID": spec.oid}
    if text is None:
        attrs["IsNull"] = "Yes"
    else:
        attrs["Value"] = text
    unit = ""
    if text is not None and spec.units:
        unit = value.unit or spec.units[0].code
    if value.audit is None and not unit and value.not_done is None:
        out.empty("ItemData", **attrs)
        return
    out.start("ItemData", **attrs)
    if value.audit is not None:
        users.add(value.audit.username)
        out.start("AuditRecord")
        out.empty("UserRef", UserOID=f"USR.{value.audit.username}")
        out.empty("LocationRef", LocationOID=LOCATION)
        out.text("DateTimeStamp", _stamp(value.audit.at))
        if value.audit.reason:
            out.text("ReasonForChange", value.audit.reason)
        out.end("AuditRecord")
    if unit:
        out.empty("MeasurementUnitRef", MeasurementUnitOID=f"MU.{unit}")
    if value.not_done is not None:
        out.start("Annotation", SeqNum=1)
        out.text("Comment", f"Not done: {value.not_done}".strip(), SponsorOrSite="Site")
        out.end("Annotation")
    out.end("ItemData")


def _form_data(out: _Out, form: FormSpec, values: Mapping[str, Value], users: set[str],
               repeat: str = "") -> None:
    out.start("FormData", FormOID=form.oid, FormRepeatKey=repeat or None)
    for group in form.groups:
        out.start("ItemGroupData", ItemGroupOID=group.oid)
        for spec in group.items:
            if spec.key in values:
                _item_data(out, spec, values[spec.key], users)
        out.end("ItemGroupData")
    out.end("FormData")


def _subject(out: _Out, meta: Metadata, subject: Subject, users: set[str]) -> None:
    events = {event.oid: event for event in meta.events}
    out.start("SubjectData", SubjectKey=subject.code)
    enrolment = events["SE.ENROLMENT"]
    out.start("StudyEventData", StudyEventOID=enrolment.oid)
    values = dict(subject.enrolment)
    if subject.arm is not None and "IG.ALLOCATION" in {g.oid for g in enrolment.forms[0].groups}:
        values[ARM_ITEM] = subject.arm
    _form_data(out, enrolment.forms[0], values, users)
    out.end("StudyEventData")
    visits = {VisitKind.SCREENING: [], VisitKind.SCHEDULED: [], VisitKind.UNSCHEDULED: []}
    for visit in subject.visits:
        visits[VisitKind(visit.kind)].append(visit)
    for visit in visits[VisitKind.SCREENING]:
        _visit(out, events["SE.SCREENING"], visit, users)
    for infusion in subject.infusions:
        event = events["SE.INFUSION"]
        out.start("StudyEventData", StudyEventOID=event.oid, StudyEventRepeatKey=infusion.key)
        _form_data(out, event.forms[0], infusion.values, users)
        out.end("StudyEventData")
    for visit in visits[VisitKind.SCHEDULED]:
        event = events.get(f"SE.{visit.code}")
        if event is None:
            raise ValueError(f"Got visit code {visit.code!r} for {subject.code}. Expected one "
                             "of forms/schedule.toml's visits.")
        _visit(out, event, visit, users)
    for visit in visits[VisitKind.UNSCHEDULED]:
        _visit(out, events["SE.UNSCHEDULED"], visit, users, repeat=visit.code)
    if any(subject.logs.values()):
        logs = events["SE.LOGS"]
        out.start("StudyEventData", StudyEventOID=logs.oid)
        for form in logs.forms:
            for record in subject.logs.get(form.key, ()):
                _form_data(out, form, record.values, users,
                           repeat=record.key if form.repeating else "")
        out.end("StudyEventData")
    out.end("SubjectData")


def _visit(out: _Out, event: EventSpec, visit: VisitRecord, users: set[str],
           repeat: str = "") -> None:
    out.start("StudyEventData", StudyEventOID=event.oid, StudyEventRepeatKey=repeat or None)
    _form_data(out, event.forms[0], {**visit.visit, **visit.results}, users)
    out.end("StudyEventData")


def write_odm(file: IO[bytes], study: Study, subjects: Iterable[Subject], *, unblinded: bool,
              created: datetime, source: str) -> int:
    """Write the ODM file of these subjects; return how many were written."""
    meta = metadata(study, unblinded=unblinded)
    users: set[str] = set()
    count = 0
    # AdminData (the users the audit records name) comes before ClinicalData, but the users are
    # known only once every subject is read: the data are spooled to disk, never held whole.
    with tempfile.TemporaryFile() as body:
        data = _Out(body, depth=1)
        data.start("ClinicalData", StudyOID=study.info.id, MetaDataVersionOID=METADATA_VERSION)
        for subject in subjects:
            _subject(data, meta, subject, users)
            count += 1
        data.end("ClinicalData")
        out = _Out(file)
        file.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        stamp = _stamp(created)
        out.start("ODM", xmlns=NAMESPACE,
                  Description=f"{study.info.id}, {'unblinded' if unblinded else 'blinded'}",
                  FileType="Snapshot", Granularity="All",
                  FileOID=f"{study.info.id}.{stamp.replace('-', '').replace(':', '')}"
                          + (".unblinded" if unblinded else ""),
                  CreationDateTime=stamp, ODMVersion="1.3.2", Originator=study.info.sponsor,
                  SourceSystem=source)
        _definitions(out, study, meta)
        _admin(out, study, users, created)
        body.seek(0)
        shutil.copyfileobj(body, file)
        out.end("ODM")
    return count
