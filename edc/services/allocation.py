"""The concealed allocation list: loading it and assigning it (edc.read.blinding reads it)."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from edc.models import Allocation, Participant, utcnow
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
    """Load a randomisation list (CSV with columns sequence,arm); return how many rows."""
    session, study = ctx.session, ctx.study
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
            rows[int(seq)] = arm
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
    taken = set(session.scalars(select(Allocation.sequence).where(Allocation.sequence.in_(rows))))
    if taken:
        errors.add(
            GENERAL,
            _(
                "Sequence numbers already loaded: %(seqs)s.",
                seqs=", ".join(str(s) for s in sorted(taken)),
            ),
        )
    errors.raise_if_any()
    with audited(session, ctx.actor.username, N_("Allocation list loaded")):
        session.add_all(Allocation(sequence=seq, arm=arm) for seq, arm in sorted(rows.items()))
        session.commit()
    return len(rows)
