"""Demo accounts, a demo allocation list and three children, dated around today."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from edc import services
from edc.accounts import create_user
from edc.labs import ResultsForm
from edc.models import Allocation, Participant, User
from edc.schedule import ClinicCalendar
from edc.services import Refused
from edc.study import Study

DEMO_PASSWORD = "demo-password"
DEMO_USERS = (
    ("nurse", "nurse"),
    ("investigator", "investigator"),
    ("monitor", "monitor"),
    ("pharmacist", "unblinded"),
    ("admin", "admin"),
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


# Falling proteinuria and hematuria over the visits, for the trend table and chart:
# (UPCR mg/mg, urine RBC /HPF, creatinine umol/L, cystatin C mg/L, lab eGFR)
DEMO_LABS = [(1.2, 40, 41, 0.95, 96), (0.9, 28, 40, 0.93, 99), (0.62, 15, 39, 0.9, 101),
             (0.45, 8, 38, 0.88, 104), (0.3, 5, 38, 0.86, 106)]


def _demo_results(form: ResultsForm, labs: tuple, sample: date) -> services.ResultsData:
    upcr, rbc, creatinine, cystatin, egfr = labs
    typed = {"upcr": (upcr, "mg/mg"), "urine_rbc": (rbc, "/HPF"),
             "creatinine": (creatinine, "umol/L"), "cystatin_c": (cystatin, "mg/L"),
             "egfr_lab": (egfr, ""), "protein_24h": (round(upcr * 700), "mg/24h"),
             "height": (125, ""), "weight": (24, "")}
    return services.ResultsData(sample_date=sample, results={
        key: services.TypedResult(text=f"{value:g}", unit=unit, confirmed=True)
        for key, (value, unit) in typed.items() if form.field(key)})


def load_demo(session: Session, study: Study, calendar: ClinicCalendar,
              form: ResultsForm) -> Iterator[str]:
    """Fill an empty database with demo data; yield what to tell the user.

    A database with any account, allocation or child of its own is refused: demo accounts
    with a published password must never reach a real trial database.
    """
    demo_users = {name for name, _role in DEMO_USERS}
    users = set(session.scalars(select(User.username)))
    if users and users == demo_users:
        yield "Demo data already present."
    elif users or session.scalar(select(Allocation.id).limit(1)) or session.scalar(
            select(Participant.id).limit(1)):
        raise Refused({"__all__": [
            "This database already holds accounts, an allocation list or children: "
            "`edc demo` only fills an empty database. Nothing was added."]})
    else:
        for username, role in DEMO_USERS:
            create_user(session, "demo", username, role, DEMO_PASSWORD)
        services.load_allocation(session, study, "demo", demo_allocation_csv(study))
        nurse = session.scalars(select(User).where(User.username == "nurse")).one()
        today = services.today(study)
        children = [
            # (code, consent days ago, first infusion days ago, second infusion days ago, sex)
            ("AS-001", 130, 110, 96, "F"),
            ("AS-002", 40, 30, 16, "M"),
            ("AS-003", 5, 2, None, "M"),
        ]
        for code, consent, first, second, sex in children:
            data = _child(
                code, today - timedelta(days=365 * 8), sex, today - timedelta(days=consent), study
            )
            participant = services.enrol(session, study, nurse, data, today)
            for number, ago in ((1, first), (2, second)):
                if ago is None:
                    continue
                services.save_infusion(
                    session,
                    study,
                    calendar,
                    nurse,
                    participant,
                    number,
                    services.InfusionData(
                        date=today - timedelta(days=ago),
                        weight_kg=24.0,
                        product_lot=f"UC-2026-{number:02d}{code[-1]}",
                        volume_ml=50.0,
                    ),
                    today,
                )
            screening = services.add_visit(session, nurse, participant, "screening", today, "")
            done = [screening] + [v for v in participant.visits
                                  if v.kind == "scheduled" and v.window_end < today][:-1]
            for visit, labs in zip(done, DEMO_LABS, strict=False):
                sample = (visit.target_date - timedelta(days=3) if visit.kind == "screening"
                          else min(visit.suggested_date, today))
                services.save_results(
                    session, form, nurse, visit, _demo_results(form, labs, sample),
                    expected_version=visit.version, watermark=0, reason="", on=today)
        yield "Demo data loaded: 3 children, a 40-entry allocation list, 5 accounts."
    yield "Log in at http://127.0.0.1:5000/ with one of these accounts:"
    for username, role in DEMO_USERS:
        yield f"  {username:<13} {DEMO_PASSWORD}   ({role})"
