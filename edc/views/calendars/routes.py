"""The family's calendar link (no log-in: the random token is the key) and its management."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date
from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _
from markupsafe import Markup

from edc import db
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
from edc.models import Participant
from edc.permissions import Action
from edc.read import calendars as reads
from edc.read.participants import load_participant
from edc.views.shared import permission_required, study, subscription_url

bp = Blueprint("calendars", __name__)


def clinic() -> Clinic:
    site = study().site
    return Clinic(name=site.name, name_zh=site.name_zh, address=site.address,
                  address_zh=site.address_zh, phone=site.phone)


def reminders() -> Reminders:
    settings = study().calendar
    return Reminders(urine_days_before=settings.urine_days_before,
                     urine_time=settings.urine_time,
                     visit_alarm_minutes=settings.visit_alarm_minutes,
                     visit_duration_minutes=settings.visit_duration_minutes)


def _family_ics(visits: list[CalendarVisit]) -> bytes:
    return family_calendar(visits, clinic=clinic(), tz=study().tz, reminders=reminders(),
                           name=_("Kidney clinic visits"), study_id=study().info.id)


def _participant_or_404(participant_id: int) -> Participant:
    return load_participant(db.session(), participant_id) or abort(404)


@bp.route("/calendar/<token>.ics")
def family(token: str) -> Any:
    visits = reads.family_visits(db.session(), token, study().schedule)
    if visits is None:
        abort(404)
    return Response(_family_ics(visits), mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="visits.ics"'})


# The card always speaks Chinese first, whatever the reader's language, like the calendar.
CARD_ZH = {
    "title": "复诊时间表",
    "date": "日期",
    "urine": "请在每次就诊前{before}开始收集24小时尿液，就诊时带来。",
    "phone": "门诊电话",
    "scan": "扫码订阅日历，就诊时间变更会自动更新。",
}


def _card_zh(urine_days_before: int) -> dict[str, str]:
    """The card's Chinese text, the urine collection starting urine_days_before the visit."""
    before = "一天" if urine_days_before == 1 else f"{urine_days_before}天"
    return {**CARD_ZH, "urine": CARD_ZH["urine"].format(before=before)}


def both_languages(day: date) -> tuple[str, str]:
    """A date for a family card: Chinese, then English."""
    return (format_date(day, "y年M月d日 EEEE", locale="zh_CN"),
            format_date(day, "EEEE d MMMM y", locale="en"))


@bp.route("/participants/<int:participant_id>/card")
@permission_required(Action.VIEW)
def card(participant_id: int) -> Any:
    """A printable card of the visits, for families who prefer paper."""
    participant = _participant_or_404(participant_id)
    link = subscription_url(participant)
    rows = [(entry, visit_label(entry), both_languages(entry.day),
             window_text(entry.window_start, entry.window_end))
            for entry in reads.calendar_visits(participant.visits, study().schedule)
            if not entry.cancelled]
    qr = Markup(qr_svg(link, _("QR code of the calendar link"))) if link else None
    return render_template("calendars/card.html", p=participant, rows=rows, link=link, qr=qr,
                           site=study().site, zh=_card_zh(study().calendar.urine_days_before),
                           urine_days_before=study().calendar.urine_days_before)


@bp.route("/participants/<int:participant_id>/calendar.ics")
@permission_required(Action.VIEW)
def download(participant_id: int) -> Any:
    """The family calendar as a file, for a nurse to send or print from."""
    participant = _participant_or_404(participant_id)
    visits = reads.calendar_visits(participant.visits, study().schedule)
    return Response(_family_ics(visits), mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="visits-{participant.code}.ics"'})


@bp.route("/clinic/calendar.ics")
@permission_required(Action.VIEW)
def clinic_calendar() -> Any:
    """Every child's booked or suggested visits for the staff, by participant code only."""
    entries = reads.clinic_visits(db.session(), study().schedule)
    body = clinic_feed(entries, clinic=clinic(), tz=study().tz, reminders=reminders(),
                       name=_("%(study)s clinic visits", study=study().info.acronym),
                       study_id=study().info.id)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="clinic.ics"'})
