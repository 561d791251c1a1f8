"""The family's calendar link (no log-in: the random token is the key) and its management."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from edc import db, services
from edc.ics import CalendarVisit, Clinic, Reminders, clinic_feed, family_calendar
from edc.models import Participant, Visit
from edc.views import WRITE_ROLES, roles_required, study

bp = Blueprint("calendars", __name__)


def calendar_visits(visits: list[Visit]) -> list[CalendarVisit]:
    """What a calendar may show of the visits: dates, never results, names or the arm."""
    labels = {d.code: d for d in study().schedule.visits}
    return [
        CalendarVisit(
            uid=v.calendar_uid, sequence=v.calendar_sequence, stamp=v.calendar_stamp,
            code=v.code, label=v.label,
            label_zh=labels[v.code].label_zh if v.code in labels else v.label,
            day=v.appointment, time=v.booked_time, window_start=v.window_start,
            window_end=v.window_end, cancelled=v.status == "cancelled",
        )
        for v in visits if v.kind != "screening"
    ]


def clinic() -> Clinic:
    site = study().site
    return Clinic(name=site.name, name_zh=site.name_zh, address=site.address,
                  address_zh=site.address_zh, phone=site.phone)


def reminders() -> Reminders:
    settings = study().calendar
    return Reminders(urine_days_before=settings.urine_days_before,
                     urine_time=settings.urine_time,
                     visit_alarm_minutes=settings.visit_alarm_minutes)


@bp.route("/calendar/<token>.ics")
def family(token: str) -> Any:
    participant = db.session().scalars(
        select(Participant).where(Participant.calendar_token == token)
        .options(selectinload(Participant.visits))
    ).first() if len(token) <= 64 else None
    if participant is None:
        abort(404)
    body = family_calendar(calendar_visits(participant.visits), clinic=clinic(),
                           tz=study().tz, reminders=reminders(),
                           name=_("Kidney clinic visits"))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="visits.ics"'})


@bp.route("/participants/<int:participant_id>/calendar.ics")
def download(participant_id: int) -> Any:
    """The family calendar as a file, for a nurse to send or print from."""
    participant = services.load_participant(db.session(), participant_id) or abort(404)
    body = family_calendar(calendar_visits(participant.visits), clinic=clinic(),
                           tz=study().tz, reminders=reminders(),
                           name=_("Kidney clinic visits"))
    return Response(body, mimetype="text/calendar", headers={
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


@bp.route("/participants/<int:participant_id>/calendar-link", methods=["POST"])
@roles_required(*WRITE_ROLES)
def issue(participant_id: int) -> Any:
    participant = db.session().get(Participant, participant_id) or abort(404)
    services.issue_calendar_link(db.session(), current_user, participant)
    flash(_("A new calendar link is issued; any earlier link no longer works."), "success")
    return redirect(url_for("participants.detail", participant_id=participant_id))


@bp.route("/participants/<int:participant_id>/calendar-link/revoke", methods=["POST"])
@roles_required(*WRITE_ROLES)
def revoke(participant_id: int) -> Any:
    participant = db.session().get(Participant, participant_id) or abort(404)
    services.revoke_calendar_link(db.session(), current_user, participant)
    flash(_("The calendar link is revoked."), "success")
    return redirect(url_for("participants.detail", participant_id=participant_id))
