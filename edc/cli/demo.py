"""Demo accounts, a demo allocation list and children in every state, dated around today."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, time, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from edc import services
from edc.models import Allocation, LogEntry, Participant, User, Visit
from edc.permissions import Role
from edc.protocol.codes import Sex, VisitKind
from edc.protocol.crf import ResultsForm
from edc.protocol.study import ADVERSE_EVENTS, DEVIATIONS, VITAL_SIGNS, Study
from edc.services import GENERAL, Context, Refused
from edc.services.accounts import create_user
from edc.services.locks import freeze
from edc.services.logs import typed_values
from edc.services.queries import answer_query, close_query, raise_query
from edc.services.review import casebook_version, sign_casebook, verify

DEMO_PASSWORD = "demo-password"
# The demo's accounts: user name, role, and its (invented) person's name.
DEMO_USERS = (
    ("nurse", Role.NURSE, "陈静 Chen Jing"),
    ("investigator", Role.INVESTIGATOR, "李明 Li Ming"),
    ("monitor", Role.MONITOR, "王芳 Wang Fang"),
    ("pharmacist", Role.UNBLINDED, "张伟 Zhang Wei"),
    ("admin", Role.ADMIN, "刘洋 Liu Yang"),
)


def demo_allocation_csv(study: Study, blocks: int = 10, seed: int | None = None) -> str:
    """A 1:1 list in permuted blocks of four (demo only: the real one is the statistician's)."""
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    codes = [arm.code for arm in study.arms[:2]]
    lines, sequence = ["sequence,arm"], 0
    for _block in range(blocks):
        block = codes * 2
        rng.shuffle(block)
        for arm in block:
            sequence += 1
            lines.append(f"{sequence},{arm}")
    return "\n".join(lines) + "\n"


def _child(code: str, born: date, sex: str, consent: date, study: Study) -> services.EnrolmentData:
    return services.EnrolmentData(
        code=code,
        date_of_birth=born,
        sex=sex,
        weight_kg=24.0,
        height_cm=125.0,
        consent_date=consent,
        screening_egfr=98.0,
        eligibility={c.code: c.required_answer for c in study.criteria},
    )


# (UPCR mg/mg, urine RBC /HPF, creatinine umol/L, cystatin C mg/L, lab eGFR) at screening and
# at each of the eleven visits: proteinuria and hematuria fall over the year, for the trend table
# and chart (a child ends in complete remission).
DEMO_LABS = [(1.2, 40, 41, 0.95, 96), (0.9, 28, 40, 0.93, 99), (0.62, 15, 39, 0.9, 101),
             (0.45, 8, 38, 0.88, 104), (0.38, 6, 38, 0.87, 105), (0.3, 5, 38, 0.86, 106),
             (0.27, 5, 37, 0.86, 107), (0.24, 4, 37, 0.85, 108), (0.22, 4, 37, 0.85, 108),
             (0.2, 3, 36, 0.84, 109), (0.18, 3, 36, 0.84, 110), (0.16, 2, 36, 0.83, 111)]


def _demo_results(form: ResultsForm, labs: tuple, sample: date) -> services.ResultsData:
    upcr, rbc, creatinine, cystatin, egfr = labs
    typed = {"upcr": (upcr, "mg/mg"), "urine_rbc": (rbc, "/HPF"),
             "creatinine": (creatinine, "umol/L"), "cystatin_c": (cystatin, "mg/L"),
             "egfr_lab": (egfr, ""), "protein_24h": (round(upcr * 700), "mg/24h"),
             "height": (125, ""), "weight": (24, "")}
    return services.ResultsData(sample_date=sample, results={
        key: services.TypedResult(text=f"{value:g}", unit=unit, confirmed=True)
        for role, (value, unit) in typed.items()
        for key in [form.by_role(role).key]})


class _Demo:
    """Takes demo children through the protocol in its real order, through the services."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.today = ctx, ctx.today
        self.study, self.calendar, self.form = ctx.study, ctx.calendar, ctx.study.results

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def enrol(self, code: str, consent_ago: int, sex: str = Sex.FEMALE) -> Participant:
        data = _child(code, self.today - timedelta(days=365 * 8 + 40), sex, self.ago(consent_ago),
                      self.study)
        # Each step is entered on the day it happened, as the site would have.
        return services.enrol(self.ctx.on(data.consent_date), data)

    def screening(self, child: Participant, sample_ago: int) -> None:
        visit = services.add_visit(self.ctx, child, VisitKind.SCREENING, self.ago(sample_ago), "")
        self.results(visit, 0, self.ago(sample_ago))

    def infuse(self, child: Participant, number: int, days_ago: int) -> None:
        services.save_infusion(
            self.ctx.on(self.ago(days_ago)), child, number,
            services.InfusionData(date=self.ago(days_ago), weight_kg=24.0,
                                  product_lot=f"UC-2026-{number:02d}{child.code[-1]}",
                                  volume_ml=50.0),
            confirmed_date=self.ago(days_ago))

    def results(self, visit: Visit, step: int, sample: date) -> None:
        services.save_results(
            self.ctx.on(sample), visit,
            _demo_results(self.form, DEMO_LABS[min(step, len(DEMO_LABS) - 1)], sample),
            expected_version=visit.version, reason="")

    def follow_up(self, child: Participant, codes: int | None = None, *,
                  missed: tuple[str, ...] = (), late: dict[str, int] | None = None) -> None:
        """Results for the first `codes` visits whose window has closed (all such by default)."""
        past = [v for v in child.follow_up if v.window_end < self.today]
        for step, visit in enumerate(past[:codes], start=1):
            if visit.code in missed:
                services.mark_missed(self.ctx, visit,
                                     "家长带孩子回老家，未能按时就诊")
                continue
            sample = visit.suggested_date + timedelta(days=(late or {}).get(visit.code, 0))
            self.results(visit, step, min(sample, self.today))

    def visit(self, child: Participant, code: str) -> Visit:
        return next(v for v in child.visits if v.code == code)

    def book(self, visit: Visit, day: date, at: time | None, reason: str = "") -> None:
        # Booked the day before, as a family calls ahead: a time today may have gone by now.
        services.book_visit(self.ctx.on(self.today - timedelta(days=1)), visit, day, at, reason)

    def child(self, code: str) -> Participant:
        return self.ctx.session.scalars(select(Participant).where(Participant.code == code)).one()

    def adverse_event(self, code: str, days_ago: int, **values: object) -> LogEntry:
        """An adverse event of the child, entered today."""
        log = self.ctx.study.log(ADVERSE_EVENTS)
        onset = self.ago(days_ago)
        answers = {"onset_date": onset, "ongoing": "no", "serious": "no", "action": ["NONE"],
                   "outcome": "RECOVERED", **values}
        return services.save_log_entry(self.ctx, self.child(code), log, answers)

    def first_day(self, start: date, end: date, *, open_: bool = True) -> date:
        """The first day from start to end that is a clinic day (or a closed one)."""
        day = start
        while day < end and self.calendar.is_open(day) != open_:
            day += timedelta(days=1)
        return day


def load_demo(ctx: Context) -> Iterator[str]:
    """Fill an empty database with demo data, dated around ctx.today; yield what to tell the user.

    The accounts and the list are created by ctx.actor, the console (no blinded account may load
    the list or make the unblinded one), the children entered by the demo nurse.
    A database with any account, allocation or child of its own is refused: demo accounts
    with a published password must never reach a real trial database.
    """
    session = ctx.session
    demo_users = {name for name, _role, _person in DEMO_USERS}
    users = set(session.scalars(select(User.username)))
    pages: dict[str, str] = {}  # the family pages issued now, by participant code
    if users and users == demo_users:
        yield "Demo data already present."
    elif users or session.scalar(select(Allocation.id).limit(1)) or session.scalar(
            select(Participant.id).limit(1)):
        raise Refused({GENERAL: [
            "This database already holds accounts, an allocation list or children: "
            "`edc demo` only fills an empty database. Nothing was added."]})
    else:
        for username, role, person in DEMO_USERS:
            create_user(ctx, username, role, DEMO_PASSWORD, person, rehearsal=True)
        services.load_allocation(ctx, demo_allocation_csv(ctx.study))
        nurse = session.scalars(select(User).where(User.username == "nurse")).one()
        demo = _Demo(ctx.by(nurse))
        count = _load_children(demo)
        pages = _family_links(demo)
        _load_adverse_events(demo)
        _load_review(demo)  # before the freeze: AS-001 is verified and signed, then frozen
        _freeze_completed_child(demo)
        _load_queries(demo)
        yield f"Demo data loaded: {count} children, a 40-entry allocation list, 5 accounts."
    yield "Log in at http://127.0.0.1:5000/ with one of these accounts:"
    for username, role, _person in DEMO_USERS:
        yield f"  {username:<13} {DEMO_PASSWORD}   ({role})"
    for code, token in pages.items():
        yield f"Family page of {code} (no log-in): http://127.0.0.1:5000/calendar/{token}"


def _family_links(demo: _Demo) -> dict[str, str]:
    """Issue the family links whose pages show every visit status between them: AS-002 (done,
    booked, to book) and AS-007 (done, missed, cancelled: a withdrawal cancels every booking)."""
    return {code: services.issue_calendar_link(demo.ctx, demo.child(code))
            for code in ("AS-002", "AS-007")}


def _load_review(demo: _Demo) -> None:
    """Source data verification and signatures for the monitor's walk-through: AS-001's
    enrolment, infusions and done visits verified and its casebook signed; AS-002's casebook
    signed and its headache verified, both undone by a later correction of that event."""
    session = demo.ctx.session
    monitor = session.scalars(select(User).where(User.role == Role.MONITOR)).first()
    investigator = session.scalars(select(User).where(User.role == Role.INVESTIGATOR)).first()
    if monitor is None or investigator is None:
        return
    first = demo.child("AS-001")
    checking = demo.ctx.by(monitor)
    verify(checking, first, "participant", first.id, first.version)
    for infusion in first.infusions:
        verify(checking, first, "infusion", infusion.id, infusion.version)
    for visit in first.visits:
        if visit.status == "done":
            verify(checking, first, "visit", visit.id, visit.version)
    signing = demo.ctx.by(investigator)
    for code in ("AS-001", "AS-002"):
        child = demo.child(code)
        sign_casebook(signing, child, DEMO_PASSWORD, True, casebook_version(signing, child))
    second = demo.child("AS-002")
    headache = session.scalars(select(LogEntry).where(
        LogEntry.participant_id == second.id, LogEntry.form == ADVERSE_EVENTS)
        .order_by(LogEntry.number.desc())).first()
    if headache is not None:
        log = demo.ctx.study.log(ADVERSE_EVENTS)
        values = typed_values(log.form, headache)
        grade = log.form.by_role("grade").key if any(
            f.role == "grade" for f in log.form.fields) else None
        if grade is not None:
            # Verified, then cleared by the correction below.
            verify(checking, second, "log_entry", headache.id, headache.version)
            values[grade] = "2"
            services.save_log_entry(demo.ctx, second, log, values, entry=headache,
                                    reason="分级更正 Grade corrected from the source")


def _load_adverse_events(demo: _Demo) -> None:
    """Adverse events in every state: ended, ongoing at the last visit, serious and waiting for
    an investigator, serious and acknowledged, removed as entered in error."""
    # AS-001: fever the evening of infusion 1, gone the next day.
    demo.adverse_event("AS-001", 399, term="发热", end_date=demo.ago(398), grade="1",
                       relation="PROBABLE", infusion="1", action=["MEDICATION"])
    # AS-002: urticaria during infusion 2; a headache since before W02, still going on.
    demo.adverse_event("AS-002", 27, term="荨麻疹", end_date=demo.ago(26), grade="2",
                       relation="PROBABLE", infusion="2", action=["SLOWED", "MEDICATION"])
    demo.adverse_event("AS-002", 20, term="头痛", ongoing="yes", grade="1", relation="UNLIKELY",
                       infusion="NONE", outcome="NOT_RECOVERED")
    # AS-003: an allergic reaction to infusion 1, admitted: serious, not yet acknowledged.
    demo.adverse_event("AS-003", 2, term="过敏反应", ongoing="yes", grade="3", serious="yes",
                       serious_criteria=["AESHOSP"], relation="PROBABLE", infusion="1",
                       action=["STOPPED", "MEDICATION", "HOSPITALISED"], outcome="RECOVERING")
    # AS-006: pneumonia with a hospital stay; the investigator has acknowledged it.
    pneumonia = demo.adverse_event(
        "AS-006", 66, term="社区获得性肺炎", end_date=demo.ago(58), grade="3", serious="yes",
        serious_criteria=["AESHOSP"], relation="NOT", infusion="NONE",
        action=["HOSPITALISED"])
    investigator = demo.ctx.session.scalars(
        select(User).where(User.username == "investigator")).one()
    services.acknowledge(demo.ctx.by(investigator), demo.child("AS-006"), pneumonia)
    # AS-007: nausea entered for the wrong child, then removed.
    wrong = demo.adverse_event("AS-007", 160, term="恶心", end_date=demo.ago(160), grade="1",
                               relation="UNLIKELY", infusion="1")
    services.remove_log_entry(demo.ctx, demo.child("AS-007"), wrong, "录入错误：应为AS-008")
    # AS-008: a protocol deviation the nurse recorded by hand.
    services.save_log_entry(demo.ctx, demo.child("AS-008"), demo.ctx.study.log(DEVIATIONS), {
        "category": "SAMPLE", "deviation_date": demo.ago(33),
        "description": "计划外访视未留取24小时尿标本",
        "corrective_action": "已向家长再次讲解留尿方法，下次访视前电话提醒"})


def _load_children(demo: _Demo) -> int:
    """One child in each state a nurse meets; return how many."""
    # AS-001: a whole year - screening, both infusions, all eleven visits: completed.
    child = demo.enrol("AS-001", 415)
    demo.screening(child, 405)
    demo.infuse(child, 1, 399)
    demo.infuse(child, 2, 385)
    demo.follow_up(child)
    # AS-002: both infusions, W02 done, W04 booked for the first clinic day from today.
    child = demo.enrol("AS-002", 50, Sex.MALE)
    demo.screening(child, 45)
    demo.infuse(child, 1, 41)
    demo.infuse(child, 2, 27)
    demo.follow_up(child)
    w04 = demo.visit(child, "W04")
    day = demo.first_day(max(demo.today, w04.window_start), w04.window_end)
    demo.book(w04, day, time(9, 30),
              "" if demo.calendar.is_open(day) else "家长只有这一天能来")
    # AS-003: screening results, then infusion 1 two days ago; infusion 2 is due.
    child = demo.enrol("AS-003", 12, Sex.MALE)
    demo.screening(child, 8)
    demo.infuse(child, 1, 2)
    # AS-004: enrolled yesterday, nothing else yet.
    demo.enrol("AS-004", 1)
    # AS-005: screening results only.
    child = demo.enrol("AS-005", 6, Sex.MALE)
    demo.screening(child, 3)
    # AS-006: the second infusion was not given: follow-up counts from infusion 1.
    child = demo.enrol("AS-006", 90)
    demo.screening(child, 85)
    demo.infuse(child, 1, 80)
    services.anchor_on_first_infusion(
        demo.ctx, child, "第2次输注当天发热，家长拒绝改期")
    demo.follow_up(child)
    # AS-007: W04 sampled after its window, W06 missed, withdrawn after M03.
    child = demo.enrol("AS-007", 175, Sex.MALE)
    demo.screening(child, 170)
    demo.infuse(child, 1, 165)
    demo.infuse(child, 2, 151)
    demo.follow_up(child, 5, missed=("W06",), late={"W04": 6})
    with force_locale("zh_CN"):  # the reason's category as the nurse who withdrew him reads it
        services.withdraw(demo.ctx, child, {
            "reason": "LOST", "detail": "全家搬迁至外地，电话无法联系", "adverse_event": None,
            "termination_date": demo.ctx.today, "last_contact": demo.ago(20)})
    # AS-008: an unscheduled visit between the infusions, infusion 2 late (day 18),
    # W02 overdue, W04 booked on a closed day with a reason.
    child = demo.enrol("AS-008", 50)
    demo.screening(child, 47)
    demo.infuse(child, 1, 40)
    unscheduled = services.add_visit(demo.ctx, child, VisitKind.UNSCHEDULED, demo.ago(33),
                                     "感冒后出现肉眼血尿")
    demo.results(unscheduled, 1, demo.ago(33))
    demo.infuse(child, 2, 22)
    w04 = demo.visit(child, "W04")
    closed = demo.first_day(w04.window_start, w04.window_end, open_=False)
    demo.book(w04, closed, None, "父母工作日都要上班")
    _demo_vital_signs(demo)
    _medications(demo)
    return 8


# Vital signs of infusion 1 (time point: clock time, temperature, heart rate, respiratory rate,
# systolic, diastolic, SpO2): AS-002 calm throughout; AS-003 with a fever at 15 minutes, to be
# recorded as an infusion reaction from its vital signs page.
DEMO_VITAL_SIGNS = {
    "AS-002": {"PRE": ("08:50", 36.6, 92, 20, 102, 62, 98),
               "15MIN": ("09:20", 36.8, 96, 20, 104, 64, 98),
               "1H": ("10:05", 36.7, 94, 19, 100, 60, 99),
               "END": ("10:40", 36.6, 90, 20, 102, 62, 98)},
    "AS-003": {"PRE": ("08:45", 36.7, 90, 20, 104, 64, 98),
               "15MIN": ("09:15", 38.6, 118, 24, 108, 66, 97),
               "1H": ("10:00", 37.3, 104, 22, 106, 64, 98),
               "END": ("10:35", 36.9, 96, 20, 104, 62, 98)},
}


def _demo_vital_signs(demo: _Demo) -> None:
    """Enter the vital signs of DEMO_VITAL_SIGNS on the day of each child's infusion 1."""
    log = demo.study.log(VITAL_SIGNS)
    measures = [f.key for f in log.form.fields if f.units]
    for code, points in DEMO_VITAL_SIGNS.items():
        child = demo.child(code)
        infusion = child.infusion(1)
        assert infusion is not None
        for point, (clock, *values) in points.items():
            hours, minutes = map(int, clock.split(":"))
            services.save_log_entry(demo.ctx.on(infusion.date), child, log, {
                log.form.by_role("infusion").key: "1", log.form.by_role("timepoint").key: point,
                log.form.by_role("start").key: infusion.date, "time": time(hours, minutes),
                **dict(zip(measures, values, strict=True))})



def _medications(demo: _Demo) -> None:
    """An ACEI/ARB history for AS-001 (a dose raised 19 days before its M03 sample) and
    AS-002 (losartan by weight), and another medication."""
    ctx = demo.ctx
    acei, other = ctx.study.log("medications"), ctx.study.log("other_medications")
    child = demo.child

    def course(p: Participant, drug: str, dose: float, unit: str, frequency: str, start: date,
               end: date | None, change: str) -> None:
        services.save_log_entry(ctx, p, acei, {
            "drug": drug, "dose": dose, "dose_unit": unit, "frequency": frequency,
            "start_date": start, "end_date": end, "ongoing": "no" if end else "yes",
            "change": change})

    first = child("AS-001")
    raised = demo.visit(first, "M03").actual_date
    assert raised is not None
    raised -= timedelta(days=19)
    course(first, "ENALAPRIL", 2.5, "mg", "BID", demo.ago(480), raised - timedelta(days=1),
           "STARTED")
    course(first, "ENALAPRIL", 5, "mg", "BID", raised, None, "INCREASED")
    second = child("AS-002")
    course(second, "LOSARTAN", 0.7, "mg/kg", "QD", demo.ago(200), None, "STARTED")
    services.save_log_entry(ctx, second, other, {
        "name": "骨化三醇软胶囊", "dose": "0.25 µg 每日1次", "indication": "维生素D缺乏",
        "start_date": demo.ago(60), "ongoing": "yes"})


def _freeze_completed_child(demo: _Demo) -> None:
    """The monitor has frozen AS-001, whose follow-up is complete; the database stays open."""
    monitor = demo.ctx.session.scalars(select(User).where(User.username == "monitor")).one()
    freeze(demo.ctx.by(monitor), demo.child("AS-001"),
           "随访已完成，源数据核查完毕，等待中期分析")


def _load_queries(demo: _Demo) -> None:
    """Queries for the monitor's walk-through: one open on a creatinine, one answered by the
    nurse's correction, one answered and closed (the automatic ones came with the results)."""
    session, nurse = demo.ctx.session, demo.ctx
    monitor = nurse.by(session.scalars(select(User).where(User.username == "monitor")).one())
    # AS-002: the W02 creatinine, open for the nurse.
    child = demo.child("AS-002")
    key = demo.form.by_role("creatinine").key
    creatinine = next(r for r in demo.visit(child, "W02").results if r.field == key)
    raise_query(monitor, child, "result", creatinine.id, "value",
                "化验单原件上的肌酐与录入值不一致，请核对。")
    # AS-002: the urticaria's term, answered by correcting it with a reason.
    log = demo.study.log(ADVERSE_EVENTS)
    rash = session.scalars(select(LogEntry).where(
        LogEntry.participant_id == child.id, LogEntry.form == ADVERSE_EVENTS)
        .order_by(LogEntry.number)).first()
    assert rash is not None  # _load_adverse_events entered it
    raise_query(monitor, child, "log_entry", rash.id, "term", "病历记录为“急性荨麻疹”，请核对。")
    values = {**typed_values(log.form, rash), "term": "急性荨麻疹"}
    services.save_log_entry(nurse, child, log, values, entry=rash, reason="按病历更正",
                            expected_version=rash.version)
    # AS-002: infusion 1's product lot, answered and closed.
    infusion = child.infusion(1)
    assert infusion is not None
    query = raise_query(monitor, child, "infusion", infusion.id, "product_lot",
                        "请核对批号与药品标签是否一致。")
    answer_query(nurse, query, "已核对药品标签及发药记录，批号一致。",
                 expected_version=query.version)
    close_query(monitor, query, expected_version=query.version)
