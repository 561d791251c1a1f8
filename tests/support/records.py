"""What the database holds, read in the app's context: for checks after a page or a post."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from edc import db
from edc.models import Infusion, Participant, Result, Visit


def visit_id(app: Flask, participant_id: int, code: str) -> int:
    """The id of the participant's visit `code`."""
    with app.app_context():
        return db.session().scalars(select(Visit.id).where(
            Visit.participant_id == participant_id, Visit.code == code)).one()


def participants(app: Flask) -> list[Participant]:
    """Every participant, in the order enrolled."""
    with app.app_context():
        return list(db.session().scalars(select(Participant).order_by(Participant.id)))


def stored_results(app: Flask, visit: int) -> dict[str, Result]:
    """The visit's stored results by analyte key."""
    with app.app_context():
        rows = db.session().scalars(select(Result).where(Result.visit_id == visit)).all()
        return {r.field: r for r in rows}


def stored_visit(app: Flask, visit: int) -> Visit:
    """The visit as stored."""
    with app.app_context():
        return db.session().get(Visit, visit)


def visits_of(app: Flask, participant: int) -> dict[str, Visit]:
    """The participant's visits by code."""
    with app.app_context():
        rows = db.session().scalars(select(Visit).where(Visit.participant_id == participant))
        return {v.code: v for v in rows}


def infusions(app: Flask, participant_id: int) -> dict[int, Infusion]:
    """The participant's infusions by number."""
    with app.app_context():
        rows = db.session().scalars(
            select(Infusion).where(Infusion.participant_id == participant_id))
        return {i.number: i for i in rows}


def participant(app: Flask, participant_id: int) -> Participant:
    """The participant as stored."""
    with app.app_context():
        return db.session().get(Participant, participant_id)


def visit(app: Flask, participant_id: int, code: str) -> Visit:
    """The participant's visit `code` as stored."""
    with app.app_context():
        return db.session().scalars(select(Visit).where(
            Visit.participant_id == participant_id, Visit.code == code)).one()
