"""The repeating forms' rows: one entry of a log (an adverse event, a medication, a deviation)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edc.models.base import Base, UTCDateTime, utcnow


class LogEntry(Base):
    """One row of a log form (forms/<form>.toml): its items' stored values by key. The dates
    the code reads (by the items' roles) are kept beside them as columns, and a serious event's
    alert with its acknowledgement."""

    __tablename__ = "log_entry"
    __table_args__ = (
        UniqueConstraint("participant_id", "form", "number"),
        Index("ix_log_entry_alert", "alert_at", "acknowledged_at"),
        # A log's entries not removed, and those still going on (no end date), across children.
        Index("ix_log_entry_form", "form", "removed_reason", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    form: Mapped[str] = mapped_column(String(32))  # the file's stem: "adverse_events"
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per child and form
    # item key -> stored value: text, ISO date, "yes"/"no", a list of codes, a number.
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    # Entered in error: kept, shown struck through, left out of every count.
    removed_reason: Mapped[str | None] = mapped_column(Text)
    # When the entry first became serious: the reporting window runs from here.
    alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    def value(self, key: str) -> Any:
        return self.values.get(key)
