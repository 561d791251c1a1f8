"""The concealed allocation list: loading it and assigning it (edc.read.blinding reads it).

Whoever loads the list reads its arms, and since the next child takes the lowest free sequence
number, whoever could add entries below or among the loaded ones could choose a child's arm. So
only someone who may see the arms loads it (the unblinded role's page, or `edc allocation load`
at the server console), and a list is only ever extended after its end.
"""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edc.models import Allocation, Participant, User, utcnow
from edc.permissions import blinded
from edc.services.base import GENERAL, N_, Context, Errors, Refused, audited


def assign_next_allocation(session: Session, participant: Participant) -> bool:
    """Give the participant the lowest free sequence number of the concealed list."""
    entry = session.scalars(
        select(Allocation)
        .where(Allocation.participant_id.is_(None))
        .order_by(Allocation.sequence)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if entry is None:
        return False
    entry.participant_id, entry.assigned_at = participant.id, utcnow()
    session.flush()  # the version check refuses an entry a concurrent enrolment took first
    return True


MAX_SEQUENCE = 2**31 - 1


def load_allocation(ctx: Context, text: str) -> int:
    """Load a randomisation list (CSV with columns sequence,arm) after the end of the one
    loaded; return how many rows."""
    session, study = ctx.session, ctx.study
    if isinstance(ctx.actor, User) and blinded(ctx.actor.role):
        raise Refused({GENERAL: [_(
            "The allocation list holds the arms: only the unblinded role loads it, on its "
            "Allocation list page, or the hospital's IT at the server console (edc allocation "
            "load FILE.csv).")]})
    errors = Errors()
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or {"sequence", "arm"} - {f.strip() for f in reader.fieldnames}:
        raise Refused(
            {
                GENERAL: [
                    _(
                        "Got columns %(cols)s. Expected a header line: sequence,arm.",
                        cols=", ".join(reader.fieldnames or []) or "—",
                    )
                ]
            }
        )
    arms = {a.code for a in study.arms}
    rows: dict[int, str] = {}
    lines: dict[int, int] = {}  # sequence -> its line in the file
    for line, row in enumerate(reader, start=2):
        if None in row:  # cells beyond the header's columns
            errors.add(GENERAL, _("Line %(line)s: more cells than the header sequence,arm.",
                                  line=line))
            continue
        row = {(key or "").strip(): (value or "").strip() for key, value in row.items()}
        seq, arm = row.get("sequence", ""), row.get("arm", "")
        # The database keeps a sequence number as a 32-bit integer.
        if not (seq.isascii() and seq.isdigit()) or not 1 <= int(seq) <= MAX_SEQUENCE:
            errors.add(
                GENERAL,
                _(
                    "Line %(line)s: got sequence %(seq)r. Expected a whole number ≥ 1.",
                    line=line,
                    seq=seq,
                ),
            )
        elif int(seq) in rows:
            errors.add(
                GENERAL, _("Line %(line)s: sequence %(seq)s appears twice.", line=line, seq=seq)
            )
        elif arm not in arms:
            errors.add(
                GENERAL,
                _(
                    "Line %(line)s: got an arm that is not one of the study's arm "
                    "codes (%(arms)s).",
                    line=line,
                    arms=", ".join(sorted(arms)),
                ),
            )
        else:
            rows[int(seq)], lines[int(seq)] = arm, line
    if not rows and not errors:
        errors.add(GENERAL, _("The list is empty."))
    counts = {a: list(rows.values()).count(a) for a in arms}
    if rows and len(set(counts.values())) != 1:
        errors.add(
            GENERAL,
            _(
                "The list is not balanced 1:1 across the arms; it holds %(n)s "
                "entries with unequal arm counts.",
                n=len(rows),
            ),
        )
    # Only after the end: an entry below the highest loaded, or in a gap among the loaded ones,
    # would be the next child's, with an arm chosen after the statistician's list.
    last = session.scalar(select(func.max(Allocation.sequence)))
    early = [seq for seq in rows if last is not None and seq <= last]
    if early:
        first = min(early, key=lines.__getitem__)
        errors.add(
            GENERAL,
            _(
                "Line %(line)s: sequence %(seq)s is not after the end of the list already "
                "loaded (its highest number is %(last)s). A list is only extended after its "
                "end: number the new entries from %(next)s.",
                line=lines[first],
                seq=first,
                last=last,
                next=last + 1,
            ),
        )
    errors.raise_if_any()
    with audited(session, ctx.actor.username, N_("Allocation list loaded")):
        session.add_all(Allocation(sequence=seq, arm=arm) for seq, arm in sorted(rows.items()))
        session.commit()
    return len(rows)
