"""The generated trial for measurements: children at every stage, through the services, the same
for the same seed, refused where the study's codes cannot hold them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from edc import db
from edc.cli.grow import codes_fit, grow, widen_codes
from edc.models import Infusion, Participant, Result, Visit
from edc.protocol.study import Study, load_study
from edc.services import Refused
from tests.support.apps import make_app

FORMS = Path(__file__).resolve().parents[2] / "forms"


@pytest.fixture
def grown_app(study: Study, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Flask]]:
    """Make an app with no accounts on a database; its engine is closed after the test."""
    apps: list[Flask] = []

    def make(url: str) -> Flask:
        apps.append(make_app(url, study, monkeypatch, users=()))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["edc_engine"].dispose()


def _stages(app: Flask) -> dict[str, int]:
    """How many children are at each stage today."""
    with app.app_context():
        session = db.session()
        infusions = dict(session.execute(
            select(Infusion.participant_id, func.count()).group_by(Infusion.participant_id)).all())
        done = dict(session.execute(
            select(Visit.participant_id, func.count()).where(
                Visit.status == "done", Visit.kind == "scheduled")
            .group_by(Visit.participant_id)).all())
        stages: dict[str, int] = {}
        for child in session.scalars(select(Participant)):
            if child.status != "enrolled":
                stage = child.status
            elif child.id not in infusions:
                stage = "screening"
            elif infusions[child.id] == 1:
                stage = "between infusions"
            else:
                stage = "follow-up" if done.get(child.id) else "waiting for W02"
            stages[stage] = stages.get(stage, 0) + 1
        return stages


def _fingerprint(app: Flask) -> list[tuple]:
    with app.app_context():
        session = db.session()
        return session.execute(
            select(Participant.code, Participant.sex, Participant.consent_date, Visit.code,
                   Visit.status, Visit.actual_date, Visit.booked_date, func.count(Result.id))
            .join(Visit, Visit.participant_id == Participant.id)
            .outerjoin(Result, Result.visit_id == Visit.id)
            .group_by(Participant.code, Participant.sex, Participant.consent_date, Visit.id)
            .order_by(Participant.code, Visit.id)).all()


def test_grown_children_meet_every_stage_with_results_on_past_visits(
        database_url: str, grown_app: Callable[[str], Flask]) -> None:
    app = grown_app(database_url)
    grown = grow(app, 30, seed=7)
    assert grown.children == 30 and grown.rows > 30 * 100
    stages = _stages(app)
    assert {"screening", "between infusions", "follow-up", "completed"} <= set(stages), stages
    with app.app_context():
        session = db.session()
        past_without_results = session.scalar(select(func.count()).select_from(Visit).where(
            Visit.status == "done", ~Visit.results.any()))
        results = session.scalar(select(func.count()).select_from(Result))
    assert past_without_results == 0
    assert results > 30 * 20


def test_the_same_seed_grows_the_same_trial(
        database_url: str, grown_app: Callable[[str], Flask], tmp_path: Path) -> None:
    first = grown_app(database_url)
    grow(first, 10, seed=3)
    other_url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    db.upgrade(other_url)
    second = grown_app(other_url)
    grow(second, 10, seed=3)
    assert _fingerprint(first) == _fingerprint(second)
    assert len(_fingerprint(first)) > 10 * 5


def test_more_children_than_the_codes_hold_are_refused_and_nothing_is_written(
        database_url: str, grown_app: Callable[[str], Flask]) -> None:
    app = grown_app(database_url)
    with pytest.raises(Refused) as refused:
        grow(app, 1000, seed=1)
    assert "AS-0001 to AS-1000" in str(refused.value)
    assert "^AS-[0-9]{3}$" in str(refused.value)
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Participant)) == 0


def test_a_wider_copy_of_the_study_holds_ten_thousand_codes(tmp_path: Path) -> None:
    wide = load_study(widen_codes(FORMS, tmp_path / "wide", 10_000))
    assert codes_fit(wide, 10_000)
    assert not codes_fit(load_study(FORMS), 10_000)
    assert codes_fit(load_study(FORMS), 999)
    assert (FORMS / "study.toml").read_text() != (tmp_path / "wide" / "study.toml").read_text()


def test_a_database_with_accounts_is_refused(
        database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(database_url, study, monkeypatch)  # one account per role
    try:
        with pytest.raises(Refused, match="only fills an empty database"):
            grow(app, 5, seed=1)
    finally:
        app.extensions["edc_engine"].dispose()


def test_edc_grow_reports_its_build_rate(runner, tmp_path: Path) -> None:
    result = runner("grow", "--children", "4", "--seed", "2", "--wide-forms",
                    str(tmp_path / "wide"))
    assert result.exit_code == 0, result.output
    assert "Grew 4 children" in result.stdout and "children/s" in result.stdout
    assert (tmp_path / "wide" / "study.toml").exists()
    refused = runner("grow", "--children", "1000")
    assert refused.exit_code == 2
    assert "--wide-forms" in refused.output
