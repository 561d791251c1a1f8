"""A large generated trial for measuring the app: children at every stage, through the services.

`grow` enrols N children with consent dates spread over the 15 months before today, so that at
today some are just screened, some between their infusions, some in the middle of their year and
some finished, and takes each through the protocol as the site would (screening results, two
infusions, results for every visit whose window has passed, bookings, adverse events,
medications, now and then a missed visit or a withdrawal). The same seed grows the same children.
"""

from __future__ import annotations

import math
import random
import re
import shutil
import time as clock
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edc import services
from edc.app import context_for
from edc.cli.demo import DEMO_PASSWORD, DEMO_USERS, _Demo, demo_allocation_csv
from edc.models import Allocation, Base, Participant, User, Visit
from edc.protocol.codes import Sex
from edc.protocol.study import ADVERSE_EVENTS, Study
from edc.services import GENERAL, Context, Operator, Refused
from edc.services.accounts import create_user

# Raised whenever what grow writes changes, so a cached grown database is built again.
GROW_VERSION = 1
CODE_PREFIX = "AS-"
# Consents spread over this many days before today: a year of follow-up plus screening and the
# two infusions is about 390 days, so about a seventh of the children have finished.
SPAN_DAYS = 455
BATCH = 50  # children per commit: one commit per child spends most of its time syncing


@dataclass(frozen=True)
class Grown:
    """What grow built and how fast."""

    children: int
    rows: int
    seconds: float

    @property
    def children_per_second(self) -> float:
        return self.children / self.seconds if self.seconds else 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def participant_code(n: int, children: int) -> str:
    """The code of the n-th child of `children`: AS- and the number, at least three digits."""
    return f"{CODE_PREFIX}{n:0{max(3, len(str(children)))}d}"


def codes_fit(study: Study, children: int) -> bool:
    """Whether the codes of `children` children match the study's participant code pattern."""
    pattern = study.info.participant_code_pattern
    return all(re.fullmatch(pattern, participant_code(n, children)) for n in (1, children))


def widen_codes(forms: Path, target: Path, children: int) -> Path:
    """Copy the study folder forms to target with a participant code pattern that fits
    `children` codes; the copy is for a generated database only, never the trial's."""
    digits = max(3, len(str(children)))
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(forms, target)
    study_toml = target / "study.toml"
    text = study_toml.read_text(encoding="utf-8")
    text, count = re.subn(r'(?m)^participant_code_pattern = ".*"$',
                          f'participant_code_pattern = "^{CODE_PREFIX}[0-9]{{{digits}}}$"', text)
    if count != 1:
        raise ValueError(f"Got {count} participant_code_pattern lines in {study_toml}. "
                         "Expected one.")
    text = re.sub(r'(?m)^participant_code_example = ".*"$',
                  f'participant_code_example = "{participant_code(1, children)}"', text)
    study_toml.write_text(text, encoding="utf-8")
    return target


def count_rows(session: Session) -> int:
    """Every row of every table of the app."""
    return sum(session.scalar(select(func.count()).select_from(table)) or 0
               for table in Base.metadata.sorted_tables)


@contextmanager
def batched_commits(session: Session, every: int) -> Iterator[Callable[[], None]]:
    """Within the block the services' commits only flush (audit rows are written on flush);
    the yielded step() commits once every `every` calls, and the block's end commits the rest."""
    commit = session.commit
    session.commit = session.flush  # type: ignore[method-assign]
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if done % every == 0:
            commit()

    try:
        yield step
        commit()
    finally:
        del session.commit


def grow(app: Flask, children: int, seed: int = 1, *, study: Study | None = None,
         progress: Callable[[int], None] | None = None, batch: int = BATCH) -> Grown:
    """Fill an empty database with demo accounts, an allocation list and `children` children
    through the services, dated around the app's today; return what was built and how fast.

    study replaces the app's study definition (a copy with a wider code pattern); a database
    that already holds accounts, a list or children is refused, as `edc demo` refuses one.
    """
    with app.app_context():
        ctx = context_for(Operator("grow"))
        if study is not None:
            from edc.rules.schedule import clinic_calendar

            ctx = Context(ctx.session, study, clinic_calendar(study.site), ctx.actor, ctx.today)
        return _grow(ctx, children, seed, progress, batch)


def _grow(ctx: Context, children: int, seed: int, progress: Callable[[int], None] | None,
          batch: int) -> Grown:
    session = ctx.session
    if children < 1:
        raise Refused({GENERAL: [f"Got {children} children. Expected at least 1."]})
    if not codes_fit(ctx.study, children):
        raise Refused({GENERAL: [
            f"Got {children} children, coded {participant_code(1, children)} to "
            f"{participant_code(children, children)}, which the study's participant code "
            f"pattern {ctx.study.info.participant_code_pattern} does not allow. Expected at "
            "most 999 children, or a copy of the study folder with a wider pattern "
            "(edc grow --wide-forms DIR)."]})
    if session.scalar(select(User.id).limit(1)) or session.scalar(
            select(Allocation.id).limit(1)) or session.scalar(select(Participant.id).limit(1)):
        raise Refused({GENERAL: [
            "This database already holds accounts, an allocation list or children: grow only "
            "fills an empty database. Nothing was added."]})
    started = clock.perf_counter()
    rows_before = count_rows(session)
    rng = random.Random(seed)
    for username, role, person in DEMO_USERS:
        create_user(ctx, username, role, DEMO_PASSWORD, person, rehearsal=True)
    services.load_allocation(ctx, demo_allocation_csv(ctx.study, math.ceil(children / 4), seed))
    nurse = session.scalars(select(User).where(User.username == "nurse")).one()
    demo = _Demo(ctx.by(nurse))
    with batched_commits(session, batch) as step, force_locale("zh_CN"):
        for n in range(1, children + 1):
            code = participant_code(n, children)
            try:
                _grow_child(demo, rng, code)
            except Refused as refused:
                raise RuntimeError(f"{code}: {refused}") from None
            step()
            if n % batch == 0:
                session.expunge_all()  # what is committed is not needed again
                if progress is not None:
                    progress(n)
    rows = count_rows(session) - rows_before
    return Grown(children, rows, clock.perf_counter() - started)


def _grow_child(demo: _Demo, rng: random.Random, code: str) -> None:
    """One child, enrolled some days ago and taken through the protocol as far as today
    allows, each step entered on the day it happened."""
    consent_ago = _consent_ago(rng, int(code.removeprefix(CODE_PREFIX)))
    sex = rng.choice((Sex.FEMALE, Sex.MALE))
    child = demo.enrol(code, consent_ago, sex)
    if consent_ago < 2:
        return  # enrolled, screening to come
    demo.screening(child, consent_ago - rng.randint(1, 2))
    first = consent_ago - rng.randint(4, 9)
    if first < 0:
        return  # screened, infusion 1 to come
    demo.infuse(child, 1, first)
    if rng.random() < 0.15:
        _adverse_event(demo, rng, child, first)
    if rng.random() < 0.3:
        _medication(demo, rng, child, consent_ago)
    second = first - 14
    if second < 0:
        return  # between the infusions
    demo.infuse(child, 2, second)
    withdraw_at = rng.randint(2, 11) if rng.random() < 0.03 else None
    today = demo.today
    for step, visit in enumerate(list(child.follow_up), start=1):
        if step == withdraw_at:
            _withdraw(demo, rng, child)
            return
        if visit.window_end < today:
            if rng.random() < 0.03:
                services.mark_missed(demo.ctx, visit, "家长带孩子回老家，未能按时就诊")
            else:
                late = rng.choice((0, 0, 0, -1, 1, 2, -2))
                demo.results(visit, step, min(visit.suggested_date + timedelta(days=late), today))
        elif visit.window_start <= today and visit.suggested_date <= today and rng.random() < 0.5:
            demo.results(visit, step, visit.suggested_date)
        else:
            if rng.random() < 0.6:
                _book(demo, rng, visit)
            return


def _consent_ago(rng: random.Random, n: int) -> int:
    """How long ago the n-th child consented: one child in ten is still being screened, one
    in ten between the infusions, the rest anywhere in the year of follow-up or past it (so
    even ten children meet every stage)."""
    stage = n % 10
    if stage == 1:
        return rng.randint(0, 9)
    if stage == 2:
        return rng.randint(10, 24)
    return rng.randint(25, SPAN_DAYS)


def _book(demo: _Demo, rng: random.Random, visit: Visit) -> None:
    """Book the child's next visit on the first clinic day from today in its window."""
    start = max(demo.today, visit.window_start)
    if start > visit.window_end:
        return
    day = demo.first_day(start, visit.window_end)
    at = time(rng.choice((8, 9, 10, 14, 15)), rng.choice((0, 30)))
    demo.book(visit, day, at, "" if demo.calendar.is_open(day) else "家长只有这一天能来")


def _adverse_event(demo: _Demo, rng: random.Random, child: Participant, first_ago: int) -> None:
    """A fever the day after infusion 1, over the next day (entered the day after)."""
    onset_ago = max(first_ago - 1, 0)
    log = demo.study.log(ADVERSE_EVENTS)
    services.save_log_entry(demo.ctx, child, log, {
        "term": rng.choice(("发热", "头痛", "皮疹", "恶心")), "onset_date": demo.ago(onset_ago),
        "end_date": demo.ago(max(onset_ago - 1, 0)), "ongoing": "no", "serious": "no",
        "grade": "1", "relation": "POSSIBLE", "infusion": "1", "action": ["NONE"],
        "outcome": "RECOVERED"})


def _medication(demo: _Demo, rng: random.Random, child: Participant, consent_ago: int) -> None:
    """An ACEI or ARB taken since before consent."""
    drug, dose, unit = rng.choice((("ENALAPRIL", 2.5, "mg"), ("LOSARTAN", 0.7, "mg/kg"),
                                   ("BENAZEPRIL", 5.0, "mg")))
    services.save_log_entry(demo.ctx, child, demo.study.log("medications"), {
        "drug": drug, "dose": dose, "dose_unit": unit, "frequency": "QD",
        "start_date": demo.ago(consent_ago + rng.randint(30, 300)), "end_date": None,
        "ongoing": "yes", "change": "STARTED"})


def _withdraw(demo: _Demo, rng: random.Random, child: Participant) -> None:
    """The family stops coming: withdrawn today, the last contact a few weeks ago."""
    services.withdraw(demo.ctx, child, {
        "reason": "LOST", "detail": "全家搬迁至外地，电话无法联系", "adverse_event": None,
        "termination_date": demo.today, "last_contact": demo.ago(rng.randint(10, 30))})
