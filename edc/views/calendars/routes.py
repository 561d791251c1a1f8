"""The family's calendar link (no log-in: the random token is the key) and its management."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.http import http_date, unquote_etag

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
    urine_start,
    visit_label,
    visit_names,
    window_text,
)
from edc.formats.qr import qr_svg
from edc.models import Participant
from edc.permissions import Action, may
from edc.read import calendars as reads
from edc.read.participants import load_participant
from edc.services import Changed, site_now
from edc.services import clinic_feed as feeds
from edc.views.calendars.forms import FeedLinkForm
from edc.views.shared import (
    calendar,
    clock,
    context,
    family_page_url,
    permission_required,
    study,
)

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
                     visit_duration_minutes=settings.visit_duration_minutes,
                     urine_steps_zh=settings.urine_instructions_zh,
                     urine_steps=settings.urine_instructions)


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
            missed=_("Missed: %(name)s"),
            day=_("%(weekday)s %(date)s"),
            visit_day=_("%(visit)s: %(weekday)s %(date)s"),
            only_on=_("on %(date)s only"),
            any_day=_("on any clinic day from %(start)s to %(end)s"),
            any_day_in_year=_("on any clinic day from %(start)s to %(end)s %(year)s"),
            window=_("The visit can take place %(window)s; to change the day, call the clinic."),
            booked_day=_("This day is booked with the clinic; to change it, call the clinic."),
            urine=_("Start collecting 24-hour urine on %(day)s and bring it with you."),
            is_cancelled=_("This visit is cancelled."),
            is_missed=_("This visit did not take place. To talk about the next one, call the "
                        "clinic."),
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
        # Opened in a browser, a dead link says what the family page says.
        return _family_gone()
    body = _family_ics(visits)
    # A calendar app asks again every few hours: the same file is answered with 304, no body.
    headers = {"ETag": f'"{hashlib.sha256(body).hexdigest()[:32]}"',
               "Cache-Control": "private,no-cache",
               "Content-Disposition": 'inline; filename="visits.ics"',
               "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}
    if holds_already(headers["ETag"]):
        return Response(status=304, headers=headers)
    return Response(body, mimetype="text/calendar", headers=headers)


def holds_already(etag: str) -> bool:
    """Whether the caller's If-None-Match names this ETag ("*" too), compared weakly as RFC 9110
    says for GET: a proxy that compresses the file marks the tag weak (W/"..."), and the calendar
    app sends it back so."""
    return request.if_none_match.contains_weak(unquote_etag(etag)[0])


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
            "visit": _("Visit"),
            "date": _("Date"),
            "window": _("Window"),
            "urine": urine,
            "phone": _("Clinic phone"),
            "scan": _("Scan to open the visits on your phone; a changed visit shows there at "
                      "once."),
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
            "scan": _("Scan to open the visits on your phone; a changed visit shows there at "
                      "once."),
        }


# The family's page: no log-in, no script, no other asset; its one style block is allowed by hash.
FAMILY_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                  "X-Robots-Tag": "noindex"}


def _family_words(locale: str) -> dict[str, str]:
    """The family page's words in one language."""
    with force_locale(locale):
        return {
            "title": _("Follow-up visit schedule"),
            "next": _("Your child’s next visit"),
            "none_to_come": _("No visit is planned now. For any question, call the clinic."),
            "suggested": _("Suggested day: the clinic will call you to book it, or call the "
                           "clinic."),
            "urine": _("24-hour urine collection"),
            "urine_start": _("Start: %(day)s %(time)s"),
            "urine_started": _("Started: %(day)s %(time)s. If you did not start then, call the "
                               "clinic before the visit."),
            "visits": _("All follow-up visits"),
            "window": _("Window: %(window)s"),
            "clinic": _("Clinic"),
            "call": _("Call the clinic"),
            "add": _("Add to my calendar"),
            "download": _("Download the calendar file (.ics)"),
            "subscribe": _("Subscribe (iPhone, Mac)"),
            "add_help": _("To change a visit, call the clinic; the calendar updates by itself."),
            "gone": _("This link is no longer valid. Please call the clinic."),
            "estimated": _("The official holiday calendar for %(years)s is not published yet: "
                           "the dates in it may still move. The clinic will tell you."),
            **_state_words(),
        }


def _state_words() -> dict[str, str]:
    return {reads.FamilyState.DONE: _("Done"), reads.FamilyState.BOOKED: _("Booked"),
            reads.FamilyState.TO_BOOK: _("To book"),
            reads.FamilyState.PASSED: _("Window passed: please call the clinic"),
            reads.FamilyState.MISSED: _("Missed"),
            reads.FamilyState.CANCELLED: _("Cancelled")}


def _days_away(days: int, locale: str) -> str:
    """Say how far a day is: today, tomorrow, in N days."""
    with force_locale(locale):
        if days == 0:
            return _("Today")
        if days == 1:
            return _("Tomorrow")
        return ngettext("in %(num)s day", "in %(num)s days", days)


def _urine_steps() -> tuple[tuple[str, ...], tuple[str, ...]]:
    settings = study().calendar
    return settings.urine_instructions_zh, settings.urine_instructions


def _family_response(html: str, status: int) -> Response:
    """The page with its headers: nothing cached or indexed, only its own inline style."""
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for css in styles)
    policy = (f"default-src 'none'; style-src {hashes}; "
              "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return Response(html, status=status, mimetype="text/html",
                    headers={**FAMILY_HEADERS, "Content-Security-Policy": policy})


def _tel(phone: str) -> str:
    """The phone number as a tel: link wants it: digits and a leading +."""
    return "tel:" + re.sub(r"[^0-9+]", "", phone)


def _family_gone() -> Response:
    """The neutral page of a link that no longer works (404): call the clinic."""
    site = study().site
    html = render_template("calendars/family_gone.html", site=site, zh=_family_words(CHINESE),
                           en=_family_words(ENGLISH), tel=_tel(site.phone))
    return _family_response(html, 404)


# A trailing slash (added by a messaging app or typed) opens the same page.
@bp.route("/calendar/<token>/", endpoint="family_page")
@bp.route("/calendar/<token>")
def family_page(token: str) -> Any:
    """The family's page: the next visit, the urine collection, the year's visits, the clinic."""
    site = study().site
    zh, en = _family_words(CHINESE), _family_words(ENGLISH)
    today: date = clock()
    rows = reads.family_page(db.session(), token, study().schedule, today, calendar())
    if rows is None:
        return _family_gone()
    words = calendar_words()
    # The next visit is the first booked still to come; without one, the first to book whose
    # day or window is not over (a suggested day gone by in an open window is still the one to
    # book).
    to_come = [row for row in rows if row.to_come
               and max(row.entry.day, row.entry.window_end) >= today]
    upcoming = next((row for row in to_come if row.state == reads.FamilyState.BOOKED),
                    next(iter(to_come), None))
    coming = None
    if upcoming is not None:
        entry = upcoming.entry
        away = (entry.day - today).days
        start = urine_start(entry, reminders())
        said = "urine_start" if site_now(study().tz, today) < start else "urine_started"
        coming = {
            "row": upcoming, "names": visit_names(entry, words),
            "day": day_text(entry.day, words),
            "away": (_days_away(away, CHINESE), _days_away(away, ENGLISH)) if away >= 0 else None,
            "window": (words.zh.booked_day, words.en.booked_day) if entry.booked else tuple(
                lang.window % {"window": text} for lang, text in zip(
                    (words.zh, words.en), window_text(entry.window_start, entry.window_end, words),
                    strict=True)),
            # Only for a booked day (a suggested one may change), said as begun once it has.
            "urine": tuple(lang[said] % {"day": text, "time": f"{start:%H:%M}"}
                           for lang, text in zip((zh, en), day_text(start.date(), words),
                                                 strict=True)) if entry.booked else None,
        }
    visits = [(row, visit_names(row.entry, words), day_text(row.entry.day, words),
               window_text(row.entry.window_start, row.entry.window_end, words))
              for row in rows]
    ics = url_for("calendars.family", token=token)
    webcal = re.sub(r"^https?://", "webcal://",
                    url_for("calendars.family", token=token, _external=True))
    estimated = calendar().estimated_years(row.entry.day for row in rows if row.to_come)
    html = render_template("calendars/family.html", site=site, zh=zh, en=en, coming=coming,
                           visits=visits, steps=_urine_steps(), tel=_tel(site.phone), ics=ics,
                           webcal=webcal, estimated=", ".join(map(str, estimated)))
    return _family_response(html, 200)


@bp.route("/participants/<int:participant_id>/card")
@permission_required(Action.VIEW)
def card(participant_id: int) -> Any:
    """A printable card of the visits, for families who prefer paper."""
    participant = _participant_or_404(participant_id)
    link = family_page_url(participant)
    words = calendar_words()
    rows = [(entry, visit_label(entry, words), day_text(entry.day, words),
             window_text(entry.window_start, entry.window_end, words))
            for entry in reads.calendar_visits(participant.visits, study().schedule)
            if not entry.cancelled]
    qr = Markup(qr_svg(link, _("QR code of the calendar link"))) if link else None
    before = study().calendar.urine_days_before
    return render_template("calendars/card.html", p=participant, rows=rows, link=link, qr=qr,
                           site=study().site, zh=_card_zh(before), en=_card_en(before),
                           steps=_urine_steps())


@bp.route("/participants/<int:participant_id>/calendar.ics")
@permission_required(Action.VIEW)
def download(participant_id: int) -> Any:
    """The family calendar as a file, for a nurse to send or print from."""
    participant = _participant_or_404(participant_id)
    visits = reads.calendar_visits(participant.visits, study().schedule)
    return Response(_family_ics(visits), mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="visits-{participant.code}.ics"'})


def _window() -> reads.ClinicWindow:
    settings = study().calendar
    return reads.clinic_window(clock(), settings.clinic_feed_days_back,
                               settings.clinic_feed_days_ahead)


def _clinic_feed() -> Any:
    """The clinic feed of the window around today, or 304 when the caller holds it already
    (its tag: the last change of a visit in the window, how many, and the window's days)."""
    window = _window()
    stamp, count = reads.clinic_stamp(db.session(), window)
    tag = f"{stamp.isoformat() if stamp else '-'}/{count}/{window.start}/{window.end}"
    etag = hashlib.sha256(tag.encode()).hexdigest()[:32]
    headers = {"ETag": f'"{etag}"', "Cache-Control": "private,no-cache",
               "Content-Disposition": 'inline; filename="clinic.ics"'}
    if stamp is not None:
        headers["Last-Modified"] = http_date(stamp)
    if holds_already(headers["ETag"]):
        return Response(status=304, headers=headers)
    entries = reads.clinic_visits(db.session(), study().schedule, window)
    body = clinic_feed(entries, clinic=clinic(), tz=study().tz, reminders=reminders(),
                       words=calendar_words(),
                       name=_("%(study)s clinic visits", study=study().info.acronym),
                       study_id=study().info.id)
    return Response(body, mimetype="text/calendar", headers=headers)


@bp.route("/clinic/calendar.ics")
@permission_required(Action.VIEW)
def clinic_calendar() -> Any:
    """The planned and booked visits of every child around today, for the staff, by
    participant code only."""
    return _clinic_feed()


@bp.route("/clinic/calendar/<token>.ics")
def clinic_token_feed(token: str) -> Any:
    """The clinic feed for a calendar app, by its owner's link (no log-in cookie: the token is
    the key); it stops working when revoked or when the account is deactivated."""
    owner = reads.feed_owner(db.session(), token)
    if owner is None or not may(owner.role, Action.VIEW):
        abort(404)
    return _clinic_feed()


@bp.route("/clinic/calendar/subscription", methods=["GET", "POST"])
@permission_required(Action.VIEW)
def clinic_subscription() -> Any:
    """The logged-in person's own link to the clinic calendar: shown, issued anew, revoked."""
    user = current_user._get_current_object()
    form = FeedLinkForm()
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        change = feeds.revoke_clinic_feed_link if form.revoke.data else feeds.issue_clinic_feed_link
        try:
            change(context(), user, expected=form.state.data or "")
        except Changed as clash:
            for message in clash.messages:
                flash(message, "error")
            status = 409
        else:
            flash(_("Your clinic calendar link is revoked.") if form.revoke.data else
                  _("A new clinic calendar link is issued; your earlier link no longer works."),
                  "success")
            return redirect(url_for("calendars.clinic_subscription"))
    # The scheme the person reached the app by (behind a proxy: as EDC_PROXY_HOPS tells it), so
    # the link works on a plain-HTTP ward server as on HTTPS.
    link = (url_for("calendars.clinic_token_feed", token=user.clinic_feed_token, _external=True)
            if user.clinic_feed_token else None)
    return render_template("calendars/clinic_subscription.html", link=link,
                           state=feeds.link_state(user), window=_window(),
                           settings=study().calendar), status
