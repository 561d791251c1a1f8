"""A child's ACEI/ARB starts, dose changes and stops as the participant page shows them: lines
between the visits of the trend table, markers on the chart, and a flag beside each proteinuria
outcome whose sample came shortly after one (the days are the log's, forms/medications.toml)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext

from edc.formats.charts import Marker
from edc.models import LogEntry, Visit
from edc.protocol.crf import OTHER, LogForm
from edc.rules import medications as rules
from edc.rules.trends import Trend
from edc.services.language import label_of
from edc.views.filters import answer, day


@dataclass(frozen=True)
class DoseLine:
    """One start, change or stop, in the reader's language, and the entry it comes from."""

    day: date
    text: str
    log: str
    number: int


@dataclass(frozen=True)
class DoseChanges:
    """The lines before each visit (by code) and after the last, the flags beside each
    visit's proteinuria outcome (by code), and the chart's markers."""

    before: dict[str, list[DoseLine]] = field(default_factory=dict)
    after: list[DoseLine] = field(default_factory=list)
    flags: dict[str, list[str]] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)


def _value(log: LogForm, entry: LogEntry, role: str) -> str:
    item = next((f for f in log.form.fields if f.role == role), None)
    return "" if item is None else answer(entry.values.get(item.key), item)


def _what(log: LogForm, entry: LogEntry) -> str:
    """The drug (the other drug's name when it is Other), its dose and how often."""
    named = next((f for f in log.form.fields if f.role == "drug"), None)
    drug = _value(log, entry, "drug")
    if named is not None and entry.values.get(named.key) == OTHER:
        drug = _value(log, entry, "drug_other") or drug
    return " ".join(part for part in (drug, _value(log, entry, "dose"),
                                      _value(log, entry, "frequency")) if part)


def _change(log: LogForm, entry: LogEntry, event: rules.Event) -> str:
    return _("Stopped") if event.stopped else _value(log, entry, "change")


def _before(days: int) -> str:
    if days == 0:
        return _("on the sample day")
    return ngettext("%(num)s day before the sample", "%(num)s days before the sample", days)


def _visit_days(visits: Sequence[Visit], samples: Mapping[str, date]) -> list[tuple[str, date]]:
    """Each visit's day in the table's order: its sample's, else the day it was done or
    booked or suggested."""
    return [(v.code, samples.get(v.code) or v.actual_date or v.booked_date or v.suggested_date)
            for v in visits]


def dose_changes(logs: Sequence[LogForm], entries: Mapping[str, list[LogEntry]],
                 visits: Sequence[Visit], trend: Trend | None) -> DoseChanges:
    """The changes of every log that flags them (flag_days_before_sample), placed between the
    visits and flagged beside the samples that followed them closely."""
    samples = {row.code: row.sample_date for row in trend.rows} if trend else {}
    changes = DoseChanges(before={v.code: [] for v in visits})
    for log in (log for log in logs if log.flag_days_before_sample >= 0):
        change = next(f for f in log.form.fields if f.role == "change")
        kept = {e.number: e for e in entries.get(log.name, []) if e.removed_reason is None}
        courses = [rules.Course(number=e.number, start=e.start_date, end=e.end_date,
                                change=str(e.values.get(change.key) or ""))
                   for e in kept.values()]
        found = rules.events(courses)
        title = label_of(log.form)
        lines = {}
        for event in found:
            entry = kept[event.number]
            text = _("%(log)s %(change)s: %(what)s", log=title,
                     change=_change(log, entry, event), what=_what(log, entry))
            lines[event] = DoseLine(event.day, text, log.name, event.number)
            changes.markers.append(Marker(event.day, f"{day(event.day)} {text}"))
        before, after = rules.place(found, _visit_days(visits, samples))
        for code, placed in before.items():
            changes.before.setdefault(code, []).extend(lines[e] for e in placed)
        changes.after.extend(lines[e] for e in after)
        for code, sample in samples.items():
            for event, days in rules.recent(found, sample, log.flag_days_before_sample):
                entry = kept[event.number]
                changes.flags.setdefault(code, []).append(_(
                    "%(log)s %(change)s %(day)s (%(before)s)", log=title,
                    change=_change(log, entry, event), day=event.day.isoformat(),
                    before=_before(days)))
    return changes
