"""Template filters: dates, times, cell counts, stored codes, and the study's labels (items,
units, choices, visits, arms) in the reader's language."""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel.dates import format_date as babel_format_date
from flask import Flask
from flask_babel import format_date, format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from edc.permissions import Role
from edc.protocol.codes import AuditAction, ParticipantStatus, VisitKind, VisitStatus
from edc.rules.numbers import significant
from edc.services.base import flag_words
from edc.services.booking import missed_words
from edc.services.language import (
    in_reader_language,
    label_of,
    other_label,
    qualifier,
    reads_chinese,
)
from edc.services.queries import SYSTEM
from edc.views.shared import calendar, study

# Stored codes shown to people: statuses, kinds, outcomes, roles, audited entities.
TERMS = {
    ParticipantStatus.ENROLLED: _l("enrolled"),
    ParticipantStatus.WITHDRAWN: _l("withdrawn"),
    ParticipantStatus.COMPLETED: _l("completed"),
    VisitStatus.PLANNED: _l("planned"),
    VisitStatus.DONE: _l("done"),
    VisitStatus.MISSED: _l("missed"),
    VisitStatus.CANCELLED: _l("cancelled"),
    AuditAction.CREATE: _l("created"),
    AuditAction.UPDATE: _l("changed"),
    AuditAction.DELETE: _l("deleted"),
    AuditAction.REFUSED: _l("refused"),
    "complete": _l("complete remission"),
    "partial": _l("partial remission"),
    "none": _l("no remission"),
    "not_assessable": _l("not assessable"),
    VisitKind.SCHEDULED: _l("scheduled"),
    VisitKind.SCREENING: _l("screening"),
    VisitKind.UNSCHEDULED: _l("unscheduled"),
    Role.ADMIN: _l("admin"),
    Role.INVESTIGATOR: _l("investigator"),
    Role.NURSE: _l("nurse"),
    Role.MONITOR: _l("monitor"),
    Role.UNBLINDED: _l("unblinded"),
    "participant": _l("participant"),
    "infusion": _l("infusion"),
    "visit": _l("visit"),
    "result": _l("result"),
    "allocation": _l("allocation"),
    "user": _l("user"),
    "log_entry": _l("log entry"),
    "data_query": _l("query"),
    "signature": _l("signature"),
    "verification": _l("verification"),
    "study_lock": _l("database lock"),
    "login_attempt": _l("log-in attempt"),
}


def term(code: str) -> str:
    """A stored code (status, role, entity...) in the reader's language."""
    return str(TERMS.get(code, code))


def visit_label(visit: Any) -> str:
    """A visit's label in the reader's language (forms/schedule.toml has both)."""
    if visit.kind == VisitKind.SCREENING:
        return _("Screening (baseline)")
    if visit.kind == VisitKind.UNSCHEDULED:
        return _("Unscheduled")
    definition = next((d for d in study().schedule.visits if d.code == visit.code), None)
    # The visit keeps the English label it was planned with; the Chinese is the study's.
    return in_reader_language(visit.label, definition.label_zh if definition else "")


def arm_label(code: str) -> str:
    """An arm as the reader reads it: its code in English (MSC), its Chinese label in Chinese."""
    arm = next((a for a in study().arms if a.code == code), None)
    return label_of(arm) if arm is not None and label_of(arm) != arm.label else code


def other_language() -> str:
    """The HTML lang of the reader's other language (of a label shown beneath)."""
    return "en" if reads_chinese() else "zh-CN"


def day(value: date | None) -> str:
    """A date as ISO with the weekday, e.g. 2026-03-16 Mon (or 周一)."""
    if value is None:
        return ""
    if type(value) is date:  # a datetime is first moved to the reader's timezone
        return _day(value, str(get_locale()))
    return f"{value.isoformat()} {format_date(value, 'EEE')}"


@lru_cache(maxsize=8192)
def _day(value: date, locale: str) -> str:
    # Remembered: a page writes hundreds of days, and Babel's formatting is slow beside a lookup.
    return f"{value.isoformat()} {babel_format_date(value, 'EEE', locale=locale)}"


def local_time(value: datetime) -> str:
    """A UTC timestamp in the study's timezone."""
    return value.astimezone(study().tz).strftime("%Y-%m-%d %H:%M:%S")


def standard_value(result: Any) -> str:
    """A result's number in its standard unit, as a casebook shows it beside what was typed:
    the typed number itself where it was typed in that unit, else the conversion to six
    significant digits (more than any factor of forms/results.toml carries)."""
    if result.value is None:
        return ""
    if result.typed_unit == result.unit and result.typed_value:
        return result.typed_value
    return significant(result.value, 6)


def cells(value: float) -> Markup:
    """A cell count in scientific notation, e.g. 4.8 × 10^7."""
    if not math.isfinite(value):
        return Markup("—")
    mantissa, exponent = f"{value:.2e}".split("e")
    return Markup(f"{float(mantissa):g} × 10<sup>{int(exponent)}</sup>")


def reason(text: str | None) -> str:
    """A save's reason: the app's own (N_ in the services) in the reader's language, a typed
    one as typed."""
    return _(text) if text else ""


def who(username: str | None) -> str:
    """Who made a change, as a reader names them: the study's automatic checks in words, a
    person by their user name."""
    return _("the study's checks") if username == SYSTEM else username or ""


def paren(text: Any) -> str:
    """An aside in brackets as the reader's language writes them: " (text)" or "（text）"."""
    return f"（{text}）" if reads_chinese() else f" ({text})"


def percent(value: float, chinese: bool | None = None) -> str:
    """A signed change in percent as the reader's language writes it: "+12 %" or "+12%"
    (chinese: whether the reader reads Chinese, when a table of them has asked once)."""
    if chinese is None:
        chinese = reads_chinese()
    return f"{value:+.0f}%" if chinese else f"{value:+.0f} %"


def flags_on(flags: str | None, day: date | None) -> str:
    """Why a booked day is not a plain booking (the stored flags), in the reader's language."""
    return flag_words(flags, day, calendar())


def answer(stored: Any, item: Any) -> str:
    """A log entry's stored value of an item as the reader reads it: a code by its label, a
    date with its weekday, yes or no, a number with its unit."""
    if stored is None or stored == "" or stored == []:
        return ""
    if item.type in ("choice", "multichoice") and item.choices is not None:
        labels = {c.code: label_of(c) for c in item.choices.choices}
        codes = stored if isinstance(stored, list) else [stored]
        return _(", ").join(labels.get(code, code) for code in codes)
    if item.type == "yesno":
        return str({"yes": _l("Yes"), "no": _l("No")}.get(stored, stored))
    if item.type == "date":
        return day(date.fromisoformat(stored))
    if isinstance(stored, dict):  # a number stored with the unit chosen beside it
        unit = item.unit(stored.get("unit") or "")
        return f"{stored['value']:g} {label_of(unit) if unit else stored.get('unit', '')}".strip()
    if item.type in ("number", "integer"):
        return f"{stored:g} {label_of(item.canonical_unit)}".strip()
    return str(stored)


def answer_pair(stored: Any, item: Any) -> tuple[str, str]:
    """A stored value in English and in Chinese (for a bilingual report); text as typed."""
    if stored is None or stored == "" or stored == []:
        return "—", "—"
    if item.type in ("choice", "multichoice") and item.choices is not None:
        codes = stored if isinstance(stored, list) else [stored]
        found = {c.code: c for c in item.choices.choices}
        return (", ".join(found[c].label if c in found else c for c in codes),
                "、".join(found[c].label_zh if c in found else c for c in codes))
    if item.type == "yesno":
        return {"yes": ("Yes", "是"), "no": ("No", "否")}.get(stored, (stored, stored))
    if item.type in ("number", "integer"):
        pair = stored if isinstance(stored, dict) else {"value": stored, "unit": ""}
        unit = item.unit(pair["unit"] or "") or item.canonical_unit
        return (f"{pair['value']:g} {unit.label}",
                f"{pair['value']:g} {unit.label_zh or unit.label}")
    return str(stored), str(stored)


def proportion(found: Any) -> str:
    """x/n with its percentage and 95 % Wilson interval: 3/8 (38 %, 14-69 %)."""
    if found.n == 0:
        return "—"
    low, high = found.interval
    pct = "%" if reads_chinese() else " %"
    return (f"{found.x}/{found.n} ({found.share * 100:.0f}{pct}, "
            f"{low * 100:.0f}–{high * 100:.0f}{pct})")


def hours_left(hours: int | None) -> str:
    """What is left of a serious event's reporting window, in hours."""
    if hours is None:
        return ""
    if hours == 0:
        return _("less than an hour left to report")
    if hours > 0:
        return ngettext("%(num)s hour left to report", "%(num)s hours left to report", hours)
    return ngettext("report overdue by %(num)s hour", "report overdue by %(num)s hours", -hours)


def register_filters(app: Flask) -> None:
    """Make the filters above (and in_reader_language, other_language) available to every
    template."""
    app.add_template_filter(day, "day")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(cells, "cells")
    app.add_template_filter(term, "term")
    app.add_template_filter(visit_label, "visit_label")
    app.add_template_filter(flags_on, "flags_on")
    app.add_template_filter(reason, "reason")
    app.add_template_filter(paren, "paren")
    app.add_template_filter(who, "who")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(missed_words, "missed_reason")
    app.add_template_filter(label_of, "label")
    app.add_template_filter(other_label, "other_label")
    app.add_template_global(other_language, "other_language")
    app.add_template_global(in_reader_language, "in_reader_language")
    app.add_template_filter(arm_label, "arm_label")
    app.add_template_filter(qualifier, "qualifier")
    app.add_template_filter(answer, "answer")
    app.add_template_filter(hours_left, "hours_left")
    app.add_template_filter(proportion, "proportion")
    app.add_template_filter(answer_pair, "answer_pair")
    app.add_template_filter(lambda v: "" if v is None else significant(v), "sig")
    app.add_template_filter(standard_value, "standard_value")
    app.add_template_filter(format_decimal, "count")  # 10,000 as the reader writes it
