"""The codes the database stores, as enums: one place names every status, kind and action.

StrEnum members are their stored strings ("planned" == VisitStatus.PLANNED), so the database and
the migrations keep the plain text; the code names them through these enums instead of literals.
"""

from __future__ import annotations

from enum import StrEnum


class ParticipantStatus(StrEnum):
    ENROLLED = "enrolled"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class VisitKind(StrEnum):
    SCHEDULED = "scheduled"
    SCREENING = "screening"
    UNSCHEDULED = "unscheduled"


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class QueryStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"  # data left the app: who, which format, which file
    REFUSED = "refused"  # an attempt refused and kept: a blinded person's at an unblinded account


# The protocol deviations the record computes by itself, in the order the pages list them: infusion
# 2 outside its window, a sample outside its visit's window, a booking off the window or on a
# closed day, a missed visit.
DEVIATION_KINDS = ("infusion", "sample", "booking", "missed")
# Those that took place, as the exports' DV lists them: a booking off the window is a plan (the
# visit's sample date, or its being missed, is what happens).
HAPPENED_DEVIATIONS = ("infusion", "sample", "missed")
