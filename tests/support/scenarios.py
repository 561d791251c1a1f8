"""Walk one child through the protocol over HTTP as the research nurse and, after every post,
read every page of that child as every role.

After each step `Scenario.check` asserts, in this order:
1. every page answers below 500 for every role: the participant page, its history, each visit
   page, the card, the calendar download, the clinic feed, the participants list, "/" and every
   same-site link of the participant page (GET only; a role that may not write may get 403);
2. the schedule on the participant page is the one the test expects (dates worked out by hand
   in the test), the same for every role, and the same as what is stored;
3. the participant's status on the page, in the list and in the database;
4. the trend table has a row per visit: a done visit's sample date, the others' status;
5. each visit page's heading says the visit's status;
6. the list's "next visit" is the first planned visit by its booked (else suggested) day whose
   window has not ended or that is booked for today or later;
7. the family calendar (download and subscription link), the clinic feed and the card agree
   with the schedule: one event per visit on `expected_event_day`, cancelled visits
   STATUS:CANCELLED, done and booked ones CONFIRMED, suggested days TENTATIVE. A family event
   names the visit by its label and keeps the visit's stored UID (it never shows the codes,
   which could identify the study); the clinic feed's summary starts with the participant and
   visit codes; screening visits are in neither calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from edc import db
from edc.models import AuditEvent, Participant, Visit
from edc.models.audit import FieldChange
from edc.permissions import Role
from tests.support.apps import ROLES, TODAY, Clock
from tests.support.audit import audit_rows
from tests.support.forms import RESULTS, enrolment_form, infusion_form, results_form, submit

WRITE_ROLES = (Role.NURSE, Role.INVESTIGATOR)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Follow-up visits: label and day after the anchoring infusion (PROTOCOL.md, "Schedule").
LABELS = {"W02": "2 weeks", "W04": "4 weeks", "W06": "6 weeks", "W08": "8 weeks",
          "M03": "3 months", "M04": "4 months", "M05": "5 months", "M06": "6 months",
          "M08": "8 months", "M10": "10 months", "M12": "12 months"}
CODES = tuple(LABELS)
# The analytes each visit's results give: those the outcomes need, with the required height and
# weight. The others are left empty (every analyte is tested in tests/app/test_results.py); each
# entered analyte adds about ten audit rows, which every visit page of the child reads.
ENTERED = ("upcr", "urine_rbc", "creatinine", "height", "weight")


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def shown(day: date) -> str:
    """A date as the pages show it: 2026-03-30 Mon."""
    return f"{day.isoformat()} {WEEKDAYS[day.weekday()]}"


# What the participant page shows -----------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    """One row of the participant page's schedule, as read."""

    code: str
    label: str
    target: date
    day: str  # "day 14 after infusion 2", "before infusion 1", "unscheduled"
    window: tuple[date, date]
    suggested: date
    booked: date | None
    booked_time: time | None
    status: str  # planned / done / missed / cancelled
    actual: date | None
    badge: str | None  # "window open" / "overdue"


@dataclass
class Cell:
    classes: list[str]
    parts: list[str] = field(default_factory=list)
    small: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


@dataclass
class TableRow:
    attrs: dict[str, str]
    cells: list[Cell] = field(default_factory=list)


class Html(HTMLParser):
    """Table rows with their cells, links, flash messages, facts and marked elements of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[TableRow] = []
        self.hrefs: list[str] = []
        self.flashes: list[str] = []
        self.facts: dict[str, str] = {}
        self.marked: dict[str, str] = {}  # id or class of interest -> text
        self._row: TableRow | None = None
        self._cell: Cell | None = None
        self._small = 0
        self._sinks: list[tuple[str, list[str]]] = []
        self._dt: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "tr":
            self._row = TableRow(a)
            self.rows.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = Cell(classes)
            self._row.cells.append(self._cell)
        elif tag == "small":
            self._small += 1
        elif tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "p" and "flash" in classes:
            self._sinks.append(("flash", []))
        elif tag == "code" and a.get("id") == "calendar-link":
            self._sinks.append(("calendar-link", []))
        elif tag == "span" and "status" in classes:
            self._sinks.append(("status", []))
        elif tag == "p" and ("anchor" in classes or a.get("id") == "no-follow-up"):
            self._sinks.append(("anchor", []))
        elif tag in ("dt", "dd"):
            self._sinks.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._cell = None
        elif tag == "tr":
            self._row = self._cell = None
        elif tag == "small":
            self._small -= 1
        if self._sinks and tag in ("p", "code", "span", "dt", "dd"):
            expected = {"flash": "p", "anchor": "p", "calendar-link": "code", "status": "span",
                        "dt": "dt", "dd": "dd"}
            name, parts = self._sinks[-1]
            if expected[name] != tag:
                return
            self._sinks.pop()
            text = " ".join(" ".join(parts).split())
            if name == "flash":
                self.flashes.append(text)
            elif name == "dt":
                self._dt = text
            elif name == "dd" and self._dt is not None:
                self.facts[self._dt] = text
                self._dt = None
            else:
                self.marked[name] = text

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.parts.append(data)
            if self._small:
                self._cell.small.append(data)
        for _name, parts in self._sinks:
            parts.append(data)

    def rows_marked(self, attribute: str) -> list[TableRow]:
        return [r for r in self.rows if attribute in r.attrs]


STATUS_HEADING = re.compile(r'<span class="status">(.*?)</span>', re.S)


def _date_in(text: str) -> date | None:
    found = re.search(r"\d{4}-\d{2}-\d{2}", text)
    return d(found.group(0)) if found else None


def schedule_rows(page: Html) -> list[ScheduleRow]:
    """The schedule table of a participant page, row by row."""
    rows = []
    for row in page.rows_marked("data-visit"):
        if "data-trend" in row.attrs:
            continue
        cells = row.cells
        assert len(cells) == 8, f"schedule row {row.attrs['data-visit']}: {len(cells)} cells"
        start, _dash, end = cells[4].text.partition("–")
        booked_text = cells[6].text
        clock = re.search(r"\b(\d\d:\d\d)\b", booked_text)
        status_text = cells[7].text
        badge = ("window open" if "window open" in status_text
                 else "overdue" if "overdue" in status_text else None)
        rows.append(ScheduleRow(
            code=cells[0].text, label=cells[1].text, target=_date_in(cells[2].text),
            day=cells[3].text, window=(_date_in(start), _date_in(end)),
            suggested=_date_in(cells[5].text), booked=_date_in(booked_text),
            booked_time=time.fromisoformat(clock.group(1)) if clock else None,
            status=status_text.split()[0], actual=_date_in(status_text), badge=badge,
        ))
    return rows


@dataclass(frozen=True)
class TrendLine:
    """One data-trend row: the visit, its sample date or why it has none, and its cells."""

    code: str
    sample: date | None
    note: str  # "no sample yet", "missed: <reason>", "cancelled" for rows without a sample
    baseline: bool
    cells: dict[str, str]  # cell class (m-upcr, egfr...) -> text
    texts: tuple[str, ...]  # every cell; the last three are the outcomes

    @property
    def proteinuria(self) -> str:
        return self.texts[-3]


def trend_rows(page: Html) -> list[TrendLine]:
    lines = []
    for row in page.rows_marked("data-trend"):
        first = row.cells[0]
        sample = _date_in(" ".join(first.small))
        no_sample = "no-sample" in row.attrs.get("class", "")
        cells = {c.classes[0]: c.text for c in row.cells if c.classes}
        lines.append(TrendLine(
            code=row.attrs["data-trend"], sample=None if no_sample else sample,
            note=row.cells[1].text if no_sample else "",
            baseline="baseline" in row.attrs.get("class", "").split(), cells=cells,
            texts=tuple(c.text for c in row.cells)))
    return lines


# What the test expects ---------------------------------------------------------------------


@dataclass
class Expected:
    """A visit as the test expects the schedule to show it (dates worked out by hand)."""

    code: str
    label: str
    target: date
    day: str
    window: tuple[date, date]
    suggested: date
    status: str = "planned"
    actual: date | None = None
    booked: date | None = None
    booked_time: time | None = None
    missed_reason: str | None = None

    def row(self, today: date) -> ScheduleRow:
        badge = None
        if self.status == "planned" and today > self.window[1]:
            # Only a follow-up visit falls overdue: screening and unscheduled visits never do.
            badge = "overdue" if re.fullmatch(r"[WM]\d\d", self.code) else None
        elif self.status == "planned" and self.window[0] <= today:
            badge = "window open"
        return ScheduleRow(self.code, self.label, self.target, self.day, self.window,
                           self.suggested, self.booked, self.booked_time, self.status,
                           self.actual, badge)


def expected_event_day(visit: ScheduleRow) -> date:
    """The day a visit's calendar event is on: a done visit on the day it took place, any other
    on its booked day, else on the suggested clinic day."""
    if visit.status == "done" and visit.actual is not None:
        return visit.actual
    return visit.booked or visit.suggested


@dataclass(frozen=True)
class Event:
    uid: str
    day: date
    time: time | None
    status: str
    summary: str


def events_of(body: bytes) -> dict[str, Event]:
    """The VEVENTs of an iCalendar body by UID; a timed start in the site's local time."""
    calendar = Calendar.from_ical(body)
    events = {}
    for component in calendar.walk("VEVENT"):
        start = component.decoded("DTSTART")
        is_timed = isinstance(start, datetime)
        uid = str(component["UID"])
        assert uid not in events, f"two events with UID {uid}"
        events[uid] = Event(uid=uid, day=start.date() if is_timed else start,
                            time=start.time() if is_timed else None,
                            status=str(component.get("STATUS", "")),
                            summary=str(component.get("SUMMARY", "")))
    return events


# The walk ----------------------------------------------------------------------------------


@dataclass
class Step:
    """What one post did: its response, and the page the nurse was sent to with its flashes."""

    name: str
    response: Any
    landing: Html | None
    pages: dict[str, dict[str, Any]]  # role -> url -> response
    detail: dict[str, Html] = field(default_factory=dict)  # role -> its participant page
    subscription: Any = None  # the family's calendar link, once one is issued

    @property
    def flashes(self) -> list[str]:
        return self.landing.flashes if self.landing else []


class Scenario:
    """One child walked through the protocol by the nurse; every role reads after each step."""

    def __init__(self, app: Flask, as_role: Any, clock: Clock) -> None:
        self.app, self._clock = app, clock
        self.clients: dict[str, FlaskClient] = {role: as_role(role) for role in ROLES}
        self.nurse = self.clients["nurse"]
        self.code = "AS-001"
        self.pid: int | None = None
        self.today = TODAY
        self.expected: dict[str, Expected] = {}
        self.status = "enrolled"
        self.upcr: dict[str, str] = {}  # visit code -> UPCR typed in mg/mg
        self.steps: list[str] = []

    # Time and expectations

    def on(self, iso: str) -> None:
        """Make "today" at the site the given day, as the year goes by."""
        day = d(iso)
        self.today = self._clock.day = day

    def plan(self, table: dict[str, tuple[str, str, str, str]], anchor: int) -> None:
        """Expect the eleven follow-up visits of a hand-worked table, counted from infusion
        `anchor`: code -> (target, window start, window end, suggested clinic day)."""
        days = {"W02": 14, "W04": 28, "W06": 42, "W08": 56, "M03": 92, "M04": 122,
                "M05": 153, "M06": 184, "M08": 245, "M10": 306, "M12": 365}
        for code, (target, start, end, suggested) in table.items():
            old = self.expected.get(code)
            self.expected[code] = Expected(
                code, LABELS[code], d(target), f"day {days[code]} after infusion {anchor}",
                (d(start), d(end)), d(suggested),
                **({} if old is None else {"status": old.status, "actual": old.actual,
                                            "booked": old.booked,
                                            "booked_time": old.booked_time}))

    def expect(self, code: str, **changes: Any) -> None:
        self.expected[code] = replace(self.expected[code], **changes)

    # Reading the database

    def visits(self) -> dict[str, Visit]:
        with self.app.app_context():
            rows = db.session().scalars(select(Visit).where(Visit.participant_id == self.pid))
            return {v.code: v for v in rows}

    def visit_id(self, code: str) -> int:
        return self.visits()[code].id

    def stored_status(self) -> str:
        with self.app.app_context():
            return db.session().get(Participant, self.pid).status

    def audit(self, **where: Any) -> list[FieldChange]:
        return audit_rows(self.app, AuditEvent.participant_id == self.pid, **where)

    # Steps, each a post by the nurse

    def enrol(self) -> Step:
        response = self.nurse.post("/participants/enrol", data=enrolment_form(self.app))
        assert response.status_code == 302, response.text
        self.pid = int(re.search(r"/participants/(\d+)", response.location).group(1))
        return self._after("enrol", response)

    def post(self, name: str, url: str, data: dict[str, str], expect: int = 302) -> Step:
        """Post a form from its page opened now (with the version it shows)."""
        response = submit(self.nurse, url, data)
        assert response.status_code == expect, (
            f"{name}: {url} answered {response.status_code}, expected {expect}\n"
            f"{' '.join(Html(response.text).flashes)}")
        return self._after(name, response)

    def infusion(self, number: int, iso: str, expect: int = 302, **fields: str) -> Step:
        return self.post(f"infusion {number} on {iso}",
                         f"/participants/{self.pid}/infusions/{number}",
                         infusion_form(date=iso, **fields), expect)

    def results(self, code: str, iso: str, upcr: str = "0.45", **changes: Any) -> Step:
        """Enter a visit's results sampled on iso (today moves there first if it is earlier)."""
        if d(iso) > self.today:
            self.on(iso)
        visit = self.visit_id(code)
        empty = {key: ("", unit) for key, (_value, unit) in RESULTS.items() if key not in ENTERED}
        data = results_form(self.nurse, visit, sample_date=iso,
                            **{**empty, "upcr": (upcr, "mg/mg"), **changes})
        self.upcr[code] = upcr
        self.expect(code, status="done", actual=d(iso))
        return self.post(f"results of {code} sampled {iso}", f"/visits/{visit}", data)

    # The check after every step

    def _after(self, name: str, response: Any) -> Step:
        self.steps.append(name)
        pages: dict[str, dict[str, Any]] = {role: {} for role in ROLES}
        if response.status_code == 302:  # the nurse lands where she is sent, and reads flashes
            location = urlsplit(response.location).path
            pages["nurse"][location] = landed = self.nurse.get(location)
            landing = Html(landed.text)
        else:
            landing = Html(response.text)
        step = Step(name, response, landing, pages)
        self.check(step)
        return step

    def check(self, step: Step) -> None:
        where = f"after step {len(self.steps)} ({step.name}), today {self.today}"
        visits = self.visits()
        self._crawl(step, visits, where)
        parsed = step.detail
        rows = self._check_schedule(parsed, visits, where)
        self._check_status(parsed, step, where)
        self._check_trend(parsed, rows, where)
        self._check_visit_pages(step, visits, rows, where)
        self._check_list(step, rows, where)
        self._check_calendars(step, parsed, visits, rows, where)

    @property
    def _detail(self) -> str:
        return f"/participants/{self.pid}"

    def _crawl(self, step: Step, visits: dict[str, Visit], where: str) -> None:
        pid = self.pid
        must_be_200 = [self._detail, f"{self._detail}/history", f"{self._detail}/card",
                       f"{self._detail}/calendar.ics", "/clinic/calendar.ics", "/participants/"]
        must_be_200 += [f"/visits/{v.id}" for v in visits.values()]
        problems = []
        for role, client in self.clients.items():
            fetched = step.pages[role]
            for url in [*must_be_200, "/"]:
                if url not in fetched:
                    fetched[url] = client.get(url)
            for url in must_be_200:
                if fetched[url].status_code != 200:
                    problems.append(f"{role} GET {url}: {fetched[url].status_code}")
            home = fetched["/"]  # the worklist is every role's home page
            if home.status_code != 200 or "<h1>Worklist</h1>" not in home.text:
                problems.append(f"{role} GET /: {home.status_code} {home.location}")
            if fetched[self._detail].status_code != 200:
                continue
            page = step.detail[role] = Html(fetched[self._detail].text)
            for href in page.hrefs:
                parts = urlsplit(href)
                if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
                    continue
                url = parts.path + (f"?{parts.query}" if parts.query else "")
                if url not in fetched:
                    fetched[url] = client.get(url)
                code = fetched[url].status_code
                allowed = (200, 302) if role in WRITE_ROLES else (200, 302, 403)
                if code not in allowed:
                    problems.append(f"{role} GET {url} (linked from {self._detail}): {code}")
        # The family's subscription link needs no log-in: it is the same for every role.
        link = step.detail.get("nurse") and step.detail["nurse"].marked.get("calendar-link")
        if link:
            feed = step.subscription = self.app.test_client().get(urlsplit(link).path)
            if feed.status_code != 200:
                problems.append(f"GET {link} without log-in: {feed.status_code}")
        assert not problems, f"{where}, pages of participant {pid} failed:\n" + "\n".join(
            problems)

    def _check_schedule(self, parsed: dict[str, Html], visits: dict[str, Visit],
                        where: str) -> list[ScheduleRow]:
        rows = schedule_rows(parsed["nurse"])
        for role in ROLES:
            assert schedule_rows(parsed[role]) == rows, f"{where}: {role} sees another schedule"
        expected = sorted(self.expected.values(), key=lambda e: (e.target, e.code))
        assert [r.code for r in rows] == [e.code for e in expected], where
        for row, wanted in zip(rows, expected, strict=True):
            assert row == wanted.row(self.today), (f"{where}: schedule row {row.code}", row,
                                                   wanted.row(self.today))
        for row in rows:  # the page shows what is stored
            stored = visits[row.code]
            assert (stored.target_date, (stored.window_start, stored.window_end),
                    stored.suggested_date, stored.booked_date, stored.status,
                    stored.actual_date) == (row.target, row.window, row.suggested, row.booked,
                                            row.status, row.actual), f"{where}: {row.code}"
            assert stored.missed_reason == self.expected[row.code].missed_reason, where
        return rows

    def _check_status(self, parsed: dict[str, Html], step: Step, where: str) -> None:
        for role in ROLES:
            status = parsed[role].facts.get("Status", "")
            assert status.split(" (")[0] == self.status, f"{where}: {role} reads {status!r}"
        assert self.stored_status() == self.status, f"{where}: stored status"

    def _check_trend(self, parsed: dict[str, Html], rows: list[ScheduleRow],
                     where: str) -> None:
        lines = trend_rows(parsed["nurse"])
        for role in ROLES:
            assert trend_rows(parsed[role]) == lines, f"{where}: {role} sees another trend"
        if not any(r.status == "done" for r in rows):
            assert lines == [], f"{where}: a trend without any results"
            return
        assert [t.code for t in lines] == [r.code for r in rows], f"{where}: trend rows"
        for line, row in zip(lines, rows, strict=True):
            if row.status == "done":
                assert line.sample == row.actual, f"{where}: {row.code} sample date in trend"
                if row.code in self.upcr:
                    upcr = line.cells.get("m-upcr", "")
                    assert upcr.startswith(f"{self.upcr[row.code]} mg/mg"), (
                        f"{where}: {row.code} UPCR in trend reads {upcr!r}")
            else:
                reason = self.expected[row.code].missed_reason
                note = {"planned": "no sample yet", "cancelled": "cancelled",
                        "missed": f"missed: {reason}" if reason else "missed"}[row.status]
                assert (line.sample, line.note) == (None, note), f"{where}: {row.code} trend"

    def _check_visit_pages(self, step: Step, visits: dict[str, Visit],
                           rows: list[ScheduleRow], where: str) -> None:
        for row in rows:
            url = f"/visits/{visits[row.code].id}"
            wanted = row.status + (f" ({shown(row.actual)})" if row.actual else "")
            for role in ROLES:
                found = STATUS_HEADING.search(step.pages[role][url].text)
                heading = " ".join(found.group(1).split()) if found else None
                assert heading == wanted, f"{where}: {role} reads {row.code} as {heading!r}"

    def _check_list(self, step: Step, rows: list[ScheduleRow], where: str) -> None:
        today = self.today
        to_come = [r for r in rows if r.status == "planned"
                   and (r.window[1] >= today or (r.booked is not None and r.booked >= today))]
        following = min(to_come, key=lambda r: (
            r.booked if r.booked is not None and r.booked >= today else r.suggested,
            r.code)).code if to_come else "—"
        for role in ROLES:
            listed = Html(step.pages[role]["/participants/"].text)
            (row,) = [r for r in listed.rows if r.cells and r.cells[0].text == self.code]
            texts = [c.text for c in row.cells]
            assert texts[1] == self.status, f"{where}: {role} list status {texts[1]!r}"
            assert texts[4].split(" ")[0] == following, (
                f"{where}: {role} list says next visit {texts[4]!r}, expected {following}")

    def _check_calendars(self, step: Step, parsed: dict[str, Html], visits: dict[str, Visit],
                         rows: list[ScheduleRow], where: str) -> None:
        shared = [r for r in rows if visits[r.code].kind != "screening"]
        family_body = step.pages["nurse"][f"{self._detail}/calendar.ics"].get_data()
        for role in ROLES:
            assert step.pages[role][f"{self._detail}/calendar.ics"].get_data() == family_body, (
                f"{where}: {role} downloads another family calendar")
        if step.subscription is not None:
            assert step.subscription.get_data() == family_body, (
                f"{where}: the subscription link and the download differ")
        family = events_of(family_body)
        clinic = events_of(step.pages["nurse"]["/clinic/calendar.ics"].get_data())
        assert len(family) == 2 * len(shared), (
            f"{where}: {len(family)} family events for {len(shared)} visits (visit + urine)")
        # The clinic plans with the planned visits from 30 days back to 180 ahead.
        planned = {r.code for r in shared if r.status == "planned"
                   and -30 <= (expected_event_day(r) - self.today).days <= 180}
        assert set(clinic) == {
            f"{visits[c].calendar_uid}-clinic" for c in planned}, f"{where}: clinic feed"
        for row in shared:
            uid = visits[row.code].calendar_uid
            event, urine = family.get(uid), family.get(f"{uid}-urine")
            assert event and urine, f"{where}: {row.code} is missing from a calendar"
            # The clinic feed's event, where the visit is in the clinic's plan (checked above).
            staff = [clinic[f"{uid}-clinic"]] if row.code in planned else []
            if row.code.startswith("U"):  # named as what it is, Chinese first
                assert event.summary.endswith("计划外随访 / Unscheduled visit"), (
                    where, event.summary)
            else:
                assert f"Follow-up visit {row.label}" in event.summary, (where, event.summary)
            for e in staff:
                assert e.summary.startswith(f"{self.code} {row.code} "), (where, e.summary)
            if row.status in ("cancelled", "missed"):  # no appointment for the family any more
                for e in (event, urine, *staff):
                    assert e.status == "CANCELLED", f"{where}: {row.code} {e.uid} {e.status}"
                # Missed is the family's own word; cancelled, the clinic's.
                told = "未到访" if row.status == "missed" else "已取消"
                assert event.summary.startswith(told), (where, event.summary)
                continue
            day = expected_event_day(row)
            # Done, or booked on that day: confirmed; a suggested day is tentative.
            sure = ("CONFIRMED" if row.status == "done" or row.booked == day else "TENTATIVE")
            for e in (event, *staff):
                assert (e.status, e.day) == (sure, day), (
                    f"{where}: {row.code} ({row.status}) calendar event {e.uid} {e.status} on "
                    f"{e.day}, expected {sure} on {day}")
                if row.status == "planned":  # a booked time is on the event, else all day
                    assert e.time == row.booked_time, f"{where}: {row.code} at {e.time}"
            assert (urine.status, urine.day) == (sure, day - timedelta(days=1)), (
                f"{where}: {row.code} urine reminder on {urine.day}, expected the day before "
                f"{day}")
        card = Html(step.pages["nurse"][f"{self._detail}/card"].text)
        assert [r.attrs["data-visit"] for r in card.rows_marked("data-visit")] == [
            r.code for r in shared if r.status not in ("cancelled", "missed")
        ], f"{where}: card rows"
