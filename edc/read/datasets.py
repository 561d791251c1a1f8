"""The trial's data as SDTM-shaped datasets, streamed from the database in batches of children,
read as plain rows (named tuples of columns, no ORM objects).

Everything is derived from the study definition (forms/) and the stored rows: a new analyte, a
new item of a log form or a new log form appears in the datasets with no code.

    DM       one row per child (the arm only for a role that may see it: edc.read.blinding)
    SUPPDM   what enrolment records beyond DM (weight, height, the screening eGFR), and infusion 2
             not given with why
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

import marshal
import tempfile
from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

from sqlalchemy import JSON, Connection, select
from sqlalchemy.orm import Session

from edc.formats.datasets import Dataset, Value, Variable
from edc.models import (
    Allocation,
    Infusion,
    LogEntry,
    Participant,
    Result,
    Signature,
    UTCDateTime,
    Visit,
)
from edc.protocol.codes import VisitKind, VisitStatus
from edc.protocol.crf import FINDINGS, CaseReportForm, Field
from edc.protocol.study import LogForm, Study
from edc.read import blinding
from edc.read import deviations as deviation_reads
from edc.read.participants import visit_results
from edc.rules.renal import age_in_years
from edc.rules.trends import Trend, trend

BATCH = 100
Row = Any  # a stored row as a named tuple of its columns (see _plain)
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


def _measure(value: float | None) -> float | None:
    """A computed measure to 15 significant digits: what the arithmetic means, without the
    binary rounding of its last digit (114.09125, not 114.09125000000002)."""
    return None if value is None else float(f"{value:.15g}")


# The computed measures of a sampled visit (edc.rules.trends.TrendRow): name, label, how.
MEASURES: list[tuple[str, str, Callable[[Any], Value]]] = [
    ("AGE", "Age at the Sample (years)", lambda r: _measure(r.summary.age_years)),
    ("BSA", "Body Surface Area (m2, Mosteller)", lambda r: _measure(r.summary.bsa_m2)),
    ("PRMGM2H", "24-h Protein (mg/m2/h)", lambda r: _measure(r.summary.protein_mg_m2_h)),
    ("PRMGKG", "24-h Protein (mg/kg/24h)", lambda r: _measure(r.summary.protein_mg_kg_24h)),
    ("EGFRBSW", "eGFR Bedside Schwartz", lambda r: _measure(r.summary.egfr_bedside_schwartz)),
    ("EGFRCR", "eGFR CKiD U25 Creatinine", lambda r: _measure(r.summary.egfr_u25_creatinine)),
    ("EGFRCYS", "eGFR CKiD U25 Cystatin C", lambda r: _measure(r.summary.egfr_u25_cystatin)),
    ("EGFRCMB", "eGFR CKiD U25 Combined", lambda r: _measure(r.summary.egfr_u25_combined)),
    ("EGFRREF", "Reference eGFR", lambda r: _measure(r.summary.egfr_reference)),
    ("LABEGFR", "eGFR Reported by the Lab", lambda r: _measure(r.summary.lab_egfr)),
    ("LABDIFF", "Lab eGFR Difference from Reference (%)",
     lambda r: _measure(r.summary.lab_percent_difference)),
]
# The texts of a sampled visit, from its row and the child's whole trend.
TEXTS: list[tuple[str, str, Callable[[Any, Any], Value]]] = [
    ("EGFRMETH", "Reference eGFR Equation", lambda r, t: r.summary.reference_method or ""),
    ("CKDSTAGE", "CKD Stage of the Reference eGFR", lambda r, t: r.summary.ckd_stage or ""),
    # Every sample before infusion 1: the baselines of the analytes may come from several.
    ("BASEFL", "Baseline Period Flag", lambda r, t: "Y" if r.baseline_period else ""),
    # The one sample whose reference eGFR is the baseline of the renal function outcome.
    ("EGFRBLFL", "Baseline eGFR Record Flag",
     lambda r, t: "Y" if r is t.egfr_baseline_row else ""),
    ("PROTOUT", "Proteinuria Outcome", lambda r, t: r.proteinuria or ""),
    ("HEMAOUT", "Hematuria Outcome", lambda r, t: r.hematuria or ""),
    ("RENALOUT", "Renal Function Outcome", lambda r, t: r.renal_function or ""),
    ("EGFRCOMP", "eGFR Equation Compared with Baseline",
     lambda r, t: r.egfr_compared or ""),
]


@dataclass(frozen=True)
class _Batch:
    """BATCH children in code order and what a dataset asked to read of them, as plain rows
    (no ORM objects): each child's infusions by number, visits in the schedule's order,
    results by visit in the order entered, live log entries and arm."""

    children: Sequence[Row]
    infusions: Mapping[int, list[Row]]
    visits: Mapping[int, list[Row]]
    results: Mapping[int, list[Row]]
    entries: Mapping[int, list[Row]]
    arms: Mapping[int, str]

    def start(self, child: Row) -> date | None:
        """The day of the child's first infusion, the reference of the study days."""
        return next((i.date for i in self.infusions.get(child.id, ()) if i.number == 1), None)


def _columns(model: type, first: str = "id") -> list[Any]:
    """The columns of a model's table that the datasets may read, `first` first (no dataset
    writes a JSON column or a time stamp, and decoding them would cost on every row)."""
    table = model.__table__  # type: ignore[attr-defined]
    return [table.c[first], *(column for column in table.c if column.key != first
                              and not isinstance(column.type, (JSON, UTCDateTime)))]


def _plain(connection: Connection, query: Any) -> list[Any]:
    """A query's rows, fetched at once, as named tuples (reading a field of one costs a
    tenth of a SQLAlchemy row's)."""
    result = connection.execute(query)
    keys = tuple(result.keys())
    shape = _SHAPES.get(keys)
    if shape is None:
        shape = _SHAPES[keys] = namedtuple("Row", keys)  # type: ignore[misc]
    return list(map(shape._make, result.all()))


_SHAPES: dict[tuple[str, ...], type] = {}


def _grouped(connection: Connection, query: Any) -> dict[int, list[Any]]:
    """The rows of a query by their first column."""
    found: dict[int, list[Any]] = defaultdict(list)
    for row in _plain(connection, query):
        found[row[0]].append(row)
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


@dataclass(frozen=True)
class _Ids:
    study: str

    def usubjid(self, participant: Row) -> str:
        return f"{self.study}-{participant.code}"

    def head(self, domain: str, participant: Row) -> list[Value]:
        return [self.study, domain, self.usubjid(participant)]


HEAD = (Variable("STUDYID", "Study Identifier"), Variable("DOMAIN", "Domain Abbreviation"),
        Variable("USUBJID", "Unique Subject Identifier"))


class Datasets:
    """The datasets of one export, read with the role's blinding."""

    def __init__(self, session: Session, study: Study, role: str) -> None:
        self.session, self.study, self.role = session, study, role
        self.ids = _Ids(study.info.id)
        self.unblinded = blinding.sees_allocation(role)
        self.results_items = {item.key: item for item in study.results.fields}
        self.visit_order = {v.code: n for n, v in enumerate(study.schedule.visits, start=1)}
        # The ADRENAL rows, written to a temporary file as the LB pass computes each child's
        # trend (its baseline flags LB), so the trend is computed once per child.
        self._adrenal: IO[bytes] | None = None

    def close(self) -> None:
        """Remove what the datasets wrote aside."""
        if self._adrenal is not None:
            self._adrenal.close()
            self._adrenal = None

    def __enter__(self) -> Datasets:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    def _batches(self, *, infusions: bool = False, visits: bool = False,
                 results: bool = False, fields: Sequence[str] | None = None,
                 forms: Sequence[str] = (), arms: bool = False) -> Iterator[_Batch]:
        """Every child in code order, BATCH at a time, with what is asked (the results of the
        given fields only, when given): a fixed number of queries per batch, and nothing kept
        once a batch is written."""
        # The session's connection, in its transaction: Core rows, without the ORM's loading.
        session, last = self.session.connection(), ""
        while True:
            children = _plain(session, select(*_columns(Participant))
                              .where(Participant.code > last)
                              .order_by(Participant.code).limit(BATCH))
            if not children:
                return
            ids = [child.id for child in children]
            yield _Batch(
                children,
                _grouped(session, select(*_columns(Infusion, "participant_id"))
                         .where(Infusion.participant_id.in_(ids))
                         .order_by(Infusion.participant_id, Infusion.number))
                if infusions else {},
                _grouped(session, select(*_columns(Visit, "participant_id"))
                         .where(Visit.participant_id.in_(ids))
                         .order_by(Visit.participant_id, Visit.target_date, Visit.code,
                                   Visit.id)) if visits else {},
                _grouped(session, select(*_columns(Result, "visit_id"))
                         .where(Result.visit_id.in_(
                             select(Visit.id).where(Visit.participant_id.in_(ids))),
                                *([] if fields is None else [Result.field.in_(fields)]))
                         .order_by(Result.id)) if results else {},
                _grouped(session, select(LogEntry.participant_id, LogEntry.form,
                                         LogEntry.number, LogEntry.values)
                         .where(LogEntry.participant_id.in_(ids), LogEntry.form.in_(forms),
                                LogEntry.removed_reason.is_(None))
                         .order_by(LogEntry.participant_id, LogEntry.form, LogEntry.number))
                if forms else {},
                dict(session.execute(select(Allocation.participant_id, Allocation.arm)
                                     .where(Allocation.participant_id.in_(ids))).all())
                if arms and self.unblinded else {})
            last = children[-1].code

    def visit_numbers(self, visits: Sequence[Row]) -> dict[int, float]:
        """VISITNUM by visit id: screening 0, the scheduled visits 1, 2 ... in the schedule's
        order, an unscheduled visit the number of the visit before it plus 0.01 for each (the
        screening visit listed after an unscheduled one, whose target is later, numbers those
        after it on: every number is a child's once)."""
        order = self.visit_order
        numbers: dict[int, float] = {}
        previous, extra = 0, 0
        for visit in visits:
            number: float
            if visit.kind == VisitKind.SCREENING:
                number = 0
                if previous != 0:
                    previous, extra = 0, 0
            elif visit.kind == VisitKind.SCHEDULED:
                previous, extra = order.get(visit.code, 0), 0
                number = previous
            else:
                extra += 1
                number = round(previous + extra / 100, 2)
            numbers[visit.id] = number
        return numbers

    def _trend(self, child: Row, visits: Sequence[Row], results: Mapping[int, list[Row]],
               start: date | None) -> tuple[Trend | None, str | None]:
        """The child's trend from the stored rows, or why it cannot be computed (as the
        participant's page computes it)."""
        try:
            sampled = [visit_results(v, results.get(v.id, ())) for v in visits]
            return trend(sampled, form=self.study.results, sex=child.sex,
                         date_of_birth=child.date_of_birth, first_infusion=start,
                         outcomes=self.study.outcomes), None
        except ValueError as error:
            return None, str(error)

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
        variables = [*HEAD, *(Variable(i.variable, i.label[:40], typed=i.type == "text")
                              for i in items),
                     Variable("RFSTDTC", "Subject Reference Start Date/Time"),
                     Variable("RFENDTC", "Subject Reference End Date/Time"),
                     Variable("AGE", "Age", numeric=True), Variable("AGEU", "Age Units"),
                     Variable("DMSTAT", "Status in the Study")]
        if self.unblinded:
            variables += [Variable("ARMCD", "Planned Arm Code"),
                          Variable("ARM", "Description of Planned Arm")]
        arms = {arm.code: arm.label for arm in self.study.arms}
        termination = self.study.termination
        ended = termination.form.by_role("start").key
        done = VisitStatus.DONE

        def rows() -> Iterator[list[Value]]:
            for batch in self._batches(infusions=True, visits=True, arms=True,
                                       forms=[termination.name]):
                for p in batch.children:
                    # The end of participation: the termination, else the last day at the
                    # clinic since the first infusion (none before it): a visit done or an
                    # infusion (infusion 2 may follow an unscheduled visit).
                    start = batch.start(p)
                    entries = batch.entries.get(p.id)
                    end = (date.fromisoformat(entries[-1].values[ended])
                           if entries and entries[-1].values.get(ended) else None)
                    if end is None and start:
                        end = max([*(v.actual_date for v in batch.visits.get(p.id, ())
                                     if v.status == done and v.actual_date
                                     and v.actual_date >= start),
                                   *(i.date for i in batch.infusions.get(p.id, ()))],
                                  default=None)
                    row = [*self.ids.head("DM", p),
                           *(self._enrolment_value(p, item) for item in items),
                           _iso(start), _iso(end),
                           int(age_in_years(p.date_of_birth, p.consent_date)), "YEARS",
                           p.status.upper()]
                    if self.unblinded:
                        code = batch.arms.get(p.id, "")
                        row += [code, arms.get(code, "")]
                    yield row
        return Dataset("DM", "Demographics", tuple(variables), rows)

    @staticmethod
    def _enrolment_value(participant: Row, item: Field) -> Value:
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
                     Variable("QVAL", "Data Value", typed=True), Variable("QORIG", "Origin"))
        # Per item: its key, QNAM, QLABEL and the unit written after the value.
        plan = [(item.key,
                 (item.canonical_unit.cdisc if item.units else item.key).upper()[:8],
                 item.label[:40], f" {item.canonical_unit.code}" if item.units else "")
                for item in items]

        def rows() -> Iterator[list[Value]]:
            study = self.ids.study
            for batch in self._batches():
                for p in batch.children:
                    usubjid = self.ids.usubjid(p)
                    for key, name, label, unit in plan:
                        yield [study, "DM", usubjid, name, label,
                               f"{getattr(p, key):g}{unit}", "CRF"]
                    # Infusion 2 not given (follow-up counts from infusion 1), and why: EX
                    # has no row for it, and "not yet given" looks the same there.
                    if p.anchor_infusion == 1:
                        yield [study, "DM", usubjid, "INF2NG", "Infusion 2 Not Given", "Y",
                               "CRF"]
                        yield [study, "DM", usubjid, "INF2NGRS", "Why Infusion 2 Not Given",
                               p.anchor_reason or "", "CRF"]
        return Dataset("SUPPDM", "Supplemental Qualifiers for DM", variables, rows)

    # --- EX ---------------------------------------------------------------------------------
    def ex(self) -> Dataset:
        variables = (*HEAD, Variable("EXSEQ", "Sequence Number", numeric=True),
                     Variable("EXTRT", "Name of Treatment"),
                     Variable("EXDOSE", "Dose", numeric=True), Variable("EXDOSU", "Dose Units"),
                     Variable("EXROUTE", "Route of Administration"),
                     Variable("EXLOT", "Lot Number", typed=True),
                     Variable("EXVAMT", "Treatment Vehicle Amount", numeric=True),
                     Variable("EXVAMTU", "Treatment Vehicle Amount Units"),
                     Variable("EXWEIGHT", "Weight on the Day (kg)", numeric=True),
                     Variable("EXSTDTC", "Start Date/Time of Treatment"),
                     Variable("EXSTDY", "Study Day of Start of Treatment", numeric=True),
                     Variable("EXWINDEV", "Days Outside the Window", numeric=True))
        arms = {arm.code: arm for arm in self.study.arms}

        def rows() -> Iterator[list[Value]]:
            for batch in self._batches(infusions=True, arms=True):
                for p in batch.children:
                    arm = arms.get(batch.arms.get(p.id, "")) if self.unblinded else None
                    treatment = (EX_TREATMENT_BLINDED if not self.unblinded
                                 else arm.label if arm else "")
                    head, start = self.ids.head("EX", p), batch.start(p)
                    for infusion in batch.infusions.get(p.id, ()):
                        # Blinded, the dose planned for every child; unblinded, what was given.
                        dose = (0.0 if arm is not None and arm.placebo
                                else infusion.dose_cells_per_kg)
                        yield [*head, infusion.number, treatment, dose, "cells/kg", "INTRAVENOUS",
                               infusion.product_lot, infusion.volume_ml, "mL",
                               infusion.weight_kg, _iso(infusion.date),
                               _study_day(infusion.date, start),
                               infusion.window_deviation_days]
        return Dataset("EX", "Exposure", variables, rows)

    # --- SV ---------------------------------------------------------------------------------
    def sv(self) -> Dataset:
        variables = (*HEAD, Variable("VISITNUM", "Visit Number", numeric=True),
                     Variable("VISIT", "Visit Name"),
                     Variable("VISITDY", "Planned Study Day of Visit", numeric=True),
                     Variable("SVPRESP", "Pre-specified"),
                     Variable("SVOCCUR", "Occurrence"), Variable("SVSTAT", "Visit Status"),
                     Variable("SVREASOC", "Reason for Occur Value", typed=True),
                     Variable("SVTGTDTC", "Target Date"),
                     Variable("SVWINST", "Window Start Date"),
                     Variable("SVWINEN", "Window End Date"),
                     Variable("SVBOOKDT", "Booked Date"),
                     Variable("SVSTDTC", "Start Date/Time of Visit"),
                     Variable("SVSTDY", "Study Day of Start of Visit", numeric=True),
                     Variable("SVSMPDEV", "Days the Sample was Outside the Window",
                              numeric=True))
        occurred = {VisitStatus.DONE: "Y", VisitStatus.MISSED: "N", VisitStatus.CANCELLED: "N"}

        def rows() -> Iterator[list[Value]]:
            for batch in self._batches(infusions=True, visits=True):
                for p in batch.children:
                    visits = batch.visits.get(p.id, [])
                    numbers, start = self.visit_numbers(visits), batch.start(p)
                    head = self.ids.head("SV", p)
                    for v in visits:
                        yield [*head, numbers[v.id], v.label,
                               _study_day(v.target_date, start),
                               "Y" if v.kind == VisitKind.SCHEDULED else "",
                               occurred.get(VisitStatus(v.status), ""), v.status.upper(),
                               v.missed_reason or v.cancelled_reason or "",
                               _iso(v.target_date), _iso(v.window_start), _iso(v.window_end),
                               _iso(v.booked_date), _iso(v.actual_date),
                               _study_day(v.actual_date, start),
                               v.sample_deviation_days if v.actual_date else None]
        return Dataset("SV", "Subject Visits", variables, rows)

    # --- LB and VS ---------------------------------------------------------------------------
    def findings(self, domain: str, logs: list[LogForm]) -> Dataset:
        """The results of the domain's items, then each measure of the domain's log forms."""
        variables = [*HEAD, *(Variable(f"{domain}{suffix}", label, numeric,
                                       typed=suffix == "REASND")
                              for suffix, label, numeric in FINDINGS_VARIABLES),
                     Variable("VISITNUM", "Visit Number", numeric=True),
                     Variable("VISIT", "Visit Name"),
                     Variable(f"{domain}DTC", "Date/Time of Specimen Collection"
                              if domain == "LB" else "Date/Time of Measurements"),
                     Variable(f"{domain}DY", "Study Day of Collection", numeric=True)]
        lb = domain == "LB"
        if lb:
            variables.append(Variable("LBSMPDEV", "Days the Sample was Outside the Window",
                                      numeric=True))
        # Per results item of the domain: its label, category, specimen and typed units.
        items = {item.key: (item.label, CATEGORY.get(item.specimen, "") if lb else "",
                            item.specimen, {unit.code: unit.code for unit in item.units})
                 for item in self.study.results.fields if item.domain == domain}
        names = [log.name for log in logs]

        def rows() -> Iterator[list[Value]]:
            adrenal = tempfile.TemporaryFile() if lb else None
            try:
                yield from written(adrenal)
            except BaseException:
                if adrenal is not None:
                    adrenal.close()
                raise
            if adrenal is not None:  # whole: ADRENAL reads it
                self.close()
                self._adrenal = adrenal

        def written(adrenal: IO[bytes] | None) -> Iterator[list[Value]]:
            # LB reads every result (the trend needs them all), VS only its own.
            for batch in self._batches(infusions=True, visits=True, results=lb or bool(items),
                                       fields=None if lb else list(items), forms=names):
                computed: list[list[Value]] = []
                for p in batch.children:
                    visits = batch.visits.get(p.id, [])
                    numbers, start, seq = self.visit_numbers(visits), batch.start(p), 0
                    baseline: set[tuple[str, str]] = set()
                    if adrenal is not None:
                        trend_, error = self._trend(p, visits, batch.results, start)
                        if trend_ is not None:
                            baseline = {(b.code, b.measurement.key)
                                        for b in trend_.baseline.values()}
                        computed += self._adrenal_rows(p, trend_, error, numbers, visits,
                                                       start)
                    head = self.ids.head(domain, p)
                    for v in visits:
                        number, day = numbers[v.id], _iso(v.actual_date)
                        study_day = _study_day(v.actual_date, start)
                        deviation = v.sample_deviation_days if v.actual_date else None
                        for r in batch.results.get(v.id, ()):
                            item = items.get(r.field)
                            if item is None:
                                continue
                            label, category, specimen, units = item
                            seq += 1
                            typed = r.typed_unit
                            row = [*head, seq, r.test_code, label, category,
                                   r.typed_value or r.qualifier or "",
                                   units.get(typed, typed) if typed else "",
                                   r.qualifier or ("" if r.value is None else f"{r.value:g}"),
                                   r.value, r.unit or "",
                                   "NOT DONE" if r.not_done_reason is not None else "",
                                   r.not_done_reason or "", specimen, r.loinc or "",
                                   "Y" if (v.code, r.field) in baseline else "",
                                   "Y" if r.warn_confirmed else "", "", "",
                                   number, v.label, day, study_day]
                            if lb:
                                row.append(deviation)
                            yield row
                    for entry in batch.entries.get(p.id, ()):
                        for row in self._measures(domain, p, entry, start):
                            seq += 1
                            yield [*row[:3], seq, *row[3:], *([None] if lb else [])]
                if adrenal is not None:
                    marshal.dump(computed, adrenal)
        return Dataset(domain, "Laboratory Test Results" if lb else "Vital Signs",
                       tuple(variables), rows)

    def _measures(self, domain: str, participant: Row, entry: Row,
                  start: date | None) -> Iterator[list[Value]]:
        """One row per measure (an item with units) of a findings log entry, without --SEQ."""
        form = self.study.any_log(entry.form).form
        qualifiers = _qualifiers(form, entry.values)
        when = qualifiers.get(f"{domain}DTC", "")
        day = date.fromisoformat(str(when)[:10]) if when else None
        head = self.ids.head(domain, participant)
        point = str(qualifiers.get(f"{domain}TPT", ""))
        reference = str(qualifiers.get(f"{domain}TPTREF", ""))
        study_day = _study_day(day, start)
        for item in form.fields:
            if not item.units:
                continue
            value = entry.values.get(item.key)
            unit = item.canonical_unit
            shown = "" if value is None else f"{float(value):g}"
            yield [*head, unit.cdisc, item.label,
                   "", shown, unit.code, shown,
                   None if value is None else float(value), unit.code,
                   "NOT DONE" if value is None else "", "", "", unit.loinc, "", "",
                   point, reference, None, "", when, study_day]

    # --- AE, CM, DV, DS ----------------------------------------------------------------------
    def events(self, domain: str, logs: list[LogForm]) -> Dataset:
        """One row per live entry of the domain's log forms; each item is its CDISC variable."""
        columns: list[Variable] = []
        for log in logs:
            for name, label in _event_columns(log.form):
                if name not in {c.name for c in columns}:
                    types = {i.type for i in log.form.fields if _variable(log.form, i) == name}
                    columns.append(Variable(name, label[:40],
                                            numeric=bool(types & {"number", "integer"}),
                                            typed="text" in types))
        variables = (*HEAD, Variable(f"{domain}SEQ", "Sequence Number", numeric=True),
                     Variable(f"{domain}SPID", "Sponsor-Defined Identifier"), *columns,
                     Variable(f"{domain}STDY", "Study Day of Start", numeric=True))
        forms = {log.name: log.form for log in logs}
        start_variable = f"{domain}STDTC"
        empty = [(c.name, None if c.numeric else "") for c in columns]
        # The deviations log lists, after the entries, the deviations the record computes.
        computed = next((dict(log.computed) for log in logs if log.computed), None)

        def rows() -> Iterator[list[Value]]:
            for batch in self._batches(infusions=True, visits=computed is not None,
                                       forms=list(forms)):
                for p in batch.children:
                    head, start = self.ids.head(domain, p), batch.start(p)
                    seq = 0
                    for seq, entry in enumerate(batch.entries.get(p.id, ()), start=1):
                        found = _qualifiers(forms[entry.form], entry.values)
                        begun = str(found.get(start_variable, "") or "")
                        yield [*head, seq, f"{entry.form}-{entry.number}",
                               *(found.get(name, missing) for name, missing in empty),
                               _study_day(date.fromisoformat(begun[:10]) if begun else None,
                                          start)]
                    if computed is None:
                        continue
                    found_by_record = [d for d in deviation_reads.of_child(
                        p.code, batch.infusions.get(p.id, ()), batch.visits.get(p.id, ()))
                        if d.kind in computed]
                    for number, d in enumerate(found_by_record, start=seq + 1):
                        found = {f"{domain}CAT": computed[d.kind],
                                 start_variable: _iso(d.day), f"{domain}TERM": _term(d)}
                        where = d.visit.code if d.visit else "INF2"
                        yield [*head, number, f"record-{d.kind}-{where}",
                               *(found.get(name, missing) for name, missing in empty),
                               _study_day(d.day, start)]
        label = logs[0].form.title if len(logs) == 1 else {
            "CM": "Concomitant Medications"}.get(domain, domain)
        return Dataset(domain, label[:40], variables, rows)

    # --- SIGN: the investigator's signatures of the casebooks, in force and voided ---------
    def sign(self) -> Dataset:
        variables = (Variable("STUDYID", "Study Identifier"),
                     Variable("USUBJID", "Unique Subject Identifier"),
                     Variable("SIGNBY", "Signed By (User Name)", typed=True),
                     Variable("SIGNNAME", "Printed Name of the Signer", typed=True),
                     Variable("SIGNMEAN", "Meaning of the Signature", typed=True),
                     Variable("SIGNDTC", "Date/Time of Signature (UTC)"),
                     Variable("VOIDDTC", "Date/Time Voided (UTC)"),
                     Variable("VOIDRSN", "Why Voided", typed=True))

        def rows() -> Iterator[list[Value]]:
            for s in self.session.execute(
                    select(Participant.code, Signature.signed_by, Signature.printed_name,
                           Signature.meaning, Signature.signed_at, Signature.voided_at,
                           Signature.voided_reason)
                    .join(Participant, Participant.id == Signature.participant_id)
                    .order_by(Participant.code, Signature.id)):
                yield [self.ids.study, f"{self.ids.study}-{s.code}", s.signed_by,
                       _text(s.printed_name), _text(s.meaning), _utc(s.signed_at),
                       _utc(s.voided_at), _text(s.voided_reason)]
        return Dataset("SIGN", "Casebook Signatures", variables, rows)

    # --- ADRENAL -----------------------------------------------------------------------------
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
            if self._adrenal is not None:  # written by the LB pass
                spool = self._adrenal
                spool.seek(0)
                while True:
                    try:
                        yield from marshal.load(spool)
                    except EOFError:
                        return
            for batch in self._batches(infusions=True, visits=True, results=True):
                for p in batch.children:
                    visits, start = batch.visits.get(p.id, []), batch.start(p)
                    trend_, error = self._trend(p, visits, batch.results, start)
                    yield from self._adrenal_rows(p, trend_, error, self.visit_numbers(visits),
                                                  visits, start)
        return Dataset("ADRENAL", "Computed Renal Measures and Outcomes", variables, rows)

    def _adrenal_rows(self, p: Row, trend_: Trend | None, error: str | None,
                      by_id: Mapping[int, float], visits: Sequence[Row],
                      start: date | None) -> Iterator[list[Value]]:
        usubjid = self.ids.usubjid(p)
        if trend_ is None:
            yield [self.ids.study, usubjid, None, "", "", None,
                   *(None for _ in MEASURES), *("" for _ in TEXTS), error or ""]
            return
        numbers = {v.code: by_id[v.id] for v in visits}
        for row in trend_.rows:
            yield [self.ids.study, usubjid, numbers.get(row.code), row.label,
                   _iso(row.sample_date), _study_day(row.sample_date, start),
                   *(get(row) for _, _, get in MEASURES),
                   *(get(row, trend_) for _, _, get in TEXTS), ""]

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
        plan = [(item.key, item.key in several) for item in items]
        no_measures = [None for _ in MEASURES] + ["" for _ in TEXTS]

        def rows() -> Iterator[list[Value]]:
            for batch in self._batches(infusions=True, visits=True, results=True, arms=True):
                for p in batch.children:
                    visits, start = batch.visits.get(p.id, []), batch.start(p)
                    trend_, _error = self._trend(p, visits, batch.results, start)
                    computed = {row.code: row for row in trend_.rows} if trend_ else {}
                    numbers = self.visit_numbers(visits)
                    usubjid = self.ids.usubjid(p)
                    arm = [batch.arms.get(p.id, "")] if self.unblinded else []
                    for v in visits:
                        stored = {r.field: r for r in batch.results.get(v.id, ())}
                        row: list[Value] = [
                            usubjid, p.code, *arm,
                            numbers[v.id], v.code, v.label, v.status, _iso(v.target_date),
                            _iso(v.window_start), _iso(v.window_end), _iso(v.booked_date),
                            _iso(v.actual_date), _study_day(v.actual_date, start)]
                        for key, unit_column in plan:
                            r = stored.get(key)
                            row.append(None if r is None else "NOT DONE"
                                       if r.not_done_reason is not None else r.qualifier
                                       if r.qualifier else r.value)
                            if unit_column:
                                row.append("" if r is None else r.unit or "")
                        found = computed.get(v.code)
                        if found is None:
                            row += no_measures
                        else:
                            row += [get(found) for _, _, get in MEASURES]
                            row += [get(found, trend_) for _, _, get in TEXTS]
                        yield row
        return Dataset("WIDE", "One row per child and visit", tuple(columns), rows)


def _days(n: int) -> str:
    return f"{abs(n)} day{'' if abs(n) == 1 else 's'} {'before' if n < 0 else 'after'}"


def _term(d: deviation_reads.Deviation) -> str:
    """A deviation the record computes, in the words of a DV row (English, as the other
    texts the app writes itself)."""
    visit = f"{d.visit.code} ({d.visit.label})" if d.visit else ""
    if d.kind == "infusion":
        return f"Infusion 2 given {_days(d.days or 0)} its window"
    if d.kind == "sample":
        return f"{visit} sample taken {_days(d.days or 0)} its window"
    return f"{visit} missed" + (f": {d.detail}" if d.detail else "")


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


def _qualifiers(form: CaseReportForm, values: Mapping[str, Any]) -> dict[str, Value]:
    """An entry's values by CDISC variable: a date and a time sharing a variable make one ISO
    date-time; a coded Other gives way to the text that names it; yes/no is Y/N; a chosen
    set is its codes joined by ';' (or one Y/N flag per code, see _event_columns)."""
    found: dict[str, Value] = {}
    for item in form.fields:
        name, value = _variable(form, item), values.get(item.key)
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
