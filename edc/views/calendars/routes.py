"""The family's calendar link (no log-in: the random token is the key) and its management."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from babel.dates import format_date
from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from edc import db, services
from edc.formats.ics import (
    CalendarVisit,
    Clinic,
    Reminders,
    clinic_feed,
    family_calendar,
    visit_label,
    window_text,
)
from edc.formats.qr import qr_svg
from edc.models import Participant, Visit
from edc.views.shared import study, subscription_url

bp = Blueprint("calendars", __name__)


def calendar_visits(visits: list[Visit]) -> list[CalendarVisit]:
    """What a calendar may show of the visits: dates, never results, names or the arm."""
    return [calendar_visit(v) for v in visits if v.kind != "screening"]


def calendar_visit(v: Visit) -> CalendarVisit:
    """One visit as a calendar shows it: a done visit on the day it took place."""
    definition = next((d for d in study().schedule.visits if d.code == v.code), None)
    done = v.status == "done" and v.actual_date is not None
    day = v.actual_date if done and v.actual_date else v.appointment
    return CalendarVisit(
        uid=v.calendar_uid, sequence=v.calendar_sequence, stamp=v.calendar_stamp, code=v.code,
        label=v.label, label_zh=definition.label_zh if definition else v.label, day=day,
        time=v.booked_time if day == v.booked_date else None, window_start=v.window_start,
        # A missed visit is no appointment any more: the family is not expected that day.
        window_end=v.window_end, cancelled=v.status in ("cancelled", "missed"), kind=v.kind,
        done=done,
    )


def clinic() -> Clinic:
    site = study().site
    return Clinic(name=site.name, name_zh=site.name_zh, address=site.address,
                  address_zh=site.address_zh, phone=site.phone)


def reminders() -> Reminders:
    settings = study().calendar
    return Reminders(urine_days_before=settings.urine_days_before,
                     urine_time=settings.urine_time,
                     visit_alarm_minutes=settings.visit_alarm_minutes)


def _family_ics(participant: Participant) -> bytes:
    return family_calendar(calendar_visits(participant.visits), clinic=clinic(), tz=study().tz,
                           reminders=reminders(), name=_("Kidney clinic visits"))


@bp.route("/calendar/<token>.ics")
def family(token: str) -> Any:
    participant = db.session().scalars(
        select(Participant).where(Participant.calendar_token == token)
        .options(selectinload(Participant.visits))
    ).first() if len(token) <= 64 else None
    if participant is None:
        abort(404)
    return Response(_family_ics(participant), mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="visits.ics"'})


# The card always speaks Chinese first, whatever the reader's language, like the calendar.
CARD_ZH = {
    "title": "复诊时间表",
    "date": "日期",
    "urine": "请在每次就诊前一天开始收集24小时尿液，就诊时带来。",
    "phone": "门诊电话",
    "scan": "扫码订阅日历，就诊时间变更会自动更新。",
}


def both_languages(day: date) -> tuple[str, str]:
    """A date for a family card: Chinese, then English."""
    return (format_date(day, "y年M月d日 EEEE", locale="zh_CN"),
            format_date(day, "EEEE d MMMM y", locale="en"))


@bp.route("/participants/<int:participant_id>/card")
def card(participant_id: int) -> Any:
    """A printable card of the visits, for families who prefer paper."""
    participant = services.load_participant(db.session(), participant_id) or abort(404)
    link = subscription_url(participant)
    rows = [(entry, visit_label(entry), both_languages(entry.day),
             window_text(entry.window_start, entry.window_end))
            for entry in calendar_visits(participant.visits) if not entry.cancelled]
    qr = Markup(qr_svg(link, _("QR code of the calendar link"))) if link else None
    return render_template("calendars/card.html", p=participant, rows=rows, link=link, qr=qr,
                           site=study().site, zh=CARD_ZH)


@bp.route("/participants/<int:participant_id>/calendar.ics")
def download(participant_id: int) -> Any:
    """The family calendar as a file, for a nurse to send or print from."""
    participant = services.load_participant(db.session(), participant_id) or abort(404)
    return Response(_family_ics(participant), mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="visits-{participant.code}.ics"'})


@bp.route("/clinic/calendar.ics")
def clinic_calendar() -> Any:
    """Every child's booked or suggested visits for the staff, by participant code only."""
    visits = db.session().scalars(
        select(Visit).join(Participant).where(Visit.kind != "screening")
        .options(selectinload(Visit.participant))
        .order_by(Visit.suggested_date)
    ).all()
    entries = [replace(entry, uid=f"{entry.uid}-clinic", participant_code=visit.participant.code)
               for visit, entry in zip(visits, calendar_visits(visits), strict=True)]
    body = clinic_feed(entries, clinic=clinic(), tz=study().tz, reminders=reminders(),
                       name=_("%(study)s clinic visits", study=study().info.acronym))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="clinic.ics"'})
