"""The append-only audit trail: one entry per save (who, when, why), with its field changes.

A save writes one `audit_entry` row and one `audit_event` row per field it changed, so who, when
and why are stored once, not on every field. `AuditEvent` reads a change together with its
entry (the two tables joined), which is how every page, export and check reads the trail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, join
from sqlalchemy.orm import Mapped, column_property, mapped_column

from edc.models.base import Base, UTCDateTime


class AuditEntry(Base):
    """One save: who made it, when (UTC) and why. Append-only like its changes."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    username: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)


class AuditChange(Base):
    """One field a save changed (the database refuses UPDATE and DELETE: see migrations)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id"))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    # A child's trail is a few hundred rows: the one index that finds it is enough.
    participant_id: Mapped[int | None] = mapped_column(Integer, index=True)
    field: Mapped[str | None] = mapped_column(String(64))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)


_change, _entry = AuditChange.__table__, AuditEntry.__table__


class AuditEvent(Base):
    """A field change with its entry's who, when and why: read-only (write with edc.audit)."""

    __table__ = join(_change, _entry, _change.c.entry_id == _entry.c.id)
    __mapper_args__ = {"primary_key": [_change.c.id]}

    id = column_property(_change.c.id)
    entry_id = column_property(_change.c.entry_id, _entry.c.id)
    action = column_property(_change.c.action)
    entity = column_property(_change.c.entity)
    entity_id = column_property(_change.c.entity_id)
    participant_id = column_property(_change.c.participant_id)
    field = column_property(_change.c.field)
    old = column_property(_change.c.old)
    new = column_property(_change.c.new)
    at = column_property(_entry.c.at)
    username = column_property(_entry.c.username)
    reason = column_property(_entry.c.reason)
