"""The family's calendar link (no log-in: the random token is the key) and its management."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from edc import db
from edc.formats.ics import (
    CalendarVisit,
    CalendarWords,
    Clinic,
    Reminders,
    Words,
    clinic_feed,
    day_text,
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


# Families read their calendar and card in Chinese, then English, whatever the reader's language:
# the calendar is opened on a phone without logging in. English dates the British way.
CHINESE, ENGLISH = "zh_CN", "en_GB"


def _words(locale: str) -> Words:
    """The calendars' words in one language, from the message catalogue."""
    with force_locale(locale):
        return Words(
            locale=locale,
            follow_up=_("Follow-up visit %(label)s"),
            unscheduled=_("Unscheduled visit"),
            screening=_("Screening visit"),
            cancelled=_("Cancelled: %(name)s"),
            day=_("%(weekday)s %(date)s"),
            visit_day=_("%(visit)s: %(weekday)s %(date)s"),
            only_on=_("on %(date)s only"),
            any_day=_("on any clinic day from %(start)s to %(end)s"),
            any_day_in_year=_("on any clinic day from %(start)s to %(end)s %(year)s"),
            window=_("The visit can take place %(window)s; to change the day, call the clinic."),
            urine=_("Start collecting 24-hour urine on %(day)s and bring it with you."),
            is_cancelled=_("This visit is cancelled."),
            took_place=_("This visit took place on this day."),
            phone=_("Phone: %(phone)s"),
            alarm_at=_("%(visit)s at %(time)s"),
            alarm_tomorrow=_("%(visit)s tomorrow"),
            urine_title=_("Start 24-hour urine collection"),
            urine_reminder=_("Start collecting 24-hour urine and bring it to the visit "
                             "(%(visit)s, %(day)s)"),
            # The follow-up visit in that reminder: its label, or in Chinese 复诊 and its label.
            reminder_visit=_("%(label)s"),
            # A date pattern (Unicode CLDR), so a language may leave out the weekday.
            reminder_day=_("EEEE d MMMM y"),
        )


def calendar_words() -> CalendarWords:
    """The calendars' words in Chinese and in English."""
    return CalendarWords(zh=_words(CHINESE), en=_words(ENGLISH))


def _family_ics(visits: list[CalendarVisit]) -> bytes:
    return family_calendar(visits, clinic=clinic(), tz=study().tz, reminders=reminders(),
                           words=calendar_words(), name=_("Kidney clinic visits"),
                           study_id=study().info.id)


def _participant_or_404(participant_id: int) -> Participant:
    return load_participant(db.session(), participant_id) or abort(404)


@bp.route("/calendar/<token>.ics")
def family(token: str) -> Any:
    visits = reads.family_visits(db.session(), token, study().schedule)
    if visits is None:
        abort(404)
    return Response(_family_ics(visits), mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="visits.ics"'})


def _card_zh(urine_days_before: int) -> dict[str, str]:
    """The card's Chinese, the urine collection starting urine_days_before the visit."""
    with force_locale(CHINESE):
        if urine_days_before == 1:
            # "The day before" is its own phrase in Chinese (前一天), not a count of days.
            urine = _("Start collecting 24-hour urine one day before each visit, and bring it to "
                      "the visit.")
        else:
            urine = ngettext("Start collecting 24-hour urine the day before each visit, and "
                             "bring it to the visit.", "Start collecting 24-hour urine %(num)s "
                             "days before each visit, and bring it to the visit.",
                             urine_days_before)
        return {
            "title": _("Follow-up visit schedule"),
            "date": _("Date"),
            "urine": urine,
            "phone": _("Clinic phone"),
            "scan": _("Scan to subscribe to the calendar; changed visit times update "
                      "automatically."),
        }


def _card_en(urine_days_before: int) -> dict[str, str]:
    """The card's English, printed under the Chinese whatever the reader's language."""
    with force_locale(ENGLISH):
        return {
            "title": _("Follow-up visits"),
            "visit": _("Visit"),
            "date": _("Date"),
            "window": _("Window"),
            "urine": ngettext("Start collecting 24-hour urine the day before each visit, and "
                              "bring it to the visit.", "Start collecting 24-hour urine %(num)s "
                              "days before each visit, and bring it to the visit.",
                              urine_days_before),
            "phone": _("Clinic phone"),
            "scan": _("Scan to add the visits to your phone’s calendar; changes follow "
                      "automatically."),
        }


@bp.route("/participants/<int:participant_id>/card")
@permission_required(Action.VIEW)
def card(participant_id: int) -> Any:
    """A printable card of the visits, for families who prefer paper."""
    participant = _participant_or_404(participant_id)
    link = subscription_url(participant)
    words = calendar_words()
    rows = [(entry, visit_label(entry, words), day_text(entry.day, words),
             window_text(entry.window_start, entry.window_end, words))
            for entry in reads.calendar_visits(participant.visits, study().schedule)
            if not entry.cancelled]
    qr = Markup(qr_svg(link, _("QR code of the calendar link"))) if link else None
    before = study().calendar.urine_days_before
    return render_template("calendars/card.html", p=participant, rows=rows, link=link, qr=qr,
                           site=study().site, zh=_card_zh(before), en=_card_en(before))


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
                       words=calendar_words(),
                       name=_("%(study)s clinic visits", study=study().info.acronym),
                       study_id=study().info.id)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="clinic.ics"'})
