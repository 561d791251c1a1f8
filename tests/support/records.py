"""What the database holds, read in the app's context: for checks after a page or a post."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from edc import db
from edc.models import DataQuery, Infusion, LogEntry, Participant, Result, StudyLock, Visit
from edc.protocol.study import TERMINATION
from edc.services import NOT_RECORDED


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


def _record(session: Any, path: str) -> Any:
    """The record a form posting to `path` changes (None: none is stored)."""
    if found := re.match(r"/visits/(\d+)", path):
        return session.get(Visit, int(found[1]))
    if found := re.match(r"/queries/(\d+)", path):
        return session.get(DataQuery, int(found[1]))
    if path == "/admin/unlock":
        return session.scalars(select(StudyLock).where(StudyLock.unlocked_at.is_(None))
                               .order_by(StudyLock.id.desc())).first()
    found = re.match(r"/participants/(\d+)(?:/(infusions|log|termination)(?:/([^/]+))?"
                     r"(?:/(\d+))?)?", path)
    assert found, f"no record is changed by a form posting to {path}"
    pid, kind, name, number = int(found[1]), found[2], found[3], found[4]
    if kind == "infusions":
        return session.scalars(select(Infusion).where(
            Infusion.participant_id == pid, Infusion.number == int(name))).one_or_none()
    if kind in ("log", "termination"):
        return session.scalars(select(LogEntry).where(
            LogEntry.participant_id == pid, LogEntry.form == (name or TERMINATION),
            LogEntry.number == int(number or 1))).one_or_none()
    return session.get(Participant, pid)


def stored_version(app: Flask, action: str) -> str:
    """The stored version of the record a form posting to `action` changes, as its page would
    carry it now (an infusion not recorded yet: NOT_RECORDED)."""
    path = urlsplit(action).path
    with app.app_context():
        record = _record(db.session(), path)
        if record is None and "/infusions/" in path:
            return str(NOT_RECORDED)
        assert record is not None, f"no record is changed by a form posting to {path}"
        return str(record.version)
