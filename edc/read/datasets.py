"""The trial's data as SDTM-shaped datasets, streamed from the database in batches of children.

Everything is derived from the study definition (forms/) and the stored rows: a new analyte, a
new item of a log form or a new log form appears in the datasets with no code.

    DM       one row per child (the arm only for a role that may see it: edc.read.blinding)
    SUPPDM   what enrolment records beyond DM (weight, height, the screening eGFR)
    EX       one row per infusion
    SV       one row per visit: screening, scheduled, unscheduled, done or not
    LB, VS   one row per stored result (the domain of its item in forms/results.toml), and for
             a log form of a findings domain (vital signs) one row per measure of each entry
    AE, CM, DV, DS ...  one row per entry of each log form (CM holds both medication logs);
             entries removed as entered in error are left out (the audit trail keeps them)
    ADRENAL  the computed measures and outcomes per child and sampled visit: body surface,
             protein per m2 and hour, every eGFR equation, the reference eGFR and its CKD stage,
             the lab's eGFR and its difference, proteinuria, hematuria and renal function

A result is exported as typed (--ORRES, --ORRESU) and in its canonical unit (--STRESN,
--STRESU): the canonical value is the stored one, never recomputed. Dates are ISO 8601 text;
study days (--DY) count from the first infusion (day 1, no day 0), as SDTM's RFSTDTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from edc.formats.datasets import Dataset, Value, Variable
from edc.models import Allocation, LogEntry, Participant, Signature, Visit
from edc.protocol.codes import VisitKind, VisitStatus
from edc.protocol.crf import FINDINGS, CaseReportForm, Field
from edc.protocol.study import LogForm, Study
from edc.read import blinding
from edc.read.participants import trend_or_error
from edc.rules.renal import age_in_years

BATCH = 100
# A findings domain's variables after STUDYID, DOMAIN and USUBJID, without the domain's prefix:
# suffix, label, numeric.
FINDINGS_VARIABLES = (
    ("SEQ", "Sequence Number", True), ("TESTCD", "Short Name of Test", False),
    ("TEST", "Name of Test", False), ("CAT", "Category", False),
    ("ORRES", "Result or Finding in Original Units", False), ("ORRESU", "Original Units", False),
    ("STRESC", "Result or Finding in Standard Format", False),
    ("STRESN", "Numeric Result in Standard Units", True), ("STRESU", "Standard Units", False),
    ("STAT", "Completion Status", False), ("REASND", "Reason Not Done", False),
    ("SPEC", "Specimen Type", False), ("LOINC", "LOINC Code", False),
    ("BLFL", "Baseline Flag", False), ("CONF", "Outside Usual Range, Confirmed", False),
    ("TPT", "Planned Time Point Name", False), ("TPTREF", "Time Point Reference", False),
)
# What a specimen's results are catalogued as (LBCAT).
CATEGORY = {"URINE": "URINALYSIS", "SERUM": "CHEMISTRY", "BLOOD": "CHEMISTRY",
            "PLASMA": "CHEMISTRY"}
EX_TREATMENT_BLINDED = "Blinded study infusion"


# The computed measures of a sampled visit (edc.rules.trends.TrendRow): name, label, how.
MEASURES: list[tuple[str, str, Callable[[Any], Value]]] = [
    ("AGE", "Age at the Sample (years)", lambda r: r.summary.age_years),
    ("BSA", "Body Surface Area (m2, Mosteller)", lambda r: r.summary.bsa_m2),
    ("PRMGM2H", "24-h Protein (mg/m2/h)", lambda r: r.summary.protein_mg_m2_h),
    ("PRMGKG", "24-h Protein (mg/kg/24h)", lambda r: r.summary.protein_mg_kg_24h),
    ("EGFRBSW", "eGFR Bedside Schwartz", lambda r: r.summary.egfr_bedside_schwartz),
    ("EGFRCR", "eGFR CKiD U25 Creatinine", lambda r: r.summary.egfr_u25_creatinine),
    ("EGFRCYS", "eGFR CKiD U25 Cystatin C", lambda r: r.summary.egfr_u25_cystatin),
    ("EGFRCMB", "eGFR CKiD U25 Combined", lambda r: r.summary.egfr_u25_combined),
    ("EGFRREF", "Reference eGFR", lambda r: r.summary.egfr_reference),
    ("LABEGFR", "eGFR Reported by the Lab", lambda r: r.summary.lab_egfr),
    ("LABDIFF", "Lab eGFR Difference from Reference (%)",
     lambda r: r.summary.lab_percent_difference),
]
TEXTS: list[tuple[str, str, Callable[[Any], Value]]] = [
    ("EGFRMETH", "Reference eGFR Equation", lambda r: r.summary.reference_method or ""),
    ("CKDSTAGE", "CKD Stage of the Reference eGFR", lambda r: r.summary.ckd_stage or ""),
    ("BASEFL", "Baseline Period Flag", lambda r: "Y" if r.baseline_period else ""),
    ("PROTOUT", "Proteinuria Outcome", lambda r: r.proteinuria or ""),
    ("HEMAOUT", "Hematuria Outcome", lambda r: r.hematuria or ""),
    ("RENALOUT", "Renal Function Outcome", lambda r: r.renal_function or ""),
    ("EGFRCOMP", "eGFR Equation Compared with Baseline",
     lambda r: r.egfr_compared or ""),
]


def _batches(session: Session, *options: Any) -> Iterator[list[Participant]]:
    """Every child in code order, BATCH at a time, with what `options` load: a fixed number of
    queries per batch, and nothing kept once a batch is written."""
    last = ""
    while True:
        batch = list(session.scalars(
            select(Participant).where(Participant.code > last).order_by(Participant.code)
            .limit(BATCH).options(*options)))
        if not batch:
            return
        yield batch
        last = batch[-1].code


def _entries(session: Session, batch: list[Participant], forms: Sequence[str]
             ) -> dict[int, list[LogEntry]]:
    """The live entries of the batch's children in the given log forms, by child."""
    found: dict[int, list[LogEntry]] = {p.id: [] for p in batch}
    for entry in session.scalars(
            select(LogEntry).where(LogEntry.participant_id.in_(found), LogEntry.form.in_(forms),
                                   LogEntry.removed_reason.is_(None))
            .order_by(LogEntry.participant_id, LogEntry.form, LogEntry.number)):
        found[entry.participant_id].append(entry)
    return found


def _text(text: str | None) -> str:
    """A text on one line, within the 200 bytes a transport file's text may hold."""
    line = " / ".join((text or "").splitlines())
    while len(line.encode("utf-8")) > 200:
        line = line[:-1]
    return line


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _study_day(day: date | None, start: date | None) -> int | None:
    """SDTM's study day: the first infusion is day 1, the day before it day -1."""
    if day is None or start is None:
        return None
    days = (day - start).days
    return days + 1 if days >= 0 else days


def _start(participant: Participant) -> date | None:
    first = participant.infusion(1)
    return first.date if first else None


@dataclass(frozen=True)
class _Ids:
    study: str

    def usubjid(self, participant: Participant) -> str:
        return f"{self.study}-{participant.code}"

    def head(self, domain: str, participant: Participant) -> list[Value]:
        return [self.study, domain, self.usubjid(participant)]


HEAD = (Variable("STUDYID", "Study Identifier"), Variable("DOMAIN", "Domain Abbreviation"),
        Variable("USUBJID", "Unique Subject Identifier"))


def visit_numbers(participant: Participant, study: Study) -> dict[int, float]:
    """VISITNUM by visit id: screening 0, the scheduled visits 1, 2 ... in the schedule's
    order, an unscheduled visit the number of the visit before it plus 0.01 for each."""
    order = {v.code: n for n, v in enumerate(study.schedule.visits, start=1)}
    numbers: dict[int, float] = {}
    previous, extra = 0, 0
    for visit in participant.visits:
        number: float
        if visit.kind == VisitKind.SCREENING:
            previous, extra, number = 0, 0, 0
        elif visit.kind == VisitKind.SCHEDULED:
            previous, extra = order.get(visit.code, 0), 0
            number = previous
        else:
            extra += 1
            number = round(previous + extra / 100, 2)
        numbers[visit.id] = number
    return numbers


class Datasets:
    """The datasets of one export, read with the role's blinding."""

    def __init__(self, session: Session, study: Study, role: str) -> None:
        self.session, self.study, self.role = session, study, role
        self.ids = _Ids(study.info.id)
        self.unblinded = blinding.sees_allocation(role)
        self.results_items = {item.key: item for item in study.results.fields}

    def all(self) -> list[Dataset]:
        """Every dataset, in the order of the files."""
        findings = [log for log in self.study.logs if log.form.domain in FINDINGS]
        events: dict[str, list[LogForm]] = {}
        for log in (*self.study.logs, self.study.termination):
            if log.form.domain not in FINDINGS:
                events.setdefault(log.form.domain, []).append(log)
        return [self.dm(), self.suppdm(), self.ex(), self.sv(),
                *(self.findings(domain, [log for log in findings if log.form.domain == domain])
                  for domain in FINDINGS),
                *(self.events(domain, logs) for domain, logs in events.items()),
                self.adrenal(), self.sign()]

    # --- DM ---------------------------------------------------------------------------------
    def _dm_items(self) -> list[Field]:
        return [item for item in self.study.enrolment_form.fields
                if item.domain == "DM" and item.variable]

    def dm(self) -> Dataset:
        items = self._dm_items()
        variables = [*HEAD, *(Variable(i.variable, i.label[:40]) for i in items),
                     Variable("RFSTDTC", "Subject Reference Start Date/Time"),
                     Variable("RFENDTC", "Subject Reference End Date/Time"),
                     Variable("AGE", "Age", numeric=True), Variable("AGEU", "Age Units"),
                     Variable("DMSTAT", "Status in the Study")]
        if self.unblinded:
            variables += [Variable("ARMCD", "Planned Arm Code"),
                          Variable("ARM", "Description of Planned Arm")]
        arms = {arm.code: arm.label for arm in self.study.arms}

        def rows() -> Iterator[list[Value]]:
            for batch in _batches(self.session, selectinload(Participant.infusions),
                                  selectinload(Participant.visits)):
                allocated = self._arms(batch)
                ends = self._termination_dates(batch)
                for p in batch:
                    # The end of participation: the termination, else the last visit done
                    # since the first infusion (none before it).
                    start = _start(p)
                    done = [v.actual_date for v in p.visits if v.status == VisitStatus.DONE
                            and v.actual_date and start and v.actual_date >= start]
                    end = ends.get(p.id) or (max(done) if done else None)
                    row = [*self.ids.head("DM", p),
                           *(self._enrolment_value(p, item) for item in items),
                           _iso(start), _iso(end),
                           int(age_in_years(p.date_of_birth, p.consent_date)), "YEARS",
                           p.status.upper()]
                    if self.unblinded:
                        code = allocated.get(p.id, "")
                        row += [code, arms.get(code, "")]
                    yield row
        return Dataset("DM", "Demographics", tuple(variables), rows)

    def _arms(self, batch: list[Participant]) -> dict[int, str]:
        if not self.unblinded:
            return {}
        return dict(self.session.execute(
            select(Allocation.participant_id, Allocation.arm)
            .where(Allocation.participant_id.in_([p.id for p in batch]))).all())

    def _termination_dates(self, batch: list[Participant]) -> dict[int, date]:
        form = self.study.termination
        start = form.form.by_role("start").key
        return {pid: date.fromisoformat(entries[-1].values[start])
                for pid, entries in _entries(self.session, batch, [form.name]).items()
                if entries and entries[-1].values.get(start)}

    @staticmethod
    def _enrolment_value(participant: Participant, item: Field) -> Value:
        value = getattr(participant, item.key, None)
        if item.key == "code" or item.variable == "SUBJID":
            return participant.code
        return _iso(value) if isinstance(value, date) else value

    def suppdm(self) -> Dataset:
        items = [item for item in self.study.enrolment_form.fields
                 if item.domain != "DM" and hasattr(Participant, item.key)]
        variables = (Variable("STUDYID", "Study Identifier"),
                     Variable("RDOMAIN", "Related Domain Abbreviation"),
                     Variable("USUBJID", "Unique Subject Identifier"),
                     Variable("QNAM", "Qualifier Variable Name"),
                     Variable("QLABEL", "Qualifier Variable Label"),
                     Variable("QVAL", "Data Value"), Variable("QORIG", "Origin"))

        def rows() -> Iterator[list[Value]]:
            for batch in _batches(self.session):
                for p in batch:
                    for item in items:
                        value = getattr(p, item.key)
                        unit = f" {item.canonical_unit.code}" if item.units else ""
                        name = item.canonical_unit.cdisc if item.units else item.key
                        yield [self.ids.study, "DM", self.ids.usubjid(p), name.upper()[:8],
                               item.label[:40], f"{value:g}{unit}", "CRF"]
        return Dataset("SUPPDM", "Supplemental Qualifiers for DM", variables, rows)

    # --- EX ---------------------------------------------------------------------------------
    def ex(self) -> Dataset:
        variables = (*HEAD, Variable("EXSEQ", "Sequence Number", numeric=True),
                     Variable("EXTRT", "Name of Treatment"),
                     Variable("EXDOSE", "Dose", numeric=True), Variable("EXDOSU", "Dose Units"),
                     Variable("EXROUTE", "Route of Administration"),
                     Variable("EXLOT", "Lot Number"),
                     Variable("EXVAMT", "Treatment Vehicle Amount", numeric=True),
                     Variable("EXVAMTU", "Treatment Vehicle Amount Units"),
                     Variable("EXWEIGHT", "Weight on the Day (kg)", numeric=True),
                     Variable("EXSTDTC", "Start Date/Time of Treatment"),
                     Variable("EXSTDY", "Study Day of Start of Treatment", numeric=True),
                     Variable("EXWINDEV", "Days Outside the Window", numeric=True))
        arms = {arm.code: arm.label for arm in self.study.arms}

        def rows() -> Iterator[list[Value]]:
            for batch in _batches(self.session, selectinload(Participant.infusions)):
                allocated = self._arms(batch)
                for p in batch:
                    treatment = (arms.get(allocated.get(p.id, ""), "") if self.unblinded
                                 else EX_TREATMENT_BLINDED)
                    for infusion in p.infusions:
                        yield [*self.ids.head("EX", p), infusion.number, treatment,
                               infusion.dose_cells_per_kg, "cells/kg", "INTRAVENOUS",
                               infusion.product_lot, infusion.volume_ml, "mL",
                               infusion.weight_kg, _iso(infusion.date),
                               _study_day(infusion.date, _start(p)),
                               infusion.window_deviation_days]
        return Dataset("EX", "Exposure", variables, rows)

    # --- SV ---------------------------------------------------------------------------------
    def sv(self) -> Dataset:
        variables = (*HEAD, Variable("VISITNUM", "Visit Number", numeric=True),
                     Variable("VISIT", "Visit Name"),
                     Variable("VISITDY", "Planned Study Day of Visit", numeric=True),
                     Variable("SVPRESP", "Pre-specified"),
                     Variable("SVOCCUR", "Occurrence"), Variable("SVSTAT", "Visit Status"),
                     Variable("SVREASOC", "Reason for Occur Value"),
                     Variable("SVTGTDTC", "Target Date"),
                     Variable("SVWINST", "Window Start Date"),
                     Variable("SVWINEN", "Window End Date"),
                     Variable("SVBOOKDT", "Booked Date"),
                     Variable("SVSTDTC", "Start Date/Time of Visit"),
                     Variable("SVSTDY", "Study Day of Start of Visit", numeric=True),
                     Variable("SVSMPDEV", "Days the Sample was Outside the Window",
                              numeric=True))

        def rows() -> Iterator[list[Value]]:
            for batch in _batches(self.session, selectinload(Participant.infusions),
                                  selectinload(Participant.visits)):
                for p in batch:
                    numbers, start = visit_numbers(p, self.study), _start(p)
                    for v in p.visits:
                        occurred = {VisitStatus.DONE: "Y", VisitStatus.MISSED: "N",
                                    VisitStatus.CANCELLED: "N"}.get(VisitStatus(v.status), "")
                        yield [*self.ids.head("SV", p), numbers[v.id], v.label,
                               _study_day(v.target_date, start),
                               "Y" if v.kind == VisitKind.SCHEDULED else "",
                               occurred, v.status.upper(),
                               v.missed_reason or v.cancelled_reason or "",
                               _iso(v.target_date), _iso(v.window_start), _iso(v.window_end),
                               _iso(v.booked_date), _iso(v.actual_date),
                               _study_day(v.actual_date, start),
                               v.sample_deviation_days if v.actual_date else None]
        return Dataset("SV", "Subject Visits", variables, rows)

    # --- LB and VS ---------------------------------------------------------------------------
    def findings(self, domain: str, logs: list[LogForm]) -> Dataset:
        """The results of the domain's items, then each measure of the domain's log forms."""
        variables = [*HEAD, *(Variable(f"{domain}{suffix}", label, numeric)
                              for suffix, label, numeric in FINDINGS_VARIABLES),
                     Variable("VISITNUM", "Visit Number", numeric=True),
                     Variable("VISIT", "Visit Name"),
                     Variable(f"{domain}DTC", "Date/Time of Specimen Collection"
                              if domain == "LB" else "Date/Time of Measurements"),
                     Variable(f"{domain}DY", "Study Day of Collection", numeric=True)]
        if domain == "LB":
            variables.append(Variable("LBSMPDEV", "Days the Sample was Outside the Window",
                                      numeric=True))
        keys = [item.key for item in self.study.results.fields if item.domain == domain]
        names = [log.name for log in logs]

        def rows() -> Iterator[list[Value]]:
            for batch in _batches(self.session, selectinload(Participant.infusions),
                                  selectinload(Participant.visits).selectinload(Visit.results)):
                entries = _entries(self.session, batch, names) if names else {}
                for p in batch:
                    baseline = self._baseline_results(p) if domain == "LB" else set()
                    numbers, start, seq = visit_numbers(p, self.study), _start(p), 0
                    for v in p.visits:
                        for r in v.results:
                            if r.field not in keys:
                                continue
                            seq += 1
                            item = self.results_items[r.field]
                            typed = self._typed_unit_label(item, r.typed_unit)
                            standard = (r.qualifier or ("" if r.value is None
                                                        else f"{r.value:g}"))
                            row = [*self.ids.head(domain, p), seq, r.test_code, item.label,
                                   CATEGORY.get(item.specimen, "") if domain == "LB" else "",
                                   r.typed_value or r.qualifier or "", typed, standard,
                                   r.value, r.unit or "",
                                   "NOT DONE" if r.not_done_reason is not None else "",
                                   r.not_done_reason or "", item.specimen, r.loinc or "",
                                   "Y" if r.id in baseline else "",
                                   "Y" if r.warn_confirmed else "", "", "",
                                   numbers[v.id], v.label, _iso(v.actual_date),
                                   _study_day(v.actual_date, start)]
                            if domain == "LB":
                                row.append(v.sample_deviation_days if v.actual_date else None)
                            yield row
                    for entry in entries.get(p.id, []):
                        for row in self._measures(domain, p, entry, start):
                            seq += 1
                            yield [*row[:3], seq, *row[3:],
                                   *([None] if domain == "LB" else [])]
        return Dataset(domain, "Laboratory Test Results" if domain == "LB" else "Vital Signs",
                       tuple(variables), rows)

    @staticmethod
    def _typed_unit_label(item: Field, code: str | None) -> str:
        if not code:
            return ""
        unit = item.unit(code)
        return unit.code if unit else code

    def _baseline_results(self, participant: Participant) -> set[int]:
        """The ids of the results the trend takes as the child's baseline (LBBLFL = Y)."""
        trend, _error = trend_or_error(participant, self.study.results, self.study.outcomes)
        if trend is None:
            return set()
        wanted = {(b.code, b.measurement.key) for b in trend.baseline.values()}
        return {r.id for v in participant.visits for r in v.results
                if (v.code, r.field) in wanted}

    def _measures(self, domain: str, participant: Participant, entry: LogEntry,
                  start: date | None) -> Iterator[list[Value]]:
        """One row per measure (an item with units) of a findings log entry, without --SEQ."""
        form = self.study.any_log(entry.form).form
        qualifiers = _qualifiers(form, entry)
        when = qualifiers.get(f"{domain}DTC", "")
        day = date.fromisoformat(str(when)[:10]) if when else None
        for item in form.fields:
            if not item.units:
                continue
            value = entry.values.get(item.key)
            unit = item.canonical_unit
            shown = "" if value is None else f"{float(value):g}"
            yield [*self.ids.head(domain, participant), unit.cdisc, item.label,
                   "", shown, unit.code, shown,
                   None if value is None else float(value), unit.code,
                   "NOT DONE" if value is None else "", "", "", unit.loinc, "", "",
                   str(qualifiers.get(f"{domain}TPT", "")),
                   str(qualifiers.get(f"{domain}TPTREF", "")), None, "",
                   when, _study_day(day, start)]

    # --- AE, CM, DV, DS ----------------------------------------------------------------------
    def events(self, domain: str, logs: list[LogForm]) -> Dataset:
        """One row per live entry of the domain's log forms; each item is its CDISC variable."""
        columns: list[Variable] = []
        for log in logs:
            for name, label in _event_columns(log.form):
                if name not in {c.name for c in columns}:
                    numeric = any(i.type in ("number", "integer")
                                  for i in log.form.fields if _variable(log.form, i) == name)
                    columns.append(Variable(name, label[:40], numeric=numeric))
        variables = (*HEAD, Variable(f"{domain}SEQ", "Sequence Number", numeric=True),
                     Variable(f"{domain}SPID", "Sponsor-Defined Identifier"), *columns,
                     Variable(f"{domain}STDY", "Study Day of Start", numeric=True))
        names = [log.name for log in logs]
        start_variable = f"{domain}STDTC"

        def rows() -> Iterator[list[Value]]:
            for batch in _batches(self.session, selectinload(Participant.infusions)):
                entries = _entries(self.session, batch, names)
                for p in batch:
                    for seq, entry in enumerate(entries[p.id], start=1):
                        form = self.study.any_log(entry.form).form
                        found = _qualifiers(form, entry)
                        begun = str(found.get(start_variable, "") or "")
                        yield [*self.ids.head(domain, p), seq, f"{entry.form}-{entry.number}",
                               *(found.get(c.name, None if c.numeric else "")
                                 for c in columns),
                               _study_day(date.fromisoformat(begun[:10]) if begun else None,
                                          _start(p))]
        label = logs[0].form.title if len(logs) == 1 else {
            "CM": "Concomitant Medications"}.get(domain, domain)
        return Dataset(domain, label[:40], variables, rows)

    # --- ADRENAL -----------------------------------------------------------------------------
    # --- SIGN: the investigator's signatures of the casebooks, in force and voided ---------
    def sign(self) -> Dataset:
        variables = (Variable("STUDYID", "Study Identifier"),
                     Variable("USUBJID", "Unique Subject Identifier"),
                     Variable("SIGNBY", "Signed By (User Name)"),
                     Variable("SIGNNAME", "Printed Name of the Signer"),
                     Variable("SIGNMEAN", "Meaning of the Signature"),
                     Variable("SIGNDTC", "Date/Time of Signature (UTC)"),
                     Variable("VOIDDTC", "Date/Time Voided (UTC)"),
                     Variable("VOIDRSN", "Why Voided"))

        def rows() -> Iterator[list[Value]]:
            for signature, code in self.session.execute(
                    select(Signature, Participant.code)
                    .join(Participant, Participant.id == Signature.participant_id)
                    .order_by(Participant.code, Signature.id)):
                yield [self.ids.study, f"{self.ids.study}-{code}", signature.signed_by,
                       _text(signature.printed_name), _text(signature.meaning),
                       _utc(signature.signed_at), _utc(signature.voided_at),
                       _text(signature.voided_reason)]
        return Dataset("SIGN", "Casebook Signatures", variables, rows)

    def adrenal(self) -> Dataset:
        variables = (Variable("STUDYID", "Study Identifier"),
                     Variable("USUBJID", "Unique Subject Identifier"),
                     Variable("VISITNUM", "Visit Number", numeric=True),
                     Variable("VISIT", "Visit Name"), Variable("ADT", "Sample Date"),
                     Variable("ADY", "Study Day of the Sample", numeric=True),
                     *(Variable(name, label, numeric=True) for name, label, _ in MEASURES),
                     *(Variable(name, label) for name, label, _ in TEXTS),
                     Variable("TRENDERR", "Why the Measures Could Not Be Computed"))

        def rows() -> Iterator[list[Value]]:
            for batch in _batches(self.session, selectinload(Participant.infusions),
                                  selectinload(Participant.visits).selectinload(Visit.results)):
                for p in batch:
                    trend, error = trend_or_error(p, self.study.results, self.study.outcomes)
                    by_id = visit_numbers(p, self.study)
                    numbers = {v.code: by_id[v.id] for v in p.visits}
                    if trend is None:
                        yield [self.ids.study, self.ids.usubjid(p), None, "", "", None,
                               *(None for _ in MEASURES), *("" for _ in TEXTS), error or ""]
                        continue
                    for row in trend.rows:
                        yield [self.ids.study, self.ids.usubjid(p), numbers.get(row.code),
                               row.label, _iso(row.sample_date),
                               _study_day(row.sample_date, _start(p)),
                               *(get(row) for _, _, get in MEASURES),
                               *(get(row) for _, _, get in TEXTS), ""]
        return Dataset("ADRENAL", "Computed Renal Measures and Outcomes", variables, rows)

    # --- wide --------------------------------------------------------------------------------
    def wide(self) -> Dataset:
        """One row per child and visit, one column per results item (in its canonical unit,
        with a unit column where an item is more than one test), then the computed measures."""
        items = self.study.results.fields
        several = {item.key for item in items
                   if len({unit.canonical for unit in item.units}) > 1}
        columns: list[Variable] = [
            Variable("USUBJID", ""), Variable("SUBJID", ""),
            *([Variable("ARMCD", "")] if self.unblinded else []),
            Variable("VISITNUM", "", numeric=True), Variable("VISITCD", ""),
            Variable("VISIT", ""), Variable("STATUS", ""), Variable("TARGET", ""),
            Variable("WINDOW_START", ""), Variable("WINDOW_END", ""), Variable("BOOKED", ""),
            Variable("SAMPLE_DATE", ""), Variable("STUDY_DAY", "", numeric=True)]
        for item in items:
            unit = "" if item.key in several or not item.units else item.canonical_unit.code
            columns.append(Variable(f"{item.key} ({unit})" if unit else item.key, item.label,
                                    numeric=not item.qualitative))
            if item.key in several:
                columns.append(Variable(f"{item.key}_unit", f"{item.label} unit"))
        columns += [Variable(name, label, numeric=True) for name, label, _ in MEASURES]
        columns += [Variable(name, label) for name, label, _ in TEXTS]

        def rows() -> Iterator[list[Value]]:
            for batch in _batches(self.session, selectinload(Participant.infusions),
                                  selectinload(Participant.visits).selectinload(Visit.results)):
                allocated = self._arms(batch)
                for p in batch:
                    trend, _error = trend_or_error(p, self.study.results, self.study.outcomes)
                    computed = {row.code: row for row in trend.rows} if trend else {}
                    numbers, start = visit_numbers(p, self.study), _start(p)
                    for v in p.visits:
                        stored = {r.field: r for r in v.results}
                        row: list[Value] = [
                            self.ids.usubjid(p), p.code,
                            *([allocated.get(p.id, "")] if self.unblinded else []),
                            numbers[v.id], v.code, v.label, v.status, _iso(v.target_date),
                            _iso(v.window_start), _iso(v.window_end), _iso(v.booked_date),
                            _iso(v.actual_date), _study_day(v.actual_date, start)]
                        for item in items:
                            r = stored.get(item.key)
                            row.append(None if r is None else "NOT DONE"
                                       if r.not_done_reason is not None else r.qualifier
                                       if r.qualifier else r.value)
                            if item.key in several:
                                row.append("" if r is None else r.unit or "")
                        found = computed.get(v.code)
                        row += [get(found) if found else None for _, _, get in MEASURES]
                        row += [get(found) if found else "" for _, _, get in TEXTS]
                        yield row
        return Dataset("WIDE", "One row per child and visit", tuple(columns), rows)


def _event_columns(form: CaseReportForm) -> list[tuple[str, str]]:
    """The variables of a log form's rows in item order: an item's CDISC variable (items
    sharing one make one column), its unit's variable beside a number typed in a unit chosen
    beside it (CMDOSE, CMDOSU), and one Y/N flag per code of a multichoice whose codes are
    variables of the domain (AESDTH ...)."""
    columns: list[tuple[str, str]] = []
    for item in form.fields:
        name = _variable(form, item)
        if _flags(form, item):
            columns += [(choice.code, choice.label) for choice in item.choices.choices]
            continue
        columns.append((name, item.label))
        if len(item.units) > 1:
            columns.append((name[:-1] + "U" if name.endswith("E") else f"{name[:7]}U",
                            f"{item.label} Units"))
    seen: set[str] = set()
    return [c for c in columns if not (c[0] in seen or seen.add(c[0]))]


def _variable(form: CaseReportForm, item: Field) -> str:
    return item.variable or f"{form.domain}{item.key.upper().replace('_', '')}"[:8]


def _flags(form: CaseReportForm, item: Field) -> bool:
    return (item.type == "multichoice" and item.choices is not None
            and all(c.code.startswith(form.domain) for c in item.choices.choices))


def _qualifiers(form: CaseReportForm, entry: LogEntry) -> dict[str, Value]:
    """An entry's values by CDISC variable: a date and a time sharing a variable make one ISO
    date-time; a coded Other gives way to the text that names it; yes/no is Y/N; a chosen
    set is its codes joined by ';' (or one Y/N flag per code, see _event_columns)."""
    found: dict[str, Value] = {}
    for item in form.fields:
        name, value = _variable(form, item), entry.values.get(item.key)
        if _flags(form, item):
            chosen = set(value or [])
            for choice in item.choices.choices:
                found[choice.code] = "Y" if choice.code in chosen else "N"
            continue
        if isinstance(value, dict):  # a number typed in a unit chosen beside it
            unit_name = name[:-1] + "U" if name.endswith("E") else f"{name[:7]}U"
            found[unit_name] = value.get("unit") or ""
            value = value.get("value")
        if item.type == "yesno" and value is not None:
            value = "Y" if value == "yes" else "N"
        elif item.type == "multichoice" and value is not None:
            value = ";".join(value)
        if value is None or value == "":
            found.setdefault(name, None if item.type in ("number", "integer") else "")
            continue
        before = found.get(name)
        if before in (None, "", "OTHER"):
            found[name] = value
        elif item.type == "time":
            found[name] = f"{before}T{value}"
        else:
            found[name] = f"{before}; {value}"
    return found
