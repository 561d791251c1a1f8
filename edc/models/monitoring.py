"""What monitoring adds to a child's record: queries on stored values, source data verification,
the investigator's signature of the casebook, and the lock of the whole database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edc.models.base import Base, UTCDateTime, utcnow
from edc.protocol.codes import QueryStatus

QUERY_STATUSES = tuple(s.value for s in QueryStatus)


class DataQuery(Base):
    """A question on one stored value: which record (entity and id, as the audit trail names
    it) and which field (a column, or a log form's item key), asked by a monitor or an
    investigator (or by a rule: `rule` names it), answered by a nurse, closed by who asked.
    Its history is its audit trail."""

    __tablename__ = "data_query"
    __table_args__ = (
        CheckConstraint(f"status IN {QUERY_STATUSES!r}", name="status"),
        Index("ix_data_query_target", "entity", "entity_id", "field"),
        Index("ix_data_query_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=QueryStatus.OPEN)
    text: Mapped[str] = mapped_column(Text)
    rule: Mapped[str | None] = mapped_column(String(32))  # an automatic query's rule
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Verification(Base):
    """A monitor's mark that a record's values (a visit with its results, a log entry, the
    enrolment, an infusion) were checked against the source. A later change of any of them
    clears it (cleared_at, with why)."""

    __tablename__ = "verification"
    __table_args__ = (UniqueConstraint("entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    verified_by: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Signature(Base):
    """The investigator's signature of a child's casebook: who, the name as printed, what the
    signature means, when (UTC). Any later change of the child's data voids it, saying why."""

    __tablename__ = "signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    signed_by: Mapped[str] = mapped_column(String(64))
    printed_name: Mapped[str] = mapped_column(String(128))
    meaning: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class StudyLock(Base):
    """The whole database locked for an analysis: while a row has no unlocked_at, every change
    of a child's data is refused."""

    __tablename__ = "study_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    locked_by: Mapped[str] = mapped_column(String(64))
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    unlocked_by: Mapped[str | None] = mapped_column(String(64))
    unlocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unlock_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
